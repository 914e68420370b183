/**
 * The rendered diff: compares two wet trees (before and after a run) unit by unit and
 * resource by resource. Everything that leaves this module is redacted (see `redact.ts`).
 */
import { createTwoFilesPatch } from 'diff';
import {
  cmp,
  compareIdentity,
  identityKey,
  identityOf,
  isIdentity,
  type KubeObject,
  type ResourceIdentity
} from '../resources/resource.js';
import { isKubeObject, parseCanonicalYaml, parseYamlDocuments, toCanonicalYaml } from '../resources/yaml.js';
import type { WetIndexUnit } from '../formats/wet-index.js';
import { expandLists, isListObject } from '../resources/lists.js';
import { isSecret, needsRedaction, redactPair } from './redact.js';
import { fieldChanges, type FieldChange } from './field-diff.js';
import { fieldMatcher, type FieldMatcher } from './ignore.js';

import type { WetSnapshot } from '../wet/snapshot.js';

export type { WetSnapshot };

export type ChangeKind = 'added' | 'changed' | 'removed';

export type { FieldChange };
export { MAX_VALUE_CHARS } from './field-diff.js';

export interface ResourceChange {
  kind: ChangeKind;
  id: ResourceIdentity;
  key: string;
  fields: FieldChange[];
  /** Changed fields hidden by the ignore list (`diff.ignore`): left out of `fields`, kept in `unified`. */
  ignored?: number;
  /** Unified text diff of the (redacted) canonical YAML. */
  unified: string;
}

export interface Counts {
  added: number;
  changed: number;
  removed: number;
}

export type UnitDiffStatus = 'ok' | 'failed' | 'new' | 'deleted';

export interface UnitDiff {
  unit: string;
  renderer: string;
  coordinates: Record<string, string>;
  status: UnitDiffStatus;
  /** Resource counts (files are listed in `files`). */
  added: number;
  changed: number;
  removed: number;
  byKind: Record<string, Counts>;
  resources: ResourceChange[];
  /** Owned files that are not diffed as resources (non-YAML artifacts, unparsable YAML). */
  files: { added: string[]; changed: string[]; removed: string[] };
}

export interface DiffReport {
  units: UnitDiff[];
  totals: { added: number; changed: number; removed: number; units: number; failed: number };
  changed: boolean;
}

export interface DiffOptions {
  /** Units whose render failed this run: reported as failed, never as removals. */
  failedUnits?: readonly string[];
  /** Field path patterns hidden from the field summary (see `ignore.ts`). */
  ignore?: readonly string[];
}

/** Lines of context in unified diffs. */
export const DIFF_CONTEXT = 3;

interface SideObject {
  object: KubeObject;
  id: ResourceIdentity;
  file: string;
  /** The file's text when it holds only this object (per-resource layout). */
  text?: string;
}

export interface UnitSide {
  objects: Map<string, SideObject>;
  /** Opaque files: path → content. */
  files: Map<string, string>;
}

function isYamlPath(path: string): boolean {
  return path.endsWith('.yaml') || path.endsWith('.yml');
}

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}

function readSide(entry: WetIndexUnit | undefined, snapshot: WetSnapshot, unit: string, same: ReadonlySet<string>): UnitSide {
  return entry ? readFiles(entry.paths, snapshot.files, unit, same) : { objects: new Map(), files: new Map() };
}

/**
 * The objects (by identity) and opaque files among `paths`; files in `same` are skipped (they
 * hold the same objects on both sides). `unit` names the unit in parse errors.
 */
