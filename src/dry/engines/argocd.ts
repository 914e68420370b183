/**
 * Units from Argo CD's own objects (`from: argocd`): every Application (`argoproj.io/v1alpha1`)
 * found under the entry's path, and every Application an ApplicationSet generates offline (git
 * directory generators over this repository, list generators, cluster generators over the
 * config's `argocd.clusters`, and a matrix of two of those), is one unit. An Application whose
 * source is a plain directory holding Applications (app-of-apps) leads to those, one level at a
 * time. What cannot be resolved offline is listed with its reason (an error with `strict: true`).
 */
import picomatch from 'picomatch';
import { posix } from 'node:path';
import type { Diagnostic } from '../../diagnostics.js';
import type { FileReader } from '../../ports.js';
import { cmp, isRecord } from '../../resources/resource.js';
import { parseYamlDocuments } from '../../resources/yaml.js';
import type { KubernetesEntry, PlainRule } from '../../settings/schema/kubernetes.js';
import type { Settings } from '../../settings/settings.js';
import { renderTemplate } from '../match.js';
import { checkOutputPath, checkRelativePath, checkRepoPath } from '../path-safety.js';
import { emitUnit, type Unit } from '../unit.js';
import { emitOutput } from './flux.js';

/** What an Argo CD unit renders: one Application's single source, with its destination. */
export interface ArgoApp {
  /** metadata.name of the (generated) Application. */
  name: string;
  /** spec.destination.namespace ('' when unset). */
  namespace: string;
  /** Repository-relative file of the Application or of the ApplicationSet that generated it. */
  file: string;
  /** The source (spec.source, or the only entry of spec.sources), templates filled in. */
  source: Record<string, unknown>;
}

const ARGO_GROUP = 'argoproj.io/';
const SKIP_DIRS = new Set(['.git', 'node_modules']);
const MAX_FILES = 20_000;

export interface ArgoDiscovery {
  units: Unit[];
  diagnostics: Diagnostic[];
}

/**
 * The unit id of an Argo CD Application: `kubernetes:argocd#<name>`. A directory unit's id is
 * `kubernetes:<dir>` and a directory segment never holds `#` (path-safety.ts), so an Application
 * named `web` and a directory `argocd/web` are two units.
 */
export function argoUnitId(name: string): string {
  return `kubernetes:argocd#${name}`;
}

/** Argo CD's directory rule for a source: top level only unless `recurse`; `include`/`exclude` globs match anywhere below. */
export function argoDirectoryRule(directory: unknown): PlainRule {
  const d = isRecord(directory) ? directory : {};
  const recurse = d['recurse'] === true;
  // Argo CD matches include/exclude against the path below the source, `*` crossing `/`.
  const anywhere = (g: string): string[] => (g.includes('/') ? [g] : [g, `**/${g}`]);
  const include = typeof d['include'] === 'string' && d['include'] !== '' ? anywhere(d['include']) : ['**/*.yaml', '**/*.yml', '**/*.json'];
  const exclude = typeof d['exclude'] === 'string' && d['exclude'] !== '' ? anywhere(d['exclude']) : [];
  return { recurse, include, exclude };
}

/** The source kind Argo CD's repo-server picks: the option block set, else what the directory holds. */
export async function argoSourceType(files: FileReader, repoRoot: string, dir: string, source: Record<string, unknown>): Promise<'kustomize' | 'helm' | 'directory' | 'plugin'> {
  if (source['plugin'] !== undefined) return 'plugin';
  if (source['helm'] !== undefined) return 'helm';
  if (source['kustomize'] !== undefined) return 'kustomize';
  if (source['directory'] !== undefined) return 'directory';
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    if ((await files.lstat(posix.join(repoRoot, dir, name)))?.kind === 'file') return 'kustomize';
  }
  if ((await files.lstat(posix.join(repoRoot, dir, 'Chart.yaml')))?.kind === 'file') return 'helm';
  return 'directory';
}

/** `https://github.com/o/r.git`, `git@github.com:o/r` → `github.com/o/r`. */
export function normalizeRepoURL(url: string): string {
  let u = url.trim().toLowerCase();
  u = u.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]+@/, '');
  u = u.replace(/^([^/:]+):(?!\d)/, '$1/');
  return u.replace(/\/+$/, '').replace(/\.git$/, '');
}

