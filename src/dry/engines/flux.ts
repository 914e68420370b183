/**
 * Units from Flux objects (`from: flux`): every `kustomize.toolkit.fluxcd.io/v1` Kustomization
 * found in the YAML files below the entry's `path` is one unit, rendered as kustomize-controller
 * builds it (src/render/kubernetes/flux-kustomization.ts).
 *
 * - Coordinates: `name` and `namespace` of the Kustomization (namespace `default` when the object
 *   has none), and `cluster`: the last segment of `path` when `path` is a cluster's folder (it
 *   holds a Kustomization file directly), else the first folder below `path` holding the
 *   object's file (`path: clusters` with `clusters/production/apps.yaml`, and
 *   `path: clusters/production`, both give `production`).
 * - The unit's `dir` is the object's `spec.path` (relative to the repository root, as a
 *   GitRepository of this repository hands it to the controller); its id names the object's file
 *   and identity (`kubernetes:clusters/production/apps.yaml#flux-system/apps`), so two
 *   Kustomizations of one path with other options are two units.
 * - `dependsOn` is read one level at a time: a dependency that no Kustomization below `path`
 *   provides is a warning (ordering is the cluster's business; the wet tree does not depend on it).
 * - What cannot be rendered offline (a source other than this repository: a GitRepository with
 *   another URL, an OCIRepository, a Bucket) is listed with the reason, as a warning, or as an
 *   error with `strict: true`.
 *
 * Objects are read with YAML 1.1 rules, as the controllers (Go, sigs.k8s.io/yaml) read them.
 */
import { posix } from 'node:path';
import type { Diagnostic } from '../../diagnostics.js';
import type { FileReader } from '../../ports.js';
import { cmp, isRecord } from '../../resources/resource.js';
import { readYaml, yamlDiagnostic } from '../../resources/yaml-positions.js';
import type { KubernetesEntry } from '../../settings/schema/kubernetes.js';
import type { Settings } from '../../settings/settings.js';
import picomatch from 'picomatch';
import { renderTemplate } from '../match.js';
import { GLOB_OPTIONS } from '../select.js';
import { checkOutputPath, checkRelativePath, checkRepoPath } from '../path-safety.js';
import { emitUnit, unitId, type Unit } from '../unit.js';

/** The coordinates of a Flux unit, for `output` templates. */
export const FLUX_COORDINATES = ['name', 'namespace', 'cluster'] as const;
export const FLUX_KUSTOMIZATION_API = 'kustomize.toolkit.fluxcd.io/v1';
const SOURCE_GROUP = 'source.toolkit.fluxcd.io/';
const MAX_FILES = 20_000;

/** One YAML document of a file below `path`. */
export interface FoundObject {
  file: string;
  line: number;
  object: Record<string, unknown>;
}

/** Strips `./` and trailing `/`; `''` for the repository root. */
export function normalizeRepoPath(p: string): string {
  const n = posix.normalize(p.replace(/^(\.\/)+/, '').replace(/\/+$/, ''));
  return n === '.' ? '' : n;
}

/** Parses a multi-document YAML text with YAML 1.1 rules as kubectl reads it (the one YAML reader, its limits and messages). */
export function parseYaml11(text: string, file: string): { docs: FoundObject[]; errors: Diagnostic[] } {
  const read = readYaml(text, '1.1');
  const docs: FoundObject[] = [];
  for (const d of read.documents) if (isRecord(d.value)) docs.push({ file, line: d.start.line, object: d.value });
  return { docs, errors: read.problems.map((p) => yamlDiagnostic(p, file)) };
}

