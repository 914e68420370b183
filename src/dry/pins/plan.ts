/**
 * Image pins in the dry tree, planned as data: which file changes from which text to which, and
 * which pins of which units change. Pure: the caller reads the files (src/app/pins.ts) and writes
 * the edits; nothing here does I/O.
 */
import picomatch from 'picomatch';
import type { Document } from 'yaml';
import { ConfigError, HydrateError, type Diagnostic } from '../../diagnostics.js';
import type { PinRule } from '../../settings/schema/pins.js';
import { GLOB_OPTIONS, globProblem } from '../select.js';
import type { ImageUpdate } from './payload.js';
import { nodeAt, parseDocs, scalarString, setScalar, type YamlEditError, type YamlPath } from './yaml-edit.js';

/** One file's change: repository-relative path, whole text before and after. */
export interface PinEdit {
  path: string;
  before: string;
  after: string;
}

/** One pin that changes: in `unit`, `image` goes from `from` (absent: was not pinned) to `to`, in `file`. */
export interface PinChange {
  unit: string;
  image: string;
  file: string;
  from?: string;
  to: string;
  /** `chart`: a Helm release's chart version (promotion); `image` then names the chart. */
  kind?: 'image' | 'chart';
}

/** What a pin update or a promotion does. `notes`: what could not be done and is reported, never guessed. */
export interface PinPlan {
  edits: PinEdit[];
  changes: PinChange[];
  notes: string[];
}

/** Coordinates a unit must have, e.g. `{env: 'staging'}`. */
export type Selector = Record<string, string>;

const SELECTOR_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `env=staging,cluster=a` → `{env: 'staging', cluster: 'a'}`. Throws a `ConfigError` naming every bad part. */
export function parseSelector(text: string): Selector {
  const out: Selector = {};
  const problems: string[] = [];
  const parts = text.split(',').map((p) => p.trim());
  if (text.trim() === '') problems.push('is empty: give name=value pairs, e.g. env=staging');
  else {
    for (const part of parts) {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq).trim();
      const value = eq < 0 ? '' : part.slice(eq + 1).trim();
      if (eq < 0 || !SELECTOR_NAME.test(name) || value === '' || /[\s/]/.test(value)) {
        problems.push(`"${part}" is not name=value (a coordinate name and a non-empty value without spaces or /)`);
        continue;
      }
      if (name in out && out[name] !== value) problems.push(`names ${name} twice`);
      out[name] = value;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `selector "${text}": ${p}`).join('\n'));
  return out;
}

/** Whether a unit's coordinates match a selector (every named coordinate equal). */
export function matchesSelector(coordinates: Readonly<Record<string, string>>, selector: Selector): boolean {
  return Object.entries(selector).every(([k, v]) => coordinates[k] === v);
}

/** A file of a unit where pins may live, with its text as read. */
export type PinFile =
  /** The unit's kustomization: its `images:` entries. */
  | { role: 'kustomization'; path: string; text: string }
  /** Seed 000's per-unit `images.yaml`: `<service>: {image: <name>:<tag>}`. */
  | { role: 'images'; path: string; text: string }
  /** A Helm release file: its `set` entries named by the rules' paths, and the chart version. */
  | { role: 'release'; path: string; text: string; rules: readonly PinRule[] }
  /** A values or claim file holding values at the rules' paths. */
  | { role: 'values'; path: string; text: string; rules: readonly PinRule[] };

/** A unit as the planner sees it: identity, coordinates, and the files where it may keep pins. */
export interface PinUnit {
  id: string;
  dir: string;
  coordinates: Record<string, string>;
  files: PinFile[];
}

/** A pin's value: a tag, a digest, or both (`tag@digest`). */
export interface PinValue {
  tag?: string;
  digest?: string;
}

/** `1.2.3`, `sha256:…`, `1.2.3@sha256:…`; `(none)` when neither. */
export function showPin(v: PinValue): string {
  if (v.tag !== undefined && v.digest !== undefined) return `${v.tag}@${v.digest}`;
  return v.digest ?? v.tag ?? '(none)';
}