interface Found {
  obj: Record<string, unknown>;
  file: string;
  line?: number;
  /** An ApplicationSet's generator parameters (fasttemplate names). */
  params?: Record<string, string>;
}

type Params = { flat: Record<string, string>; nested: Record<string, unknown> };

class Unresolvable extends Error {}

/**
 * Renders a unit and returns its objects (undefined when it fails): how discovery reads the
 * Applications a kustomize or Helm source of an app-of-apps renders.
 */
export type RenderObjects = (unit: Unit) => Promise<readonly unknown[] | undefined>;

/** Discovers the units of kubernetes entry `index` (`from: argocd`). */
export async function discoverArgoUnits(settings: Settings, files: FileReader, index: number, renderObjects?: RenderObjects): Promise<ArgoDiscovery> {
  const entry = settings.config.kubernetes[index]!;
  const label = `kubernetes[${index}]`;
  const configFile = settings.configPath;
  const root = settings.repoRoot;
  const diagnostics: Diagnostic[] = [];
  const units: Unit[] = [];
  const start = posix.normalize((entry.path ?? '').replace(/^\.\/+/, '').replace(/\/+$/, '') || '.');
  const bad = start === '.' ? undefined : (checkRelativePath(start, `${label}.path`) ?? (await checkRepoPath(root, start, files, `${label}.path`)));
  if (bad) return { units, diagnostics: [{ severity: 'error', file: configFile, message: bad }] };
  if ((await files.lstat(posix.join(root, start)))?.kind !== 'directory') {
    return { units, diagnostics: [{ severity: 'error', file: configFile, message: `${label}.path ${start}: no such directory` }] };
  }
  const ours = new Set(['.', ...(entry.argocd?.repoURLs ?? [])].map((u) => (u === '.' ? '.' : normalizeRepoURL(u))));
  let repoDirs: Promise<string[]> | undefined;
  let repoFiles: Promise<string[]> | undefined;
  const repo: RepoView = {
    dirs: () => (repoDirs ??= gitDirectories(files, root)),
    files: () => (repoFiles ??= gitFiles(files, root)),
    read: (rel) => files.readFile(posix.join(root, rel))
  };
  const seen = new Map<string, string>();
  const visited = new Set<string>();
  const unresolved = (name: string, at: Found | { file: string; line?: number }, reason: string): void => {
    diagnostics.push({
      severity: entry.strict ? 'error' : 'warning',
      unit: argoUnitId(name),
      file: at.file,
      ...(at.line !== undefined ? { line: at.line } : {}),
      message: `Argo CD Application ${name} is not rendered: ${reason}${entry.strict ? ` (${label} has strict: true)` : ''}`
    });
  };

  let queue: { listing: string[]; rendered?: Found[] }[] = [{ listing: await yamlFilesBelow(files, root, start) }];
  visited.add(start);
  while (queue.length > 0) {
    const next: typeof queue = [];
    for (const level of queue) {
      const apps: Found[] = [];
      const found: Found[] = [...(level.rendered ?? [])];
      for (const file of level.listing) found.push(...(await argoObjects(files, root, file, diagnostics)));
      {
        for (const f of found) {
          if (f.obj['kind'] === 'Application') apps.push(f);
          else if (f.obj['kind'] === 'ApplicationSet') {
            const name = metaName(f.obj) ?? '(unnamed ApplicationSet)';
            try {
              apps.push(...(await expandApplicationSet(f, entry, ours, repo)));
            } catch (e) {
              if (!(e instanceof Unresolvable)) throw e;
              unresolved(name, f, e.message);
            }
          }
        }
      }
      for (const f of apps) {
        const name = metaName(f.obj);
        if (!name) {
          diagnostics.push({ severity: 'error', file: f.file, ...(f.line !== undefined ? { line: f.line } : {}), message: 'Argo CD Application without metadata.name' });
          continue;
        }
        if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
          diagnostics.push({
            severity: 'error',
            unit: argoUnitId(name),
            file: f.file,
            ...(f.line !== undefined ? { line: f.line } : {}),
            message: `Argo CD Application name ${JSON.stringify(name)} is not a valid name (lower-case letters, digits, "-" and "."${name.includes('{{') ? '; a template placeholder was not filled' : ''})`
          });
          continue;
        }
        const first = seen.get(name);
        // The same object reached twice (under path, and again through its app-of-apps): one unit.
        if (first === `${f.file}:${f.line ?? 0}`) continue;
        if (first !== undefined) {
          diagnostics.push({ severity: 'error', unit: argoUnitId(name), file: f.file, ...(f.line !== undefined ? { line: f.line } : {}), message: `Argo CD Application ${name} is defined twice (also in ${first.replace(/:0$/, '')}): names must be unique` });
          continue;
        }
        seen.set(name, `${f.file}:${f.line ?? 0}`);
        let resolved: { app: ArgoApp; dir: string };
        try {
          resolved = resolveApp(f, name, ours);
        } catch (e) {
          if (!(e instanceof Unresolvable)) throw e;
          unresolved(name, f, e.message);
          continue;
        }
        const id = argoUnitId(name);
        const at = { file: f.file, ...(f.line !== undefined ? { line: f.line } : {}) };
        const unsafe = resolved.dir === '.' ? undefined : (checkRelativePath(resolved.dir, 'source path') ?? (await checkRepoPath(root, resolved.dir, files, 'source path')));
        if (unsafe) {
          diagnostics.push({ severity: 'error', unit: id, ...at, message: `Argo CD Application ${name}: ${unsafe}` });
          continue;
        }
        if ((await files.lstat(posix.join(root, resolved.dir)))?.kind !== 'directory') {
          diagnostics.push({ severity: 'error', unit: id, ...at, message: `Argo CD Application ${name}: source path ${resolved.dir} is not a directory of the repository` });
          continue;
        }
        const coordinates: Record<string, string> = { ...generatorCoordinates(f), name, namespace: resolved.app.namespace };
        let output: string;
        try {
          output = renderTemplate(entry.output, coordinates);
        } catch (e) {
          diagnostics.push({ severity: 'error', unit: id, file: configFile, message: `${label}: ${(e as Error).message} (coordinates of Argo CD units: ${Object.keys(coordinates).sort(cmp).join(', ')})` });
          continue;
        }
        const badOutput = checkOutputPath(output);
        if (badOutput) {
          diagnostics.push({ severity: 'error', unit: id, file: configFile, message: `${label}.output "${entry.output}": ${badOutput}` });
          continue;
        }
        const unit: Unit = { id, renderer: 'kubernetes', entry: index, dir: resolved.dir, coordinates, output, argocd: resolved.app };
        units.push(unit);
        if (entry.emit) {
          const emitted = emitOutput(entry.emit.output, coordinates, `${label}.emit.output`);
          if (typeof emitted === 'string') units.push(emitUnit(unit, 'argocd', f.obj, emitted, f.file));
          else diagnostics.push({ severity: 'error', unit: id, file: configFile, message: emitted.error });
        }
        // App-of-apps: a plain directory source holding Applications leads to them.
        const kind = await argoSourceType(files, root, resolved.dir, resolved.app.source);
        if (kind === 'directory' && !visited.has(resolved.dir)) {
          visited.add(resolved.dir);
          next.push({ listing: await directoryListing(files, root, resolved.dir, resolved.app.source['directory']) });
        } else if (kind !== 'directory' && !visited.has(`${resolved.dir}#${name}`) && (await mentionsApplications(files, root, resolved.dir))) {
          // A kustomize or Helm app-of-apps: the Applications are what its source renders.
          visited.add(`${resolved.dir}#${name}`);
          const objects = renderObjects ? await renderObjects(unit) : undefined;
          if (objects) {
            const rendered = objects
              .filter((o): o is Record<string, unknown> => isRecord(o) && typeof o['apiVersion'] === 'string' && o['apiVersion'].startsWith(ARGO_GROUP) && (o['kind'] === 'Application' || o['kind'] === 'ApplicationSet'))
              .map((obj) => ({ obj, file: resolved.dir }));
            next.push({ listing: [], rendered });
          } else diagnostics.push({
            severity: 'warning',
            unit: id,
            ...at,
            message: `Argo CD Application ${name} renders Applications from its ${kind} source ${resolved.dir}: ${renderObjects ? 'it does not render, so those are not followed' : 'those are not followed here'}; add their path to a from: argocd entry`
          });
        }
      }
    }
    queue = next;
  }
  if (units.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    diagnostics.push({ severity: 'warning', file: configFile, message: `${label} (from: argocd) finds no Argo CD Application under ${start}` });
  }
  return { units, diagnostics };
}