/** Every YAML document of the `.yaml`/`.yml` files below `dir` (hidden folders, `.git` and `node_modules` skipped), by file. */
export async function readObjectsBelow(files: FileReader, repoRoot: string, dir: string): Promise<{ objects: FoundObject[]; errors: Diagnostic[] }> {
  const objects: FoundObject[] = [];
  const errors: Diagnostic[] = [];
  let seen = 0;
  const walk = async (rel: string): Promise<void> => {
    const entries = (await files.readDir(rel === '' ? repoRoot : posix.join(repoRoot, rel))).sort((a, b) => cmp(a.name, b.name));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      if (++seen > MAX_FILES) throw new Error(`${dir} holds more than ${MAX_FILES} entries: point path at the folder of the Flux objects`);
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.kind === 'directory') await walk(child);
      else if (e.kind === 'file' && /\.ya?ml$/.test(e.name)) {
        const parsed = parseYaml11(await files.readFile(posix.join(repoRoot, child)), child);
        objects.push(...parsed.docs);
        errors.push(...parsed.errors);
      }
    }
  };
  await walk(dir);
  return { objects, errors };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const meta = (o: Record<string, unknown>): Record<string, unknown> => (isRecord(o['metadata']) ? o['metadata'] : {});

export function isFluxKustomization(o: Record<string, unknown>): boolean {
  return typeof o['apiVersion'] === 'string' && o['apiVersion'].startsWith('kustomize.toolkit.fluxcd.io/') && o['kind'] === 'Kustomization';
}

/** `namespace/name` of an object, with the namespace it is created in when it names none. */
function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * Why a Kustomization's source is not this repository, or undefined when it is. This
 * repository's source is the GitRepository Flux bootstrap creates (`flux-system`), or any
 * GitRepository below `path` with the same URL as it.
 */
function sourceProblem(ks: FoundObject, namespace: string, sources: readonly FoundObject[], ownNames: readonly string[]): string | undefined {
  const spec = isRecord(ks.object['spec']) ? ks.object['spec'] : {};
  const ref = isRecord(spec['sourceRef']) ? spec['sourceRef'] : {};
  const kind = str(ref['kind']) ?? '';
  const name = str(ref['name']) ?? '';
  const ns = str(ref['namespace']) ?? namespace;
  if (kind !== 'GitRepository') {
    return `its source is ${kind || 'missing'} ${key(ns, name)}${kind === 'OCIRepository' ? ' (an OCI artifact)' : ''}, which is not this repository: it cannot be rendered offline`;
  }
  const git = (n: string, s: string): FoundObject | undefined =>
    sources.find((o) => o.object['kind'] === 'GitRepository' && str(meta(o.object)['name']) === n && (str(meta(o.object)['namespace']) ?? 'default') === s);
  const urlOf = (o: FoundObject | undefined): string | undefined => {
    const sp = o && isRecord(o.object['spec']) ? o.object['spec'] : undefined;
    return sp ? str(sp['url'])?.replace(/\.git$/, '').replace(/\/+$/, '') : undefined;
  };
  if (name === 'flux-system' || ownNames.includes(name)) return undefined;
  const own = urlOf(git('flux-system', 'flux-system'));
  const found = git(name, ns);
  const url = urlOf(found);
  if (own !== undefined && url !== undefined && url === own) return undefined;
  return found
    ? `its source is GitRepository ${key(ns, name)} (${url ?? 'no url'}), which is not this repository (flux-system${own ? `, ${own}` : ''}): it cannot be rendered offline`
    : `its source is GitRepository ${key(ns, name)}, which is neither this repository (flux-system) nor defined below the entry's path: it cannot be rendered offline (if it is this repository, name it in flux.sources)`;
}

/**
 * The `cluster` coordinate of an object file (see the module comment): `path`'s last segment
 * when `path` itself is a cluster's folder (it holds a Kustomization file directly), else the
 * first folder below `path`.
 */
function clusterOf(path: string, file: string, pathIsCluster: boolean): string {
  return posix.basename(clusterDirOf(path, file, pathIsCluster));
}

/** The folder of an object's cluster: `path`, or the folder below it holding the object's file. */
function clusterDirOf(path: string, file: string, pathIsCluster: boolean): string {
  if (pathIsCluster) return path;
  const rest = path === '' ? file : file.slice(path.length + 1);
  const parts = rest.split('/');
  return parts.length > 1 ? (path === '' ? parts[0]! : `${path}/${parts[0]!}`) : path;
}