export function readFiles(paths: Iterable<string>, files: ReadonlyMap<string, string>, unit: string, same: ReadonlySet<string>): UnitSide {
  const side: UnitSide = { objects: new Map(), files: new Map() };
  for (const path of [...paths].sort(cmp)) {
    // A file with the same text on both sides holds the same objects on both sides: nothing to show.
    if (baseName(path) === '.gitattributes' || same.has(path)) continue;
    const text = files.get(path);
    if (text === undefined) continue;
    if (!isYamlPath(path)) {
      side.files.set(path, text);
      continue;
    }
    let values = parseCanonicalYaml(text);
    let opaque = false;
    if (values === undefined) {
      const parsed = parseYamlDocuments(text, path, unit);
      values = parsed.documents.map((d) => d.value);
      opaque = parsed.diagnostics.length > 0;
    }
    const found: SideObject[] = [];
    // A list (in an artifact) stands for its items, as Kubernetes reads it: each is diffed, and redacted, on its own.
    const listed = values.some(isListObject);
    if (listed) values = values.flatMap(expandLists);
    for (const value of values) {
      if (value === null || value === undefined) continue;
      if (!isKubeObject(value)) {
        opaque = true;
        break;
      }
      const id = identityOf(value);
      if (!isIdentity(id)) {
        opaque = true;
        break;
      }
      found.push({ object: value, id, file: path });
    }
    if (opaque) {
      side.files.set(path, text);
      continue;
    }
    if (found.length === 1 && !listed) found[0]!.text = text;
    for (const o of found) {
      const key = identityKey(o.id);
      if (!side.objects.has(key)) side.objects.set(key, o);
    }
  }
  return side;
}

function unifiedDiff(oldPath: string, newPath: string, oldText: string, newText: string): string {
  const patch = createTwoFilesPatch(`a/${oldPath}`, `b/${newPath}`, oldText, newText, undefined, undefined, {
    context: DIFF_CONTEXT
  });
  return patch.replace(/^=+\n/, '');
}

function emptyCounts(): Counts {
  return { added: 0, changed: 0, removed: 0 };
}

function unitRenderer(id: string, entry: WetIndexUnit | undefined): string {
  if (entry) return entry.renderer;
  const i = id.indexOf(':');
  return i === -1 ? '' : id.slice(0, i);
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort(cmp)) out[k] = r[k]!;
  return out;
}

function diffUnit(id: string, base: WetSnapshot, head: WetSnapshot, failed: boolean, ignore: FieldMatcher | undefined): UnitDiff | undefined {
  const be = base.index?.units[id];
  const he = head.index?.units[id];
  const entry = he ?? be;
  const result = emptyUnitDiff(
    id,
    unitRenderer(id, entry),
    sortedRecord(entry?.coordinates ?? {}),
    failed ? 'failed' : !be && he ? 'new' : be && !he ? 'deleted' : 'ok'
  );
  if (failed) return result;

  const same = new Set<string>();
  if (be && he) {
    const headPaths = new Set(he.paths);
    for (const p of be.paths) {
      const text = base.files.get(p);
      if (text !== undefined && headPaths.has(p) && isYamlPath(p) && head.files.get(p) === text) same.add(p);
    }
  }
  return diffSides(result, readSide(be, base, id, same), readSide(he, head, id, same), ignore);
}

