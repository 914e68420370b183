/**
 * Renders an Argo CD Application's source (units of `from: argocd` entries) as Argo CD's
 * repo-server does:
 * - kustomize: the files the source kustomization reads are copied to a work directory, the
 *   copy's kustomization gets the Application's options the way `kustomize edit set ...` writes
 *   them (namePrefix, nameSuffix, namespace, images, replicas, commonLabels, commonAnnotations)
 *   and Argo CD appends them (patches, components), then `kustomize build` of the copy. The dry
 *   tree is never written.
 * - Helm: `helm template` of the chart directory with valueFiles, then values / valuesObject (read
 *   from stdin), parameters (`--set`/`--set-string`, commas escaped as Argo CD escapes them),
 *   releaseName (default: the Application's name), the destination namespace, skipCrds,
 *   kubeVersion and apiVersions.
 * - directory: the plain-directory rule with Argo CD's recurse / include / exclude.
 * Jsonnet and config-management plugins are refused.
 */
import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { Diagnostic } from '../../diagnostics.js';
import { hasErrors } from '../../diagnostics.js';
import { argoDirectoryRule, argoSourceType } from '../../dry/engines/argocd.js';
import type { Unit } from '../../dry/unit.js';
import { checkIdentities, isRecord } from '../../resources/resource.js';
import type { Resource } from '../../resources/resource.js';
import { expandLists, isListObject } from '../../resources/lists.js';
import { isKubeObject, parseYamlDocuments } from '../../resources/yaml.js';
import { apiVersion as apiVersionSchema, kubeVersion as kubeVersionSchema } from '../../settings/schema/kubernetes.js';
import type { KubernetesEntry } from '../../settings/schema/kubernetes.js';
import type { RenderedUnit, RenderInput } from '../renderer.js';
import { kustomizeClosure, type Closure } from './closure.js';
import type { FileReader } from '../../ports.js';
import type { Settings } from '../../settings/settings.js';
import { listPlainUnit } from './plain-dir.js';
import { chartMayVary, chartTreeProblem, repoPathProblem } from './helm-options.js';
import { kustomizationFileIn } from './unit-type.js';

const RENDER_TIMEOUT_MS = 10 * 60 * 1000;
const HELM_PASS_ENV = ['HELM_REGISTRY_CONFIG', 'HELM_REPOSITORY_CONFIG', 'HELM_REPOSITORY_CACHE', 'HELM_CACHE_HOME', 'HELM_CONFIG_HOME'] as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SET_NAME = /^[A-Za-z0-9_[\]\\][^=,\s]*$/;

type RenderUnit = (unit: Unit, input: RenderInput) => Promise<RenderedUnit>;

interface Ctx {
  unit: Unit;
  input: RenderInput;
  diagnostics: Diagnostic[];
  at: { file: string };
}

