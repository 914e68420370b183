/**
 * The input closure of a kustomization: every file and directory `kustomize build` can read for
 * it, found by following the kustomization's references transitively. Remote references (URLs,
 * git refs, helm charts fetched from a repository) cannot be seen by a digest: they make the
 * closure volatile, and the reason says which reference did it.
 *
 * The walk also finds what a unit may not read: a reference leaving the repository (by `..`, an
 * absolute path or a symlink) or into a `.git` folder, and a remote base the config does not
 * allow or that is not pinned. Those are `problems` (the renderer refuses the unit); allowed
 * remote bases are listed in `remotes` (the renderer reports them).
 */
import { posix } from 'node:path';
import { checkRepoPath } from '../../dry/path-safety.js';
import type { FileReader } from '../../ports.js';
import type { UnitClosure } from '../renderer.js';
import { parsePositioned } from './yaml-positions.js';
import { parseCanonicalYaml } from '../../resources/yaml.js';
import { isLocalChart, isPinnedVersion } from './helm-release.js';
import { kustomizationFileIn } from './unit-type.js';
import { cmp, isRecord } from '../../resources/resource.js';

/** A kubernetes unit's closure, with what the walk found wrong on the way. */
export interface Closure extends UnitClosure {
  /** References the unit may not read (present only when there are some), at their kustomization file and line. */
  problems?: ClosureProblem[];
  /** Remote bases the config allows, pinned (present only when there are some). */
  remotes?: ClosureProblem[];
}

/** A reference in a kustomization file, with what is wrong with it (or, for `remotes`, what it is). */
export interface ClosureProblem {
  file: string;
  line: number;
  col: number;
  ref: string;
  message: string;
}

export interface ClosureOptions {
  /** Allow remote bases (pinned ones only): the entry's `kustomize.allowRemote` or `policy.allowRemote`. */
  allowRemote?: boolean;
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
/** A release tag: full `X.Y.Z` semver, optional `v`, optional `prefix/` (kustomize's own tags look like `kustomize/v5.4.1`). */
const VERSION_TAG = /^(?:[A-Za-z0-9._-]+\/)*v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * What a remote reference is pinned to, or undefined when it is not pinned. Pinned: a `ref=` (or
 * `version=`) query parameter that is a full commit SHA or a release tag `vX.Y.Z` (optionally
 * with a `prefix/`); for a plain URL to a file, a path segment that is a full commit SHA (e.g.
 * `raw.githubusercontent.com/o/r/<sha>/x.yaml`). A branch name (`main`, `release-1.2`) is not
 * a pin; a branch named like a release tag cannot be told apart, so a commit SHA is safest.
 */
export function remotePin(ref: string): string | undefined {
  const q = ref.indexOf('?');
  // kustomize first GETs an http(s) URL as a file, query and all: a file host ignores `?ref=`,
  // so only a commit SHA in the path pins a file URL.
  if (q >= 0 && !isFileUrl(ref)) {
    for (const part of ref.slice(q + 1).split('&')) {
      const eq = part.indexOf('=');
      const key = eq >= 0 ? part.slice(0, eq) : part;
      if (key !== 'ref' && key !== 'version') continue;
      let value = eq >= 0 ? part.slice(eq + 1) : '';
      try {
        value = decodeURIComponent(value);
      } catch {
        return undefined;
      }
      return SHA.test(value) || VERSION_TAG.test(value) ? value : undefined;
    }
  }
  const path = (q >= 0 ? ref.slice(0, q) : ref).split('/');
  return path.find((seg) => SHA.test(seg));
}

/** An http(s) URL of one file (a `.yaml`/`.yml`/`.json` path, or a raw-content host), not a git repository. */
export function isFileUrl(ref: string): boolean {
  const m = /^https?:\/\/([^/?#]+)([^?#]*)/i.exec(ref);
  if (!m) return false;
  return /\.(ya?ml|json)$/i.test(m[2]!) || /^raw\./i.test(m[1]!);
}

const MAX_DIRS = 500;

/** True for references kustomize fetches over the network. */
export function isRemoteRef(ref: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) ||
    ref.startsWith('git::') ||
    ref.startsWith('git@') ||
    ref.startsWith('github.com/') ||
    ref.startsWith('gitlab.com/') ||
    ref.startsWith('bitbucket.org/') ||
    ref.includes('?ref=') ||
    ref.includes('//?') ||
    ref.includes('.git//')
  );
}

/** The string entries of a field (a string alone, or a list) with their index in the file (a lone string: none). */
function entries(v: unknown): [number | string, string][] {
  if (typeof v === 'string') return [[-1, v]];
  if (!Array.isArray(v)) return [];
  const out: [number, string][] = [];
  v.forEach((x: unknown, i) => {
    if (typeof x === 'string') out.push([i, x]);
  });
  return out;
}

/** `key=path` or `path` (generator `files` entries). */
function generatorFile(entry: string): string {
  const eq = entry.indexOf('=');
  return eq >= 0 ? entry.slice(eq + 1) : entry;
}

class Walker {
  readonly paths = new Set<string>();
  readonly seen = new Set<string>();
  volatile = false;
  reason: string | undefined;
  readonly problems: ClosureProblem[] = [];
  readonly remotes: ClosureProblem[] = [];
  /** Text of each kustomization file read, for the position of a refused reference. */
  private readonly texts = new Map<string, string>();

