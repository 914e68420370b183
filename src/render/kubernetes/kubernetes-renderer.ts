/**
 * The Kubernetes renderer. Per unit it detects the type (kustomize, helm release, plain
 * manifests), renders, applies targeted patches (entry `patches`, then the release file's
 * `extraPatches`, then the unit's `hydrate-patches.yaml`), collects extra artifacts and checks
 * identities. Any error diagnostic fails the unit (and then it returns no resources).
 */
import { posix } from 'node:path';
import type { Diagnostic } from '../../diagnostics.js';
import { hasErrors } from '../../diagnostics.js';
import { checkRelativePath } from '../../dry/path-safety.js';
import type { Unit } from '../../dry/unit.js';
import type { FileReader } from '../../ports.js';
import { checkIdentities, cmp, isRecord } from '../../resources/resource.js';
import type { Resource } from '../../resources/resource.js';
import { isKubeObject, parseYamlDocuments } from '../../resources/yaml.js';
import type { KubernetesEntry } from '../../settings/schema/kubernetes.js';
import type { Settings } from '../../settings/settings.js';
import { targetedPatch } from '../../settings/schema/common.js';
import { applyTargetedPatches } from '../patches.js';
import type { LocatedPatch } from '../patches.js';
import type { Artifact, RenderedUnit, Renderer, RenderInput } from '../renderer.js';
import { helmRelease, helmTemplateArgs, isLocalChart } from './helm-release.js';
import type { HelmRelease } from './helm-release.js';
import {
  chartMayVary,
  chartTreeProblem,
  checkRemoteArtifacts,
  coordinateValuesText,
  fillCoordinates,
  helmExtraFlags,
  libraryPatches,
  repoPathProblem,
  withHelmFlags
} from './helm-options.js';
import { parsePositioned } from './yaml-positions.js';
import { detectUnitType } from './unit-type.js';
import type { DetectedUnitType } from './unit-type.js';

export const UNIT_PATCHES_FILE = 'hydrate-patches.yaml';
const RENDER_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * kustomize and helm are Go programs that run for a fraction of a second: their garbage
 * collector costs about a third of their CPU time and frees nothing that matters. Collection
 * waits until a process's heap reaches GOMEMLIMIT (512 MiB, less on a small machine with many
 * workers). This changes no output (the collector does not affect what a program computes),
 * only how much CPU a render takes.
 */
export function goToolEnv(settings: Pick<Settings, 'toolMemoryMiB'>): Record<string, string> {
  return { GOGC: 'off', GOMEMLIMIT: `${settings.toolMemoryMiB}MiB` };
}

interface Ctx {
  unit: Unit;
  input: RenderInput;
  entry: KubernetesEntry;
  diagnostics: Diagnostic[];
}

const abs = (input: RenderInput, rel: string): string => posix.join(input.repoRoot, rel);
const isYamlName = (n: string): boolean => n.endsWith('.yaml') || n.endsWith('.yml');

/**
 * The diagnostic for a tool that exited non-zero: its stderr only. Its stdout is rendered
 * output (possibly Secret data) and never becomes a diagnostic, even when stderr is empty.
 */
function toolFailure(what: string, result: { exitCode: number; stderr: string }): string {
  const stderr = result.stderr.trim();
  return stderr ? `${what} failed (exit ${result.exitCode}): ${stderr}` : `${what} failed (exit ${result.exitCode}) with no error output`;
}

function err(ctx: Ctx, message: string, at: { file?: string; line?: number; col?: number } = {}): void {
  ctx.diagnostics.push({ severity: 'error', unit: ctx.unit.id, message, ...at });
}

export function createKubernetesRenderer(): Renderer {
  return {
    name: 'kubernetes',
    independent: true,
    async render(input: RenderInput): Promise<RenderedUnit[]> {
      const out: RenderedUnit[] = [];
      for (const unit of input.units) out.push(await renderKubernetesUnit(unit, input));
      return out;
    }
  };
}

/**
 * Renders one unit. Never throws for problems in the dry input: they become diagnostics. What
 * the unit reads (its input digest, and whether the digest can see everything) is the
 * pipeline's business: see unitInputDigest in pipeline/incremental.ts.
 */
