/**
 * A render split into parts that can be merged apart: which units a render changed against the
 * wet tree, and, for a set of those units, the changes that turn the wet tree into "the wet tree
 * plus only these units" — their files as rendered and their index entries, the other units'
 * files and entries as they are on the wet branch, so the index stays true to each tree.
 * Pure: trees are given as path → blob id listings.
 */
import { cmp } from '../resources/resource.js';
import { INDEX_PATH, serializeIndex, unitRecord, type WetIndex, type WetIndexUnit } from '../formats/wet-index.js';

/** A tree listing: path → blob id. */
export type TreeListing = ReadonlyMap<string, string>;

export interface RenderSides {
  /** The wet branch's tree and index (undefined: no index yet). */
  old: { files: TreeListing; index: WetIndex | undefined };
  /** The full render's tree and index. */
  next: { files: TreeListing; index: WetIndex | undefined };
}

/** A unit whose files or index entry the render changed, with its coordinates. */
export interface ChangedUnit {
  id: string;
  coordinates: Record<string, string>;
}

function sameEntry(a: WetIndexUnit, b: WetIndexUnit): boolean {
  return serializeIndex({ version: 1, generator: '', units: unitRecord([['u', a]]) }) === serializeIndex({ version: 1, generator: '', units: unitRecord([['u', b]]) });
}

function unitPaths(sides: RenderSides, id: string): string[] {
  return [...new Set([...(sides.old.index?.units[id]?.paths ?? []), ...(sides.next.index?.units[id]?.paths ?? [])])];
}

/** The units whose entry or any owned file differs between the wet tree and the render, sorted by id. */
export function changedUnits(sides: RenderSides): ChangedUnit[] {
  const ids = new Set([...Object.keys(sides.old.index?.units ?? {}), ...Object.keys(sides.next.index?.units ?? {})]);
  const out: ChangedUnit[] = [];
  for (const id of [...ids].sort(cmp)) {
    const a = sides.old.index?.units[id];
    const b = sides.next.index?.units[id];
    const differs = !a || !b || !sameEntry(a, b) || unitPaths(sides, id).some((p) => sides.old.files.get(p) !== sides.next.files.get(p));
    if (differs) out.push({ id, coordinates: { ...(b ?? a)!.coordinates } });
  }
  return out;
}

export interface PartChanges {
  /** Path → the blob id it gets, or null: removed. Applied over the wet tree. */
  files: Map<string, string | null>;
  /** The index of the part's tree (written at INDEX_PATH). */
  index: WetIndex;
  indexText: string;
}

/**
 * The wet tree plus only `unitIds` of the render: their files (and the shared files Hydrate owns)
 * as rendered, their entries in the index as rendered, everything else as on the wet branch.
 */
export function partChanges(sides: RenderSides, unitIds: readonly string[]): PartChanges {
  const next = sides.next.index;
  const base = sides.old.index;
  const units = unitRecord(Object.entries(base?.units ?? {}));
  const files = new Map<string, string | null>();
  const mirror = (p: string): void => {
    if (p === INDEX_PATH) return;
    files.set(p, sides.next.files.get(p) ?? null);
  };
  for (const id of unitIds) {
    for (const p of unitPaths(sides, id)) mirror(p);
    const entry = next?.units[id];
    if (entry) units[id] = entry;
    else delete units[id];
  }
  for (const p of new Set([...(base?.shared ?? []), ...(next?.shared ?? [])])) mirror(p);
  const index: WetIndex = { version: 1, generator: next?.generator ?? base?.generator ?? '', units: unitRecord(Object.entries(units).sort(([a], [b]) => cmp(a, b))) };
  const top = next ?? base;
  if (top?.dryCommit !== undefined) index.dryCommit = top.dryCommit;
  if (top?.configDigest !== undefined) index.configDigest = top.configDigest;
  if (top?.shared !== undefined && top.shared.length > 0) index.shared = [...top.shared];
  return { files, index, indexText: serializeIndex(index) };
}