function samePin(a: PinValue, b: PinValue): boolean {
  return a.tag === b.tag && a.digest === b.digest;
}

/** `ghcr.io/acme/web:1.2.3@sha256:…` → name, tag, digest (a `:` after the last `/` starts the tag). */
export function splitReference(ref: string): { name: string } & PinValue {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  const slash = rest.lastIndexOf('/');
  let tag: string | undefined;
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `name:tag@digest`. */
export function joinReference(name: string, v: PinValue): string {
  return `${name}${v.tag !== undefined ? `:${v.tag}` : ''}${v.digest !== undefined ? `@${v.digest}` : ''}`;
}

/**
 * One place in one file where a unit pins an image (or, `kind: 'chart'`, a Helm release's chart
 * version). `read` and `write` work on the file's current text, so several locations in one
 * file edit it one after the other.
 */
export interface PinLocation {
  unit: string;
  kind: 'image' | 'chart';
  /** The image name, or the chart reference (`kind: 'chart'`). */
  image: string;
  file: string;
  /** How it is shown in notes, e.g. `kustomization.yaml images[name=ghcr.io/acme/web]`. */
  where: string;
  read(text: string): PinValue | undefined;
  /** The new text, or why this place cannot hold that value. */
  write(text: string, value: PinValue): string | { problem: string };
}

function glob(patterns: readonly string[]): (p: string) => boolean {
  return picomatch([...patterns], GLOB_OPTIONS);
}

/** Every pin location of a unit's files. Throws `HydrateError` naming the file and line when one does not parse. */
export function pinLocations(unit: PinUnit): PinLocation[] {
  const out: PinLocation[] = [];
  for (const f of unit.files) {
    let docs: Document.Parsed[];
    try {
      docs = parseDocs(f.text);
    } catch (e) {
      const err = e as YamlEditError;
      throw new HydrateError({ severity: 'error', unit: unit.id, file: f.path, ...(err.line !== undefined ? { line: err.line } : {}), ...(err.col !== undefined ? { col: err.col } : {}), message: `cannot read ${f.path} to update image pins: ${err.message}` });
    }
    switch (f.role) {
      case 'kustomization':
        out.push(...kustomizationLocations(unit, f.path, docs));
        break;
      case 'images':
        out.push(...imagesFileLocations(unit, f.path, f.text, docs));
        break;
      case 'release':
        out.push(...releaseLocations(unit, f.path, f.text, docs, f.rules));
        break;
      case 'values':
        out.push(...valueLocations(unit, f.path, f.text, docs, f.rules));
        break;
    }
  }
  return out;
}

function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** A kustomization's `images:` entry: matched by `name` (or `newName`); `newTag` and `digest` hold the pin. */
function kustomizationLocations(unit: PinUnit, file: string, docs: Document.Parsed[]): PinLocation[] {
  const doc = docs[0];
  const images = doc?.toJS() as { images?: unknown } | null | undefined;
  if (!images || !Array.isArray(images.images)) return [];
  const out: PinLocation[] = [];
  const seen = new Set<string>();
  images.images.forEach((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return;
    const e = entry as Record<string, unknown>;
    const name = asString(e['name']);
    if (name === undefined) return;
    for (const image of new Set([name, asString(e['newName']) ?? name])) {
      if (seen.has(image)) continue;
      seen.add(image);
      const find = (text: string): number => {
        const list = (parseDocs(text)[0]?.toJS() as { images?: Record<string, unknown>[] }).images ?? [];
        return list.findIndex((x) => asString(x['name']) === name);
      };
      out.push({
        unit: unit.id,
        kind: 'image',
        image,
        file,
        where: `${file} images[name=${name}]`,
        read(text) {
          const i = find(text);
          if (i < 0) return undefined;
          const d = parseDocs(text)[0]!;
          const tag = scalarString(text, nodeAt(d, ['images', i, 'newTag']));
          const digest = scalarString(text, nodeAt(d, ['images', i, 'digest']));
          return { ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
        },
        write(text, value) {
          const i = find(text);
          if (i < 0) return { problem: `${file} has no images entry named ${name}` };
          // kustomize uses the digest over the tag: a tag alone removes the digest, a digest alone the tag.
          let t = setScalar(text, 0, ['images', i, 'newTag'], value.tag);
          t = setScalar(t, 0, ['images', i, 'digest'], value.digest);
          return t;
        }
      });
    }
  });
  return out;
}

/** Seed 000's `images.yaml`: `<service>: {image: <name>:<tag>}`; the entries whose image has this name. */
function imagesFileLocations(unit: PinUnit, file: string, text: string, docs: Document.Parsed[]): PinLocation[] {
  const top = docs[0]?.toJS() as unknown;
  if (typeof top !== 'object' || top === null || Array.isArray(top)) return [];
  void text;
  const out: PinLocation[] = [];
  for (const [service, v] of Object.entries(top as Record<string, unknown>)) {
    const ref = typeof v === 'object' && v !== null ? asString((v as Record<string, unknown>)['image']) : undefined;
    if (ref === undefined) continue;
    const { name } = splitReference(ref);
    out.push(referenceLocation(unit, file, `${file} ${service}.image`, name, 0, [service, 'image']));
  }
  return out;
}

/** A value holding a whole reference (`name:tag`). */
function referenceLocation(unit: PinUnit, file: string, where: string, name: string, docIndex: number, path: YamlPath): PinLocation {
  return {
    unit: unit.id,
    kind: 'image',
    image: name,
    file,
    where,
    read(text) {
      const ref = scalarString(text, nodeAt(parseDocs(text)[docIndex]!, path));
      if (ref === undefined) return undefined;
      const r = splitReference(ref);
      return r.name === name ? { ...(r.tag !== undefined ? { tag: r.tag } : {}), ...(r.digest !== undefined ? { digest: r.digest } : {}) } : undefined;
    },
    write(text, value) {
      return setScalar(text, docIndex, path, joinReference(name, value));
    }
  };
}

/** A value holding what `rule.value` says: a tag, a digest, or a whole reference. */
function ruleLocation(unit: PinUnit, file: string, where: string, rule: PinRule, docIndex: number, path: YamlPath): PinLocation {
  if (rule.value === 'reference') return referenceLocation(unit, file, where, rule.image, docIndex, path);
  const field = rule.value;
  return {
    unit: unit.id,
    kind: 'image',
    image: rule.image,
    file,
    where,
    read(text) {
      const v = scalarString(text, nodeAt(parseDocs(text)[docIndex]!, path));
      return v === undefined ? undefined : { [field]: v };
    },
    write(text, value) {
      const v = value[field];
      const other = field === 'tag' ? value.digest : value.tag;
      if (v === undefined || other !== undefined) {
        return { problem: `${where} holds the image's ${field} only (pins rule for ${rule.image} at ${rule.path}, value: ${field}); ${showPin(value)} cannot be written there` };
      }
      return setScalar(text, docIndex, path, v);
    }
  };
}

function rulePath(rule: PinRule): string[] {
  return rule.path.split('.');
}

/** Values or claim files: the value at each applicable rule's path, in every document that has it. */
function valueLocations(unit: PinUnit, file: string, text: string, docs: Document.Parsed[], rules: readonly PinRule[]): PinLocation[] {
  const out: PinLocation[] = [];
  for (const rule of rules) {
    const path = rulePath(rule);
    docs.forEach((doc, i) => {
      if (scalarString(text, nodeAt(doc, path)) === undefined) return;
      out.push(ruleLocation(unit, file, `${file}${docs.length > 1 ? ` (document ${i + 1})` : ''} ${rule.path}`, rule, i, path));
    });
  }
  return out;
}

/** A Helm release file: its `set` entries named by the rules' paths, and the chart version. */
function releaseLocations(unit: PinUnit, file: string, text: string, docs: Document.Parsed[], rules: readonly PinRule[]): PinLocation[] {
  const release = docs[0]?.toJS() as { chart?: unknown; version?: unknown; set?: unknown } | null;
  if (typeof release !== 'object' || release === null) return [];
  const out: PinLocation[] = [];
  const chart = asString(release.chart);
  if (chart !== undefined && asString(release.version) !== undefined) {
    out.push({
      unit: unit.id,
      kind: 'chart',
      image: chart,
      file,
      where: `${file} version`,
      read: (t) => {
        const v = scalarString(t, nodeAt(parseDocs(t)[0]!, ['version']));
        return v === undefined ? undefined : { tag: v };
      },
      write: (t, value) => (value.tag === undefined || value.digest !== undefined ? { problem: `${file}: a chart version is a version, not ${showPin(value)}` } : setScalar(t, 0, ['version'], value.tag))
    });
  }
  const set = Array.isArray(release.set) ? (release.set as unknown[]) : [];
  for (const rule of rules) {
    const i = set.findIndex((s) => typeof s === 'object' && s !== null && (s as Record<string, unknown>)['name'] === rule.path);
    if (i < 0) continue;
    out.push(ruleLocation(unit, file, `${file} set[name=${rule.path}]`, rule, 0, ['set', i, 'value']));
  }
  void text;
  return out;
}

/** Edits applied one after the other to files' current texts. */
class Workspace {
  private readonly texts = new Map<string, { before: string; now: string }>();
  constructor(units: readonly PinUnit[]) {
    for (const u of units) for (const f of u.files) if (!this.texts.has(f.path)) this.texts.set(f.path, { before: f.text, now: f.text });
  }
  text(path: string): string {
    return this.texts.get(path)!.now;
  }
  set(path: string, text: string): void {
    this.texts.get(path)!.now = text;
  }
  edits(): PinEdit[] {
    return [...this.texts.entries()]
      .filter(([, t]) => t.now !== t.before)
      .map(([path, t]) => ({ path, before: t.before, after: t.now }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/** Sets one location to `value`; the change, nothing when it already holds it, or a problem. */
function writePin(ws: Workspace, loc: PinLocation, value: PinValue): PinChange | undefined | { problem: string } {
  const text = ws.text(loc.file);
  const current = loc.read(text);
  if (current && samePin(current, value)) return undefined;
  let after: string | { problem: string };
  try {
    after = loc.write(text, value);
  } catch (e) {
    after = { problem: `${loc.where}: ${(e as Error).message}` };
  }
  if (typeof after !== 'string') return after;
  ws.set(loc.file, after);
  const from = current && (current.tag !== undefined || current.digest !== undefined) ? showPin(current) : undefined;
  return { unit: loc.unit, image: loc.image, file: loc.file, ...(from !== undefined ? { from } : {}), to: showPin(value), ...(loc.kind === 'chart' ? { kind: 'chart' as const } : {}) };
}

/** The units a request selects: `units` globs over dirs or ids, and `coordinates`; both when both are given. */
export function selectPinUnits(units: readonly PinUnit[], request: { units?: readonly string[]; coordinates?: Readonly<Record<string, string>> }): PinUnit[] {
  const byGlob = request.units ? glob(request.units) : undefined;
  return units.filter((u) => (!byGlob || byGlob(u.dir) || byGlob(u.id)) && (!request.coordinates || matchesSelector(u.coordinates, request.coordinates)));
}

function showSelector(s: { units?: readonly string[]; coordinates?: Readonly<Record<string, string>> }): string {
  const parts: string[] = [];
  if (s.units) parts.push(`units ${s.units.map((g) => JSON.stringify(g)).join(', ')}`);
  if (s.coordinates) parts.push(`coordinates ${Object.entries(s.coordinates).map(([k, v]) => `${k}=${v}`).join(',')}`);
  return parts.join(' and ');
}

function listUnits(units: readonly PinUnit[]): string {
  const shown = units.slice(0, 5).map((u) => u.dir);
  return shown.join(', ') + (units.length > 5 ? ` and ${units.length - 5} more` : '');
}

/** Units globs refused before any is matched (see `globProblem`): a glob could otherwise keep a match busy for minutes. */
export function imageUpdateGlobProblems(update: ImageUpdate, source = 'image update'): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const [i, image] of update.images.entries()) {
    for (const g of image.units ?? []) {
      const bad = globProblem(g, `${source} images[${i}].units`);
      if (bad) problems.push({ severity: 'error', message: bad });
    }
  }
  return problems;
}

/**
 * Plans an image update: each image's pin in every selected unit that pins it. Throws a
 * `HydrateError` listing every problem (a selector that matches no unit, an image that no
 * selected unit pins, a pin that cannot hold the value): then nothing is to be written.
 */
export function planImageUpdate(units: readonly PinUnit[], update: ImageUpdate, source = 'image update'): PinPlan {
  const problems: Diagnostic[] = imageUpdateGlobProblems(update, source);
  if (problems.length > 0) throw new HydrateError(problems);
  const ws = new Workspace(units);
  const locations = new Map<string, PinLocation[]>();
  const unreadable = new Set<string>();
  const locationsOf = (u: PinUnit): PinLocation[] => {
    let found = locations.get(u.id);
    if (!found) {
      try {
        found = pinLocations(u);
      } catch (e) {
        if (!(e instanceof HydrateError)) throw e;
        problems.push(...e.diagnostics);
        unreadable.add(u.id);
        found = [];
      }
      locations.set(u.id, found);
    }
    return found;
  };
  const changes: PinChange[] = [];
  const written = new Map<PinLocation, { index: number; value: PinValue }>();
  for (const [i, image] of update.images.entries()) {
    const at = `${source} images[${i}] (${image.name})`;
    const selected = selectPinUnits(units, image);
    if (selected.length === 0) {
      problems.push({ severity: 'error', message: `${at}: ${showSelector(image)} match${image.units && !image.coordinates ? '' : 'es'} no unit` });
      continue;
    }
    const value: PinValue = image.tag !== undefined ? { tag: image.tag } : { digest: image.digest! };
    const locs = selected.flatMap((u) => locationsOf(u).filter((l) => l.kind === 'image' && l.image === image.name));
    if (locs.length === 0) {
      if (selected.some((u) => unreadable.has(u.id))) continue;
      problems.push({
        severity: 'error',
        message: `${at}: no selected unit pins ${image.name} (selected: ${listUnits(selected)}); a unit pins an image in its kustomization's images: entry, its images.yaml, or where the config's pins rules say`
      });
      continue;
    }
    for (const loc of locs) {
      const earlier = written.get(loc);
      if (earlier && !samePin(earlier.value, value)) {
        problems.push({ severity: 'error', unit: loc.unit, file: loc.file, message: `${at}: ${loc.where} is also set by images[${earlier.index}] to ${showPin(earlier.value)}` });
        continue;
      }
      written.set(loc, { index: i, value });
      const r = writePin(ws, loc, value);
      if (r && 'problem' in r) problems.push({ severity: 'error', unit: loc.unit, file: loc.file, message: `${at}: ${r.problem}` });
      else if (r) changes.push(r);
    }
  }
  if (problems.length > 0) throw new HydrateError(problems);
  return { edits: ws.edits(), changes, notes: [] };
}

function otherCoordinates(coordinates: Readonly<Record<string, string>>, selector: Selector): string {
  return JSON.stringify(
    Object.keys(coordinates)
      .filter((k) => !(k in selector))
      .sort()
      .map((k) => [k, coordinates[k]])
  );
}

/**
 * Plans a promotion: every target unit (matching `to`) whose other coordinates equal a source
 * unit's (matching `from`, same renderer) gets the source's image pins and chart versions, in the
 * places where the target keeps them. What cannot be copied (no source, a pin the target does not
 * keep, a value the target's place cannot hold, a source that pins one image two ways) is a note.
 * Throws a `HydrateError` when `from` or `to` matches no unit.
 */
export function planPromotion(units: readonly (PinUnit & { renderer?: string })[], from: Selector, to: Selector): PinPlan {
  const sources = units.filter((u) => matchesSelector(u.coordinates, from));
  const targets = units.filter((u) => matchesSelector(u.coordinates, to) && !sources.includes(u));
  const problems: Diagnostic[] = [];
  const show = (s: Selector): string => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(',');
  if (sources.length === 0) problems.push({ severity: 'error', message: `promotion: --from ${show(from)} matches no unit` });
  if (targets.length === 0) problems.push({ severity: 'error', message: `promotion: --to ${show(to)} matches no unit` });
  if (problems.length > 0) throw new HydrateError(problems);
  const ws = new Workspace(units);
  const changes: PinChange[] = [];
  const notes: string[] = [];
  for (const target of targets) {
    const key = otherCoordinates(target.coordinates, to);
    const matching = sources.filter((s) => otherCoordinates(s.coordinates, from) === key && (s.renderer ?? '') === (target.renderer ?? ''));
    if (matching.length === 0) {
      notes.push(`${target.dir}: no source unit matches ${show(from)} with its other coordinates: nothing promoted`);
      continue;
    }
    if (matching.length > 1) {
      notes.push(`${target.dir}: several source units match (${listUnits(matching)}): nothing promoted`);
      continue;
    }
    const source = matching[0]!;
    // The source's pins by image (and chart): one value each, or a note when it pins one image two ways.
    const pins = new Map<string, { value: PinValue; where: string }>();
    const conflicting = new Set<string>();
    for (const loc of pinLocations(source)) {
      const v = loc.read(ws.text(loc.file));
      if (!v || (v.tag === undefined && v.digest === undefined)) continue;
      const k = `${loc.kind}:${loc.image}`;
      const seen = pins.get(k);
      if (seen && !samePin(seen.value, v)) {
        if (!conflicting.has(k)) notes.push(`${target.dir}: ${source.dir} pins ${loc.image} as ${showPin(seen.value)} in ${seen.where} and as ${showPin(v)} in ${loc.where}: not promoted`);
        conflicting.add(k);
        continue;
      }
      pins.set(k, { value: v, where: loc.where });
    }
    const targetLocs = pinLocations(target);
    const kept = new Set(targetLocs.map((l) => `${l.kind}:${l.image}`));
    for (const [k, pin] of [...pins.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (conflicting.has(k)) continue;
      const name = k.slice(k.indexOf(':') + 1);
      if (!kept.has(k)) {
        notes.push(`${target.dir}: ${source.dir} pins ${k.startsWith('chart:') ? `chart ${name}` : name} (${pin.where}) but ${target.dir} keeps no pin of it: not copied`);
      }
    }
    for (const loc of targetLocs) {
      const k = `${loc.kind}:${loc.image}`;
      if (conflicting.has(k)) continue;
      const pin = pins.get(k);
      if (!pin) {
        const held = loc.read(ws.text(loc.file));
        if (!held || (held.tag === undefined && held.digest === undefined)) continue;
        notes.push(`${target.dir}: ${loc.where} pins ${loc.kind === 'chart' ? `chart ${loc.image}` : loc.image}, which ${source.dir} does not pin: left as it is`);
        continue;
      }
      const r = writePin(ws, loc, pin.value);
      if (r && 'problem' in r) notes.push(`${target.dir}: ${r.problem}: not copied from ${pin.where}`);
      else if (r) changes.push(r);
    }
  }
  return { edits: ws.edits(), changes, notes };
}