function err(ctx: Ctx, message: string): void {
  ctx.diagnostics.push({ severity: 'error', unit: ctx.unit.id, ...ctx.at, message: `Argo CD Application ${ctx.unit.argocd?.name ?? ctx.unit.id}: ${message}` });
}

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Renders a unit of a `from: argocd` entry; `renderPlain` renders a unit of a plain-directory entry (the renderer's own). */
export async function renderArgoUnit(unit: Unit, input: RenderInput, entry: KubernetesEntry, renderPlain: RenderUnit): Promise<RenderedUnit> {
  const app = unit.argocd;
  const ctx: Ctx = { unit, input, diagnostics: [], at: { file: app?.file ?? input.settings.configPath } };
  const failed = (): RenderedUnit => ({ unit, status: 'failed', resources: [], artifacts: [], diagnostics: ctx.diagnostics });
  if (!app) {
    err(ctx, 'the unit carries no Application (discovery did not run)');
    return failed();
  }
  const source = app.source;
  let resources: Resource[] = [];
  try {
    const type = await argoSourceType(input.files, input.repoRoot, unit.dir, source);
    if (type === 'plugin') {
      err(ctx, `its source uses a config-management plugin (spec.source.plugin), which Hydrate does not run: render it to YAML in the repository`);
      return failed();
    }
    if (type === 'directory') {
      const jsonnet = rec(rec(source['directory'])['jsonnet']);
      if (Object.values(jsonnet).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined))) {
        err(ctx, 'its source sets directory.jsonnet: Argo CD renders it with Jsonnet, which Hydrate does not run; render it to YAML in the repository');
        return failed();
      }
      // The renderer's plain-directory rule, with Argo CD's recurse / include / exclude, on an entry of its own.
      const plainEntry: KubernetesEntry = { ...entry, type: 'plain', plain: argoDirectoryRule(source['directory']), patches: [] };
      delete plainEntry.from;
      const kubernetes = input.settings.config.kubernetes.map((e, i) => (i === unit.entry ? plainEntry : e));
      const plainInput: RenderInput = { ...input, settings: { ...input.settings, config: { ...input.settings.config, kubernetes } } };
      const { argocd: _app, ...plainUnit } = unit;
      const r = await renderPlain(plainUnit, plainInput);
      return { ...r, unit };
    }
    resources = type === 'kustomize' ? await renderKustomizeSource(ctx, rec(source['kustomize'])) : await renderHelmSource(ctx, rec(source['helm']), entry);
    ctx.diagnostics.push(...checkIdentities(resources));
  } catch (e) {
    err(ctx, `rendering failed: ${(e as Error).message}`);
  }
  if (hasErrors(ctx.diagnostics)) return failed();
  return { unit, status: 'rendered', resources, artifacts: [], diagnostics: ctx.diagnostics };
}

function toResources(ctx: Ctx, text: string, file: string): Resource[] {
  const parsed = parseYamlDocuments(text, file, ctx.unit.id);
  ctx.diagnostics.push(...parsed.diagnostics);
  const out: Resource[] = [];
  for (const doc of parsed.documents) {
    if (doc.value === null || doc.value === undefined) continue;
    for (const item of isListObject(doc.value) ? expandLists(doc.value) : [doc.value]) {
      if (item === null || item === undefined) continue;
      if (!isKubeObject(item)) {
        err(ctx, `${file} gave a document that is not a Kubernetes object`);
        continue;
      }
      out.push({ object: item, unit: ctx.unit.id, source: { file } });
    }
  }
  return out;
}

function toolError(stderr: string): string {
  return stderr.trim().split('\n').slice(-5).join('\n');
}

// ---------------------------------------------------------------------------------------------
// kustomize

/** `kustomize edit set image` argument → images entry: `nginx:1.2`, `nginx=reg/nginx:1.2`, `nginx@sha256:…`. */
export function parseImage(spec: string): { name: string; newName?: string; newTag?: string; digest?: string } | undefined {
  const eq = spec.indexOf('=');
  const name0 = eq === -1 ? undefined : spec.slice(0, eq);
  let rest = eq === -1 ? spec : spec.slice(eq + 1);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (rest === '' || (name0 !== undefined && name0 === '')) return undefined;
  const name = name0 ?? rest;
  return {
    name,
    ...(name0 !== undefined ? { newName: rest } : {}),
    ...(tag !== undefined ? { newTag: tag } : {}),
    ...(digest !== undefined ? { digest } : {})
  };
}

/** Paths of `paths` not inside another listed directory (a copy of the directory holds them). */
function topmost(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  const out: string[] = [];
  for (const p of sorted) if (!out.some((d) => p === d || p.startsWith(`${d}/`) || d === '.')) out.push(p);
  return out;
}

