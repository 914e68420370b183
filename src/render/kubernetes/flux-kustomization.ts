/**
 * Renders a unit discovered from a Flux Kustomization (src/dry/engines/flux.ts) as
 * kustomize-controller builds it, without a cluster:
 *
 * 1. The kustomization of `spec.path`: its own kustomization file, or, when it has none, one
 *    generated as Flux generates it (`resources:` every `.yaml`/`.yml` file below the path, and
 *    every sub-folder holding a kustomization, not descended into: the plain-directory listing
 *    of plain-dir.ts with Flux's rule).
 * 2. The controller's generator edits that kustomization: `targetNamespace` → `namespace`,
 *    `namePrefix`, `nameSuffix` (set), `patches` and `components` (appended), `images` (an image
 *    of the same name replaced, else appended). This happens in a temporary copy of what the
 *    build reads (its kustomize closure), never in the dry tree.
 * 3. `kustomize build` (the same tool Hydrate uses for kustomize units).
 * 4. `postBuild`: variables from `substituteFrom` (ConfigMaps found in YAML files below the
 *    folder of the object's cluster, in order, later ones winning; `optional` ones may be missing) and then
 *    `substitute` (winning over all), newlines removed from values, substituted into each
 *    object's YAML with Flux's envsubst (flux-envsubst.ts: defaults, case, length, substring,
 *    replace and trim forms; what Flux's parser refuses is an error, as the build fails there), an
 *    unknown variable without default replaced by
 *    nothing; objects labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`
 *    are left alone. With no variable at all, nothing is substituted (as the controller does).
 *    A Secret source, or a ConfigMap not found in the repository, cannot be read offline: every
 *    variable no readable source defines is then left as written and named in a warning.
 * 5. `commonMetadata`: labels and annotations set on every object's metadata (overriding).
 *
 * HelmRelease objects in the output are kept as objects (helm-controller renders them in the
 * cluster), with a notice.
 */
import { posix } from 'node:path';
import type { Diagnostic } from '../../diagnostics.js';
import { checkRelativePath, checkRepoPath } from '../../dry/path-safety.js';
import type { Unit } from '../../dry/unit.js';
import { isFluxKustomization, parseYaml11, readObjectsBelow, type FoundObject } from '../../dry/engines/flux.js';
import type { FileReader } from '../../ports.js';
import { cmp, isRecord } from '../../resources/resource.js';
import type { KubernetesEntry } from '../../settings/schema/kubernetes.js';
import type { Settings } from '../../settings/settings.js';
import type { RenderInput } from '../renderer.js';
import { kustomizeClosure, type Closure } from './closure.js';
import { envsubst, EnvsubstError, expressionAt } from './flux-envsubst.js';
import { goToolEnv, toolMessage, toolWarnings } from './kubernetes-renderer.js';
import { listPlainUnit } from './plain-dir.js';
import { kustomizationFileIn } from './unit-type.js';

const RENDER_TIMEOUT_MS = 10 * 60 * 1000;
const SUBSTITUTE_KEY = 'kustomize.toolkit.fluxcd.io/substitute';
/** Flux's rule for a path without a kustomization: every YAML file below it. */
const FLUX_PLAIN_RULE = { recurse: true, include: ['**/*.yaml', '**/*.yml'], exclude: [] as string[] };
const VAR_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** The Kustomization object a unit came from, read again from its file. */
export async function loadFluxObject(unit: Unit, repoRoot: string, files: FileReader): Promise<FoundObject | Diagnostic> {
  const ref = unit.object!;
  const at = { severity: 'error' as const, unit: unit.id, file: ref.file };
  let text: string;
  try {
    text = await files.readFile(posix.join(repoRoot, ref.file));
  } catch (e) {
    return { ...at, message: `cannot read the Flux Kustomization: ${(e as Error).message}` };
  }
  const parsed = parseYaml11(text, ref.file);
  if (parsed.errors.length > 0) return { ...parsed.errors[0]!, unit: unit.id };
  const found = parsed.docs.find((d) => {
    const m = isRecord(d.object['metadata']) ? d.object['metadata'] : {};
    return isFluxKustomization(d.object) && m['name'] === ref.name && (m['namespace'] ?? 'default') === ref.namespace;
  });
  return found ?? { ...at, message: `Flux Kustomization ${ref.namespace}/${ref.name} is no longer in ${ref.file}` };
}