/** The generator parameters of a generated Application as coordinates (`path.basename` → `path_basename`). */
function generatorCoordinates(f: Found): Record<string, string> {
  const params = f.params;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) out[k.replace(/\[(\d+)\]/g, '_$1').replace(/[^A-Za-z0-9_]/g, '_')] = v;
  return out;
}

function metaName(obj: Record<string, unknown>): string | undefined {
  const m = obj['metadata'];
  const n = isRecord(m) ? m['name'] : undefined;
  return typeof n === 'string' && n !== '' ? n : undefined;
}

/** The single in-repository source of an Application, or Unresolvable with the reason. */
function resolveApp(f: Found, name: string, ours: ReadonlySet<string>): { app: ArgoApp; dir: string } {
  const spec = isRecord(f.obj['spec']) ? f.obj['spec'] : {};
  let source = spec['source'];
  const sources = spec['sources'];
  if (source === undefined && Array.isArray(sources)) {
    if (sources.length !== 1) throw new Unresolvable(`it has ${sources.length} sources (spec.sources); Hydrate renders Applications with one source`);
    source = sources[0];
  }
  if (!isRecord(source)) throw new Unresolvable('it has no spec.source');
  const repoURL = typeof source['repoURL'] === 'string' ? source['repoURL'] : '';
  if (!ours.has(repoURL === '.' ? '.' : normalizeRepoURL(repoURL))) {
    throw new Unresolvable(`its source repository ${repoURL || '(none)'} is not this repository (list this repository's URLs in argocd.repoURLs)`);
  }
  if (source['chart'] !== undefined) throw new Unresolvable(`its source is the Helm chart ${String(source['chart'])} of a chart repository, not a path in this repository`);
  const path = typeof source['path'] === 'string' ? source['path'] : undefined;
  if (path === undefined || path === '') throw new Unresolvable('its source has no path');
  const dir = posix.normalize(path.replace(/^\.\/+/, '').replace(/\/+$/, '') || '.');
  const dest = isRecord(spec['destination']) ? spec['destination'] : {};
  const namespace = typeof dest['namespace'] === 'string' ? dest['namespace'] : '';
  return { app: { name, namespace, file: f.file, source }, dir };
}