  constructor(
    private readonly files: FileReader,
    private readonly repoRoot: string,
    private readonly options: ClosureOptions = {}
  ) {}

  private abs(rel: string): string {
    return rel === '' || rel === '.' ? this.repoRoot : posix.join(this.repoRoot, rel);
  }

  markVolatile(reason: string): void {
    if (!this.volatile) this.reason = reason;
    this.volatile = true;
  }

  private at(where: string, path: readonly (string | number)[]): { line: number; col: number } {
    const text = this.texts.get(where);
    return text === undefined ? { line: 1, col: 1 } : parsePositioned(text).positionOf(path);
  }

  private problem(where: string, path: readonly (string | number)[], ref: string, message: string): void {
    this.problems.push({ file: where, ...this.at(where, path), ref, message });
  }

  /**
   * Resolves `ref` relative to `dir`; undefined (and volatile) when it is remote or may not be
   * read. `path` locates the reference in the kustomization file `where`.
   */
  private async resolve(dir: string, ref: string, where: string, path: readonly (string | number)[]): Promise<string | undefined> {
    if (isRemoteRef(ref)) {
      this.markVolatile(`${where} references remote ${ref}`);
      const pin = remotePin(ref);
      if (!this.options.allowRemote) {
        this.problem(
          where,
          path,
          ref,
          `${where} references the remote base ${ref}, which kustomize would fetch over the network: refer to a folder of this repository, or allow remote bases (allowRemote: true on the entry's kustomize settings or in policy) and pin them`
        );
      } else if (pin === undefined) {
        this.problem(
          where,
          path,
          ref,
          isFileUrl(ref)
            ? `${where} references the remote file ${ref} without a pin: name a full commit SHA in its path (a query such as ?ref= does not pin a file URL); a branch moves under the wet tree`
            : `${where} references the remote base ${ref} without a pin: add ?ref=<full commit SHA> (or a release tag vX.Y.Z); a branch moves under the wet tree`
        );
      } else {
        this.remotes.push({ file: where, ...this.at(where, path), ref, message: `${where} uses the remote base ${ref} (pinned to ${pin}), fetched over the network` });
      }
      return undefined;
    }
    const target = posix.normalize(posix.join(dir, ref));
    if (target === '..' || target.startsWith('../') || posix.isAbsolute(ref)) {
      this.markVolatile(`${where} references ${ref}, outside the repository`);
      this.problem(where, path, ref, `${where} references ${ref}, outside the repository: a unit reads only files of its repository`);
      return undefined;
    }
    const rel = target === '.' ? '' : target;
    if (rel !== '') {
      const bad = await checkRepoPath(this.repoRoot, rel, this.files, 'reference', { anyName: true });
      if (bad) {
        this.markVolatile(`${where} references ${ref}, which may not be read`);
        this.problem(where, path, ref, `${where} references ${ref}: ${bad}`);
        return undefined;
      }
    }
    return rel;
  }

