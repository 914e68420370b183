/**
 * What a plain unit (a directory without a kustomization or Helm release) reads, by its rule
 * (`plain` of the entry over `defaults.plain`): the manifest files it takes, the sub-directories
 * built as kustomizations, and what it leaves out. One listing, used by the renderer and by the
 * incremental planner's closure, so the two always agree about what a unit reads.
 *
 * - `recurse: true` (default, Flux's rule for a path without a kustomization): every file below
 *   the directory that `include` matches; a sub-directory holding a kustomization is built with
 *   kustomize as a whole (and not descended into), as Flux does.
 * - `recurse: false` (Argo CD's directory source without `recurse`): top-level files only.
 * - `include` / `exclude`: globs relative to the unit directory; `exclude` also skips folders.
 *   Hidden files and folders, the extra-artifacts folder and `hydrate-patches.yaml` are never read.
 */
import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { FileReader } from '../../ports.js';
import { cmp } from '../../resources/resource.js';
import type { KubernetesEntry, PlainRule } from '../../settings/schema/kubernetes.js';
import { PLAIN_DEFAULTS } from '../../settings/schema/kubernetes.js';
import type { HydrateConfig } from '../../settings/schema/config.js';
import { kustomizationFileIn } from './unit-type.js';

export const UNIT_PATCHES_FILE = 'hydrate-patches.yaml';
export const JSONNET_FILE = /\.(jsonnet|libsonnet)$/;

/** Top-level files that mark a directory Argo CD renders with a config-management plugin, by plugin. */
export const PLUGIN_MARKERS: Readonly<Record<string, string>> = {
  'cdk8s.yaml': 'cdk8s',
  'kcl.mod': 'KCL',
  'jsonnetfile.json': 'Jsonnet (jsonnet-bundler)',
  'helmfile.yaml': 'helmfile'
};
const MAX_ENTRIES = 100_000;

/** The effective rule of an entry: its own `plain` fields over the repository's `defaults.plain`. */
export function plainRuleOf(config: Pick<HydrateConfig, 'defaults'>, entry: Pick<KubernetesEntry, 'plain'>): PlainRule {
  const d = config.defaults.plain;
  const e = entry.plain ?? {};
  return {
    recurse: e.recurse ?? d.recurse ?? PLAIN_DEFAULTS.recurse,
    include: e.include ?? d.include ?? PLAIN_DEFAULTS.include,
    exclude: e.exclude ?? d.exclude ?? PLAIN_DEFAULTS.exclude
  };
}

export interface PlainListing {
  /** Repository-relative manifest files, sorted. */
  files: string[];
  /** Repository-relative sub-directories holding a kustomization (built with kustomize), sorted. */
  kustomizations: string[];
  /** Repository-relative sub-directories holding a Chart.yaml (not read), sorted. */
  charts: string[];
  /** Repository-relative Jsonnet files (`*.jsonnet`, `*.libsonnet`) found, sorted. */
  jsonnet: string[];
  /** Plugin marker files at the top level (repository-relative), sorted. */
  pluginMarkers: string[];
  /** Repository-relative symlinks `include` matches, or that lead to a folder (never followed), sorted. */
  symlinks: string[];
  /** Sub-directories not read because `recurse` is false. */
  skippedDirs: number;
  /** Files not read (not matched by `include`, or excluded). */
  skippedFiles: number;
}

async function symlinkedDir(files: FileReader, abs: string): Promise<boolean> {
  try {
    return (await files.lstat(await files.realpath(abs)))?.kind === 'directory';
  } catch {
    return false;
  }
}

export async function listPlainUnit(
  files: FileReader,
  repoRoot: string,
  dir: string,
  rule: PlainRule,
  extraArtifacts: string
): Promise<PlainListing> {
  const include = picomatch(rule.include, { dot: false, noextglob: true });
  const exclude = rule.exclude.length > 0 ? picomatch(rule.exclude, { dot: true, noextglob: true }) : () => false;
  const out: PlainListing = { files: [], kustomizations: [], charts: [], jsonnet: [], pluginMarkers: [], symlinks: [], skippedDirs: 0, skippedFiles: 0 };
  const artifactsRel = posix.normalize(extraArtifacts);
  let seen = 0;
  const walk = async (rel: string): Promise<void> => {
    const here = rel === '' ? posix.join(repoRoot, dir) : posix.join(repoRoot, dir, rel);
    const entries = (await files.readDir(here)).sort((a, b) => cmp(a.name, b.name));
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) throw new Error(`${dir} holds more than ${MAX_ENTRIES} entries: narrow the plain rule (plain.recurse, plain.exclude)`);
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      const repoRel = `${dir}/${child}`;
      if (e.name.startsWith('.')) continue;
      // The extra-artifacts folder is copied, never read as manifests, whatever it is (a
      // symlink to a folder of the repository included: extraArtifacts checks where it leads).
      if (child === artifactsRel) continue;
      if (e.kind === 'directory') {
        if (exclude(child) || exclude(`${child}/`)) continue;
        if (!rule.recurse) {
          out.skippedDirs++;
          continue;
        }
        if (await kustomizationFileIn(files, repoRoot, repoRel)) out.kustomizations.push(repoRel);
        else if ((await files.lstat(posix.join(repoRoot, repoRel, 'Chart.yaml')))?.kind === 'file') out.charts.push(repoRel);
        else await walk(child);
        continue;
      }
      if (rel === '' && e.name === UNIT_PATCHES_FILE) continue;
      if (rel === '' && Object.hasOwn(PLUGIN_MARKERS, e.name)) {
        out.pluginMarkers.push(repoRel);
        // A plugin's own config is not a manifest (helmfile.yaml would otherwise be read as one).
        continue;
      }
      if (exclude(child)) {
        out.skippedFiles++;
        continue;
      }
      if (JSONNET_FILE.test(e.name)) out.jsonnet.push(repoRel);
      if (e.kind === 'symlink' && rule.recurse && (await symlinkedDir(files, posix.join(repoRoot, repoRel)))) {
        out.symlinks.push(repoRel);
        continue;
      }
      if (!include(child)) {
        out.skippedFiles++;
        continue;
      }
      if (e.kind === 'symlink') out.symlinks.push(repoRel);
      else if (e.kind === 'file') out.files.push(repoRel);
    }
  };
  await walk('');
  for (const list of [out.files, out.kustomizations, out.charts, out.jsonnet, out.pluginMarkers, out.symlinks]) list.sort(cmp);
  return out;
}