export async function renderKubernetesUnit(unit: Unit, input: RenderInput): Promise<RenderedUnit> {
  const entry = input.settings.config.kubernetes[unit.entry];
  const failed = (diagnostics: Diagnostic[]): RenderedUnit => ({
    unit,
    status: 'failed',
    resources: [],
    artifacts: [],
    diagnostics
  });
  if (!entry) {
    return failed([
      { severity: 'error', unit: unit.id, file: input.settings.configPath, message: `no kubernetes entry #${unit.entry} in the config` }
    ]);
  }
  const ctx: Ctx = { unit, input, entry, diagnostics: [] };
  let resources: Resource[] = [];
  let artifacts: Artifact[] = [];
  try {
    let releasePatches: LocatedPatch[] = [];
    const detected = await detectType(ctx);
    if (detected) {
      if (detected.type === 'kustomize') resources = await renderKustomize(ctx, detected.file);
      else if (detected.type === 'helm') ({ resources, patches: releasePatches } = await renderHelm(ctx, detected.file));
      else if (detected.type === 'chart') resources = await renderChartDir(ctx, detected.file);
      else resources = await renderPlain(ctx);
    }
    if (!hasErrors(ctx.diagnostics)) {
      const patches: LocatedPatch[] = [
        // Entry patches are reported at the config file (the config loader owns positions in it).
        ...entry.patches.map((p) => ({ ...p, where: { unit: unit.id, file: input.settings.configPath } })),
        ...releasePatches,
        ...(await unitPatches(ctx))
      ];
      if (!hasErrors(ctx.diagnostics) && patches.length > 0) {
        const applied = applyTargetedPatches(resources, patches);
        resources = applied.resources;
        ctx.diagnostics.push(...applied.diagnostics);
      }
    }
    artifacts = await extraArtifacts(ctx);
    ctx.diagnostics.push(...checkIdentities(resources));
  } catch (e) {
    // I/O problems (unreadable files, a unit directory that vanished) end up here.
    err(ctx, `rendering failed: ${(e as Error).message}`, { file: unit.dir });
  }

  if (hasErrors(ctx.diagnostics)) return failed(ctx.diagnostics);
  return { unit, status: 'rendered', resources, artifacts, diagnostics: ctx.diagnostics };
}

/** The unit's type (with its kustomization or release file); undefined, after an error, when the entry's type is missing its file. */
async function detectType(ctx: Ctx): Promise<Exclude<DetectedUnitType, { type: 'missing' }> | undefined> {
  const detected = await detectUnitType(ctx.input.files, ctx.input.repoRoot, ctx.unit, ctx.entry);
  if (detected.type === 'missing') {
    const messages = {
      kustomize: `no kustomization.yaml in ${ctx.unit.dir}: add one or set the entry's type`,
      helm:
        (await ctx.input.files.lstat(abs(ctx.input, `${ctx.unit.dir}/Chart.yaml`)))?.kind === 'file'
          ? `Helm release file ${detected.file} not found, and ${ctx.unit.dir} is a Helm chart directory: set the entry's type to chart (or auto) to render it as Argo CD renders a chart source`
          : `Helm release file ${detected.file} not found: create it or change the entry's helm.releaseFile`,
      chart: `no Chart.yaml in ${ctx.unit.dir}: a unit of type chart is a Helm chart directory`
    };
    err(ctx, messages[detected.want], { file: detected.file });
    return undefined;
  }
  return detected;
}

// ---------------------------------------------------------------------------------------------
// kustomize