const specOf = (ks: FoundObject): Record<string, unknown> => (isRecord(ks.object['spec']) ? ks.object['spec'] : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The component folders (repository-relative) a Kustomization adds, without the missing ones it may ignore. */
async function componentDirs(unit: Unit, spec: Record<string, unknown>, repoRoot: string, files: FileReader): Promise<{ rel: string; ref: string }[]> {
  const out: { rel: string; ref: string }[] = [];
  for (const ref of strings(spec['components'])) {
    const rel = posix.normalize(posix.join(unit.dir, ref));
    if (spec['ignoreMissingComponents'] === true && (await files.lstat(posix.join(repoRoot, rel))) === undefined) continue;
    out.push({ rel, ref });
  }
  return out;
}

/**
 * Everything a Flux unit reads: the file of its Kustomization, the closure of its path (its
 * kustomization's, or, without one, the whole folder and the sub-kustomizations it builds), its
 * components' closures, and, when it substitutes from ConfigMaps, the YAML below the entry's
 * path where they are looked up.
 */
export async function fluxClosure(unit: Unit, settings: Settings, entry: KubernetesEntry, files: FileReader): Promise<Closure> {
  const root = settings.repoRoot;
  const ks = await loadFluxObject(unit, root, files);
  const paths = new Set<string>([unit.object!.file]);
  if (!('object' in ks)) return { paths: [...paths], volatile: true, reason: ks.message };
  const spec = specOf(ks);
  const closures: Closure[] = [];
  if (await kustomizationFileIn(files, root, unit.dir)) closures.push(await kustomizeClosure(unit.dir, files, root));
  else {
    paths.add(unit.dir);
    try {
      const listing = await listPlainUnit(files, root, unit.dir, FLUX_PLAIN_RULE, entry.extraArtifacts);
      for (const sub of listing.kustomizations) closures.push(await kustomizeClosure(sub, files, root));
    } catch {
      // the renderer reports it
    }
  }
  for (const c of await componentDirs(unit, spec, root, files)) closures.push(await kustomizeClosure(c.rel, files, root));
  const postBuild = isRecord(spec['postBuild']) ? spec['postBuild'] : {};
  if (Array.isArray(postBuild['substituteFrom']) && postBuild['substituteFrom'].length > 0) paths.add(unit.object!.scope);
  let volatile = false;
  let reason: string | undefined;
  for (const c of closures) {
    for (const p of c.paths) paths.add(p);
    if (c.volatile && !volatile) ({ volatile, reason } = c);
  }
  for (const p of await helmReleaseInputs([...paths], unit, root, files)) paths.add(p);
  return { paths: [...paths].sort(cmp), volatile, ...(reason !== undefined ? { reason } : {}) };
}

/**
 * What the HelmReleases of local charts among `paths` read (flux-helmrelease.ts): their chart
 * folders and valuesFiles, and, with valuesFrom, the YAML below the cluster's folder.
 */
async function helmReleaseInputs(paths: readonly string[], unit: Unit, root: string, files: FileReader): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const st = await files.lstat(posix.join(root, p));
    let docs: FoundObject[] = [];
    if (st?.kind === 'directory') docs = (await readObjectsBelow(files, root, p)).objects;
    else if (st?.kind === 'file' && /\.ya?ml$/.test(p)) docs = parseYaml11(await files.readFile(posix.join(root, p)), p).docs;
    for (const d of docs) {
      const o = d.object;
      if (o['kind'] !== 'HelmRelease' || typeof o['apiVersion'] !== 'string' || !o['apiVersion'].startsWith('helm.toolkit.fluxcd.io/')) continue;
      const spec = isRecord(o['spec']) ? o['spec'] : {};
      const chart = isRecord(spec['chart']) && isRecord(spec['chart']['spec']) ? spec['chart']['spec'] : {};
      const ref = isRecord(chart['sourceRef']) ? chart['sourceRef'] : {};
      if (ref['kind'] !== 'GitRepository' || typeof chart['chart'] !== 'string') continue;
      const norm = (x: string): string => posix.normalize(x.replace(/^(\.\/)+/, '').replace(/\/+$/, ''));
      out.push(norm(chart['chart']));
      if (Array.isArray(chart['valuesFiles'])) for (const v of chart['valuesFiles']) if (typeof v === 'string') out.push(norm(v));
      if (Array.isArray(spec['valuesFrom']) && spec['valuesFrom'].length > 0) out.push(unit.object!.scope);
    }
  }
  return out.filter((p) => p !== '..' && !p.startsWith('../') && !posix.isAbsolute(p));
}

