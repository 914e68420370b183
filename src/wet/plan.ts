/**
 * What to change in the wet tree to get from the previous state to the next layout. Hydrate
 * only ever touches paths it owns: the previous index's paths (plus the index itself) may be
 * rewritten or deleted; any other file (README.md, .github/, another tool's output, even inside a
 * unit's folder) is left alone, and a next file that would overwrite one is refused.
 *
 * An index is data on the wet branch, which anyone with push access can edit, so what it claims
 * is checked before anything is deleted: paths that Hydrate never owns (root files, `.github/`,
 * `.git*`; see `isNeverOwned`) are never touched, and an owned path is deleted only when its
 * content is what Hydrate wrote (its hash in the index) or it lies under its unit's output folder.
 */
import type { Diagnostic } from '../diagnostics.js';
import { cmp } from '../resources/resource.js';
import { ownedPaths, type WetFile, type WetLayout } from './layout.js';
import { isNeverOwned } from './wet-index.js';
import { contentHash, INDEX_PATH, type WetIndex, type WetIndexUnit } from '../formats/wet-index.js';

export interface WetPlan {
  /** Files to create or replace, sorted by path. */
  writes: WetFile[];
  /** Owned paths that are no longer produced and exist in the previous tree, sorted. */
  deletes: string[];
  /** Next files whose content is already in place, sorted. */
  unchanged: string[];
  /** Errors that forbid applying the plan (refused overwrites), plus the layout's own; warnings for paths left alone. */
  diagnostics: Diagnostic[];
  /** Text of the next index (written last: the commit point of the update). */
  nextIndex?: string;
  /** Paths the previous index lists, no longer produced, that stay because hydrate may not delete them (see the warnings). */
  leftInPlace?: string[];
}

/** Why an owned path that is no longer produced must stay, or undefined when it may be deleted. */
function keepReason(path: string, content: string, claimants: readonly WetIndexUnit[], shared: boolean): string | undefined {
  if (isNeverOwned(path)) return 'hydrate never owns files at the root of the wet tree, under .github/ or in .git folders';
  if (shared) return undefined;
  let hashed = false;
  for (const u of claimants) {
    if (u.output !== '' && path.startsWith(`${u.output}/`)) return undefined;
    // An index from an older version records no hashes: as before, within the rules above.
    if (u.hashes === undefined) return undefined;
    const hash = u.hashes[path];
    if (hash !== undefined) hashed = true;
    if (hash === contentHash(content)) return undefined;
  }
  return hashed ? 'its content is not what hydrate wrote' : "it is outside its unit's output folder and the index records no hash for it";
}

function claimantsOf(index: WetIndex): Map<string, WetIndexUnit[]> {
  const out = new Map<string, WetIndexUnit[]>();
  for (const u of Object.values(index.units)) {
    for (const p of u.paths) {
      const list = out.get(p);
      if (list) list.push(u);
      else out.set(p, [u]);
    }
  }
  return out;
}

export async function planWetUpdate(
  previousIndex: WetIndex | undefined,
  readPrevious: (path: string) => Promise<string | undefined>,
  next: WetLayout
): Promise<WetPlan> {
  const previouslyOwned = ownedPaths(previousIndex);
  const owned = new Set(previouslyOwned.filter((p) => p === INDEX_PATH || !isNeverOwned(p)));
  const nextPaths = new Set(next.files.map((f) => f.path));
  for (const p of next.kept) nextPaths.add(p);
  const writes: WetFile[] = [];
  const unchanged: string[] = [];
  const diagnostics: Diagnostic[] = [...next.diagnostics];

  const neverOwned = (path: string): void => {
    diagnostics.push({
      severity: 'error',
      file: path,
      message: `refusing to write ${path}: hydrate never writes files at the root of the wet tree, under .github/ or in .git folders`
    });
  };
  // A kept unit's file stays as the previous tree holds it (the layout lists only those present there).
  for (const p of next.kept) {
    if (isNeverOwned(p)) neverOwned(p);
    else unchanged.push(p);
  }
  const previous = await Promise.all(next.files.map((f) => readPrevious(f.path)));
  next.files.forEach((file, i) => {
    const before = previous[i];
    if (file.path !== INDEX_PATH && isNeverOwned(file.path)) {
      neverOwned(file.path);
    } else if (before === undefined) {
      writes.push(file);
    } else if (!owned.has(file.path)) {
      diagnostics.push({
        severity: 'error',
        file: file.path,
        message: `refusing to overwrite ${file.path}: it exists in the wet tree but was not written by hydrate (move it, or delete it)`
      });
    } else if (before === file.content) {
      unchanged.push(file.path);
    } else {
      writes.push(file);
    }
  });

  const claimed = previouslyOwned.filter((p) => !nextPaths.has(p));
  const present = await Promise.all(claimed.map((p) => readPrevious(p)));
  const deletes: string[] = [];
  const leftInPlace: string[] = [];
  const claimants = previousIndex && claimed.length > 0 ? claimantsOf(previousIndex) : new Map<string, WetIndexUnit[]>();
  const shared = new Set(previousIndex?.shared ?? []);
  claimed.forEach((p, i) => {
    const content = present[i];
    if (content === undefined) return;
    const why = p === INDEX_PATH ? undefined : keepReason(p, content, claimants.get(p) ?? [], shared.has(p));
    if (why === undefined) {
      deletes.push(p);
      return;
    }
    leftInPlace.push(p);
    diagnostics.push({ severity: 'warning', file: p, message: `left ${p} in place although the wet index lists it: ${why} (the index may have been edited)` });
  });

  const nextIndex = next.files.find((f) => f.path === INDEX_PATH)?.content;
  return {
    writes: writes.sort((a, b) => cmp(a.path, b.path)),
    deletes: deletes.sort(cmp),
    unchanged: unchanged.sort(cmp),
    diagnostics,
    ...(nextIndex !== undefined ? { nextIndex } : {}),
    ...(leftInPlace.length > 0 ? { leftInPlace: leftInPlace.sort(cmp) } : {})
  };
}

/** True when applying the plan would change nothing. */
export function isEmptyPlan(plan: WetPlan): boolean {
  return plan.writes.length === 0 && plan.deletes.length === 0;
}
