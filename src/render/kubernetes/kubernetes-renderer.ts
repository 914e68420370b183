/**
 * The Kubernetes renderer. Per unit it detects the type (kustomize, helm release, plain
 * manifests), renders, applies targeted patches (entry `patches`, then the release file's
 * `extraPatches`, then the unit's `hydrate-patches.yaml`), collects extra artifacts and checks
 * identities. Any error diagnostic fails the unit (and then it returns no resources).
 */
import { posix } from 'node:path';
import type { Diagnostic } from '../../diagnostics.js';
import { hasErrors } from '../../diagnostics.js';
import { checkRelativePath, checkRepoPath, extraArtifactsFolder, hasGitSegment } from '../../dry/path-safety.js';
import { decodeUtf8Strict } from '../../dry/utf8.js';
import type { Unit } from '../../dry/unit.js';
import type { FileReader } from '../../ports.js';
import { checkIdentities, cmp, identityOf, isRecord } from '../../resources/resource.js';
import { expandLists, isListObject } from '../../resources/lists.js';
import type { Resource } from '../../resources/resource.js';
import { isKubeObject, parseYamlDocuments } from '../../resources/yaml.js';
import type { KubernetesEntry } from '../../settings/schema/kubernetes.js';
import type { Settings } from '../../settings/settings.js';
import { targetedPatch } from '../../settings/schema/common.js';
import { applyTargetedPatches } from '../patches.js';
import type { LocatedPatch } from '../patches.js';
import type { Artifact, RenderedUnit, Renderer, RenderInput } from '../renderer.js';
import { helmArgvProblems } from './helm-argv.js';
import { helmRelease, helmTemplateArgs, isLocalChart } from './helm-release.js';
import type { HelmRelease } from './helm-release.js';
import { kustomizationFileIn } from './unit-type.js';
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
import { locateZodIssues } from '../../resources/yaml-positions.js';
import { kustomizeClosure } from './closure.js';
import { detectUnitType } from './unit-type.js';
import { renderArgoUnit } from './argocd-source.js';
import { emittedObject, replacedByEmit } from './emit.js';
import { isHelmRelease, locateHelmRelease, planHelmRelease, type HelmReleaseRender } from './flux-helmrelease.js';
import { loadFluxObject, renderFluxKustomization } from './flux-kustomization.js';
import { readObjectsBelow, type FoundObject } from '../../dry/engines/flux.js';
import { crdScopes, isClusterScoped } from '../../resources/scope.js';
import { listPlainUnit, plainRuleOf, PLUGIN_MARKERS, UNIT_PATCHES_FILE } from './plain-dir.js';
import type { DetectedUnitType } from './unit-type.js';
import { kubernetesClosure } from './unit-closure.js';
import { kubernetesPinSources } from './pin-sources.js';
import { renderToolVersions } from './tool-versions.js';

export { UNIT_PATCHES_FILE };
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

/**
 * The variables helm (and kustomize, for the helm it runs) gets from Hydrate's environment when
 * they are set there: registry logins (`helm registry login` writes HELM_REGISTRY_CONFIG),
 * repositories added with `helm repo add`, the cache, and proxies. Every other variable stays
 * scrubbed (src/adapters/exec.ts).
 */
export const HELM_ENV = [
  'HELM_REGISTRY_CONFIG',
  'HELM_REPOSITORY_CONFIG',
  'HELM_REPOSITORY_CACHE',
  'HELM_CACHE_HOME',
  'HELM_CONFIG_HOME',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy'
] as const;

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
  const stderr = toolMessage(result.stderr);
  return stderr ? `${what} failed (exit ${result.exitCode}): ${stderr}` : `${what} failed (exit ${result.exitCode}) with no error output`;
}

/** klog's line header: `E1130 09:39:05.822293   16390 run.go:72] `. */
const KLOG_HEADER = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [^\]\s]+\] /;

/**
 * A tool's error output without the log decoration: kubectl's klog header, and its structured
 * `"command failed" err="..."` wrapper (the Go-quoted message is unquoted).
 */
export function toolMessage(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .map((line) => {
      const m = KLOG_HEADER.exec(line);
      if (!m) return line;
      const rest = line.slice(m[0].length);
      const wrapped = /^"command failed" err=("(?:[^"\\]|\\.)*")$/.exec(rest);
      if (wrapped) {
        try {
          return JSON.parse(wrapped[1]!) as string;
        } catch {
          return wrapped[1]!.slice(1, -1);
        }
      }
      return rest;
    });
  return lines.join('\n').trim();
}

/** kustomize's warnings on a successful build (deprecated fields, ...), one per line, without their `# Warning:` prefix. */
export function toolWarnings(stderr: string): string[] {
  const out: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    const m = /^#?\s*Warning:\s*(.+)$/i.exec(line) ?? (KLOG_HEADER.test(line) && line.startsWith('W') ? [line, toolMessage(line)] : null);
    if (m && m[1]) out.push(m[1]);
  }
  return out;
}

