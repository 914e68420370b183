/**
 * Incremental hydration: the input digest of a unit, computed before rendering from the files it
 * can read (its closure), its config entry, the renderer and the tool versions. A unit whose
 * digest equals the one in the previous wet index (and whose files are all still there) keeps its
 * previous output instead of being rendered again.
 */
import type { Unit } from '../dry/unit.js';
import type { FileReader } from '../ports.js';
import type { Settings } from '../settings/settings.js';
import { digestOf } from '../render/digest.js';
import type { UnitClosure } from '../render/renderer.js';
import { rendererFor } from '../render/registry.js';
import { createFileIds, type FileIds } from './file-ids.js';
import { cmp } from '../resources/resource.js';
import { CANONICAL_YAML_FORMAT } from '../resources/yaml.js';
import { VERSION } from '../version.js';

export interface InputDigest {
  digest: string;
  volatile: boolean;
  reason?: string;
  /**
   * The closure the digest covers: repository-relative path → id (file-ids.ts), recorded in the
   * wet index so that a later run can check it without walking kustomizations. Absent for volatile units.
   */
  closure?: Record<string, string>;
}


function entryOf(unit: Unit, settings: Settings): unknown {
  // Each renderer's entries are the config's list of its name.
  return settings.config[unit.renderer][unit.entry];
}

const globalConfigs = new WeakMap<Settings, string>();

/**
 * Config that shapes every unit's output (layout, policy, sources), without run-time knobs
 * (workers) or what only shapes the pull request (label coordinates). Computed once per settings.
 */
function globalConfig(settings: Settings): string {
  let text = globalConfigs.get(settings);
  if (text === undefined) {
    const { concurrency: _workers, timeouts: _limits, ...policy } = settings.config.policy;
    const { labelCoordinates: _labels, ...wet } = settings.config.wet;
    text = JSON.stringify({ order: settings.config.order, sources: settings.config.sources, wet, policy, defaults: settings.config.defaults });
    globalConfigs.set(settings, text);
  }
  return text;
}

/** The closure of any unit, as its renderer reports it; a renderer that reports none reads the unit's folder. */
export async function unitClosure(unit: Unit, settings: Settings, files: FileReader): Promise<UnitClosure> {
  const renderer = rendererFor(unit.renderer);
  return renderer.closure ? renderer.closure(unit, settings, files) : { paths: [unit.dir], volatile: false };
}

const entryDigests = new WeakMap<Settings, Map<string, string>>();

/**
 * The parts of a unit's digest that are not file ids: renderer, unit, and (digested once per
 * config entry and tool versions, as units of one entry share them) the config entry, the
 * output-shaping config and the versions.
 */
async function headerParts(unit: Unit, settings: Settings, toolVersion: string | Promise<string>, format: number = CANONICAL_YAML_FORMAT): Promise<string[]> {
  // Only a renderer that runs tools has their versions in its units' digests.
  const tools = rendererFor(unit.renderer).toolVersions ? await toolVersion : '';
  let perSettings = entryDigests.get(settings);
  if (!perSettings) entryDigests.set(settings, (perSettings = new Map()));
  const key = `${unit.renderer}\u0000${unit.entry}\u0000${tools}`;
  let shared = perSettings.get(key);
  if (shared === undefined) {
    shared = digestOf([JSON.stringify(entryOf(unit, settings) ?? null), globalConfig(settings), tools, `hydrate ${VERSION}`]);
    perSettings.set(key, shared);
  }
  return [
    'hydrate-input/2',
    // The written form: a unit kept from a run that wrote another form is rendered again once.
    // (Format 1, written before this part existed, adds nothing.)
    ...(format === 1 ? [] : [`canonical-yaml/${format}`]),
    unit.renderer,
    unit.dir,
    unit.output,
    JSON.stringify(unit.coordinates),
    shared,
    // An Argo CD unit: the (generated) Application it renders.
    ...(unit.argocd ? [JSON.stringify(unit.argocd)] : []),
    // An emit unit: the object it rewrites and the wet folder it deploys.
    ...(unit.emit ? [JSON.stringify(unit.emit)] : [])
  ];
}

/**
 * The closure's paths without those inside another of its folders (a folder's id covers
 * everything below it): what the digest covers and the index records. Sorted, so a folder comes
 * before what is inside it.
 */