async function renderKustomize(ctx: Ctx, file: string): Promise<Resource[]> {
  const { input, unit, entry } = ctx;
  const dir = abs(input, unit.dir);
  // Never --load-restrictor LoadRestrictionsNone, --enable-alpha-plugins or --enable-exec.
  const flags = entry.kustomize.enableHelm && input.settings.config.policy.allowHelm ? ['--enable-helm'] : [];
  let command: string;
  let args: string[];
  if (await input.exec.which('kustomize')) {
    command = 'kustomize';
    args = ['build', ...flags, dir];
  } else if (await input.exec.which('kubectl')) {
    command = 'kubectl';
    args = ['kustomize', ...flags, dir];
  } else {
    err(ctx, 'kustomize not found: install kustomize or kubectl (kubectl kustomize)', { file });
    return [];
  }
  let result;
  try {
    result = await input.exec.run(command, args, { cwd: input.repoRoot, timeoutMs: RENDER_TIMEOUT_MS, env: goToolEnv(input.settings) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      err(ctx, 'kustomize not found: install kustomize or kubectl (kubectl kustomize)', { file });
    } else err(ctx, `${command} failed to run: ${(e as Error).message}`, { file });
    return [];
  }
  if (result.exitCode !== 0) {
    err(ctx, toolFailure(`${command} ${args[0]}`, result), { file });
    return [];
  }
  return documentsToResources(ctx, result.stdout, file, false);
}

// ---------------------------------------------------------------------------------------------
// helm

async function renderHelm(ctx: Ctx, file: string): Promise<{ resources: Resource[]; patches: LocatedPatch[] }> {
  const { input, unit } = ctx;
  const empty = { resources: [], patches: [] };
  const text = await input.files.readFile(abs(input, file));
  const parsed = parsePositioned(text);
  for (const e of parsed.errors) err(ctx, `invalid YAML: ${e.message}`, { file, line: e.line, col: e.col });
  if (parsed.errors.length > 0) return empty;
  const check = helmRelease.safeParse(parsed.value);
  if (!check.success) {
    for (const issue of check.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const pos = parsed.positionOf(path);
      const field = path.length > 0 ? `${path.join('.')}: ` : '';
      err(ctx, `invalid Helm release: ${field}${issue.message}`, { file, ...pos });
    }
    return empty;
  }
  const release: HelmRelease = check.data;
  // Remote artifacts are never fetched: each must be committed in the unit directory and match its pinned sha256.
  const artifactProblems = await checkRemoteArtifacts(input.files, input.repoRoot, unit.dir, release.remoteArtifacts, (i, key) => ({
    file,
    ...parsed.positionOf(key === undefined ? ['remoteArtifacts', i] : ['remoteArtifacts', i, key])
  }));
  for (const p of artifactProblems) err(ctx, p.message, p.at);
  if (hasErrors(ctx.diagnostics)) return empty;
  const releaseDir = posix.dirname(file);
  const releaseName = release.releaseName ?? posix.basename(releaseDir);
  const namespace = release.namespace ?? 'default';

  let chartRef = release.chart;
  let localChartRel: string | undefined;
  if (isLocalChart(release.chart)) {
    const chartRel = posix.normalize(posix.join(releaseDir, release.chart));
    const bad = await repoPathProblem(input.files, input.repoRoot, chartRel, 'chart path');
    if (bad) {
      err(ctx, bad, { file, ...parsed.positionOf(['chart']) });
      return empty;
    }
    if ((await input.files.lstat(abs(input, `${chartRel}/Chart.yaml`)))?.kind !== 'file') {
      err(ctx, `local chart ${chartRel} has no Chart.yaml: fix \`chart\` (it is relative to the release file)`, {
        file,
        ...parsed.positionOf(['chart'])
      });
      return empty;
    }
    const escapes = await chartTreeProblem(input.files, input.repoRoot, chartRel);
    if (escapes) {
      err(ctx, `local chart ${chartRel}: ${escapes}`, { file, ...parsed.positionOf(['chart']) });
      return empty;
    }
    const chartMeta = parsePositioned(await input.files.readFile(abs(input, `${chartRel}/Chart.yaml`))).value;
    const chartVersion = isRecord(chartMeta) ? chartMeta['version'] : undefined;
    if (String(chartVersion) !== release.version.replace(/^v/, '')) {
      err(ctx, `version ${release.version} does not match the local chart ${chartRel} (Chart.yaml version ${String(chartVersion)}): update one of them`, {
        file,
        ...parsed.positionOf(['version'])
      });
      return empty;
    }
    chartRef = abs(input, chartRel);
    localChartRel = chartRel;
  }

  // Values order: the explicit `valuesFiles` list when given; otherwise every *.yaml / *.yml
  // file directly in the unit directory (not the extra-artifacts folder, not hydrate-patches.yaml),
  // sorted by name in code-unit order. Later files override earlier ones.
  let valuesRel: string[];
  if (release.valuesFiles) {
    valuesRel = [];
    for (const [i, v] of release.valuesFiles.entries()) {
      const rel = posix.normalize(posix.join(unit.dir, v));
      const bad = await repoPathProblem(input.files, input.repoRoot, rel, 'values file');
      if (bad || !(rel === unit.dir || rel.startsWith(`${unit.dir}/`))) {
        err(ctx, bad ?? `values file ${v} is outside the unit directory ${unit.dir}`, { file, ...parsed.positionOf(['valuesFiles', i]) });
      } else if (!(await isRegularFile(input, rel))) {
        err(ctx, `values file ${rel} not found`, { file, ...parsed.positionOf(['valuesFiles', i]) });
      } else valuesRel.push(rel);
    }
  } else {
    valuesRel = (await yamlFilesIn(ctx)).map((n) => `${unit.dir}/${n}`);
  }
  if (hasErrors(ctx.diagnostics)) return empty;

  // Seed-system key: named patch sets from the library (before extraPatches, as the seed
  // system's helmfile lists them).
  const library = await libraryPatches(input.files, input.repoRoot, unit.id, release.patches, ctx.entry.helm.patchesLibrary, (i) => ({
    file,
    ...parsed.positionOf(['patches', i])
  }));
  for (const p of library.problems) err(ctx, p.message, p.at);
  if (hasErrors(ctx.diagnostics)) return empty;

  const patches: LocatedPatch[] = [
    ...library.patches,
    ...release.extraPatches.map((p, i) => ({
      ...p,
      where: { unit: unit.id, file, ...parsed.positionOf(['extraPatches', i]) }
    }))
  ];

  // `which` is cached per runner: a helm removed since it was found still ends in ENOENT below.
  if (!(await input.exec.which('helm'))) {
    err(ctx, `helm not found: install helm to render Helm release ${file}`, { file });
    return empty;
  }
  const coordinates = coordinateValuesText(unit.coordinates, ctx.entry.helm.coordinateValues);
  const extraFlags = helmExtraFlags({
    kubeVersion: release.kubeVersion ?? ctx.entry.helm.kubeVersion,
    apiVersions: release.apiVersions ?? ctx.entry.helm.apiVersions,
    stdinValues: coordinates !== undefined
  });
  const args = withHelmFlags(helmTemplateArgs({ ...release, releaseName, namespace }, valuesRel.map((v) => abs(input, v)), chartRef), extraFlags);
  // A remote chart cannot be read before helm fetches it: it is always rendered twice.
  const twice = localChartRel === undefined || (await chartMayVary(input.files, input.repoRoot, localChartRel));
  const stdout = await runHelmTemplate(ctx, file, args, coordinates, `Helm release ${file}`, twice);
  if (stdout === undefined) return empty;
  return { resources: documentsToResources(ctx, stdout, file, false), patches };
}

/**
 * Runs `helm template` and returns its output, or undefined after an error. Charts that generate
 * values at render time (randAlphaNum, uuidv4, now) would change the wet tree on every run: when
 * `twice` (the chart may use such a function, see chartMayVary), it renders a second time and
 * refuses output that differs between the two renders.
 */
async function runHelmTemplate(
  ctx: Ctx,
  file: string,
  args: string[],
  stdin: string | undefined,
  what: string,
  twice: boolean
): Promise<string | undefined> {
  const { input } = ctx;
  const options = { cwd: input.repoRoot, timeoutMs: RENDER_TIMEOUT_MS, env: goToolEnv(input.settings), ...(stdin !== undefined ? { input: stdin } : {}) };
  let result;
  try {
    result = await input.exec.run('helm', args, options);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') err(ctx, `helm not found: install helm to render ${what}`, { file });
    else err(ctx, `helm failed to run: ${(e as Error).message}`, { file });
    return undefined;
  }
  if (result.exitCode !== 0) {
    err(ctx, toolFailure('helm template', result), { file });
    return undefined;
  }
  if (!twice) return result.stdout;
  const again = await input.exec.run('helm', args, options);
  if (again.exitCode !== 0 || again.stdout !== result.stdout) {
    err(
      ctx,
      `helm template gives different output on identical renders (random or time-based values in the chart, e.g. randAlphaNum or now): pin those values in the release's values or set`,
      { file }
    );
    return undefined;
  }
  return result.stdout;
}

async function isRegularFile(input: RenderInput, rel: string): Promise<boolean> {
  const st = await input.files.lstat(abs(input, rel));
  if (st?.kind === 'file') return true;
  if (st?.kind !== 'symlink') return false;
  // A symlink already checked to stay inside the repository: what it leads to must be a file.
  try {
    return (await input.files.lstat(await input.files.realpath(abs(input, rel))))?.kind === 'file';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Helm chart directory (Argo CD's chart source)

/**
 * A unit directory holding `Chart.yaml`, without a release file: rendered as Argo CD renders a
 * Helm chart source, `helm template` of the directory with its own values.yaml plus the entry's
 * `helm.valueFiles` (relative to the chart directory, in order), `helm.releaseName` (default: the
 * directory name), `helm.namespace` (default `default`), and the entry's kubeVersion/apiVersions.
 */
async function renderChartDir(ctx: Ctx, chartFile: string): Promise<Resource[]> {
  const { input, unit, entry } = ctx;
  const configAt = { file: input.settings.configPath };
  const meta = parsePositioned(await input.files.readFile(abs(input, chartFile)));
  for (const e of meta.errors) err(ctx, `invalid YAML: ${e.message}`, { file: chartFile, line: e.line, col: e.col });
  if (meta.errors.length > 0) return [];
  const version = isRecord(meta.value) ? meta.value['version'] : undefined;
  if (typeof version !== 'string' && typeof version !== 'number') {
    err(ctx, `Chart.yaml has no version: helm needs one to render the chart directory ${unit.dir}`, { file: chartFile, ...meta.positionOf([]) });
    return [];
  }
  const unsafe = (await repoPathProblem(input.files, input.repoRoot, unit.dir, 'chart directory')) ?? (await chartTreeProblem(input.files, input.repoRoot, unit.dir));
  if (unsafe) {
    err(ctx, unsafe, { file: chartFile });
    return [];
  }
  const named = (what: 'releaseName' | 'namespace', fallback: string, max: number): string | undefined => {
    const template = entry.helm[what];
    if (template === undefined) {
      if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(fallback) && fallback.length <= max) return fallback;
      err(ctx, `chart directory ${unit.dir}: ${JSON.stringify(fallback)} is not a valid Helm ${what}: set the entry's helm.${what}`, configAt);
      return undefined;
    }
    const filled = fillCoordinates(template, unit.coordinates);
    if (filled.missing.length > 0 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(filled.value) || filled.value.length > max) {
      err(
        ctx,
        filled.missing.length > 0
          ? `helm.${what} ${JSON.stringify(template)} names ${filled.missing.map((m) => `{${m}}`).join(', ')}, not captured by the entry's match`
          : `helm.${what} ${JSON.stringify(template)} gives ${JSON.stringify(filled.value)} for ${unit.dir}, not a valid Helm ${what}`,
        configAt
      );
      return undefined;
    }
    return filled.value;
  };
  const releaseName = named('releaseName', posix.basename(unit.dir), 53);
  const namespace = named('namespace', 'default', 63);
  const valuesRel: string[] = [];
  for (const v of entry.helm.valueFiles) {
    const rel = posix.normalize(posix.join(unit.dir, v));
    const bad = await repoPathProblem(input.files, input.repoRoot, rel, `values file ${v} (helm.valueFiles)`);
    if (bad) err(ctx, bad, configAt);
    else if (!(await isRegularFile(input, rel))) err(ctx, `values file ${rel} (helm.valueFiles) not found`, configAt);
    else valuesRel.push(rel);
  }
  if (releaseName === undefined || namespace === undefined || hasErrors(ctx.diagnostics)) return [];
  if (!(await input.exec.which('helm'))) {
    err(ctx, `helm not found: install helm to render the Helm chart directory ${unit.dir}`, { file: chartFile });
    return [];
  }
  const args = withHelmFlags(
    helmTemplateArgs(
      { chart: unit.dir, version: String(version), releaseName, namespace, set: [], extraPatches: [], patches: [], hooks: [], execs: [], remoteArtifacts: [] },
      valuesRel.map((v) => abs(input, v)),
      abs(input, unit.dir)
    ),
    helmExtraFlags({ kubeVersion: entry.helm.kubeVersion, apiVersions: entry.helm.apiVersions, stdinValues: false })
  );
  const twice = await chartMayVary(input.files, input.repoRoot, unit.dir);
  const stdout = await runHelmTemplate(ctx, chartFile, args, undefined, `the Helm chart directory ${unit.dir}`, twice);
  return stdout === undefined ? [] : documentsToResources(ctx, stdout, chartFile, false);
}

// ---------------------------------------------------------------------------------------------
// plain

/** Names of *.yaml / *.yml files directly in the unit dir, sorted, without the unit patches file. */
async function yamlFilesIn(ctx: Ctx): Promise<string[]> {
  const entries = await ctx.input.files.readDir(abs(ctx.input, ctx.unit.dir));
  const names: string[] = [];
  for (const e of entries) {
    if (!isYamlName(e.name) || e.name === UNIT_PATCHES_FILE) continue;
    if (e.kind === 'symlink') {
      err(ctx, `${e.name} is a symlink: symlinked manifests are not followed; copy the file instead`, {
        file: `${ctx.unit.dir}/${e.name}`
      });
      continue;
    }
    if (e.kind === 'file') names.push(e.name);
  }
  return names.sort(cmp);
}

async function renderPlain(ctx: Ctx): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const name of await yamlFilesIn(ctx)) {
    const rel = `${ctx.unit.dir}/${name}`;
    const text = await ctx.input.files.readFile(abs(ctx.input, rel));
    out.push(...documentsToResources(ctx, text, rel, true));
  }
  return out;
}

function documentsToResources(ctx: Ctx, text: string, file: string, positions: boolean): Resource[] {
  const parsed = parseYamlDocuments(text, file, ctx.unit.id);
  ctx.diagnostics.push(...parsed.diagnostics);
  const out: Resource[] = [];
  for (const doc of parsed.documents) {
    if (doc.value === null || doc.value === undefined) continue;
    const at = positions ? { file, line: doc.line, col: doc.col } : { file };
    if (!isKubeObject(doc.value)) {
      err(ctx, `document is a ${Array.isArray(doc.value) ? 'list' : typeof doc.value}, not a mapping: every document must be a Kubernetes object`, at);
      continue;
    }
    out.push({ object: doc.value, unit: ctx.unit.id, source: at });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// unit patches and extra artifacts

async function unitPatches(ctx: Ctx): Promise<LocatedPatch[]> {
  const rel = `${ctx.unit.dir}/${UNIT_PATCHES_FILE}`;
  const st = await ctx.input.files.lstat(abs(ctx.input, rel));
  if (st === undefined) return [];
  if (st.kind !== 'file') {
    err(ctx, `${UNIT_PATCHES_FILE} must be a regular file`, { file: rel });
    return [];
  }
  const parsed = parsePositioned(await ctx.input.files.readFile(abs(ctx.input, rel)));
  for (const e of parsed.errors) err(ctx, `invalid YAML: ${e.message}`, { file: rel, line: e.line, col: e.col });
  if (parsed.errors.length > 0) return [];
  if (parsed.value === null || parsed.value === undefined) return [];
  if (!Array.isArray(parsed.value)) {
    err(ctx, `${UNIT_PATCHES_FILE} must be a list of {target, patch}`, { file: rel, ...parsed.positionOf([]) });
    return [];
  }
  const out: LocatedPatch[] = [];
  for (const [i, item] of (parsed.value as unknown[]).entries()) {
    const check = targetedPatch.safeParse(item);
    if (!check.success) {
      for (const issue of check.error.issues) {
        const path = [i, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
        err(ctx, `invalid patch: ${path.slice(1).join('.') || 'item'}: ${issue.message}`, { file: rel, ...parsed.positionOf(path) });
      }
      continue;
    }
    out.push({ ...check.data, where: { unit: ctx.unit.id, file: rel, ...parsed.positionOf([i]) } });
  }
  return out;
}

interface ListedFile {
  rel: string;
  kind: 'file' | 'symlink' | 'other';
}

/** Every non-directory below `root` (recursive), sorted by relative path. Missing root: []. */
async function listFilesRecursive(files: FileReader, root: string): Promise<ListedFile[]> {
  const out: ListedFile[] = [];
  await collectFiles(files, root, '', out);
  return out.sort((a, b) => cmp(a.rel, b.rel));
}

/** Appends every non-directory below `root/prefix` to `out`, unsorted. */
async function collectFiles(files: FileReader, root: string, prefix: string, out: ListedFile[]): Promise<void> {
  const here = prefix ? `${root}/${prefix}` : root;
  const st = await files.lstat(here);
  if (st?.kind !== 'directory') return;
  for (const e of await files.readDir(here)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.kind === 'directory') await collectFiles(files, root, rel, out);
    else out.push({ rel, kind: e.kind });
  }
}

async function extraArtifacts(ctx: Ctx): Promise<Artifact[]> {
  const folderRel = `${ctx.unit.dir}/${ctx.entry.extraArtifacts}`;
  const folder = abs(ctx.input, folderRel);
  const out: Artifact[] = [];
  for (const f of await listFilesRecursive(ctx.input.files, folder)) {
    const source = `${folderRel}/${f.rel}`;
    if (f.kind !== 'file') {
      err(ctx, `extra artifact ${source} is a ${f.kind === 'symlink' ? 'symlink' : 'special file'}: only regular files are copied; replace it with a file`, {
        file: source
      });
      continue;
    }
    const bad = checkRelativePath(f.rel, 'extra artifact path');
    if (bad) {
      err(ctx, `${bad}`, { file: source });
      continue;
    }
    out.push({ path: f.rel, content: await ctx.input.files.readFile(`${folder}/${f.rel}`), source });
  }
  return out;
}