function warn(ctx: Ctx, message: string, at: { file?: string; line?: number; col?: number } = {}): void {
  ctx.diagnostics.push({ severity: 'warning', unit: ctx.unit.id, message, ...at });
}

function err(ctx: Ctx, message: string, at: { file?: string; line?: number; col?: number } = {}): void {
  ctx.diagnostics.push({ severity: 'error', unit: ctx.unit.id, message, ...at });
}

export function createKubernetesRenderer(): Renderer {
  return {
    name: 'kubernetes',
    independent: true,
    closure: kubernetesClosure,
    toolVersions: renderToolVersions,
    pinSources: kubernetesPinSources,
    async render(input: RenderInput): Promise<RenderedUnit[]> {
      const out: RenderedUnit[] = [];
      for (const unit of input.units) out.push(await renderKubernetesUnit(unit, input));
      return out;
    }
  };
}

/**
 * Renders one unit. Never throws for problems in the dry input: they become diagnostics. What
 * the unit reads (and whether that is all it depends on) is `kubernetesClosure` (unit-closure.ts),
 * which the pipeline digests: see unitInputDigest in pipeline/incremental.ts.
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
  if (unit.emit) {
    const ctx: Ctx = { unit, input, entry, diagnostics: [] };
    const resources = documentsToResources(ctx, JSON.stringify(emittedObject(unit.emit, entry)), unit.emit.file, false);
    return hasErrors(ctx.diagnostics) ? failed(ctx.diagnostics) : { unit, status: 'rendered', resources, artifacts: [], diagnostics: ctx.diagnostics };
  }
  switch (entry.from) {
    case 'argocd':
      return withoutReplaced(await renderArgoUnit(unit, input, entry, renderKubernetesUnit), entry, input);
  }
  const ctx: Ctx = { unit, input, entry, diagnostics: [] };
  let resources: Resource[] = [];
  let artifacts: Artifact[] = [];
  try {
    let releasePatches: LocatedPatch[] = [];
    const detected = entry.from === undefined ? await detectType(ctx) : undefined;
    switch (entry.from) {
      case 'flux': {
        const text = await renderFluxKustomization(ctx);
        if (text !== undefined) resources = await fluxHelmReleases(ctx, documentsToResources(ctx, text, unit.object!.file, false));
        break;
      }
    }
    if (detected) {
      if (detected.type === 'kustomize') resources = await renderKustomize(ctx, detected.file, unit.dir);
      else if (detected.type === 'helm') ({ resources, patches: releasePatches } = await renderHelm(ctx, detected.file));
      else if (detected.type === 'chart') resources = await renderChartDir(ctx, detected.file);
      else resources = await renderPlain(ctx);
    }
    if (!hasErrors(ctx.diagnostics)) {
      const patches: LocatedPatch[] = [
        // Entry patches are reported at the config file (the config loader owns positions in it).
        ...entry.patches.map((p) => ({ ...p, where: { unit: unit.id, file: input.settings.configPath } })),
        ...releasePatches,
        // A Flux Kustomization of the repository root (dir `.`) has no unit folder of its own.
        ...(unit.dir === '.' ? [] : await unitPatches(ctx))
      ];
      if (!hasErrors(ctx.diagnostics) && patches.length > 0) {
        const applied = applyTargetedPatches(resources, patches);
        resources = applied.resources;
        ctx.diagnostics.push(...applied.diagnostics);
      }
    }
    artifacts = unit.dir === '.' ? [] : await extraArtifacts(ctx);
    ctx.diagnostics.push(...checkIdentities(resources));
    if (detected && detected.type !== 'plain' && resources.length === 0 && !hasErrors(ctx.diagnostics)) {
      warn(ctx, `unit ${unit.id} renders no objects: ${detected.type === 'kustomize' ? 'kustomize build' : 'helm template'} gave none`, { file: detected.file });
    }
  } catch (e) {
    // I/O problems (unreadable files, a unit directory that vanished) end up here.
    err(ctx, `rendering failed: ${(e as Error).message}`, { file: unit.dir });
  }

  if (hasErrors(ctx.diagnostics)) return failed(ctx.diagnostics);
  return withoutReplaced({ unit, status: 'rendered', resources, artifacts, diagnostics: ctx.diagnostics }, entry, input);
}

/** With `emit`, a unit's rendered engine objects of this repository are left out (emitted objects replace them), with a notice naming them. */
function withoutReplaced(r: RenderedUnit, entry: KubernetesEntry, input: RenderInput): RenderedUnit {
  // Discovery follows an app-of-apps through the Applications its source renders.
  if (!entry.emit || r.status !== 'rendered' || input.forDiscovery) return r;
  const left: string[] = [];
  const resources = r.resources.filter((x) => {
    const o = x.object as Record<string, unknown>;
    if (!replacedByEmit(o, entry)) return true;
    const m = isRecord(o['metadata']) ? o['metadata'] : {};
    left.push(`${String(o['kind'])} ${typeof m['namespace'] === 'string' ? `${m['namespace']}/` : ''}${String(m['name'])}`);
    return false;
  });
  if (left.length === 0) return r;
  const shown = left.slice(0, 5).join(', ') + (left.length > 5 ? ` and ${left.length - 5} more` : '');
  return {
    ...r,
    resources,
    diagnostics: [...r.diagnostics, { severity: 'notice', unit: r.unit.id, message: `${shown} left out of the wet tree: with emit, the objects Hydrate writes to ${entry.emit.output} deploy the units instead` }]
  };
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

async function renderKustomize(ctx: Ctx, file: string, dirRel: string): Promise<Resource[]> {
  const { input, entry } = ctx;
  const dir = abs(input, dirRel);
  // What kustomize would read: nothing outside the repository or in .git, and remote bases only
  // when allowed and pinned (then named in the unit's report).
  const closure = await kustomizeClosure(dirRel, input.files, input.repoRoot, {
    allowRemote: entry.kustomize.allowRemote || input.settings.config.policy.allowRemote
  });
  for (const p of closure.problems ?? []) err(ctx, p.message, { file: p.file, line: p.line, col: p.col });
  if (closure.problems) return [];
  for (const r of closure.remotes ?? []) ctx.diagnostics.push({ severity: 'warning', unit: ctx.unit.id, message: r.message, file: r.file, line: r.line, col: r.col });
  // Never --load-restrictor LoadRestrictionsNone, --enable-alpha-plugins or --enable-exec.
  // With helm enabled, kustomize runs the helm Hydrate finds (the one whose version is in the digest).
  const flags: string[] = [];
  if (entry.kustomize.enableHelm && input.settings.config.policy.allowHelm) {
    const helm = await input.exec.which('helm');
    flags.push('--enable-helm', ...(helm ? [`--helm-command=${helm}`] : []));
  }
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
    result = await input.exec.run(command, args, {
      cwd: input.repoRoot,
      timeoutMs: RENDER_TIMEOUT_MS,
      env: goToolEnv(input.settings),
      ...(flags.length > 0 ? { passEnv: HELM_ENV } : {})
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      err(ctx, 'kustomize not found: install kustomize or kubectl (kubectl kustomize)', { file });
    } else err(ctx, `${command} failed to run: ${(e as Error).message}`, { file });
    return [];
  }
  if (result.exitCode !== 0) {
    // kustomize (v5.7 and earlier) asks its helm `helm version -c`, a flag helm 4 removed.
    const helm4 = flags.length > 0 && /helm version -c\b/.test(result.stderr) && /unknown shorthand flag: 'c'/.test(result.stderr);
    const hint = helm4 ? ': kustomize inflates helmCharts with helm 3 only (it runs `helm version -c`, which helm 4 removed); put helm 3 first on PATH' : '';
    err(ctx, `${toolFailure(`${command} ${args[0]}`, result)}${hint}`, { file });
    return [];
  }
  for (const w of toolWarnings(result.stderr)) warn(ctx, `kustomize: ${w}`, { file });
  return documentsToResources(ctx, result.stdout, file, false);
}

// ---------------------------------------------------------------------------------------------
// helm

async function renderHelm(ctx: Ctx, file: string): Promise<{ resources: Resource[]; patches: LocatedPatch[] }> {
  const { input, unit } = ctx;
  const empty = { resources: [], patches: [] };
  const unsafeRelease = await checkRepoPath(input.repoRoot, posix.normalize(file), input.files, 'Helm release file');
  if (unsafeRelease) {
    err(ctx, unsafeRelease, { file: input.settings.configPath });
    return empty;
  }
  const text = await input.files.readFile(abs(input, file));
  const parsed = parsePositioned(text);
  for (const e of parsed.errors) err(ctx, `invalid YAML: ${e.message}`, { file, line: e.line, col: e.col });
  if (parsed.errors.length > 0) return empty;
  const check = helmRelease.safeParse(parsed.value);
  if (!check.success) {
    for (const { issue, path, position } of locateZodIssues(check.error, parsed)) {
      const field = path.length > 0 ? `${path.join('.')}: ` : '';
      err(ctx, `invalid Helm release: ${field}${issue.message}`, { file, ...position });
    }
    return empty;
  }
  const release: HelmRelease = check.data;
  for (const p of helmArgvProblems(release)) err(ctx, `invalid Helm release: ${p.message}`, { file, ...parsed.positionOf(p.path) });
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
  let localChart: { rel: string; dependencies: ChartDependency[] } | undefined;
  const pathLike = await pathLikeChartProblem(input, release.chart);
  if (pathLike) {
    err(ctx, pathLike, { file, ...parsed.positionOf(['chart']) });
    return empty;
  }
  if (isLocalChart(release.chart)) {
    const chartRel = posix.normalize(posix.join(releaseDir, release.chart));
    const bad = checkRelativePath(chartRel, 'chart path') ?? (await checkRepoPath(input.repoRoot, chartRel, input.files, 'chart path'));
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
    localChart = { rel: chartRel, dependencies: await missingDependencies(ctx, chartRel, chartMeta) };
  } else if (release.repository === undefined && !release.chart.includes(':') && (await input.files.lstat(abs(input, `${release.chart}/Chart.yaml`)))?.kind === 'file') {
    // helm used to find such a folder from the repository root; it now runs elsewhere, and a
    // chart in the repository must be named as one (so that its version is checked and digested).
    err(ctx, `chart ${release.chart} is a folder of the repository: write it relative to the release file, starting with ./ or ../`, {
      file,
      ...parsed.positionOf(['chart'])
    });
    return empty;
  }

  // Values order: the explicit `valuesFiles` list when given; otherwise every *.yaml / *.yml
  // file directly in the unit directory (not the extra-artifacts folder, not hydrate-patches.yaml),
  // sorted by name in code-unit order. Later files override earlier ones.
  let valuesRel: string[];
  if (release.valuesFiles) {
    valuesRel = [];
    for (const [i, v] of release.valuesFiles.entries()) {
      const rel = posix.normalize(posix.join(unit.dir, v));
      const bad = checkRelativePath(rel, 'values file') ?? (await checkRepoPath(input.repoRoot, rel, input.files, 'values file'));
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

  // helm works in an empty directory of its own when the runner provides one: a chart name
  // must never resolve to a folder of the repository (helm tries a local path before the
  // repository), and dependencies are built into a copy of the chart, never into the dry tree.
  const copies = localChart && localChart.dependencies.length > 0 ? await dependencyCopies(ctx, localChart.rel, localChart.dependencies, file) : [];
  if (copies === undefined) return empty;
  let work: { path: string; remove(): Promise<void> } | undefined;
  try {
    if (input.exec.workDir) work = await input.exec.workDir(copies);
    else if (copies.length > 0) {
      err(ctx, `local chart ${localChart!.rel} needs \`helm dependency build\` and this runner has no work directory for it`, { file });
      return empty;
    }
    const cwd = work?.path ?? input.repoRoot;
    if (work && localChart && copies.length > 0) {
      chartRef = posix.join(work.path, localChart.rel);
      const built = await input.exec.run('helm', ['dependency', 'build', '--', chartRef], {
        cwd,
        timeoutMs: RENDER_TIMEOUT_MS,
        env: goToolEnv(input.settings),
        passEnv: HELM_ENV
      });
      if (built.exitCode !== 0) {
        err(ctx, toolFailure('helm dependency build', built), { file, ...parsed.positionOf(['chart']) });
        return empty;
      }
    }
    const coordinates = coordinateValuesText(unit.coordinates, ctx.entry.helm.coordinateValues);
    const extraFlags = helmExtraFlags({
      kubeVersion: release.kubeVersion ?? ctx.entry.helm.kubeVersion,
      apiVersions: release.apiVersions ?? ctx.entry.helm.apiVersions,
      stdinValues: coordinates !== undefined
    });
    const args = withHelmFlags(helmTemplateArgs({ ...release, releaseName, namespace }, valuesRel.map((v) => abs(input, v)), chartRef), extraFlags);
    // A remote chart cannot be read before helm fetches it: it is always rendered twice.
    const twice = localChart === undefined || localChart.dependencies.length > 0 || (await chartMayVary(input.files, input.repoRoot, localChart.rel));
    const stdout = await runHelmTemplate(ctx, file, args, coordinates, `Helm release ${file}`, twice, cwd);
    if (stdout === undefined) return empty;
    return { resources: documentsToResources(ctx, stdout, file, false), patches };
  } finally {
    await work?.remove();
  }
}

interface ChartDependency {
  name: string;
  repository: string;
}

/**
 * The dependencies a local chart declares (Chart.yaml `dependencies`) that its `charts/` folder
 * does not hold yet (as `<name>-<version>.tgz` or a `<name>` folder): those `helm dependency
 * build` fetches. Empty when every dependency is vendored.
 */
async function missingDependencies(ctx: Ctx, chartRel: string, chartMeta: unknown): Promise<ChartDependency[]> {
  const declared = isRecord(chartMeta) && Array.isArray(chartMeta['dependencies']) ? chartMeta['dependencies'] : [];
  const deps: ChartDependency[] = [];
  for (const d of declared) {
    if (isRecord(d) && typeof d['name'] === 'string') deps.push({ name: d['name'], repository: typeof d['repository'] === 'string' ? d['repository'] : '' });
  }
  if (deps.length === 0) return [];
  const chartsDir = abs(ctx.input, `${chartRel}/charts`);
  const vendored = (await ctx.input.files.lstat(chartsDir))?.kind === 'directory' ? (await ctx.input.files.readDir(chartsDir)).map((e) => e.name) : [];
  return deps.filter((d) => !vendored.some((n) => n === d.name || (n.startsWith(`${d.name}-`) && n.endsWith('.tgz'))));
}

/**
 * What to copy into helm's work directory to build a chart's dependencies there: the chart, at
 * its repository path, and every `file://` dependency inside the repository beside it (their
 * paths are relative to the chart). Undefined, after an error, when a `file://` dependency
 * leaves the repository.
 */
async function dependencyCopies(ctx: Ctx, chartRel: string, deps: ChartDependency[], file: string): Promise<{ from: string; to: string }[] | undefined> {
  const copies = [{ from: abs(ctx.input, chartRel), to: chartRel }];
  for (const d of deps) {
    if (!d.repository.startsWith('file://')) continue;
    const rel = posix.normalize(posix.join(chartRel, d.repository.slice('file://'.length)));
    const bad = checkRelativePath(rel, `dependency ${d.name} of chart ${chartRel}`);
    if (bad) {
      err(ctx, bad, { file });
      return undefined;
    }
    // A missing one is left to helm dependency build, which names it.
    if ((await ctx.input.files.lstat(abs(ctx.input, rel)))?.kind === 'directory') copies.push({ from: abs(ctx.input, rel), to: rel });
  }
  // A folder inside another one being copied comes with it.
  const within = (a: string, b: string): boolean => a !== b && a.startsWith(`${b}/`);
  return copies.filter((c, i) => !copies.some((o, j) => within(c.to, o.to) || (o.to === c.to && j < i)));
}

/**
 * helm takes any chart reference that names an existing path (from its working directory, the
 * repository root) as a local chart, `./` or not: one that exists and leads out of the
 * repository or into `.git` is refused (an absolute reference, or one naming `.git`, is already
 * refused by helmArgvProblems). Repository and `oci://` references that name no path are left to helm.
 */
async function pathLikeChartProblem(input: RenderInput, chart: string): Promise<string | undefined> {
  if (isLocalChart(chart) || /^[a-z][a-z0-9+.-]*:\/\//i.test(chart)) return undefined;
  const rel = posix.normalize(chart);
  if ((await input.files.lstat(abs(input, rel))) === undefined && !hasGitSegment(rel)) return undefined;
  return checkRepoPath(input.repoRoot, rel, input.files, 'chart', { anyName: true });
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
  twice: boolean,
  cwd: string
): Promise<string | undefined> {
  const { input } = ctx;
  const options = { cwd, timeoutMs: RENDER_TIMEOUT_MS, env: goToolEnv(input.settings), passEnv: HELM_ENV, ...(stdin !== undefined ? { input: stdin } : {}) };
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
// Flux HelmReleases with a local chart (flux-helmrelease.ts)

/** A Flux unit's objects with each HelmRelease of a local chart replaced by what its chart renders. */
async function fluxHelmReleases(ctx: Ctx, resources: Resource[]): Promise<Resource[]> {
  const { input, unit } = ctx;
  if (!resources.some((r) => isHelmRelease(r.object as Record<string, unknown>))) return resources;
  const ks = await loadFluxObject(unit, input.repoRoot, input.files);
  const ksSpec = 'object' in ks && isRecord(ks.object['spec']) ? ks.object['spec'] : {};
  const ksAt = { file: unit.object!.file, ...('line' in ks && typeof ks.line === 'number' ? { line: ks.line } : {}) };
  let below: Promise<FoundObject[]> | undefined;
  const belowScope = (): Promise<FoundObject[]> => (below ??= readObjectsBelow(input.files, input.repoRoot, unit.object!.scope).then((r) => r.objects));
  let inDir: FoundObject[] | undefined;
  const objects = resources.map((r) => r.object as Record<string, unknown>);
  const out: Resource[] = [];
  for (const r of resources) {
    const o = r.object as Record<string, unknown>;
    if (!isHelmRelease(o)) {
      out.push(r);
      continue;
    }
    const m = isRecord(o['metadata']) ? o['metadata'] : {};
    const who = `HelmRelease ${typeof m['namespace'] === 'string' ? `${m['namespace']}/` : ''}${String(m['name'])}`;
    const plan = await planHelmRelease(o, objects, belowScope, ctx.entry.flux?.sources);
    if (plan.kind === 'keep') {
      ctx.diagnostics.push({ severity: 'notice', unit: unit.id, ...ksAt, message: `${who} is kept as an object: ${plan.reason}; helm-controller renders its chart in the cluster` });
      out.push(r);
      continue;
    }
    // Where the HelmRelease is written in the dry tree (the Kustomization's, when it cannot be found).
    inDir ??= unit.dir === '.' ? [] : (await readObjectsBelow(input.files, input.repoRoot, unit.dir)).objects;
    const found = locateHelmRelease(String(m['name']), inDir, String(ksSpec['namePrefix'] ?? ''), String(ksSpec['nameSuffix'] ?? ''));
    const at = found ? { file: found.file, line: found.line } : ksAt;
    for (const w of plan.warnings) warn(ctx, `${who}: ${w}`, at);
    if (plan.kind === 'problems') {
      for (const e of plan.errors) err(ctx, `${who}: ${e}`, at);
      continue;
    }
    const rendered = await renderLocalHelmRelease(ctx, plan, who, at);
    if (rendered === undefined) continue;
    const scopes = crdScopes(rendered.map((x) => x.object));
    for (const x of rendered) {
      const xm = isRecord(x.object['metadata']) ? x.object['metadata'] : undefined;
      const id = identityOf(x.object);
      // helm-controller installs namespaced objects without a namespace into the release's.
      if (xm && xm['namespace'] === undefined && !('missing' in id) && !isClusterScoped(id, scopes)) xm['namespace'] = plan.namespace;
      out.push(x);
    }
    ctx.diagnostics.push({ severity: 'notice', unit: unit.id, ...at, message: `${who} rendered from the chart ${plan.chart} of this repository (release ${plan.releaseName} in ${plan.namespace})` });
  }
  return out;
}

/** `helm template` of a local chart with a HelmRelease's values, in a work directory holding a copy of the chart. */
async function renderLocalHelmRelease(ctx: Ctx, plan: HelmReleaseRender, who: string, at: { file: string; line?: number }): Promise<Resource[] | undefined> {
  const { input, entry } = ctx;
  const fail = (message: string): undefined => {
    err(ctx, `${who}: ${message}`, at);
    return undefined;
  };
  const bad = checkRelativePath(plan.chart, 'chart') ?? (await repoPathProblem(input.files, input.repoRoot, plan.chart, 'chart')) ?? (await chartTreeProblem(input.files, input.repoRoot, plan.chart));
  if (bad) return fail(bad);
  if (!(await isRegularFile(input, `${plan.chart}/Chart.yaml`))) return fail(`chart ${plan.chart}: no Chart.yaml there`);
  for (const v of plan.valuesFiles) {
    const problem = checkRelativePath(v, 'valuesFiles entry') ?? (await repoPathProblem(input.files, input.repoRoot, v, 'valuesFiles entry'));
    if (problem) return fail(problem);
    if (!(await isRegularFile(input, v))) return fail(`valuesFiles entry ${v} not found in the repository`);
  }
  if (!input.exec.workDir) return fail('this runner has no work directory for the chart');
  const write = plan.layers.map((l, i) => ({ path: `values-${i}.json`, content: `${JSON.stringify(l)}\n` }));
  // With valuesFiles the packaged chart's values.yaml is their merge (source-controller): the chart's own is not used.
  if (plan.valuesFiles.length > 0) write.push({ path: `chart/${CHART_COPY}/values.yaml`, content: '{}\n' });
  const work = await input.exec.workDir([{ from: abs(input, plan.chart), to: `chart/${CHART_COPY}` }], write);
  try {
    const chartDir = posix.join(work.path, 'chart', CHART_COPY);
    const args = ['template', `--namespace=${plan.namespace}`, ...(plan.includeCrds ? ['--include-crds'] : [])];
    for (const v of plan.valuesFiles) args.push(`--values=${abs(input, v)}`);
    for (const w of write) if (w.path.startsWith('values-')) args.push(`--values=${posix.join(work.path, w.path)}`);
    args.push('--', plan.releaseName, chartDir);
    const twice = await chartMayVary(input.files, input.repoRoot, plan.chart);
    const stdout = await runHelmTemplate(ctx, at.file, withHelmFlags(args, helmExtraFlags({ kubeVersion: entry.helm.kubeVersion, apiVersions: entry.helm.apiVersions, stdinValues: false })), undefined, `the chart ${plan.chart}`, twice, work.path);
    return stdout === undefined ? undefined : documentsToResources(ctx, stdout, `${plan.chart}/Chart.yaml`, false);
  } finally {
    await work.remove();
  }
}

/** The chart copy's folder name: helm takes the chart's name from Chart.yaml, not the folder. */
const CHART_COPY = 'c';

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
  // helm works in an empty directory of its own, as for releases.
  const work = input.exec.workDir ? await input.exec.workDir([]) : undefined;
  try {
    const stdout = await runHelmTemplate(ctx, chartFile, args, undefined, `the Helm chart directory ${unit.dir}`, twice, work?.path ?? input.repoRoot);
    return stdout === undefined ? [] : documentsToResources(ctx, stdout, chartFile, false);
  } finally {
    await work?.remove();
  }
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
  const { input, unit, entry } = ctx;
  // A chart directory reaches here only with `type: plain` (type auto renders it as a chart
  // directory): its templates are not manifests.
  if ((await input.files.lstat(abs(input, `${unit.dir}/Chart.yaml`)))?.kind === 'file') {
    err(
      ctx,
      `${unit.dir} is a Helm chart (it holds Chart.yaml), not a plain directory: set the entry's type to chart (or auto) to render it as Argo CD renders a chart source, add a Helm release file (${entry.helm.releaseFile.split('{dir}').join(unit.dir)}) with chart: ./${posix.basename(unit.dir)} and a version, or exclude the directory`,
      { file: `${unit.dir}/Chart.yaml` }
    );
    return [];
  }
  const rule = plainRuleOf(input.settings.config, entry);
  const listing = await listPlainUnit(input.files, input.repoRoot, unit.dir, rule, entry.extraArtifacts);
  for (const link of listing.symlinks) {
    err(ctx, `${posix.basename(link)} is a symlink: symlinked manifests and folders are not followed; copy them instead, or leave it out with plain.exclude`, { file: link });
  }
  for (const chart of listing.charts) {
    err(
      ctx,
      `${chart} is a Helm chart (it holds Chart.yaml) inside plain unit ${unit.dir}: its templates are not manifests; render it through a Helm release file, or leave it out with plain.exclude`,
      { file: `${chart}/Chart.yaml` }
    );
  }
  if (listing.pluginMarkers.length > 0) {
    // A directory made for a plugin: its YAML files are the plugin's input, not manifests.
    const which = listing.pluginMarkers.map((m) => `${PLUGIN_MARKERS[posix.basename(m)]} (${posix.basename(m)})`).join(', ');
    err(
      ctx,
      `${unit.dir} is rendered by ${which}, which Argo CD runs as a config-management plugin and Hydrate does not: render it to YAML in the dry repository, or exclude the directory`,
      { file: listing.pluginMarkers[0]! }
    );
    return [];
  }
  if (listing.files.length === 0 && listing.kustomizations.length === 0) {
    if (listing.jsonnet.length > 0) {
      const some = listing.jsonnet.slice(0, 3).join(', ') + (listing.jsonnet.length > 3 ? ', ...' : '');
      err(
        ctx,
        `${unit.dir} holds only Jsonnet (${some}): Argo CD renders such a directory with Jsonnet, which Hydrate does not run; render it to YAML in the dry repository, or exclude the directory`,
        { file: unit.dir }
      );
    } else if (!hasErrors(ctx.diagnostics)) {
      const why = rule.recurse
        ? `no file below it matches plain.include (${rule.include.join(', ')})`
        : `no file at its top level matches plain.include (${rule.include.join(', ')})${listing.skippedDirs > 0 ? ` and plain.recurse is false (${listing.skippedDirs} sub-director${listing.skippedDirs === 1 ? 'y' : 'ies'} not read)` : ''}`;
      warn(ctx, `unit ${unit.id} renders no objects: ${why}`, { file: unit.dir });
    }
    return [];
  }
  if (listing.jsonnet.length > 0) {
    // Argo CD renders every *.jsonnet of a directory source beside its YAML; Flux ignores them.
    const some = listing.jsonnet.slice(0, 3).join(', ') + (listing.jsonnet.length > 3 ? ', ...' : '');
    warn(
      ctx,
      `${unit.dir} also holds Jsonnet (${some}), which Hydrate does not run: Argo CD would deploy what it renders too (Flux ignores it); render it to YAML in the dry repository, or exclude it with plain.exclude`,
      { file: listing.jsonnet[0]! }
    );
  }
  const out: Resource[] = [];
  for (const rel of listing.files) {
    const text = await input.files.readFile(abs(input, rel));
    out.push(...documentsToResources(ctx, text, rel, true));
  }
  for (const sub of listing.kustomizations) {
    const file = (await kustomizationFileIn(input.files, input.repoRoot, sub)) ?? sub;
    out.push(...(await renderKustomize(ctx, file, sub)));
  }
  if (out.length === 0 && !hasErrors(ctx.diagnostics)) {
    warn(ctx, `unit ${unit.id} renders no objects: its manifest files (${listing.files.length}) hold no documents`, { file: unit.dir });
  }
  return out;
}

/** What a document that is not a Kubernetes object looks like, for the error message; undefined when it is one. */
export function describeNonObject(value: Record<string, unknown>, file: string): string | undefined {
  const apiVersion = value['apiVersion'];
  const kind = value['kind'];
  if (typeof apiVersion === 'string' && apiVersion !== '' && typeof kind === 'string' && kind !== '') return undefined;
  const base = posix.basename(file);
  const keys = Object.keys(value);
  const has = (...ks: string[]): boolean => ks.some((k) => keys.includes(k));
  let looks: string;
  if (base === 'Chart.yaml' || (typeof value['name'] === 'string' && 'version' in value && (apiVersion === 'v1' || apiVersion === 'v2'))) {
    looks = "a Helm chart's Chart.yaml";
  } else if (/values/i.test(base)) {
    looks = 'a Helm values file';
  } else if (
    (typeof apiVersion === 'string' && apiVersion.startsWith('kustomize.config.k8s.io/')) ||
    ['resources', 'bases', 'components', 'patchesStrategicMerge', 'configMapGenerator', 'secretGenerator'].some((k) => Array.isArray(value[k])) ||
    typeof value['namePrefix'] === 'string' ||
    typeof value['nameSuffix'] === 'string'
  ) {
    looks = 'a kustomization without its kustomization.yaml name';
  } else if (has('nameReference', 'namespace', 'commonLabels', 'varReference', 'images', 'replicas') && keys.every((k) => Array.isArray(value[k]))) {
    looks = 'a kustomize configuration (transformer configs)';
  } else {
    looks = `a YAML mapping with keys ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', ...' : ''}`;
  }
  const missing = [typeof apiVersion === 'string' && apiVersion !== '' ? '' : 'apiVersion', typeof kind === 'string' && kind !== '' ? '' : 'kind'].filter(Boolean);
  return `not a Kubernetes object: it looks like ${looks} (no ${missing.join(', ')})`;
}

function documentsToResources(ctx: Ctx, text: string, file: string, positions: boolean): Resource[] {
  const parsed = parseYamlDocuments(text, file, ctx.unit.id);
  ctx.diagnostics.push(...parsed.diagnostics);
  const out: Resource[] = [];
  for (const doc of parsed.documents) {
    if (doc.value === null || doc.value === undefined) continue;
    const at = positions ? { file, line: doc.line, col: doc.col } : { file };
    // `kind: List` and other `*List` kinds stand for their items, as kubectl reads them.
    const items = isListObject(doc.value) ? expandLists(doc.value) : [doc.value];
    for (const item of items) {
      if (item === null || item === undefined) continue;
      if (!isKubeObject(item)) {
        err(ctx, `${items.length === 1 && item === doc.value ? 'document' : 'list item'} is a ${Array.isArray(item) ? 'list' : typeof item}, not a mapping: every document must be a Kubernetes object`, at);
        continue;
      }
      if (positions) {
        const looks = describeNonObject(item, file);
        if (looks !== undefined) {
          err(ctx, `${item === doc.value ? 'document' : 'list item'} is ${looks}; leave the file out with plain.exclude if it is not a manifest`, at);
          continue;
        }
      }
      out.push({ object: item, unit: ctx.unit.id, source: at });
    }
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
      for (const { issue, path, position } of locateZodIssues(check.error, parsed, [i])) {
        err(ctx, `invalid patch: ${path.join('.') || 'item'}: ${issue.message}`, { file: rel, ...position });
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
  const { input, unit } = ctx;
  const folderRel = `${unit.dir}/${extraArtifactsFolder(ctx.entry.extraArtifacts)}`;
  // The config loader refuses `..`, absolute paths and `.git`; here the folder (and every parent
  // on the way) is resolved: a symlink may lead only to another folder of the repository.
  const unsafe = await checkRepoPath(input.repoRoot, folderRel, input.files, 'extra artifacts folder');
  if (unsafe) {
    err(ctx, unsafe, { file: folderRel });
    return [];
  }
  let folder = abs(input, folderRel);
  const st = await input.files.lstat(folder);
  if (st === undefined) return [];
  if (st.kind === 'symlink') {
    // Inside the repository (checked above): followed, and its files reported under the link.
    folder = await input.files.realpath(folder);
    if ((await input.files.lstat(folder))?.kind !== 'directory') {
      ctx.diagnostics.push({
        severity: 'warning',
        unit: unit.id,
        file: folderRel,
        message: `extra artifacts folder ${folderRel} is a symlink to a file, not a folder: nothing copied from it`
      });
      return [];
    }
  } else if (st.kind !== 'directory') {
    ctx.diagnostics.push({
      severity: 'warning',
      unit: unit.id,
      file: folderRel,
      message: `extra artifacts folder ${folderRel} is not a folder: nothing copied from it`
    });
    return [];
  }
  const out: Artifact[] = [];
  for (const f of await listFilesRecursive(input.files, folder)) {
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
    // The wet tree holds text: a binary file is refused, never re-decoded into something else.
    const decoded = decodeUtf8Strict(await input.files.readFileBytes(`${folder}/${f.rel}`));
    if ('problem' in decoded) {
      err(ctx, `extra artifact ${source} ${decoded.problem}: only text files are copied into the wet tree; keep binary files elsewhere`, { file: source });
      continue;
    }
    out.push({ path: f.rel, content: decoded.text, source });
  }
  return out;
}