/** What the controller's generator writes into the kustomization of `spec.path`. */
export function applyFluxGenerator(kustomization: Record<string, unknown>, spec: Record<string, unknown>, components: readonly string[]): Record<string, unknown> {
  const k: Record<string, unknown> = { ...kustomization };
  if (typeof spec['targetNamespace'] === 'string') k['namespace'] = spec['targetNamespace'];
  if (Array.isArray(spec['patches']) && spec['patches'].length > 0) {
    k['patches'] = [...(Array.isArray(k['patches']) ? k['patches'] : []), ...spec['patches'].map((p: unknown) => (isRecord(p) ? { patch: p['patch'], ...(isRecord(p['target']) ? { target: p['target'] } : {}) } : p))];
  }
  if (Array.isArray(spec['images']) && spec['images'].length > 0) {
    const images: unknown[] = Array.isArray(k['images']) ? [...(k['images'] as unknown[])] : [];
    for (const image of spec['images']) {
      if (!isRecord(image)) continue;
      const entry: Record<string, unknown> = { name: image['name'] };
      for (const f of ['newName', 'newTag', 'digest']) if (typeof image[f] === 'string' && image[f] !== '') entry[f] = image[f];
      const at = images.findIndex((i) => isRecord(i) && i['name'] === image['name']);
      if (at >= 0) images[at] = entry;
      else images.push(entry);
    }
    k['images'] = images;
  }
  if (components.length > 0) k['components'] = [...strings(k['components']), ...components];
  if (typeof spec['namePrefix'] === 'string' && spec['namePrefix'] !== '') k['namePrefix'] = spec['namePrefix'];
  if (typeof spec['nameSuffix'] === 'string' && spec['nameSuffix'] !== '') k['nameSuffix'] = spec['nameSuffix'];
  return k;
}

export interface SubstituteResult {
  text: string;
  /** Variables left as written because a source could not be read. */
  left: string[];
  /** What Flux's envsubst refuses to parse (kustomize-controller fails the build): the expression and why. */
  error?: { expression: string; reason: string; line: number };
}

/**
 * Flux's envsubst (flux-envsubst.ts) over one object's YAML. An unknown variable gives '' unless
 * `leaveUnknown` (a source that could not be read might define it): then the expression stays as
 * written and the variable is listed in `left`.
 */
export function fluxSubstitute(text: string, vars: ReadonlyMap<string, string>, leaveUnknown: boolean): SubstituteResult {
  try {
    return envsubst(text, vars, leaveUnknown);
  } catch (e) {
    if (!(e instanceof EnvsubstError)) throw e;
    return { text, left: [], error: { expression: expressionAt(text, e.at), reason: e.message, line: text.slice(0, e.at).split('\n').length } };
  }
}

interface Ctx {
  unit: Unit;
  input: RenderInput;
  entry: KubernetesEntry;
  diagnostics: Diagnostic[];
}

/**
 * Renders a Flux unit to a stream of JSON documents (one per object), or undefined after an
 * error diagnostic. The caller turns them into resources.
 */