/** Argo CD objects (Application, ApplicationSet) of one file. */
async function argoObjects(files: FileReader, root: string, file: string, diagnostics: Diagnostic[]): Promise<Found[]> {
  const text = await files.readFile(posix.join(root, file));
  const parsed = parseYamlDocuments(text, file);
  const out: Found[] = [];
  for (const doc of parsed.documents) {
    const v = doc.value;
    if (!isRecord(v) || typeof v['apiVersion'] !== 'string' || !v['apiVersion'].startsWith(ARGO_GROUP)) continue;
    if (v['kind'] !== 'Application' && v['kind'] !== 'ApplicationSet') continue;
    out.push({ obj: v, file, line: doc.line });
  }
  // A file that is not YAML cannot hold an Application; broken YAML is the unit's to report, once
  // it is read as a manifest.
  if (out.length === 0 && parsed.diagnostics.length > 0 && /\.(ya?ml)$/.test(file)) {
    diagnostics.push(...parsed.diagnostics.map((d) => ({ ...d, severity: 'warning' as const, message: `${d.message} (read for Argo CD Applications)` })));
  }
  return out;
}

/** Whether a file below `dir` declares an Argo CD Application or ApplicationSet (templates included). */
async function mentionsApplications(files: FileReader, root: string, dir: string): Promise<boolean> {
  for (const file of await yamlFilesBelow(files, root, dir)) {
    // Block style (`kind: Application`), and flow style or JSON (`{"kind": "Application", ...}`), which YAML reads alike.
    if (/(^|[{,]\s*)["']?kind["']?\s*:\s*["']?Application(Set)?["']?\s*(,|}|$)/m.test(await files.readFile(posix.join(root, file)))) return true;
  }
  return false;
}

/** Every *.yaml / *.yml file below `dir`, sorted (hidden folders and .git left out). */
async function yamlFilesBelow(files: FileReader, root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = (await files.readDir(posix.join(root, rel))).sort((a, b) => cmp(a.name, b.name));
    for (const e of entries) {
      if (e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
      const child = rel === '.' ? e.name : `${rel}/${e.name}`;
      if (e.kind === 'directory') await walk(child);
      else if (e.kind === 'file' && /\.ya?ml$/.test(e.name)) {
        out.push(child);
        if (out.length > MAX_FILES) throw new Error(`${dir} holds more than ${MAX_FILES} YAML files`);
      }
    }
  };
  await walk(dir);
  return out;
}

/** The files Argo CD reads from a plain directory source (its directory rule). */
async function directoryListing(files: FileReader, root: string, dir: string, directory: unknown): Promise<string[]> {
  const rule = argoDirectoryRule(directory);
  const include = picomatch(rule.include, { dot: false });
  const exclude = rule.exclude.length > 0 ? picomatch(rule.exclude, { dot: true }) : () => false;
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const here = rel === '' ? posix.join(root, dir) : posix.join(root, dir, rel);
    for (const e of (await files.readDir(here)).sort((a, b) => cmp(a.name, b.name))) {
      if (e.name.startsWith('.')) continue;
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.kind === 'directory') {
        if (rule.recurse && !exclude(child)) await walk(child);
      } else if (e.kind === 'file' && include(child) && !exclude(child)) out.push(dir === '.' ? child : `${dir}/${child}`);
    }
  };
  await walk('');
  return out;
}

/** What git generators read of this repository. */
interface RepoView {
  dirs(): Promise<string[]>;
  files(): Promise<string[]>;
  read(rel: string): Promise<string>;
}

/** Every directory (or regular file) of the repository, hidden ones left out, sorted: what git generators match. */
async function walkRepo(files: FileReader, root: string, want: 'directory' | 'file'): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const e of (await files.readDir(rel === '' ? root : posix.join(root, rel))).sort((a, b) => cmp(a.name, b.name))) {
      if (e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.kind === want) out.push(child);
      if (out.length > MAX_FILES) throw new Error(`the repository holds more than ${MAX_FILES} ${want === 'file' ? 'files' : 'directories'}`);
      if (e.kind === 'directory') await visit(child);
    }
  };
  await visit('');
  return out;
}

