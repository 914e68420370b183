/**
 * The input closure of a kustomization: every file and directory `kustomize build` can read for
 * it, found by following the kustomization's references transitively. Remote references (URLs,
 * git refs, helm charts fetched from a repository) cannot be seen by a digest: they make the
 * closure volatile, and the reason says which reference did it.
 */
import { posix } from 'node:path';
import type { FileReader } from '../../ports.js';
import { digestOfBytes } from '../digest.js';
import { parsePositioned } from './yaml-positions.js';
import { parseCanonicalYaml } from '../../resources/yaml.js';
import { isLocalChart, isPinnedVersion } from './helm-release.js';
import { kustomizationFileIn } from './unit-type.js';
import { cmp, isRecord } from '../../resources/resource.js';

export interface Closure {
  /** Repository-relative paths (files and directories; directories are read recursively), sorted, unique. */
  paths: string[];
  volatile: boolean;
  reason?: string;
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

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
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

  constructor(
    private readonly files: FileReader,
    private readonly repoRoot: string
  ) {}

  private abs(rel: string): string {
    return rel === '' || rel === '.' ? this.repoRoot : posix.join(this.repoRoot, rel);
  }

  markVolatile(reason: string): void {
    if (!this.volatile) this.reason = reason;
    this.volatile = true;
  }

  /** Resolves `ref` relative to `dir`; undefined (and volatile) when it is remote or leaves the repository. */
  private resolve(dir: string, ref: string, where: string): string | undefined {
    if (isRemoteRef(ref)) {
      this.markVolatile(`${where} references remote ${ref}`);
      return undefined;
    }
    const target = posix.normalize(posix.join(dir, ref));
    if (target === '..' || target.startsWith('../') || posix.isAbsolute(ref)) {
      this.markVolatile(`${where} references ${ref}, outside the repository`);
      return undefined;
    }
    return target === '.' ? '' : target;
  }

  /** A referenced file or directory: included as it is (directories whole). */
  private async addPath(dir: string, ref: string, where: string): Promise<void> {
    const target = this.resolve(dir, ref, where);
    if (target === undefined) return;
    // Missing paths are still recorded: creating them later changes the digest.
    this.paths.add(target);
  }