export async function renderFluxKustomization(ctx: Ctx): Promise<string | undefined> {
  const { unit, input, entry } = ctx;
  const root = input.repoRoot;
  const file = unit.object!.file;
  const err = (message: string, at: { file?: string; line?: number } = { file }): undefined => {
    ctx.diagnostics.push({ severity: 'error', unit: unit.id, message, ...at });
    return undefined;
  };
  const ks = await loadFluxObject(unit, root, input.files);
  if (!('object' in ks)) {
    ctx.diagnostics.push(ks);
    return undefined;
  }
  const at = { file, line: ks.line };
  const spec = specOf(ks);
  if (unit.dir !== '.') {
    const bad = checkRelativePath(unit.dir, 'spec.path') ?? (await checkRepoPath(root, unit.dir, input.files, 'spec.path', { anyName: true }));
    if (bad) return err(bad, at);
  }
  if ((await input.files.lstat(posix.join(root, unit.dir)))?.kind !== 'directory') return err(`spec.path ${String(spec['path'])}: no such folder in the repository`, at);

  // What the build reads, checked (nothing outside the repository, remote bases only when allowed).
  const allowRemote = entry.kustomize.allowRemote || input.settings.config.policy.allowRemote;
  const copies = new Set<string>();
  const take = async (dir: string): Promise<boolean> => {
    const c = await kustomizeClosure(dir, input.files, root, { allowRemote });
    for (const p of c.problems ?? []) err(p.message, { file: p.file, line: p.line });
    for (const r of c.remotes ?? []) ctx.diagnostics.push({ severity: 'warning', unit: unit.id, message: r.message, file: r.file, line: r.line });
    for (const p of c.paths) copies.add(p);
    return !c.problems;
  };
  const kfile = await kustomizationFileIn(input.files, root, unit.dir);
  let kustomization: Record<string, unknown>;
  let kname = 'kustomization.yaml';
  if (kfile) {
    if (!(await take(unit.dir))) return undefined;
    const parsed = parseYaml11(await input.files.readFile(posix.join(root, kfile)), kfile);
    if (parsed.errors.length > 0) return err(parsed.errors[0]!.message, { file: kfile, line: parsed.errors[0]!.line ?? 1 });
    kustomization = parsed.docs[0]?.object ?? {};
    kname = posix.basename(kfile);
  } else {
    const listing = await listPlainUnit(input.files, root, unit.dir, FLUX_PLAIN_RULE, entry.extraArtifacts);
    for (const link of listing.symlinks) err(`${link} is a symlink: symlinked manifests and folders are not followed; copy them instead`, { file: link });
    for (const chart of listing.charts) err(`${chart} is a Helm chart inside ${unit.dir}, which has no kustomization: Flux would read its templates as manifests`, { file: `${chart}/Chart.yaml` });
    if (listing.symlinks.length + listing.charts.length > 0) return undefined;
    copies.add(unit.dir);
    for (const sub of listing.kustomizations) if (!(await take(sub))) return undefined;
    const rel = (p: string): string => `./${p.slice(unit.dir === '.' ? 0 : unit.dir.length + 1)}`;
    kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...listing.files, ...listing.kustomizations].sort(cmp).map(rel) };
  }
  const components = await componentDirs(unit, spec, root, input.files);
  for (const c of components) {
    const bad = checkRelativePath(c.rel, 'component') ?? (await checkRepoPath(root, c.rel, input.files, 'component', { anyName: true }));
    if (bad) return err(`spec.components: ${bad}`, at);
    if (!(await take(c.rel))) return undefined;
  }
  const generated = applyFluxGenerator(kustomization, spec, components.map((c) => c.ref));

  // A temporary copy of what the build reads, with the generated kustomization.
  if (!input.exec.workDir) return err('this runner has no work directory for the kustomization Flux generates', at);
  const existing: string[] = [];
  if (copies.has('.')) {
    // The repository root: its entries, without git's folder and hidden ones (Flux gets the source without .git).
    copies.delete('.');
    for (const e of await input.files.readDir(root)) if (!e.name.startsWith('.')) copies.add(e.name);
  }
  for (const p of [...copies].sort(cmp)) {
    if (existing.some((e) => p.startsWith(`${e}/`))) continue;
    if ((await input.files.lstat(posix.join(root, p))) !== undefined) existing.push(p);
  }
  const toolCmd = (await input.exec.which('kustomize')) ? 'kustomize' : (await input.exec.which('kubectl')) ? 'kubectl' : undefined;
  if (!toolCmd) return err('kustomize not found: install kustomize or kubectl (kubectl kustomize)', at);
  const work = await input.exec.workDir(
    existing.map((p) => ({ from: posix.join(root, p), to: `repo/${p}` })),
    [{ path: posix.join('repo', unit.dir, kname), content: `${JSON.stringify(generated, null, 2)}\n` }]
  );
  let stdout: string;
  try {
    const dir = posix.join(work.path, 'repo', unit.dir);
    const args = toolCmd === 'kustomize' ? ['build', dir] : ['kustomize', dir];
    const result = await input.exec.run(toolCmd, args, { cwd: work.path, timeoutMs: RENDER_TIMEOUT_MS, env: goToolEnv(input.settings) });
    if (result.exitCode !== 0) {
      const msg = toolMessage(result.stderr).split(work.path + '/repo/').join('');
      return err(`${toolCmd} ${args[0]} of Flux Kustomization ${unit.object!.namespace}/${unit.object!.name} failed (exit ${result.exitCode})${msg ? `: ${msg}` : ''}`, at);
    }
    for (const w of toolWarnings(result.stderr)) ctx.diagnostics.push({ severity: 'warning', unit: unit.id, message: `kustomize: ${w}`, ...at });
    stdout = result.stdout;
  } finally {
    await work.remove();
  }
  const objects = await postBuild(ctx, spec, stdout, at);
  if (objects === undefined) return undefined;
  return objects.map((o) => JSON.stringify(o)).join('\n---\n');
}