export function closureCover(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort(cmp);
  const out: string[] = [];
  const kept = new Set<string>();
  for (const p of sorted) {
    let inside = kept.has('') && p !== '';
    for (let i = p.indexOf('/'); !inside && i >= 0; i = p.indexOf('/', i + 1)) inside = kept.has(p.slice(0, i));
    if (inside) continue;
    kept.add(p);
    out.push(p);
  }
  return out;
}

/** A repository-relative path that stays inside the repository and outside `.git` (symlinks are resolved by file-ids.ts, which never follows one out). */
function isInsidePath(p: string): boolean {
  if (p === '') return true;
  if (p.includes('\u0000') || p.includes('\\') || p.startsWith('/')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..' && seg.toLowerCase() !== '.git');
}

/** The ids of `paths` (sorted, unique) and the digest over them and the header. */
async function digestOver(header: readonly string[], paths: readonly string[], ids: FileIds): Promise<{ digest: string; closure: Record<string, string> }> {
  const parts = [...header];
  const closure: Record<string, string> = {};
  for (const p of paths) {
    const id = ids.known?.(p) ?? (await ids.id(p));
    closure[p] = id;
    parts.push(p, id);
  }
  return { digest: digestOf(parts), closure };
}

/**
 * sha256 over the unit's header (its config entry, the global config that shapes output, the
 * renderer name, Hydrate's VERSION and, for a renderer that runs tools, `toolVersion`: the versions
 * of the unit's renderer's tools) and the sorted
 * (path, id) of every path in its closure's cover (`closureCover`): a file's id is its git blob
 * id, a folder's id covers everything below it (file-ids.ts). `toolVersion` may be a promise, so that asking the tools
 * overlaps reading the files. `ids` defaults to ids read from content.
 */
export async function unitInputDigest(
  unit: Unit,
  settings: Settings,
  files: FileReader,
  toolVersion: string | Promise<string>,
  ids: FileIds = createFileIds(files, settings.repoRoot),
  /** The written form's version; only tests pass another (1: the form written before it was digested). */
  format: number = CANONICAL_YAML_FORMAT
): Promise<InputDigest> {
  const entry = entryOf(unit, settings);
  const closure = await unitClosure(unit, settings, files);
  const over = await digestOver(await headerParts(unit, settings, toolVersion, format), closureCover(closure.paths), ids);
  const volatile = closure.volatile || entry === undefined;
  return {
    digest: over.digest,
    volatile,
    ...(closure.reason !== undefined ? { reason: closure.reason } : entry === undefined ? { reason: 'no config entry' } : {}),
    ...(volatile ? {} : { closure: over.closure })
  };
}

/**
 * The unit's digest when its inputs are as the previous run recorded them: the digest over the
 * recorded closure's paths with today's ids, which equals the recorded digest exactly when the
 * header and every id are unchanged. Then a fresh walk would read the same files, find the same
 * closure and give the same digest, so nothing is parsed. Undefined when anything differs (the
 * caller walks the closure).
 */
export async function recordedInputDigest(
  unit: Unit,
  settings: Settings,
  recorded: { digest: string; closure?: Record<string, string>; volatile?: boolean } | undefined,
  ids: FileIds,
  toolVersion: string | Promise<string>
): Promise<InputDigest | undefined> {
  if (!recorded?.closure || recorded.volatile || entryOf(unit, settings) === undefined) return undefined;
  const paths = Object.keys(recorded.closure).sort(cmp);
  // The index lives on the wet branch: a path it names that could lead outside the repository is not read.
  if (!paths.every(isInsidePath)) return undefined;
  const over = await digestOver(await headerParts(unit, settings, toolVersion), paths, ids);
  return over.digest === recorded.digest ? { digest: over.digest, volatile: false, closure: over.closure } : undefined;
}

/**
 * A reader that answers each question once: units share bases and components, so digesting
 * every unit of a run reads those files once. Only for the duration of one run's planning.
 */
export function cachingReader(files: FileReader): FileReader {
  return {
    readFile: memoizeAsync((p) => files.readFile(p)),
    readFileBytes: memoizeAsync((p) => files.readFileBytes(p)),
    readDir: memoizeAsync((p) => files.readDir(p)),
    lstat: memoizeAsync((p) => files.lstat(p)),
    realpath: memoizeAsync((p) => files.realpath(p))
  };
}

/** Answers each path once; a failed answer is not kept, so the next caller sees the error again. */
export function memoizeAsync<T>(fn: (p: string) => Promise<T>): (p: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (p: string) => {
    let hit = cache.get(p);
    if (!hit) {
      hit = fn(p);
      cache.set(p, hit);
      hit.catch(() => cache.delete(p));
    }
    return hit;
  };
}
