/**
 * Lays the rendered units out as the wet tree: which file holds which object, plus the
 * `.gitattributes` files and the wet index. Pure: the same results give the same bytes,
 * whatever order the units and their resources arrive in.
 */
import type { Diagnostic } from '../diagnostics.js';
import type { UnitResult } from '../render/renderer.js';
import {
  cmp,
  compareIdentity,
  describeIdentity,
  identityOf,
  isIdentity,
  type KubeObject,
  type ResourceIdentity
} from '../resources/resource.js';
import { joinYamlDocuments, toCanonicalYaml } from '../resources/yaml.js';
import { crdScopes, isClusterScoped } from '../resources/scope.js';
import type { Settings } from '../settings/settings.js';
import { checkWetPath, contentHash, INDEX_PATH, serializeIndex, unitRecord, WET_INDEX_VERSION, type WetIndex, type WetIndexUnit } from '../formats/wet-index.js';

/** One file of the wet tree; `path` is wet-relative POSIX. */
export interface WetFile {
  path: string;
  content: string;
}

export interface WetLayout {
  /** Every file Hydrate writes or rewrites in the next wet tree, the index included, sorted by path. */
  files: WetFile[];
  /**
   * The files of kept units, sorted: Hydrate owns them in the next tree too, as the previous
   * tree holds them (their content is not read; `snapshotFromLayout` takes it from that tree).
   */
  kept: string[];
  index: WetIndex;
  diagnostics: Diagnostic[];
}

export interface LayoutMeta {
  generator: string;
  dryCommit?: string;
  configDigest?: string;
  /** The config rendering this run (`<repository>:<config path>`), recorded as each rendered unit's owner. */
  owner?: string;
}

export const GITATTRIBUTES_CONTENT = '* linguist-generated=true\n';
export const PER_UNIT_MANIFEST = 'manifest.yaml';

const INDEX_DIR = INDEX_PATH.slice(0, INDEX_PATH.lastIndexOf('/'));

function idOf(u: UnitResult | KeptUnit): string {
  return 'unit' in u ? u.unit.id : u.id;
}

function joinWet(output: string, name: string): string {
  return output === '' ? name : `${output}/${name}`;
}

/** ASCII-only lower-casing: the key under which case-insensitive file systems see a name. */
export function foldCase(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(s)) return s.toLowerCase();
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

interface Placed {
  id: ResourceIdentity;
  object: KubeObject;
}

/** The namespace part of a file name for a namespaced object written without a namespace. */
export const NO_NAMESPACE = '_no-namespace';
export const CLUSTER_SCOPED = '_cluster';

/**
 * File name of an object at a naming level: 0 `<Kind>.<name>.yml`, 1
 * `<Kind>.<namespace>.<name>.yml`, 2 `<Kind>.<group>.<namespace>.<name>.yml`
 * (namespace `_cluster` for cluster-scoped kinds, `_no-namespace` for a namespaced object
 * without one, group `core` for the core group).
 */
function fileNameAt(id: ResourceIdentity, level: number, scopes?: ReadonlyMap<string, string>): string {
  const ns = id.namespace !== '' ? id.namespace : isClusterScoped(id, scopes) ? CLUSTER_SCOPED : NO_NAMESPACE;
  const group = id.group === '' ? 'core' : id.group;
  const name = portableName(id.name);
  if (level === 0) return `${id.kind}.${name}.yml`;
  if (level === 1) return `${id.kind}.${ns}.${name}.yml`;
  return `${id.kind}.${group}.${ns}.${name}.yml`;
}

/**
 * An object name as a file name every platform checks out: the characters Windows reserves
 * (`<>:"|?*\`) are written as `%XX`, as in a URL. Kubernetes never allows `%` in a name, so the
 * encoding is unambiguous; RBAC names such as `system:aggregate-to-edit` stay writable.
 */
