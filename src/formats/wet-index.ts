/**
 * The wet index (`.hydrate/index.json` in the wet tree), as stored: its type, its version, its
 * limits, and the one parser and serialiser of it. The index says which unit owns which paths,
 * and the digest of each unit's inputs; pruning removes exactly the owned paths no longer
 * produced (`src/wet/`). The parser is written by hand rather than with a schema library: a large
 * tree's index holds hundreds of thousands of entries, and it is read on every run.
 */
import { createHash } from 'node:crypto';
import { HydrateError } from '../diagnostics.js';
import { RENDERER_NAMES, type RendererName } from '../settings/schema/renderers.js';
import { cmp } from '../resources/resource.js';

/** The version of the index's shape (its `version` field). */
export const WET_INDEX_VERSION = 1;

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
  version: typeof WET_INDEX_VERSION;
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

/** A unit record without prototype: a unit id such as `constructor` is an ordinary key. */
export function unitRecord(entries: Iterable<[string, WetIndexUnit]> = []): Record<string, WetIndexUnit> {
  const out = Object.create(null) as Record<string, WetIndexUnit>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** Segments of anything but `/`, `\\` and control characters, none empty, `.` or `..`, joined by `/`. */
// eslint-disable-next-line no-control-regex
const PLAIN_WET_PATH = /^(?!\.\.?(?:\/|$))[^/\\\u0000-\u001f\u007f]+(?:\/(?!\.\.?(?:\/|$))[^/\\\u0000-\u001f\u007f]+)*$/;

/**
 * Why a wet-relative path is unsafe, or undefined when it is fine: it must be relative,
 * use `/` only, and have no empty, `.` or `..` segment nor control characters.
 */
export function checkWetPath(p: string): string | undefined {
  // Every owned path is checked a few times a run: one match for the common, fine case.
  if (PLAIN_WET_PATH.test(p) && !/^[A-Za-z]:/.test(p)) return undefined;
  if (p === '') return 'path is empty';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return `path "${p}" is absolute`;
  if (p.includes('\\')) return `path "${p}" contains a backslash`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return `path ${JSON.stringify(p)} contains a control character`;
  for (const segment of p.split('/')) {
    if (segment === '') return `path "${p}" has an empty segment`;
    if (segment === '.' || segment === '..') return `path "${p}" contains a \`${segment}\` segment`;
  }
  return undefined;
}

/** A record of strings, numbers or booleans whose keys enumerate in sorted order: serialized as it is. */
function isSortedFlat(value: object): boolean {
  let last: string | undefined;
  for (const k in value) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) return false;
    const v = (value as Record<string, unknown>)[k];
    const t = typeof v;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return false;
    if (last !== undefined && cmp(last, k) > 0) return false;
    last = k;
  }
  return true;
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value === 'object' && value !== null) {
    // Closures and hashes (thousands of entries in a large tree) are read and built in order: no copy.
    if (isSortedFlat(value)) return value;
    const out = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(value).sort(cmp)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeysDeep(v);
    }
    return out;
  }
  return value;
}

/** The index as stored: keys sorted at every level, 2-space JSON, trailing newline. */
export function serializeIndex(index: WetIndex): string {
  return `${JSON.stringify(sortKeysDeep(index), null, 2)}\n`;
}

/** Largest index file read (bytes) and most paths it may list: far above any real wet tree. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;
export const MAX_INDEX_PATHS = 200_000;

/** What to do about an index that cannot be used. */
export const INDEX_RECOVERY =
  'restore it from an earlier commit of the wet tree (git checkout <commit> -- .hydrate/index.json), or delete it together with the folders hydrate renders into, then run again';

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function countPaths(raw: Json): number {
  if (!isObject(raw)) return 0;
  let n = 0;
  const units = raw['units'];
  if (isObject(units)) {
    for (const u of Object.values(units)) {
      const paths = isObject(u) ? u['paths'] : undefined;
      if (Array.isArray(paths)) n += paths.length;
    }
  }
  const shared = raw['shared'];
  return n + (Array.isArray(shared) ? shared.length : 0);
}

const RENDERERS: ReadonlySet<string> = new Set(RENDERER_NAMES);
const RENDERER_LIST = RENDERER_NAMES.map((n) => JSON.stringify(n)).join(', ');
const HASH = /^[0-9a-f]{64}$/;

/**
 * Checks the parsed JSON against the index's shape (unknown keys are ignored) and copies it into
 * records without prototype. Problems are collected as `path: message`.
 */