/** Variables, substitution and common metadata, per object. */
async function postBuild(ctx: Ctx, spec: Record<string, unknown>, stdout: string, at: { file: string; line: number }): Promise<Record<string, unknown>[] | undefined> {
  const { unit, input } = ctx;
  const notString = (what: string, where: { file: string; line: number }): undefined => {
    // The API server takes strings only here (YAML 1.1 reads `yes`, `3` or `on` as other types).
    ctx.diagnostics.push({ severity: 'error', unit: unit.id, ...where, message: `${what} is not a string: quote it (the cluster refuses the object otherwise)` });
    return undefined;
  };
  const pb = isRecord(spec['postBuild']) ? spec['postBuild'] : undefined;
  const vars = new Map<string, string>();
  const unread: string[] = [];
  if (pb) {
    const from = Array.isArray(pb['substituteFrom']) ? pb['substituteFrom'] : [];
    let below: FoundObject[] | undefined;
    for (const s of from) {
      if (!isRecord(s)) continue;
      const kind = String(s['kind']);
      const name = String(s['name']);
      if (kind === 'Secret') {
        unread.push(`Secret ${name} (Secret values are never read)`);
        continue;
      }
      below ??= (await readObjectsBelow(input.files, input.repoRoot, unit.object!.scope)).objects;
      const cms = below.filter((o) => o.object['kind'] === 'ConfigMap' && o.object['apiVersion'] === 'v1' && isRecord(o.object['metadata']) && o.object['metadata']['name'] === name && (o.object['metadata']['namespace'] ?? unit.object!.namespace) === unit.object!.namespace);
      if (kind !== 'ConfigMap' || cms.length === 0) {
        if (s['optional'] !== true) unread.push(`${kind} ${name} (${kind === 'ConfigMap' ? `not found below ${unit.object!.scope || 'the repository root'}` : 'not a ConfigMap or Secret'})`);
        continue;
      }
      if (cms.length > 1) {
        ctx.diagnostics.push({ severity: 'error', unit: unit.id, ...at, message: `substituteFrom ConfigMap ${name} is defined ${cms.length} times: ${cms.map((c) => `${c.file}:${c.line}`).join(', ')}` });
        return undefined;
      }
      const data = isRecord(cms[0]!.object['data']) ? cms[0]!.object['data'] : {};
      for (const [k, v] of Object.entries(data)) {
        if (typeof v !== 'string') return notString(`ConfigMap ${name} data.${k}`, { file: cms[0]!.file, line: cms[0]!.line });
        vars.set(k, v.replace(/\n/g, ''));
      }
    }
    if (isRecord(pb['substitute'])) {
      for (const [k, v] of Object.entries(pb['substitute'])) {
        if (typeof v !== 'string') return notString(`postBuild.substitute.${k}`, at);
        vars.set(k, v.replace(/\n/g, ''));
      }
    }
    for (const k of vars.keys()) {
      if (!VAR_NAME.test(k)) {
        ctx.diagnostics.push({ severity: 'error', unit: unit.id, ...at, message: `postBuild variable name "${k}" is invalid: it must match ${VAR_NAME.source}` });
        return undefined;
      }
    }
  }
  const substitute = pb !== undefined && (vars.size > 0 || unread.length > 0);
  const cm = isRecord(spec['commonMetadata']) ? spec['commonMetadata'] : {};
  const left = new Set<string>();
  const objects: Record<string, unknown>[] = [];
  for (const doc of stdout.split(/^---$/m)) {
    if (doc.trim() === '') continue;
    let text = doc;
    let parsed = parseYaml11(text, unit.object!.file);
    if (parsed.errors.length > 0) {
      ctx.diagnostics.push({ ...parsed.errors[0]!, unit: unit.id, message: `kustomize output: ${parsed.errors[0]!.message}` });
      return undefined;
    }
    const obj = parsed.docs[0]?.object;
    if (!obj) continue;
    const m = isRecord(obj['metadata']) ? obj['metadata'] : {};
    const disabled = [m['labels'], m['annotations']].some((x) => isRecord(x) && x[SUBSTITUTE_KEY] === 'disabled');
    let result = obj;
    if (substitute && !disabled) {
      const r = fluxSubstitute(text, vars, unread.length > 0);
      for (const l of r.left) left.add(l);
      if (r.error) {
        const md = isRecord(obj['metadata']) ? obj['metadata'] : {};
        const who = `${String(obj['kind'])} ${typeof md['namespace'] === 'string' ? `${md['namespace']}/` : ''}${String(md['name'])}`;
        ctx.diagnostics.push({
          severity: 'error',
          unit: unit.id,
          ...at,
          message: `postBuild: ${r.error.expression} (line ${r.error.line} of ${who} as kustomize builds it) is not an expression Flux's envsubst parses (${r.error.reason}), so kustomize-controller fails the build: write \${var}, \${var:=default}, \${var^^}, \${var:position:length} or another form Flux documents, or $\${...} for a literal`
        });
        return undefined;
      }
      text = r.text;
      parsed = parseYaml11(text, unit.object!.file);
      if (parsed.errors.length > 0 || !parsed.docs[0]) {
        ctx.diagnostics.push({ severity: 'error', unit: unit.id, ...at, message: `postBuild substitution gives invalid YAML: ${parsed.errors[0]?.message ?? 'no object'}` });
        return undefined;
      }
      result = parsed.docs[0].object;
    }
    for (const field of ['labels', 'annotations'] as const) {
      if (!isRecord(cm[field]) || Object.keys(cm[field]).length === 0) continue;
      const md = isRecord(result['metadata']) ? result['metadata'] : (result['metadata'] = {});
      md[field] = { ...(isRecord(md[field]) ? md[field] : {}), ...cm[field] };
    }
    objects.push(result);
  }
  if (unread.length > 0) {
    const names = [...left].map((l) => `\${${l}}`);
    ctx.diagnostics.push({
      severity: 'warning',
      unit: unit.id,
      ...at,
      message: `postBuild.substituteFrom ${unread.join(', ')} cannot be read offline: ${names.length > 0 ? `${names.join(', ')} left as written` : 'no variable was left unresolved'}`
    });
  }
  return objects;
}