  /** A referenced file or directory: included as it is (directories whole). */
  private async addPath(dir: string, ref: string, where: string, path: readonly (string | number)[]): Promise<void> {
    const target = await this.resolve(dir, ref, where, path);
    if (target === undefined) return;
    // Missing paths are still recorded: creating them later changes the digest.
    this.paths.add(target);
  }

  /** A `resources`/`bases`/`components` entry: a directory recurses into its kustomization. */
  private async addResource(dir: string, ref: string, where: string, path: readonly (string | number)[]): Promise<void> {
    const target = await this.resolve(dir, ref, where, path);
    if (target === undefined) return;
    const st = await this.files.lstat(this.abs(target));
    if (st?.kind === 'directory') await this.visit(target);
    else this.paths.add(target);
  }

  async visit(dir: string): Promise<void> {
    if (this.seen.has(dir)) return;
    if (this.seen.size >= MAX_DIRS) {
      this.markVolatile(`more than ${MAX_DIRS} kustomization directories`);
      return;
    }
    this.seen.add(dir);
    // The whole directory: its kustomization, every file it names, and files added later.
    this.paths.add(dir);
    const where = await kustomizationFileIn(this.files, this.repoRoot, dir);
    if (where === undefined) return;
    const text = await readTextOrUndefined(this.files, this.abs(where));
    // Not UTF-8: the digest still has the file's bytes; rendering reports the error.
    if (text === undefined) return;
    this.texts.set(where, text);
    const k = kustomizationValue(text);
    if (!isRecord(k)) return;

    for (const key of ['resources', 'bases', 'components']) {
      for (const [i, ref] of entries(k[key])) await this.addResource(dir, ref, where, [key, i]);
    }
    for (const key of ['crds', 'patchesStrategicMerge', 'configurations']) {
      for (const [i, ref] of entries(k[key])) {
        // Inline patches in patchesStrategicMerge are YAML text, not paths.
        if (ref.includes('\n')) continue;
        await this.addPath(dir, ref, where, [key, i]);
      }
    }
    for (const key of ['patches', 'patchesJson6902', 'replacements']) {
      const list = k[key];
      if (!Array.isArray(list)) continue;
      for (const [i, item] of list.entries()) {
        if (isRecord(item) && typeof item['path'] === 'string') await this.addPath(dir, item['path'], where, [key, i, 'path']);
      }
    }
    if (isRecord(k['openapi']) && typeof k['openapi']['path'] === 'string') await this.addPath(dir, k['openapi']['path'], where, ['openapi', 'path']);
    for (const key of ['configMapGenerator', 'secretGenerator']) {
      const list = k[key];
      if (!Array.isArray(list)) continue;
      for (const [i, g] of list.entries()) {
        if (!isRecord(g)) continue;
        for (const [j, f] of entries(g['files'])) await this.addPath(dir, generatorFile(f), where, [key, i, 'files', j]);
        for (const [j, f] of entries(g['envs'])) await this.addPath(dir, f, where, [key, i, 'envs', j]);
        for (const [j, f] of entries(g['env'])) await this.addPath(dir, f, where, [key, i, 'env', j]);
      }
    }
    for (const key of ['transformers', 'generators', 'validators']) {
      for (const [i, ref] of entries(k[key])) {
        if (ref.includes('\n')) continue; // inline plugin configuration
        await this.addResource(dir, ref, where, [key, i]);
        await this.helmGeneratorFile(dir, ref, where);
      }
    }
    await this.helmCharts(dir, k, where);
  }

  /** A generator file that inflates a chart: what it reads is not followed here, so the unit always renders. */
  private async helmGeneratorFile(dir: string, ref: string, where: string): Promise<void> {
    if (isRemoteRef(ref)) return;
    const target = posix.normalize(posix.join(dir, ref));
    if (target === '..' || target.startsWith('../') || (await this.files.lstat(this.abs(target)))?.kind !== 'file') return;
    if ((await this.files.readFile(this.abs(target))).includes('HelmChartInflationGenerator')) {
      this.markVolatile(`${where} inflates a helm chart through the generator file ${ref}`);
    }
  }