/** Fills `result` with the differences between the two sides of a unit; undefined when there are none. */
export function diffSides(result: UnitDiff, b: UnitSide, h: UnitSide, ignore: FieldMatcher | undefined): UnitDiff | undefined {
  const keys = [...new Set([...b.objects.keys(), ...h.objects.keys()])];
  const changes: ResourceChange[] = [];
  for (const key of keys) {
    const bo = b.objects.get(key);
    const ho = h.objects.get(key);
    const rid = (ho ?? bo)!.id;
    // Same key order and values means the same canonical YAML: skip unchanged objects cheaply.
    if (bo && ho && JSON.stringify(bo.object) === JSON.stringify(ho.object)) continue;
    // Objects that need no redaction keep the canonical text they were written with.
    const plain = !needsRedaction(bo?.object) && !needsRedaction(ho?.object);
    const red = plain ? { base: bo?.object, head: ho?.object } : redactPair(bo?.object, ho?.object);
    const oldText = red.base ? (plain && bo?.text !== undefined ? bo.text : toCanonicalYaml(red.base)) : '';
    const newText = red.head ? (plain && ho?.text !== undefined ? ho.text : toCanonicalYaml(red.head)) : '';
    let kind: ChangeKind;
    let fields: FieldChange[];
    let ignored = 0;
    if (bo && ho) {
      kind = 'changed';
      fields = fieldChanges(red.base!, red.head!, isSecret(bo.object) || isSecret(ho.object));
      if (ignore) {
        const all = fields.length;
        fields = fields.filter((f) => !ignore(f.path));
        ignored = all - fields.length;
      }
    } else {
      kind = bo ? 'removed' : 'added';
      fields = [];
    }
    const unified = unifiedDiff((bo ?? ho)!.file, (ho ?? bo)!.file, oldText, newText);
    changes.push({ kind, id: rid, key, fields, ...(ignored > 0 ? { ignored } : {}), unified });
  }
  changes.sort((x, y) => compareIdentity(x.id, y.id));
  result.resources = changes;
  const byKind: Record<string, Counts> = {};
  for (const c of changes) {
    result[c.kind]++;
    const k = c.id.group ? `${c.id.kind}.${c.id.group}` : c.id.kind;
    const counts = byKind[k] ?? (byKind[k] = emptyCounts());
    counts[c.kind]++;
  }
  for (const k of Object.keys(byKind).sort(cmp)) result.byKind[k] = byKind[k]!;

  for (const [path, text] of h.files) {
    const old = b.files.get(path);
    if (old === undefined) result.files.added.push(path);
    else if (old !== text) result.files.changed.push(path);
  }
  for (const path of b.files.keys()) if (!h.files.has(path)) result.files.removed.push(path);
  result.files.added.sort(cmp);
  result.files.changed.sort(cmp);
  result.files.removed.sort(cmp);

  const fileChanges = result.files.added.length + result.files.changed.length + result.files.removed.length;
  if (changes.length === 0 && fileChanges === 0) return undefined;
  return result;
}

/** True when the unit has anything to show (a failed unit always does). */
export function unitHasChanges(u: UnitDiff): boolean {
  return (
    u.status === 'failed' ||
    u.resources.length > 0 ||
    u.files.added.length + u.files.changed.length + u.files.removed.length > 0
  );
}

/** A unit entry with nothing counted yet. */
export function emptyUnitDiff(unit: string, renderer: string, coordinates: Record<string, string>, status: UnitDiff['status']): UnitDiff {
  return { unit, renderer, coordinates, status, added: 0, changed: 0, removed: 0, byKind: {}, resources: [], files: { added: [], changed: [], removed: [] } };
}

/** Compares the wet tree before (`base`) and after (`head`) a run. */
export function diffWet(base: WetSnapshot, head: WetSnapshot, options: DiffOptions = {}): DiffReport {
  const failed = new Set(options.failedUnits ?? []);
  const ignore = fieldMatcher(options.ignore);
  const ids = new Set<string>([
    ...Object.keys(base.index?.units ?? {}),
    ...Object.keys(head.index?.units ?? {}),
    ...failed
  ]);
  const units: UnitDiff[] = [];
  for (const id of [...ids].sort(cmp)) {
    const d = diffUnit(id, base, head, failed.has(id), ignore);
    if (d) units.push(d);
  }
  return reportOf(units);
}

/** Totals over the units. */
export function reportOf(units: UnitDiff[]): DiffReport {
  const totals = { added: 0, changed: 0, removed: 0, units: units.length, failed: 0 };
  let changed = false;
  for (const u of units) {
    totals.added += u.added;
    totals.changed += u.changed;
    totals.removed += u.removed;
    if (u.status === 'failed') totals.failed++;
    if (u.status !== 'failed' && unitHasChanges(u)) changed = true;
  }
  return { units, totals, changed };
}

/** A change of ignored fields only (`diff.ignore`): listed as one line per unit, not shown in full. */
export function isNoise(r: ResourceChange): boolean {
  return r.kind === 'changed' && r.fields.length === 0 && (r.ignored ?? 0) > 0;
}