/** The units of a `from: flux` entry; errors and unresolved objects as diagnostics. */
export async function discoverFluxUnits(
  settings: Settings,
  files: FileReader,
  entryIndex: number,
  entry: KubernetesEntry
): Promise<{ units: Unit[]; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const units: Unit[] = [];
  const file = settings.configPath;
  const label = `kubernetes[${entryIndex}]`;
  const path = normalizeRepoPath(entry.path ?? '');
  const bad = path === '' ? undefined : (checkRelativePath(path, `${label}.path`) ?? (await checkRepoPath(settings.repoRoot, path, files, `${label}.path`)));
  if (bad) return { units, diagnostics: [{ severity: 'error', file, message: bad }] };
  if ((await files.lstat(posix.join(settings.repoRoot, path)))?.kind !== 'directory') {
    return { units, diagnostics: [{ severity: 'error', file, message: `${label}.path ${entry.path}: no such folder in the repository` }] };
  }
  const { objects, errors } = await readObjectsBelow(files, settings.repoRoot, path);
  diagnostics.push(...errors);
  const sources = objects.filter((o) => typeof o.object['apiVersion'] === 'string' && o.object['apiVersion'].startsWith(SOURCE_GROUP));
  const kustomizations = objects.filter((o) => isFluxKustomization(o.object));
  const known = new Map<string, FoundObject>();
  const pathIsCluster = path !== '' && kustomizations.some((k) => posix.dirname(k.file) === path);
  const unresolved = (ks: FoundObject, id: string, reason: string): void => {
    diagnostics.push({ severity: entry.strict ? 'error' : 'warning', unit: id, file: ks.file, line: ks.line, message: `Flux Kustomization not rendered: ${reason}` });
  };
  const excluded = entry.exclude.length > 0 ? picomatch([...entry.exclude], GLOB_OPTIONS) : undefined;
  const skipped = new Set<FoundObject>();
  for (const ks of kustomizations) {
    const spec0 = isRecord(ks.object['spec']) ? ks.object['spec'] : {};
    // `exclude` globs match the object's file or its spec.path.
    if (excluded && (excluded(ks.file) || excluded(normalizeRepoPath(typeof spec0['path'] === 'string' ? spec0['path'] : '') || '.'))) {
      skipped.add(ks);
      continue;
    }
    const name = str(meta(ks.object)['name']);
    const namespace = str(meta(ks.object)['namespace']) ?? 'default';
    const at = { file: ks.file, line: ks.line };
    if (name === undefined) {
      diagnostics.push({ severity: 'error', ...at, message: 'Flux Kustomization without metadata.name' });
      continue;
    }
    const id = unitId('kubernetes', `${ks.file}#${key(namespace, name)}`);
    const cluster = clusterOf(path, ks.file, pathIsCluster);
    const k = `${cluster}|${key(namespace, name)}`;
    if (known.has(k)) {
      const first = known.get(k)!;
      diagnostics.push({ severity: 'error', unit: id, ...at, message: `Flux Kustomization ${key(namespace, name)} is also defined at ${first.file}:${first.line}: one cluster (a folder below path) holds one object of a name` });
      continue;
    }
    known.set(k, ks);
    if (ks.object['apiVersion'] !== FLUX_KUSTOMIZATION_API) {
      unresolved(ks, id, `apiVersion ${String(ks.object['apiVersion'])} is not ${FLUX_KUSTOMIZATION_API}: migrate it (flux migrate), Hydrate reads v1 only`);
      continue;
    }
    const spec = isRecord(ks.object['spec']) ? ks.object['spec'] : {};
    const problem = sourceProblem(ks, namespace, sources, entry.flux?.sources ?? []);
    if (problem) {
      unresolved(ks, id, problem);
      continue;
    }
    const specPath = typeof spec['path'] === 'string' ? spec['path'] : '';
    const dir = normalizeRepoPath(specPath) || '.';
    const unsafe = dir === '.' ? undefined : checkRelativePath(dir, 'spec.path');
    if (unsafe) {
      diagnostics.push({ severity: 'error', unit: id, ...at, message: unsafe });
      continue;
    }
    const coordinates = { name, namespace, cluster };
    let output: string;
    try {
      output = renderTemplate(entry.output, coordinates);
    } catch {
      diagnostics.push({ severity: 'error', unit: id, file, message: `${label}.output "${entry.output}": a from: flux entry has the coordinates ${FLUX_COORDINATES.map((c) => `{${c}}`).join(', ')}` });
      continue;
    }
    const badOutput = checkOutputPath(output);
    if (badOutput) {
      diagnostics.push({ severity: 'error', unit: id, file, message: `${label}.output "${entry.output}": ${badOutput}` });
      continue;
    }
    const unit: Unit = { id, renderer: 'kubernetes', entry: entryIndex, dir, coordinates, output, object: { engine: 'flux', file: ks.file, kind: 'Kustomization', namespace, name, scope: clusterDirOf(path, ks.file, pathIsCluster) } };
    units.push(unit);
    if (entry.emit) {
      const emitted = emitOutput(entry.emit.output, coordinates, `${label}.emit.output`);
      if (typeof emitted === 'string') units.push(emitUnit(unit, 'flux', ks.object, emitted, ks.file));
      else diagnostics.push({ severity: 'error', unit: id, file, message: emitted.error });
    }
  }
  // dependsOn, one level: each dependency must be a Kustomization below path.
  for (const ks of kustomizations) {
    if (skipped.has(ks)) continue;
    const spec = isRecord(ks.object['spec']) ? ks.object['spec'] : {};
    const namespace = str(meta(ks.object)['namespace']) ?? 'default';
    const deps = Array.isArray(spec['dependsOn']) ? spec['dependsOn'] : [];
    for (const d of deps) {
      if (!isRecord(d) || str(d['name']) === undefined) continue;
      const k = key(str(d['namespace']) ?? namespace, str(d['name'])!);
      const cluster = clusterOf(path, ks.file, pathIsCluster);
      if (!known.has(`${cluster}|${k}`)) {
        const self = `Flux Kustomization ${key(namespace, str(meta(ks.object)['name']) ?? '?')} depends on ${k}`;
        // Defined below path, in another cluster folder (a layout whose folders below path are not clusters).
        const elsewhere = [...known].find(([c]) => c.slice(c.lastIndexOf('|') + 1) === k);
        const where = path || 'the repository root';
        diagnostics.push({
          severity: 'warning',
          file: ks.file,
          line: ks.line,
          message: elsewhere
            ? `${self}, which is a Kustomization of cluster ${elsewhere[0].slice(0, elsewhere[0].lastIndexOf('|'))} (${elsewhere[1].file}), not of its cluster ${cluster}: a cluster is the first folder below ${where}, so point path at one cluster's folder if these deploy together`
            : `${self}, which no Kustomization below ${where} defines: it must exist in the cluster`
        });
      }
    }
  }
  if (kustomizations.length === 0) {
    diagnostics.push({ severity: 'warning', file, message: `${label}: no Flux Kustomization (${FLUX_KUSTOMIZATION_API}) below ${path || 'the repository root'}` });
  }
  return { units, diagnostics };
}

/** An entry's `emit.output` for a unit's coordinates, or the error. */
export function emitOutput(template: string, coordinates: Record<string, string>, label: string): string | { error: string } {
  let output: string;
  try {
    output = renderTemplate(template, coordinates);
  } catch {
    return { error: `${label} "${template}": the coordinates are ${Object.keys(coordinates).sort(cmp).map((c) => `{${c}}`).join(', ')}` };
  }
  const bad = checkOutputPath(output);
  return bad ? { error: `${label} "${template}": ${bad}` } : output;
}