async function renderKustomizeSource(ctx: Ctx, k: Record<string, unknown>): Promise<Resource[]> {
  const { input, unit } = ctx;
  const dir = unit.dir;
  const kfile = await kustomizationFileIn(input.files, input.repoRoot, dir === '.' ? '' : dir);
  if (!kfile) {
    err(ctx, `its source sets kustomize options but ${dir} holds no kustomization`);
    return [];
  }
  for (const key of ['commonAnnotationsEnvsubst']) if (k[key] === true) err(ctx, `kustomize.${key} needs Argo CD's build environment, which Hydrate does not emulate`);
  const allowRemote = input.settings.config.policy.allowRemote;
  // What kustomize reads: the source, each component, each patch file; all inside the repository.
  const components = (Array.isArray(k['components']) ? k['components'] : []).filter((c): c is string => typeof c === 'string');
  const roots = [dir, ...components.map((c) => posix.normalize(posix.join(dir, c)))];
  const paths: string[] = [];
  for (const r of roots) {
    const bad = await repoPathProblem(input.files, input.repoRoot, r, 'kustomize component');
    if (bad) {
      err(ctx, bad);
      continue;
    }
    if (r !== dir && (await input.files.lstat(posix.join(input.repoRoot, r)))?.kind !== 'directory') {
      if (k['ignoreMissingComponents'] !== true) err(ctx, `kustomize component ${r} not found`);
      continue;
    }
    const closure = await kustomizeClosure(r, input.files, input.repoRoot, { allowRemote });
    for (const p of closure.problems ?? []) ctx.diagnostics.push({ severity: 'error', unit: unit.id, file: p.file, line: p.line, col: p.col, message: p.message });
    paths.push(...closure.paths);
  }
  const patches = Array.isArray(k['patches']) ? k['patches'] : [];
  for (const p of patches) {
    const path = str(rec(p)['path']);
    if (path === undefined) continue;
    const rel = posix.normalize(posix.join(dir, path));
    const bad = await repoPathProblem(input.files, input.repoRoot, rel, 'kustomize patch file');
    if (bad) err(ctx, bad);
    else paths.push(rel);
  }
  if (hasErrors(ctx.diagnostics)) return [];

  // The source kustomization with the Application's options, as Argo CD leaves it before `kustomize build`.
  const doc = rec(parseYamlDocuments(await input.files.readFile(posix.join(input.repoRoot, kfile)), kfile, unit.id).documents[0]?.value);
  const edited: Record<string, unknown> = { ...doc };
  if (typeof k['namePrefix'] === 'string' && k['namePrefix'] !== '') edited['namePrefix'] = k['namePrefix'];
  if (typeof k['nameSuffix'] === 'string' && k['nameSuffix'] !== '') edited['nameSuffix'] = k['nameSuffix'];
  if (typeof k['namespace'] === 'string' && k['namespace'] !== '') edited['namespace'] = k['namespace'];
  const images = Array.isArray(k['images']) ? k['images'] : [];
  if (images.length > 0) {
    const list = (Array.isArray(doc['images']) ? doc['images'] : []).map((i) => ({ ...rec(i) }));
    for (const spec of images) {
      const parsed = typeof spec === 'string' ? parseImage(spec) : undefined;
      if (!parsed) {
        err(ctx, `kustomize.images entry ${JSON.stringify(spec)} is not an image such as nginx:1.27 or nginx=registry/nginx:1.27`);
        continue;
      }
      const old = list.find((i) => i['name'] === parsed.name);
      if (!old) list.push({ ...parsed });
      else {
        if (parsed.newName !== undefined) old['newName'] = parsed.newName;
        if (parsed.newTag !== undefined) {
          old['newTag'] = parsed.newTag;
          delete old['digest'];
        }
        if (parsed.digest !== undefined) {
          old['digest'] = parsed.digest;
          delete old['newTag'];
        }
      }
    }
    edited['images'] = list;
  }
  const replicas = Array.isArray(k['replicas']) ? k['replicas'] : [];
  if (replicas.length > 0) {
    const list = (Array.isArray(doc['replicas']) ? doc['replicas'] : []).map((r) => ({ ...rec(r) }));
    for (const r of replicas) {
      const name = str(rec(r)['name']);
      const raw = rec(r)['count'];
      const count = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined;
      if (!name || count === undefined) {
        err(ctx, `kustomize.replicas entry ${JSON.stringify(r)} needs a name and a whole-number count`);
        continue;
      }
      const old = list.find((x) => x['name'] === name);
      if (old) old['count'] = count;
      else list.push({ name, count });
    }
    edited['replicas'] = list;
  }
  const labels = rec(k['commonLabels']);
  if (Object.keys(labels).length > 0) {
    if (k['labelWithoutSelector'] === true) {
      const entry: Record<string, unknown> = { pairs: { ...labels }, includeSelectors: false };
      if (k['labelIncludeTemplates'] === true) entry['includeTemplates'] = true;
      edited['labels'] = [...(Array.isArray(doc['labels']) ? doc['labels'] : []), entry];
    } else {
      // `kustomize edit add label` refuses a key the kustomization has, unless Argo CD passes --force.
      const clash = Object.keys(labels).filter((key) => key in rec(doc['commonLabels']));
      if (clash.length > 0 && k['forceCommonLabels'] !== true) err(ctx, `kustomize.commonLabels ${clash.join(', ')} already in ${kfile} (Argo CD fails the same way): set forceCommonLabels: true to override`);
      edited['commonLabels'] = { ...rec(doc['commonLabels']), ...labels };
    }
  }
  const annotations = rec(k['commonAnnotations']);
  if (Object.keys(annotations).length > 0) {
    const clash = Object.keys(annotations).filter((key) => key in rec(doc['commonAnnotations']));
    if (clash.length > 0 && k['forceCommonAnnotations'] !== true) err(ctx, `kustomize.commonAnnotations ${clash.join(', ')} already in ${kfile} (Argo CD fails the same way): set forceCommonAnnotations: true to override`);
    edited['commonAnnotations'] = { ...rec(doc['commonAnnotations']), ...annotations };
  }
  if (patches.length > 0) edited['patches'] = [...(Array.isArray(doc['patches']) ? doc['patches'] : []), ...patches];
  if (components.length > 0) edited['components'] = [...(Array.isArray(doc['components']) ? doc['components'] : []), ...components];
  if (hasErrors(ctx.diagnostics)) return [];

  const command = (await input.exec.which('kustomize')) ? 'kustomize' : (await input.exec.which('kubectl')) ? 'kubectl' : undefined;
  if (!command) {
    err(ctx, 'kustomize not found: install kustomize or kubectl (kubectl kustomize)');
    return [];
  }
  if (!input.exec.workDir) {
    err(ctx, 'no work directory to build the kustomization in');
    return [];
  }
  const copy = topmost(paths.filter((p) => !/^[a-z]+:\/\//i.test(p))).map((p) => ({ from: posix.join(input.repoRoot, p), to: p }));
  // The copy of the kustomization is replaced by its edited form (under its own name).
  const work = await input.exec.workDir(copy, [{ path: kfile, content: stringify(edited, { version: '1.1' }) }]);
  try {
    const target = posix.join(work.path, dir);
    const args = command === 'kustomize' ? ['build', target] : ['kustomize', target];
    const result = await input.exec.run(command, args, { cwd: work.path, timeoutMs: RENDER_TIMEOUT_MS, env: { GOGC: 'off', GOMEMLIMIT: `${input.settings.toolMemoryMiB}MiB` } });
    if (result.exitCode !== 0) {
      err(ctx, `kustomize build of ${dir} failed (exit ${result.exitCode}): ${toolError(result.stderr.split(work.path + '/').join(''))}`);
      return [];
    }
    for (const line of result.stderr.split('\n')) {
      const m = /^#?\s*Warning:\s*(.+)$/i.exec(line.trim());
      if (m) ctx.diagnostics.push({ severity: 'warning', unit: unit.id, file: kfile, message: `kustomize: ${m[1]!}` });
    }
    return toResources(ctx, result.stdout, kfile);
  } finally {
    await work.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// Helm

/** A `--set` value as Argo CD passes it: unescaped commas escaped, a `{a,b}` list left as is. */
export function argoSetValue(value: string): string | undefined {
  if (value.startsWith('{') && value.endsWith('}')) return /[={}]/.test(value.slice(1, -1)) ? undefined : value;
  return value.replace(/(^|[^\\]),/g, (_m, before: string) => `${before}\\,`).replace(/(^|[^\\]),/g, (_m, before: string) => `${before}\\,`);
}

async function renderHelmSource(ctx: Ctx, h: Record<string, unknown>, entry: KubernetesEntry): Promise<Resource[]> {
  const { input, unit } = ctx;
  const app = unit.argocd!;
  const dir = unit.dir;
  const chartFile = `${dir}/Chart.yaml`;
  if ((await input.files.lstat(posix.join(input.repoRoot, chartFile)))?.kind !== 'file') {
    err(ctx, `its source sets helm options but ${dir} holds no Chart.yaml`);
    return [];
  }
  const unsafe = (await repoPathProblem(input.files, input.repoRoot, dir, 'chart directory')) ?? (await chartTreeProblem(input.files, input.repoRoot, dir));
  if (unsafe) {
    err(ctx, unsafe);
    return [];
  }
  if (Array.isArray(h['fileParameters']) && h['fileParameters'].length > 0) err(ctx, 'helm.fileParameters is not supported: put the values in a values file');
  const releaseName = str(h['releaseName']) ?? app.name;
  if (!DNS_LABEL.test(releaseName) || releaseName.length > 53) err(ctx, `release name ${JSON.stringify(releaseName)} is not a valid Helm release name`);
  const namespace = str(h['namespace']) ?? app.namespace;
  if (namespace !== '' && (!DNS_LABEL.test(namespace) || namespace.length > 63)) err(ctx, `namespace ${JSON.stringify(namespace)} is not a valid namespace`);
  const kubeVersion = str(h['kubeVersion']) ?? entry.helm.kubeVersion;
  if (kubeVersion !== undefined && !kubeVersionSchema.safeParse(kubeVersion).success) err(ctx, `helm.kubeVersion ${JSON.stringify(kubeVersion)} is not a Kubernetes version such as 1.29`);
  const apiVersions = Array.isArray(h['apiVersions']) ? h['apiVersions'] : entry.helm.apiVersions;
  for (const v of apiVersions) if (typeof v !== 'string' || !apiVersionSchema.safeParse(v).success) err(ctx, `helm.apiVersions entry ${JSON.stringify(v)} is not an API version such as monitoring.coreos.com/v1`);
  const valueFiles: string[] = [];
  for (const v of Array.isArray(h['valueFiles']) ? h['valueFiles'] : []) {
    if (typeof v !== 'string' || v.startsWith('$') || /^[a-z]+:\/\//i.test(v)) {
      err(ctx, `helm.valueFiles entry ${JSON.stringify(v)} is not a file of this repository (references to other sources and URLs are not read)`);
      continue;
    }
    const rel = posix.normalize(posix.join(dir, v));
    const bad = await repoPathProblem(input.files, input.repoRoot, rel, `values file ${v}`);
    if (bad) err(ctx, bad);
    else if ((await input.files.lstat(posix.join(input.repoRoot, rel)))?.kind === 'file') valueFiles.push(rel);
    else if (h['ignoreMissingValueFiles'] !== true) err(ctx, `values file ${rel} (helm.valueFiles) not found`);
  }
  // valuesObject takes precedence over values, as in Argo CD; both come after the value files.
  let inline: string | undefined;
  if (isRecord(h['valuesObject'])) inline = JSON.stringify(h['valuesObject']);
  else if (typeof h['values'] === 'string' && h['values'].trim() !== '') inline = h['values'];
  else if (isRecord(h['values'])) inline = JSON.stringify(h['values']);
  const sets: string[] = [];
  for (const p of Array.isArray(h['parameters']) ? h['parameters'] : []) {
    const name = str(rec(p)['name']);
    const raw = rec(p)['value'];
    const value = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw === undefined ? '' : undefined;
    const escaped = value === undefined ? undefined : argoSetValue(value);
    if (!name || !SET_NAME.test(name) || escaped === undefined) {
      err(ctx, `helm.parameters entry ${JSON.stringify(p)} is not a value path with a scalar value (a name must not start with "-" nor hold "=", "," or spaces)`);
      continue;
    }
    sets.push(`${rec(p)['forceString'] === true ? '--set-string' : '--set'}=${name}=${escaped}`);
  }
  if (hasErrors(ctx.diagnostics)) return [];
  if (!(await input.exec.which('helm'))) {
    err(ctx, `helm not found: install helm to render the chart ${dir}`);
    return [];
  }
  const args = ['template'];
  if (namespace !== '') args.push(`--namespace=${namespace}`);
  if (kubeVersion !== undefined) args.push(`--kube-version=${kubeVersion}`);
  for (const v of apiVersions) args.push(`--api-versions=${String(v)}`);
  if (h['skipCrds'] !== true) args.push('--include-crds');
  if (h['skipTests'] === true) args.push('--skip-tests');
  if (h['skipSchemaValidation'] === true) args.push('--skip-schema-validation');
  for (const f of valueFiles) args.push(`--values=${posix.join(input.repoRoot, f)}`);
  if (inline !== undefined) args.push('--values=-');
  args.push(...sets, '--', releaseName, posix.join(input.repoRoot, dir));
  const twice = await chartMayVary(input.files, input.repoRoot, dir);
  const work = input.exec.workDir ? await input.exec.workDir([]) : undefined;
  try {
    const options = {
      cwd: work?.path ?? input.repoRoot,
      timeoutMs: RENDER_TIMEOUT_MS,
      env: { GOGC: 'off', GOMEMLIMIT: `${input.settings.toolMemoryMiB}MiB` },
      passEnv: HELM_PASS_ENV,
      ...(inline !== undefined ? { input: inline } : {})
    };
    const result = await input.exec.run('helm', args, options);
    if (result.exitCode !== 0) {
      err(ctx, `helm template failed (exit ${result.exitCode}): ${toolError(result.stderr)}`);
      return [];
    }
    if (twice) {
      const again = await input.exec.run('helm', args, options);
      if (again.stdout !== result.stdout) {
        err(ctx, 'helm template gives different output on identical renders (random or time-based values in the chart): pin those values');
        return [];
      }
    }
    return toResources(ctx, result.stdout, chartFile);
  } finally {
    await work?.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// What a unit reads (its input digest, see pipeline/incremental.ts)

/** The closure of an Argo CD unit: the Application's file and what its source reads. */
export async function argoClosure(unit: Unit, settings: Settings, files: FileReader): Promise<Closure> {
  const app = unit.argocd;
  if (!app) return { paths: [unit.dir], volatile: true, reason: 'no Application' };
  const root = settings.repoRoot;
  const paths = new Set<string>([app.file, unit.dir]);
  let volatile = false;
  let reason: string | undefined;
  const add = (c: Closure): void => {
    for (const p of c.paths) paths.add(p);
    if (c.volatile && !volatile) {
      volatile = true;
      reason = c.reason;
    }
  };
  const source = app.source;
  try {
    const type = await argoSourceType(files, root, unit.dir, source);
    if (type === 'kustomize') {
      const k = rec(source['kustomize']);
      add(await kustomizeClosure(unit.dir, files, root));
      for (const c of Array.isArray(k['components']) ? k['components'] : []) {
        if (typeof c === 'string') add(await kustomizeClosure(posix.normalize(posix.join(unit.dir, c)), files, root));
      }
      for (const p of Array.isArray(k['patches']) ? k['patches'] : []) {
        const path = str(rec(p)['path']);
        if (path !== undefined) paths.add(posix.normalize(posix.join(unit.dir, path)));
      }
    } else if (type === 'helm') {
      const h = rec(source['helm']);
      for (const v of Array.isArray(h['valueFiles']) ? h['valueFiles'] : []) if (typeof v === 'string') paths.add(posix.normalize(posix.join(unit.dir, v)));
    } else if (type === 'directory') {
      const listing = await listPlainUnit(files, root, unit.dir, argoDirectoryRule(source['directory']), settings.config.kubernetes[unit.entry]?.extraArtifacts ?? 'extra_artifacts');
      for (const sub of listing.kustomizations) add(await kustomizeClosure(sub, files, root));
    }
  } catch {
    // The renderer reports it.
  }
  return { paths: [...paths].sort(), volatile, ...(reason !== undefined ? { reason } : {}) };
}
