/**
 * The wet index (`.hydrate/index.json` in the wet tree): which unit owns which paths, and the
 * digest of each unit's inputs. Pruning removes exactly the owned paths no longer produced.
 */
import { createHash } from 'node:crypto';
import type { RendererName } from '../dry/unit.js';
import { cmp } from '../resources/resource.js';

export const INDEX_PATH = '.hydrate/index.json';
/**
 * Written before a run changes the wet tree and removed after the index (the commit point) is
 * in place: while it exists, the tree may be half-written. It holds the index being written.
 */
export const PENDING_PATH = '.hydrate/pending.json';

export interface WetIndexUnit {
  renderer: RendererName;
  dir: string;
  coordinates: Record<string, string>;
  output: string;
  /** Wet-relative paths the unit owns, sorted. */
  paths: string[];
  /** Content hash (see `contentHash`) of each owned path as Hydrate wrote it. Absent in indexes of older versions. */
  hashes?: Record<string, string>;
  digest: string;
  /** How many objects the unit rendered (reported for a unit kept from an earlier run). */
  resources?: number;
  volatile?: boolean;
  /** What the unit provides to other units (see `Provided` in render/renderer.ts), sorted. */
  provides?: string[];
  /** The config that renders the unit (`<repository>:<config path>`); absent in indexes of older versions. */
  owner?: string;
  /**
   * The dry paths the digest covers (files, and folders read whole) → their ids (a file's git
   * blob id; a folder's id covers its listing and everything below it). A later run recomputes
   * the digest over these paths with today's ids and walks the unit's kustomizations only when
   * it differs. Absent for volatile units and in indexes of older versions.
   */
  closure?: Record<string, string>;
}

export interface WetIndex {
  version: 1;
  /** Hydrate version that wrote it. */
  generator: string;
  /** Dry commit SHA when known. */
  dryCommit?: string;
  /** Digest of the config file contents. */
  configDigest?: string;
  /** Unit id → entry (a record without prototype); keys sorted when serialized. */
  units: Record<string, WetIndexUnit>;
  /** Paths owned by Hydrate outside any unit (e.g. `.gitattributes` files), sorted. */
  shared?: string[];
}

/** The hash recorded for a file Hydrate wrote: sha256 of its UTF-8 text, hex. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

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

/** A unit record without prototype: a unit id such as `constructor` is an ordinary key. */
export function unitRecord(entries: Iterable<[string, WetIndexUnit]> = []): Record<string, WetIndexUnit> {
  const out = Object.create(null) as Record<string, WetIndexUnit>;
  for (const [k, v] of entries) out[k] = v;
  return out;
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
  const index: WetIndex = { version: 1, generator: pending?.generator ?? committed?.generator ?? '', units };
  const shared = [...new Set([...(committed?.shared ?? []), ...(pending?.shared ?? [])])].sort(cmp);
  if (shared.length > 0) index.shared = shared;
  return index;
}