export function portableName(name: string): string {
  return name.replace(/[<>:"|?*\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * Per-resource file names for the objects of one unit.
 *
 * Naming rule: every object is written as `<Kind>.<metadata.name>.yml`. Only the objects whose
 * names would collide gain more of their identity: first the namespace
 * (`<Kind>.<namespace>.<name>.yml`, `_cluster` for a cluster-scoped kind, `_no-namespace` for a
 * namespaced object without a namespace), and those still colliding
 * the API group too (`<Kind>.<group>.<namespace>.<name>.yml`, `core` for the core group). Names
 * that are equal ignoring ASCII case count as colliding, so the tree checks out on
 * case-insensitive file systems (macOS, Windows). Objects whose full names still collide
 * (identities that differ only in case) are reported as errors.
 *
 * Returns one name per object (same order), or undefined for an object that cannot be named.
 */
export function perResourceNames(
  ids: readonly ResourceIdentity[],
  scopes?: ReadonlyMap<string, string>
): { names: (string | undefined)[]; collisions: number[][] } {
  const levels = ids.map(() => 0);
  for (;;) {
    const groups = groupByFolded(ids.map((id, i) => fileNameAt(id, levels[i]!, scopes)));
    let changed = false;
    for (const members of groups) {
      if (members.length < 2) continue;
      for (const i of members) {
        if (levels[i]! < 2) {
          levels[i] = levels[i]! + 1;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  const names: (string | undefined)[] = ids.map((id, i) => fileNameAt(id, levels[i]!, scopes));
  const collisions = groupByFolded(names as string[]).filter((g) => g.length > 1);
  for (const g of collisions) for (const i of g) names[i] = undefined;
  return { names, collisions };
}

function groupByFolded(names: readonly string[]): number[][] {
  const byKey = new Map<string, number[]>();
  names.forEach((n, i) => {
    const k = foldCase(n);
    const list = byKey.get(k);
    if (list) list.push(i);
    else byKey.set(k, [i]);
  });
  return [...byKey.values()];
}

interface Claim {
  path: string;
  unit: string;
  what: string;
}

/**
 * A unit kept as the previous wet tree holds it (its inputs are unchanged, or `only` left it out):
 * its index entry and its files, which take part in every path check like rendered ones. Their
 * content stays as it is (a hand edit too: the index keeps recording what Hydrate wrote), so it
 * is not read, except to hash a file the entry records no hash for (an index of an older version).
 */
export interface KeptUnit {
  id: string;
  entry: WetIndexUnit;
  /** The entry's paths that exist in the previous wet tree, sorted. */
  present: readonly string[];
  /** Owned path → content, for the present paths the entry records no hash for. */
  files: ReadonlyMap<string, string>;
  /** The unit belongs to another config rendering into the same wet tree: kept as it is, never taken over. */
  foreign?: boolean;
}

/** The recorded hashes hold one for each of the paths and nothing else: they are the entry's hashes as they are. */
function hashesExactly(known: Record<string, string>, paths: readonly string[]): boolean {
  let n = 0;
  for (const k in known) {
    if (!Object.prototype.hasOwnProperty.call(known, k)) return false;
    n++;
  }
  return n === paths.length && paths.every((p) => typeof known[p] === 'string');
}

function hashesOf(paths: readonly string[], content: (p: string) => string | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const p of paths) {
    const text = content(p);
    if (text !== undefined) out[p] = contentHash(text);
  }
  return out;
}

/**
 * Lays out the non-failed units and the kept ones. See the module comment; diagnostics are
 * errors that block writing.
 */
export function layoutWet(results: readonly UnitResult[], settings: Settings, meta: LayoutMeta, kept: readonly KeptUnit[] = []): WetLayout {
  const layout = settings.config.wet.layout;
  const attributes = settings.config.wet.generatedAttributes;
  const diagnostics: Diagnostic[] = [];
  const files = new Map<string, string>();
  const keptPaths: string[] = [];
  /** folded path → first claim */
  const claims = new Map<string, Claim>();
  const units = unitRecord();

  // Rendered and kept units in one id order, so a collision is reported as a full render reports it.
  const sorted: (UnitResult | KeptUnit)[] = [...results.filter((r) => r.status !== 'failed'), ...kept].sort((a, b) =>
    cmp(idOf(a), idOf(b))
  );

  /** `content` undefined: a kept file, left as the previous tree holds it. */
  const foldedIndex = foldCase(INDEX_PATH);
  const foldedIndexDir = `${foldCase(INDEX_DIR)}/`;
  const claim = (unitId: string, path: string, content: string | undefined, what: string, file?: string): boolean => {
    const at = file !== undefined ? { file } : {};
    const bad = checkWetPath(path);
    if (bad) {
      diagnostics.push({ severity: 'error', unit: unitId, ...at, message: `${what}: unsafe wet path: ${bad}` });
      return false;
    }
    const folded = foldCase(path);
    if (folded === foldedIndex || folded.startsWith(foldedIndexDir)) {
      diagnostics.push({
        severity: 'error',
        unit: unitId,
        ...at,
        message: `${what} would be written to ${path}, inside ${INDEX_DIR}/ which is reserved for hydrate's index`
      });
      return false;
    }
    const first = claims.get(folded);
    if (first) {
      const how = first.path === path ? `the same path ${path}` : `${path}, which differs from ${first.path} only in case`;
      const owner = first.unit === unitId ? 'this unit' : `unit ${first.unit}`;
      diagnostics.push({
        severity: 'error',
        unit: unitId,
        ...at,
        message: `${what} would be written to ${how}, where ${owner} already writes ${first.what}`
      });
      return false;
    }
    claims.set(folded, { path, unit: unitId, what });
    if (content === undefined) keptPaths.push(path);
    else files.set(path, content);
    return true;
  };

  for (const result of sorted) {
    if (!('unit' in result)) {
      const owner = result.entry.owner ?? 'another config';
      for (const path of result.present) {
        claim(result.id, path, undefined, result.foreign ? `${path} (rendered by ${owner})` : `${path} (kept unchanged)`);
      }
      // What hydrate wrote stays recorded (a hand edit does not become hydrate's); an index without hashes gains them.
      const known = result.entry.hashes;
      let hashes: Record<string, string>;
      if (known !== undefined && hashesExactly(known, result.entry.paths)) hashes = known;
      else {
        hashes = hashesOf(
          result.entry.paths.filter((p) => known?.[p] === undefined),
          (p) => result.files.get(p)
        );
        for (const p of result.entry.paths) if (known?.[p] !== undefined) hashes[p] = known[p];
      }
      const entry: WetIndexUnit = { ...result.entry, hashes };
      // An entry from an index without owners belongs to the config that keeps it.
      if (entry.owner === undefined && meta.owner !== undefined) entry.owner = meta.owner;
      units[result.id] = entry;
      continue;
    }
    const unit = result.unit;
    const owned: string[] = [];
    const outputBad = unit.output === '' ? undefined : checkWetPath(unit.output);
    if (outputBad) {
      diagnostics.push({ severity: 'error', unit: unit.id, message: `unit output folder is unsafe: ${outputBad}` });
      continue;
    }

    const placed: Placed[] = [];
    for (const r of result.resources) {
      const id = identityOf(r.object);
      if (!isIdentity(id)) {
        diagnostics.push({
          severity: 'error',
          unit: unit.id,
          ...r.source,
          message: `document has no ${id.missing.join(', ')}; it cannot be written to the wet tree`
        });
        continue;
      }
      placed.push({ id, object: r.object });
    }
    // Identity first; the canonical text breaks ties so duplicates stay order-independent.
    const texts = new Map<Placed, string>(placed.map((p) => [p, toCanonicalYaml(p.object)]));
    placed.sort((a, b) => compareIdentity(a.id, b.id) || cmp(texts.get(a)!, texts.get(b)!));

    if (layout === 'per-unit') {
      // A unit without objects gets no (empty) manifest.
      if (placed.length > 0) {
        const path = joinWet(unit.output, PER_UNIT_MANIFEST);
        if (claim(unit.id, path, joinYamlDocuments(placed.map((p) => texts.get(p)!)), 'the unit manifest')) owned.push(path);
      }
    } else {
      // Which kinds are cluster-scoped: the built-in list and the unit's own CRDs (a unit's file
      // names depend on its own output only, so an incremental run names them as a full one).
      const scopes = crdScopes(placed.map((p) => p.object));
      const { names, collisions } = perResourceNames(
        placed.map((p) => p.id),
        scopes
      );
      for (const group of collisions) {
        const list = group.map((i) => describeIdentity(placed[i]!.id)).join(', ');
        diagnostics.push({
          severity: 'error',
          unit: unit.id,
          message: `objects ${list} would be written to files whose names differ only in case; rename one of them`
        });
      }
      placed.forEach((p, i) => {
        const name = names[i];
        if (name === undefined) return;
        const path = joinWet(unit.output, name);
        if (name.includes('/')) {
          diagnostics.push({ severity: 'error', unit: unit.id, message: `${describeIdentity(p.id)}: its name cannot be used as a file name` });
          return;
        }
        if (claim(unit.id, path, texts.get(p)!, describeIdentity(p.id))) owned.push(path);
      });
    }

    const artifacts = [...result.artifacts].sort((a, b) => cmp(a.path, b.path) || cmp(a.source, b.source));
    for (const artifact of artifacts) {
      const path = joinWet(unit.output, artifact.path);
      const bad = checkWetPath(artifact.path);
      if (bad) {
        diagnostics.push({ severity: 'error', unit: unit.id, file: artifact.source, message: `artifact from ${artifact.source}: unsafe ${bad}` });
        continue;
      }
      if (claim(unit.id, path, artifact.content, `artifact from ${artifact.source}`, artifact.source)) owned.push(path);
    }

    if (attributes && unit.output !== '') {
      const path = joinWet(unit.output, '.gitattributes');
      if (claim(unit.id, path, GITATTRIBUTES_CONTENT, 'the generated .gitattributes')) owned.push(path);
    }

    const entry: WetIndexUnit = {
      renderer: unit.renderer,
      dir: unit.dir,
      coordinates: { ...unit.coordinates },
      output: unit.output,
      paths: owned.sort(cmp),
      hashes: hashesOf(owned, (p) => files.get(p)),
      digest: result.digest,
      resources: placed.length
    };
    if (meta.owner !== undefined) entry.owner = meta.owner;
    if (result.volatile) entry.volatile = true;
    if (result.provides && result.provides.length > 0) entry.provides = [...new Set(result.provides.map((p) => p.ref))].sort(cmp);
    if (result.closure && !result.volatile) entry.closure = { ...result.closure };
    units[unit.id] = entry;
  }

  // A path that is a file of one unit and a folder of another cannot exist in one tree.
  for (const [folded, c] of claims) {
    for (let slash = folded.indexOf('/'); slash !== -1; slash = folded.indexOf('/', slash + 1)) {
      const dir = folded.slice(0, slash);
      const other = claims.get(dir);
      if (other) {
        diagnostics.push({
          severity: 'error',
          unit: c.unit,
          message: `${c.what} would be written to ${c.path}, but ${other.path} is a file (${other.what} of unit ${other.unit})`
        });
      }
    }
  }

  const index: WetIndex = { version: WET_INDEX_VERSION, generator: meta.generator, units };
  if (meta.dryCommit !== undefined) index.dryCommit = meta.dryCommit;
  if (meta.configDigest !== undefined) index.configDigest = meta.configDigest;
  files.set(INDEX_PATH, serializeIndex(index));

  const list = [...files].map(([path, content]) => ({ path, content })).sort((a, b) => cmp(a.path, b.path));
  return { files: list, kept: keptPaths.sort(cmp), index, diagnostics };
}


/** Every path the index says Hydrate owns, the index file itself included, sorted. */
export function ownedPaths(index: WetIndex | undefined): string[] {
  const set = new Set<string>([INDEX_PATH]);
  if (index) {
    for (const u of Object.values(index.units)) for (const p of u.paths) set.add(p);
    for (const p of index.shared ?? []) set.add(p);
  }
  return [...set].sort(cmp);
}