  private async helmCharts(dir: string, k: Record<string, unknown>, where: string): Promise<void> {
    const charts = Array.isArray(k['helmCharts']) ? k['helmCharts'] : [];
    const globals = isRecord(k['helmGlobals']) ? k['helmGlobals'] : {};
    if (charts.length === 0 && !isRecord(k['helmGlobals'])) return;
    const chartHome = typeof globals['chartHome'] === 'string' ? globals['chartHome'] : 'charts';
    if (typeof globals['configHome'] === 'string') await this.addPath(dir, globals['configHome'], where, ['helmGlobals', 'configHome']);
    for (const [i, c] of charts.entries()) {
      if (!isRecord(c)) continue;
      const name = typeof c['name'] === 'string' ? c['name'] : '';
      if (typeof c['repo'] === 'string' && c['repo'] !== '') {
        this.markVolatile(`${where} inflates helm chart ${name || '(unnamed)'} from ${c['repo']}`);
      }
      const home: (string | number)[] = typeof globals['chartHome'] === 'string' ? ['helmGlobals', 'chartHome'] : ['helmCharts', i];
      if (name) await this.addPath(dir, posix.join(chartHome, name), where, home);
      else await this.addPath(dir, chartHome, where, home);
      if (typeof c['valuesFile'] === 'string') await this.addPath(dir, c['valuesFile'], where, ['helmCharts', i, 'valuesFile']);
      for (const [j, f] of entries(c['additionalValuesFiles'])) await this.addPath(dir, f, where, ['helmCharts', i, 'additionalValuesFiles', j]);
    }
  }
}

/** A file's text; undefined when it is not valid UTF-8 (the renderer reports that, naming the file and offset). */
async function readTextOrUndefined(files: FileReader, abs: string): Promise<string | undefined> {
  const bytes = await files.readFileBytes(abs);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** A kustomization's (or release file's) value: plainly written ones (most) skip the positioned parse, which gives the same value. */
function kustomizationValue(text: string): unknown {
  const fast = parseCanonicalYaml(text);
  return fast !== undefined && fast.length === 1 ? fast[0] : parsePositioned(text, 'yaml-1.2').value;
}

function finish(w: Walker): Closure {
  const sorted = [...w.paths].sort(cmp);
  // A file inside a listed directory may be listed too: the digest reads each file once.
  return {
    paths: sorted,
    volatile: w.volatile,
    ...(w.reason !== undefined ? { reason: w.reason } : {}),
    ...(w.problems.length > 0 ? { problems: w.problems } : {}),
    ...(w.remotes.length > 0 ? { remotes: w.remotes } : {})
  };
}

/**
 * The closure of the kustomization in `dir` (repository-relative). `repoRoot` is absolute;
 * `files` reads it.
 */
export async function kustomizeClosure(dir: string, files: FileReader, repoRoot: string, options: ClosureOptions = {}): Promise<Closure> {
  const w = new Walker(files, repoRoot, options);
  await w.visit(dir);
  return finish(w);
}

/** The closure of a plain-manifest unit: its directory (manifests, unit patches, extra artifacts). */
export function plainClosure(dir: string): Closure {
  return { paths: [dir], volatile: false };
}

/**
 * The closure of a Helm chart directory unit: the chart directory (Chart.yaml, values.yaml,
 * templates, vendored dependencies, unit patches), the values files the entry names, and the
 * release-file path (with type auto, a release file appearing later turns the unit into a
 * release). Dependencies named in Chart.yaml but not vendored under `charts/` are fetched by
 * nothing: helm refuses to render them, so nothing outside the closure is read.
 */
export function chartClosure(dir: string, valueFiles: readonly string[], releaseFile: string | undefined): Closure {
  const paths = new Set<string>([dir, ...valueFiles.map((v) => posix.normalize(posix.join(dir, v)))]);
  if (releaseFile !== undefined) paths.add(releaseFile);
  for (const p of paths) {
    if (p === '..' || p.startsWith('../') || posix.isAbsolute(p)) {
      return { paths: [...paths].filter((x) => x !== p).sort(cmp), volatile: true, reason: `values file ${p} is outside the repository` };
    }
  }
  return { paths: [...paths].sort(cmp), volatile: false };
}

/**
 * The closure of a Helm release unit: the release file, the unit directory (values files, unit
 * patches, extra artifacts) and the chart directory when local. A remote chart is volatile
 * unless its version is pinned to an exact version.
 */
export async function helmClosure(
  dir: string,
  releaseFile: string,
  files: FileReader,
  repoRoot: string,
  patchesLibrary?: string
): Promise<Closure> {
  const paths = new Set<string>([dir, releaseFile]);
  let volatile = false;
  let reason: string | undefined;
  const st = await files.lstat(posix.join(repoRoot, releaseFile));
  if (st?.kind === 'file') {
    const text = await readTextOrUndefined(files, posix.join(repoRoot, releaseFile));
    const r = text === undefined ? undefined : kustomizationValue(text);
    // Named patch sets come from the patches library: its content shapes the output.
    if (isRecord(r) && Array.isArray(r['patches']) && r['patches'].length > 0 && patchesLibrary !== undefined) paths.add(patchesLibrary);
    if (isRecord(r) && typeof r['chart'] === 'string') {
      const chart = r['chart'];
      if (isLocalChart(chart)) {
        const target = posix.normalize(posix.join(posix.dirname(releaseFile), chart));
        if (target === '..' || target.startsWith('../')) {
          volatile = true;
          reason = `${releaseFile} uses chart ${chart}, outside the repository`;
        } else {
          paths.add(target);
          const deps = await chartDependencies(files, repoRoot, target);
          if (deps.reason !== undefined) {
            volatile = true;
            reason = deps.reason;
          }
          for (const p of deps.paths) paths.add(p);
        }
      } else {
        const version = typeof r['version'] === 'string' ? r['version'] : typeof r['version'] === 'number' ? String(r['version']) : '';
        if (!isPinnedVersion(version)) {
          volatile = true;
          reason = `${releaseFile} uses chart ${chart} without a pinned version`;
        }
      }
    }
  }
  const sorted = [...paths].sort(cmp);
  return { paths: sorted, volatile, ...(reason !== undefined ? { reason } : {}) };
}

/**
 * What the dependencies of the local chart at `chart` add to a closure: the folders of `file://`
 * dependencies; a reason to always render when one leaves the repository, or when a dependency
 * fetched from a repository is not pinned (no `Chart.lock` and a version range).
 */
async function chartDependencies(files: FileReader, repoRoot: string, chart: string): Promise<{ paths: string[]; reason?: string }> {
  const meta = posix.join(repoRoot, chart, 'Chart.yaml');
  if ((await files.lstat(meta))?.kind !== 'file') return { paths: [] };
  const m = parsePositioned(await files.readFile(meta)).value;
  const deps = isRecord(m) && Array.isArray(m['dependencies']) ? m['dependencies'].filter(isRecord) : [];
  const locked = (await files.lstat(posix.join(repoRoot, chart, 'Chart.lock')))?.kind === 'file';
  const paths: string[] = [];
  for (const d of deps) {
    const repo = typeof d['repository'] === 'string' ? d['repository'] : '';
    const name = typeof d['name'] === 'string' ? d['name'] : '(unnamed)';
    if (repo.startsWith('file://')) {
      const target = posix.normalize(posix.join(chart, repo.slice('file://'.length)));
      if (target === '..' || target.startsWith('../') || posix.isAbsolute(target)) return { paths, reason: `chart ${chart} depends on ${repo}, outside the repository` };
      paths.push(target);
    } else if (repo !== '' && !locked) {
      const version = typeof d['version'] === 'string' ? d['version'] : '';
      if (!isPinnedVersion(version)) return { paths, reason: `chart ${chart} depends on ${name} ${version || '(no version)'} from ${repo} without a Chart.lock or a pinned version` };
    }
  }
  return { paths };
}
