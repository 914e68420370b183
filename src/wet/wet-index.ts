/**
 * What the wet tree's rules make of the wet index (its format: `src/formats/wet-index.ts`): the
 * paths no index can claim, and the index to plan from after an interrupted write.
 */
import { cmp } from '../resources/resource.js';
import { unitRecord, WET_INDEX_VERSION, type WetIndex, type WetIndexUnit } from '../formats/wet-index.js';

/**
 * Paths Hydrate never owns, whatever an index says: files at the root of the wet tree (its
 * README, `.gitattributes`, `.gitignore`…), anything under `.github/` or a `.git*` folder at the
 * root, and anything inside a `.git` folder. Such a path is never deleted or overwritten.
 */
export function isNeverOwned(path: string): boolean {
  // Called for every owned path of a run: string tests instead of splitting into segments.
  if (!path.includes('/') || path.startsWith('.git')) return true;
  return path.includes('/.git/') || path.endsWith('/.git');
}

/**
 * The index to plan from after an interrupted write (see PENDING_PATH): every unit of the last
 * committed index and of the one being written, owning the paths of both, each with a digest that
 * matches no input, so that every unit renders again and whatever the interrupted run left is
 * rewritten or pruned.
 */
export function recoverIndex(committed: WetIndex | undefined, pending: WetIndex | undefined): WetIndex {
  const units = unitRecord();
  const ids = new Set([...Object.keys(committed?.units ?? {}), ...Object.keys(pending?.units ?? {})]);
  for (const id of [...ids].sort(cmp)) {
    const a = committed?.units[id];
    const b = pending?.units[id];
    const base = (b ?? a)!;
    const entry: WetIndexUnit = { ...base, paths: [...new Set([...(a?.paths ?? []), ...(b?.paths ?? [])])].sort(cmp), digest: '' };
    if (a?.hashes !== undefined || b?.hashes !== undefined) {
      const hashes = Object.create(null) as Record<string, string>;
      Object.assign(hashes, a?.hashes ?? {}, b?.hashes ?? {});
      entry.hashes = hashes;
    }
    units[id] = entry;
  }
  const index: WetIndex = { version: WET_INDEX_VERSION, generator: pending?.generator ?? committed?.generator ?? '', units };
  const shared = [...new Set([...(committed?.shared ?? []), ...(pending?.shared ?? [])])].sort(cmp);
  if (shared.length > 0) index.shared = shared;
  return index;
}