  /** A `resources`/`bases`/`components` entry: a directory recurses into its kustomization. */
  private async addResource(dir: string, ref: string, where: string): Promise<void> {
    const target = this.resolve(dir, ref, where);
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
    const k = kustomizationValue(text);
    if (!isRecord(k)) return;

    for (const key of ['resources', 'bases', 'components']) {
      for (const ref of strings(k[key])) await this.addResource(dir, ref, where);
    }
    for (const key of ['crds', 'patchesStrategicMerge', 'configurations']) {
      for (const ref of strings(k[key])) {
        // Inline patches in patchesStrategicMerge are YAML text, not paths.
        if (ref.includes('\n')) continue;
        await this.addPath(dir, ref, where);
      }
    }
    for (const key of ['patches', 'patchesJson6902', 'replacements']) {
      const list = k[key];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (isRecord(item) && typeof item['path'] === 'string') await this.addPath(dir, item['path'], where);
      }
    }
    if (isRecord(k['openapi']) && typeof k['openapi']['path'] === 'string') await this.addPath(dir, k['openapi']['path'], where);
    for (const key of ['configMapGenerator', 'secretGenerator']) {
      const list = k[key];
      if (!Array.isArray(list)) continue;
      for (const g of list) {
        if (!isRecord(g)) continue;
        for (const f of strings(g['files'])) await this.addPath(dir, generatorFile(f), where);
        for (const f of strings(g['envs'])) await this.addPath(dir, f, where);
        for (const f of strings(g['env'])) await this.addPath(dir, f, where);
      }
    }
    for (const key of ['transformers', 'generators', 'validators']) {
      for (const ref of strings(k[key])) {
        if (ref.includes('\n')) continue; // inline plugin configuration
        await this.addResource(dir, ref, where);
      }
    }
    await this.helmCharts(dir, k, where);
  }

  private async helmCharts(dir: string, k: Record<string, unknown>, where: string): Promise<void> {
    const charts = Array.isArray(k['helmCharts']) ? k['helmCharts'] : [];
    const globals = isRecord(k['helmGlobals']) ? k['helmGlobals'] : {};
    if (charts.length === 0 && !isRecord(k['helmGlobals'])) return;
    const chartHome = typeof globals['chartHome'] === 'string' ? globals['chartHome'] : 'charts';
    if (typeof globals['configHome'] === 'string') await this.addPath(dir, globals['configHome'], where);
    for (const c of charts) {
      if (!isRecord(c)) continue;
      const name = typeof c['name'] === 'string' ? c['name'] : '';
      if (typeof c['repo'] === 'string' && c['repo'] !== '') {
        this.markVolatile(`${where} inflates helm chart ${name || '(unnamed)'} from ${c['repo']}`);
      }
      if (name) await this.addPath(dir, posix.join(chartHome, name), where);
      else await this.addPath(dir, chartHome, where);
      if (typeof c['valuesFile'] === 'string') await this.addPath(dir, c['valuesFile'], where);
      for (const f of strings(c['additionalValuesFiles'])) await this.addPath(dir, f, where);
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

/** The kustomization's value: plainly written ones (most) skip the positioned parse, which gives the same value. */
function kustomizationValue(text: string): unknown {
  const fast = parseCanonicalYaml(text);
  return fast !== undefined && fast.length === 1 ? fast[0] : parsePositioned(text, 'yaml-1.2').value;
}

function finish(w: Walker): Closure {
  const sorted = [...w.paths].sort(cmp);
  // A file inside a listed directory may be listed too: the digest reads each file once.
  return { paths: sorted, volatile: w.volatile, ...(w.reason !== undefined ? { reason: w.reason } : {}) };
}

/**
 * The closure of the kustomization in `dir` (repository-relative). `repoRoot` is absolute;
 * `files` reads it.
 */
export async function kustomizeClosure(dir: string, files: FileReader, repoRoot: string): Promise<Closure> {
  const w = new Walker(files, repoRoot);
  await w.visit(dir);
  return finish(w);
}

/** The closure of a plain-manifest unit: its directory (manifests, unit patches, extra artifacts). */
export function plainClosure(dir: string): Closure {
  return { paths: [dir], volatile: false };
}

/**
 * The closure of a Helm release unit: the release file, the unit directory (values files, unit
 * patches, extra artifacts) and the chart directory when local. A remote chart is volatile
 * unless its version is pinned to an exact version.
 */
export async function helmClosure(dir: string, releaseFile: string, files: FileReader, repoRoot: string): Promise<Closure> {
  const paths = new Set<string>([dir, releaseFile]);
  let volatile = false;
  let reason: string | undefined;
  const st = await files.lstat(posix.join(repoRoot, releaseFile));
  if (st?.kind === 'file') {
    const text = await readTextOrUndefined(files, posix.join(repoRoot, releaseFile));
    const r = text === undefined ? undefined : parsePositioned(text).value;
    if (isRecord(r) && typeof r['chart'] === 'string') {
      const chart = r['chart'];
      if (isLocalChart(chart)) {
        const target = posix.normalize(posix.join(posix.dirname(releaseFile), chart));
        if (target === '..' || target.startsWith('../')) {
          volatile = true;
          reason = `${releaseFile} uses chart ${chart}, outside the repository`;
        } else paths.add(target);
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
 * Appends `(key, kind and content)` for every file at or below `abs`, recorded under `key`
 * (repo-relative); a missing path is recorded as such. A symlink is recorded by its target and,
 * when the target lies inside the repository, by what it leads to (tools follow it): a folder is
 * walked (once per real folder, so loops end), a file read.
 */
async function readTree(files: FileReader, tree: Tree, abs: string, key: string): Promise<void> {
  const st = await files.lstat(abs);
  if (st === undefined) {
    if (!tree.out.has(key)) tree.out.set(key, 'missing');
    return;
  }
  if (st.kind === 'directory') {
    const entries = (await files.readDir(abs)).map((e) => e.name).sort(cmp);
    if (entries.length === 0 && !tree.out.has(key)) tree.out.set(key, 'empty-dir');
    for (const name of entries) await readTree(files, tree, posix.join(abs, name), key === '' ? name : `${key}/${name}`);
    return;
  }
  if (tree.out.has(key)) return;
  // Bytes, not text: a file that is not UTF-8 (a binary artifact) still has a digest.
  if (st.kind === 'file') tree.out.set(key, `file:${digestOfBytes(await files.readFileBytes(abs))}`);
  else if (st.kind === 'symlink') {
    let target: string | undefined;
    try {
      target = await files.realpath(abs);
    } catch {
      target = undefined;
    }
    tree.out.set(key, `symlink:${target ?? 'dangling'}`);
    if (target === undefined || (target !== tree.realRoot && !target.startsWith(`${tree.realRoot}/`))) return;
    const behind = await files.lstat(target);
    if (behind?.kind === 'file') tree.out.set(key, `symlink:${target}\u0000file:${digestOfBytes(await files.readFileBytes(target))}`);
    else if (behind?.kind === 'directory' && !tree.followed.has(target)) {
      tree.followed.add(target);
      tree.out.delete(key);
      await readTree(files, tree, target, key);
      tree.out.set(`${key}\u0000symlink`, target);
    }
  } else tree.out.set(key, st.kind);
}

interface Tree {
  out: Map<string, string>;
  realRoot: string;
  /** Real folders already walked through a symlink. */
  followed: Set<string>;
}

/**
 * `(path, content)` of every file at or below the closure's paths, sorted by path; directories
 * are walked, symlinks recorded by target (and followed inside the repository), missing paths
 * recorded as missing (their appearance must change a digest).
 */
export async function closureContents(files: FileReader, repoRoot: string, paths: readonly string[]): Promise<[string, string][]> {
  let realRoot = repoRoot;
  try {
    realRoot = await files.realpath(repoRoot);
  } catch {
    // A missing root: nothing below it can be followed.
  }
  const tree: Tree = { out: new Map(), realRoot, followed: new Set() };
  for (const p of paths) await readTree(files, tree, p === '' ? repoRoot : posix.join(repoRoot, p), p);
  return [...tree.out.entries()].sort(([a], [b]) => cmp(a, b));
}