function readIndexJson(raw: Json, problems: string[]): WetIndex | undefined {
  const bad = (where: string, message: string): undefined => {
    if (problems.length < 20) problems.push(`${where}: ${message}`);
    return undefined;
  };
  const str = (v: Json, where: string, optional = false): string | undefined =>
    typeof v === 'string' ? v : v === undefined && optional ? undefined : bad(where, `expected a string${optional ? ' or nothing' : ''}`);
  const safe = (v: Json, where: string): string | undefined => {
    const p = str(v, where);
    if (p === undefined) return undefined;
    return checkWetPath(p) === undefined ? p : bad(where, 'unsafe path');
  };
  const strings = (v: Json, where: string, check: (x: Json, w: string) => string | undefined): string[] | undefined => {
    if (!Array.isArray(v)) return bad(where, 'expected an array');
    const out: string[] = [];
    v.forEach((x, i) => {
      const s = check(x, `${where}.${i}`);
      if (s !== undefined) out.push(s);
    });
    return out;
  };
  if (!isObject(raw)) return bad('(root)', 'expected an object');
  if (raw['version'] !== WET_INDEX_VERSION) bad('version', `expected ${WET_INDEX_VERSION}, got ${JSON.stringify(raw['version']) ?? 'nothing'}`);
  const generator = str(raw['generator'], 'generator');
  const dryCommit = str(raw['dryCommit'], 'dryCommit', true);
  const configDigest = str(raw['configDigest'], 'configDigest', true);
  const units = unitRecord();
  const rawUnits = raw['units'];
  if (!isObject(rawUnits)) bad('units', 'expected an object');
  else {
    for (const id of Object.keys(rawUnits).sort(cmp)) {
      const u = rawUnits[id];
      const at = `units.${id}`;
      if (!isObject(u)) {
        bad(at, 'expected an object');
        continue;
      }
      const renderer = u['renderer'];
      if (typeof renderer !== 'string' || !RENDERERS.has(renderer)) bad(`${at}.renderer`, `expected one of ${RENDERER_LIST}`);
      const dir = str(u['dir'], `${at}.dir`);
      const coordinates = Object.create(null) as Record<string, string>;
      if (!isObject(u['coordinates'])) bad(`${at}.coordinates`, 'expected an object');
      else for (const [k, v] of Object.entries(u['coordinates'])) if (str(v, `${at}.coordinates.${k}`) !== undefined) coordinates[k] = v as string;
      const output = u['output'] === '' ? '' : safe(u['output'], `${at}.output`);
      const paths = strings(u['paths'], `${at}.paths`, safe);
      const digest = str(u['digest'], `${at}.digest`);
      const entry = { renderer, dir, coordinates, output, paths, digest } as WetIndexUnit;
      if (u['hashes'] !== undefined) {
        const hashes = Object.create(null) as Record<string, string>;
        if (!isObject(u['hashes'])) bad(`${at}.hashes`, 'expected an object');
        else {
          for (const [k, v] of Object.entries(u['hashes'])) {
            if (typeof v === 'string' && HASH.test(v)) hashes[k] = v;
            else bad(`${at}.hashes.${k}`, 'expected a sha256 hex digest');
          }
        }
        entry.hashes = hashes;
      }
      if (u['resources'] !== undefined) {
        const r = u['resources'];
        if (typeof r === 'number' && Number.isInteger(r) && r >= 0) entry.resources = r;
        else bad(`${at}.resources`, 'expected a whole number');
      }
      if (u['volatile'] !== undefined) {
        if (typeof u['volatile'] === 'boolean') entry.volatile = u['volatile'];
        else bad(`${at}.volatile`, 'expected a boolean');
      }
      if (u['provides'] !== undefined) {
        const provides = strings(u['provides'], `${at}.provides`, (x, w) => str(x, w));
        if (provides) entry.provides = provides.sort(cmp);
      }
      const owner = str(u['owner'], `${at}.owner`, true);
      if (owner !== undefined) entry.owner = owner;
      if (u['closure'] !== undefined) {
        // Thousands of entries in a large tree: checked in one pass, copied without prototype.
        const raw = u['closure'];
        const closure = Object.create(null) as Record<string, string>;
        let fine = isObject(raw);
        if (fine) for (const k in raw as Record<string, Json>) {
          const v = (raw as Record<string, Json>)[k];
          if (typeof v !== 'string') {
            fine = false;
            break;
          }
          closure[k] = v;
        }
        if (fine) entry.closure = closure;
        else bad(`${at}.closure`, 'expected an object of strings');
      }
      if (paths) entry.paths = paths.sort(cmp);
      units[id] = entry;
    }
  }
  const shared = raw['shared'] === undefined ? undefined : strings(raw['shared'], 'shared', safe);
  if (problems.length > 0) return undefined;
  const index: WetIndex = { version: WET_INDEX_VERSION, generator: generator!, units };
  if (dryCommit !== undefined) index.dryCommit = dryCommit;
  if (configDigest !== undefined) index.configDigest = configDigest;
  if (shared !== undefined) index.shared = shared.sort(cmp);
  return index;
}

/**
 * Parses and validates a stored index. Throws a HydrateError (with `file`) when it is not
 * JSON, is too large or does not match the index's shape, saying how to recover; every path in
 * it must be a safe wet-relative path. Records come back without prototype.
 */
export function parseIndex(text: string, file: string): WetIndex {
  const fail = (why: string): never => {
    throw new HydrateError({
      severity: 'error',
      file,
      message: `wet index ${file} is invalid: ${why}; ${INDEX_RECOVERY}`
    });
  };
  if (text.length > MAX_INDEX_BYTES) fail(`it is larger than ${MAX_INDEX_BYTES / 1024 / 1024} MiB`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  const count = countPaths(raw);
  if (count > MAX_INDEX_PATHS) fail(`it lists ${count} paths, more than the ${MAX_INDEX_PATHS} hydrate accepts`);
  const problems: string[] = [];
  const index = readIndexJson(raw, problems);
  return index ?? fail(problems.join('; '));
}