const gitDirectories = (files: FileReader, root: string): Promise<string[]> => walkRepo(files, root, 'directory');
const gitFiles = (files: FileReader, root: string): Promise<string[]> => walkRepo(files, root, 'file');

// ---------------------------------------------------------------------------------------------
// ApplicationSets

async function expandApplicationSet(f: Found, entry: KubernetesEntry, ours: ReadonlySet<string>, repo: RepoView): Promise<Found[]> {
  const spec = isRecord(f.obj['spec']) ? f.obj['spec'] : {};
  const goTemplate = spec['goTemplate'] === true;
  const options = Array.isArray(spec['goTemplateOptions']) ? spec['goTemplateOptions'] : [];
  const missingError = options.includes('missingkey=error');
  if (spec['templatePatch'] !== undefined) throw new Unresolvable('its templatePatch is not expanded offline');
  const template = spec['template'];
  if (!isRecord(template)) throw new Unresolvable('it has no template');
  const generators = Array.isArray(spec['generators']) ? spec['generators'] : [];
  if (generators.length === 0) throw new Unresolvable('it has no generators');
  const out: Found[] = [];
  for (const g of generators) {
    for (const p of await generate(g, entry, ours, repo)) {
      const filled = fillTemplate(template, p, goTemplate, missingError) as Record<string, unknown>;
      out.push({ obj: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...filled }, file: f.file, ...(f.line !== undefined ? { line: f.line } : {}), params: p.flat });
    }
  }
  return out;
}

