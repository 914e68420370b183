/**
 * The diff of any two trees of YAML files (`hydrate diff`): objects are matched by identity
 * across the whole tree, wherever their files are. A wet index (`.hydrate/index.json`) on either
 * side only names the units; objects in files no index owns are grouped by their folder.
 */
import { cmp } from '../resources/resource.js';
import { INDEX_PATH, type WetIndex } from '../formats/wet-index.js';
import type { WetSnapshot } from '../wet/snapshot.js';
import { diffSides, emptyUnitDiff, readFiles, reportOf, type DiffReport, type UnitDiff, type UnitSide } from './wet-diff.js';
import { fieldMatcher } from './ignore.js';

export interface TreeDiffOptions {
  ignore?: readonly string[];
}

function owners(index: WetIndex | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, u] of Object.entries(index?.units ?? {})) for (const p of u.paths) out.set(p, id);
  return out;
}

function folder(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '.' : path.slice(0, i);
}

function emptySide(): UnitSide {
  return { objects: new Map(), files: new Map() };
}

/** Compares two trees (every file of each, the index file included when present). */
export function diffTrees(base: WetSnapshot, head: WetSnapshot, options: TreeDiffOptions = {}): DiffReport {
  const same = new Set<string>();
  for (const [p, text] of base.files) if (head.files.get(p) === text) same.add(p);
  const paths = (s: WetSnapshot): string[] => [...s.files.keys()].filter((p) => p !== INDEX_PATH);
  const b = readFiles(paths(base), base.files, '', same);
  const h = readFiles(paths(head), head.files, '', same);
  const headOwner = owners(head.index);
  const baseOwner = owners(base.index);
  const unitOf = (p: string): string => headOwner.get(p) ?? baseOwner.get(p) ?? folder(p);

  const sides = new Map<string, { b: UnitSide; h: UnitSide }>();
  const sideOf = (unit: string): { b: UnitSide; h: UnitSide } => {
    let s = sides.get(unit);
    if (!s) sides.set(unit, (s = { b: emptySide(), h: emptySide() }));
    return s;
  };
  for (const key of new Set([...b.objects.keys(), ...h.objects.keys()])) {
    const bo = b.objects.get(key);
    const ho = h.objects.get(key);
    const s = sideOf(unitOf((ho ?? bo)!.file));
    if (bo) s.b.objects.set(key, bo);
    if (ho) s.h.objects.set(key, ho);
  }
  for (const [p, text] of b.files) sideOf(unitOf(p)).b.files.set(p, text);
  for (const [p, text] of h.files) sideOf(unitOf(p)).h.files.set(p, text);

  const ignore = fieldMatcher(options.ignore);
  const units: UnitDiff[] = [];
  for (const id of [...sides.keys()].sort(cmp)) {
    const be = base.index?.units[id];
    const he = head.index?.units[id];
    const entry = he ?? be;
    const status = !entry ? 'ok' : !be ? 'new' : !he ? 'deleted' : 'ok';
    const coordinates: Record<string, string> = {};
    for (const k of Object.keys(entry?.coordinates ?? {}).sort(cmp)) coordinates[k] = entry!.coordinates[k]!;
    const s = sides.get(id)!;
    const d = diffSides(emptyUnitDiff(id, entry?.renderer ?? '', coordinates, status), s.b, s.h, ignore);
    if (d) units.push(d);
  }
  return reportOf(units);
}