async function generate(g: unknown, entry: KubernetesEntry, ours: ReadonlySet<string>, repo: RepoView): Promise<Params[]> {
  if (!isRecord(g)) throw new Unresolvable('a generator is not a mapping');
  const kinds = Object.keys(g).filter((k) => k !== 'selector');
  if (g['selector'] !== undefined) throw new Unresolvable('a generator selector is not applied offline');
  if (kinds.length !== 1) throw new Unresolvable(`a generator names ${kinds.length} kinds (${kinds.join(', ')})`);
  const kind = kinds[0]!;
  const body = g[kind];
  if (!isRecord(body)) throw new Unresolvable(`the ${kind} generator is not a mapping`);
  if (body['template'] !== undefined) throw new Unresolvable(`the ${kind} generator's own template is not expanded offline`);
  switch (kind) {
    case 'list': {
      if (body['elementsYaml'] !== undefined) throw new Unresolvable('the list generator uses elementsYaml');
      const elements = Array.isArray(body['elements']) ? body['elements'] : [];
      return elements.map((el) => {
        if (!isRecord(el)) throw new Unresolvable('a list generator element is not a mapping');
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(el)) flat[k] = typeof v === 'string' ? v : JSON.stringify(v);
        return { flat, nested: { ...el } };
      });
    }
    case 'git': {
      const repoURL = typeof body['repoURL'] === 'string' ? body['repoURL'] : '';
      if (!ours.has(normalizeRepoURL(repoURL)) && repoURL !== '.') throw new Unresolvable(`its git generator reads ${repoURL || '(no repoURL)'}, not this repository (list this repository's URLs in argocd.repoURLs)`);
      const pathKey = typeof body['pathParamPrefix'] === 'string' && body['pathParamPrefix'] !== '' ? `${body['pathParamPrefix']}.path` : 'path';
      if (body['files'] !== undefined) return gitFilesParams(body['files'], pathKey, repo);
      const list = Array.isArray(body['directories']) ? body['directories'] : [];
      const include: string[] = [];
      const exclude: string[] = [];
      for (const d of list) {
        if (!isRecord(d) || typeof d['path'] !== 'string') throw new Unresolvable('a git directories entry has no path');
        (d['exclude'] === true ? exclude : include).push(d['path']);
      }
      const inc = picomatch(include, { dot: false });
      const exc = exclude.length > 0 ? picomatch(exclude, { dot: false }) : () => false;
      return (await repo.dirs()).filter((d) => inc(d) && !exc(d)).map((d) => dirParams(d, pathKey));
    }
    case 'clusters': {
      const clusters = entry.argocd?.clusters;
      if (clusters === undefined) throw new Unresolvable('its cluster generator needs the clusters: list them in argocd.clusters');
      const sel = isRecord(body['selector']) ? body['selector'] : {};
      if (sel['matchExpressions'] !== undefined) throw new Unresolvable('its cluster generator selector uses matchExpressions');
      const want = isRecord(sel['matchLabels']) ? sel['matchLabels'] : {};
      const values = isRecord(body['values']) ? body['values'] : {};
      return clusters
        .filter((c) => Object.entries(want).every(([k, v]) => c.labels[k] === v))
        .map((c) => {
          const flat: Record<string, string> = { name: c.name, nameNormalized: normalizeName(c.name), server: c.server };
          for (const [k, v] of Object.entries(c.labels)) flat[`metadata.labels.${k}`] = v;
          for (const [k, v] of Object.entries(values)) flat[`values.${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
          return { flat, nested: { name: c.name, nameNormalized: normalizeName(c.name), server: c.server, metadata: { labels: { ...c.labels } }, values: { ...values } } };
        });
    }
    case 'matrix': {
      const children = Array.isArray(body['generators']) ? body['generators'] : [];
      if (children.length !== 2) throw new Unresolvable(`its matrix generator has ${children.length} generators (Argo CD takes 2)`);
      const a = await generate(children[0], entry, ours, repo);
      const b = await generate(children[1], entry, ours, repo);
      const out: Params[] = [];
      for (const x of a) for (const y of b) out.push({ flat: { ...x.flat, ...y.flat }, nested: { ...x.nested, ...y.nested } });
      return out;
    }
    default:
      throw new Unresolvable(`its ${kind} generator needs a cluster or a service Hydrate does not reach`);
  }
}

/** Argo CD's normalized names (SanitizeName): lower case, each other character `-`, at most 253, no leading or trailing `-`/`.`. */
export function normalizeName(s: string): string {
  return s.toLowerCase().replace(/[^-a-z0-9.]/g, '-').slice(0, 253).replace(/^[-.]+|[-.]+$/g, '');
}

/** The parameters of a git files generator: each matched JSON/YAML file (or each item of a list in it), with `path` params of the file. */
async function gitFilesParams(list: unknown, pathKey: string, repo: RepoView): Promise<Params[]> {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const d of Array.isArray(list) ? list : []) {
    if (!isRecord(d) || typeof d['path'] !== 'string') throw new Unresolvable('a git files entry has no path');
    (d['exclude'] === true ? exclude : include).push(d['path']);
  }
  const inc = picomatch(include, { dot: false });
  const exc = exclude.length > 0 ? picomatch(exclude, { dot: false }) : () => false;
  const out: Params[] = [];
  for (const file of (await repo.files()).filter((f) => inc(f) && !exc(f))) {
    const parsed = parseYamlDocuments(await repo.read(file), file);
    if (parsed.diagnostics.length > 0) throw new Unresolvable(`its git files generator cannot read ${file}: ${parsed.diagnostics[0]!.message}`);
    const value = parsed.documents[0]?.value;
    const items = Array.isArray(value) ? value : [value];
    const dir = posix.dirname(file) === '.' ? '' : posix.dirname(file);
    for (const item of items) {
      if (!isRecord(item)) throw new Unresolvable(`its git files generator reads ${file}, which is not a mapping or a list of mappings`);
      const at = dirParams(dir, pathKey);
      const filename = posix.basename(file);
      at.flat[`${pathKey}.filename`] = filename;
      at.flat[`${pathKey}.filenameNormalized`] = normalizeName(filename);
      const pathValue = lookup(at.nested, pathKey.split('.')) as Record<string, unknown>;
      pathValue['filename'] = filename;
      pathValue['filenameNormalized'] = normalizeName(filename);
      out.push({ flat: { ...flatten(item), ...at.flat }, nested: { ...item, ...at.nested } });
    }
  }
  return out;
}

/** A nested object's scalars under dotted keys, as Argo CD flattens a file's values for `{{key.sub}}`. */
function flatten(v: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isRecord(x)) Object.assign(out, flatten(x, key));
    else out[key] = typeof x === 'string' ? x : JSON.stringify(x);
  }
  return out;
}

/** The parameters of one directory of a git directory generator. */
function dirParams(dir: string, key: string): Params {
  const segments = dir.split('/');
  const basename = segments[segments.length - 1]!;
  const flat: Record<string, string> = { [key]: dir, [`${key}.basename`]: basename, [`${key}.basenameNormalized`]: normalizeName(basename) };
  segments.forEach((s, i) => (flat[`${key}[${i}]`] = s));
  const value = { path: dir, basename, basenameNormalized: normalizeName(basename), segments };
  const nested: Record<string, unknown> = {};
  const parts = key.split('.');
  let at = nested;
  for (const p of parts.slice(0, -1)) at = (at[p] = {}) as Record<string, unknown>;
  at[parts[parts.length - 1]!] = value;
  return { flat, nested };
}

/** The template with `{{param}}` (fasttemplate) or `{{ .param }}` (goTemplate) filled in every string. */
function fillTemplate(v: unknown, p: Params, goTemplate: boolean, missingError: boolean): unknown {
  if (typeof v === 'string') return goTemplate ? fillGo(v, p.nested, missingError) : v.replace(/\{\{([^{}]*)\}\}/g, (m, k: string) => p.flat[k.trim()] ?? m);
  if (Array.isArray(v)) return v.map((x) => fillTemplate(x, p, goTemplate, missingError));
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillTemplate(x, p, goTemplate, missingError)]));
  return v;
}

function fillGo(s: string, nested: Record<string, unknown>, missingError: boolean): string {
  return s.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, expr: string) => {
    let value: unknown;
    let m: RegExpExecArray | null;
    if ((m = /^\.([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)$/.exec(expr))) value = lookup(nested, m[1]!.split('.'));
    else if ((m = /^index\s+\.([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s+(\d+)$/.exec(expr))) {
      const list = lookup(nested, m[1]!.split('.'));
      value = Array.isArray(list) ? list[Number(m[2])] : undefined;
    } else throw new Unresolvable(`its goTemplate expression {{ ${expr} }} is not expanded offline (Hydrate expands .field and index .list N)`);
    if (value === undefined) {
      if (missingError) throw new Unresolvable(`its goTemplate names {{ ${expr} }}, which the generator does not give (missingkey=error)`);
      return '<no value>';
    }
    return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  });
}

function lookup(obj: unknown, path: string[]): unknown {
  let at = obj;
  for (const p of path) {
    if (!isRecord(at)) return undefined;
    at = at[p];
  }
  return at;
}
