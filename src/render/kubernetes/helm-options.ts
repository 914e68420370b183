/**
 * What a Helm release file may hold beyond chart, version and values (the seed system's
 * helmfile keys `patches`, `hooks`, `execs`, `remoteArtifacts`, and the render-time capabilities
 * `kubeVersion`/`apiVersions`), the extra `helm template` flags they lead to, and the path checks
 * for files a release names. The flags are built in one place (`helmExtraFlags`) and inserted
 * right after `template`, before every positional argument.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import * as z from 'zod';
import { checkRelativePath, hasGitSegment, isWithin } from '../../dry/path-safety.js';
import type { FileReader } from '../../ports.js';
import { cmp, isRecord } from '../../resources/resource.js';
import { targetedPatch } from '../../settings/schema/common.js';
import { apiVersions, kubeVersion } from '../../settings/schema/kubernetes.js';
import type { KubernetesEntry } from '../../settings/schema/kubernetes.js';
import type { LocatedPatch } from '../patches.js';
import { parsePositioned } from './yaml-positions.js';
import { locateZodIssues } from '../../resources/yaml-positions.js';

export const HOOKS_REFUSED =
  'hooks run programs around the render (helmfile hooks); Hydrate never runs a program named in a dry file: remove them, or render what they produce and commit it';
export const EXECS_REFUSED =
  'execs run programs to produce values; Hydrate never runs a program named in a dry file: run the program in your workflow before Hydrate and commit its output as a values file';

const remoteArtifact = z
  .object({
    filename: z.string().min(1).describe('Where the artifact lives in the unit directory'),
    url: z.string().min(1).describe('Where the seed system downloads it from; Hydrate never fetches it'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits')
      .optional()
      .describe('Checksum of the committed copy; required')
  })
  .strict();

/** The release-file keys defined here, spread into the release schema (helm-release.ts). */
export const releaseExtensions = {
  patches: z
    .array(z.string().min(1))
    .default([])
    .describe("Names of patch sets in the entry's helm.patchesLibrary, applied in this order before extraPatches"),
  hooks: z.array(z.unknown()).max(0, HOOKS_REFUSED).default([]).describe('Only an empty list is accepted'),
  execs: z.array(z.unknown()).max(0, EXECS_REFUSED).default([]).describe('Only an empty list is accepted'),
  remoteArtifacts: z
    .array(remoteArtifact)
    .default([])
    .describe('Files the seed system downloads; Hydrate uses the committed copy in the unit directory, checked against sha256'),
  kubeVersion: kubeVersion.optional(),
  apiVersions: apiVersions.optional()
};

export type RemoteArtifact = z.infer<typeof remoteArtifact>;

/**
 * The extra flags of `helm template`: the capabilities (`--kube-version`, `--api-versions`) and,
 * when there are coordinate values, `-f -` (read from stdin) as the first values file, so the
 * unit's values files and `set` override them. Values are validated by the schema (no leading
 * `-`, no commas) and passed in `--flag=value` form.
 */
export function helmExtraFlags(options: { kubeVersion?: string | undefined; apiVersions: readonly string[]; stdinValues: boolean }): string[] {
  const flags: string[] = [];
  if (options.kubeVersion !== undefined) flags.push(`--kube-version=${options.kubeVersion}`);
  for (const v of options.apiVersions) flags.push(`--api-versions=${v}`);
  if (options.stdinValues) flags.push('-f', '-');
  return flags;
}

/** `args` (starting with `template`) with `flags` inserted right after `template`. */
export function withHelmFlags(args: readonly string[], flags: readonly string[]): string[] {
  if (flags.length === 0) return [...args];
  return [args[0]!, ...flags, ...args.slice(1)];
}

/**
 * The values text (JSON, a subset of YAML that both YAML 1.1 and 1.2 read as strings) that makes
 * the unit's coordinates chart values, or undefined when there are none or the mode is `none`.
 */
export function coordinateValuesText(
  coordinates: Readonly<Record<string, string>>,
  mode: KubernetesEntry['helm']['coordinateValues']
): string | undefined {
  const names = Object.keys(coordinates).sort(cmp);
  if (mode === 'none' || names.length === 0) return undefined;
  let values: Record<string, unknown> = {};
  for (const n of names) values[n] = coordinates[n];
  if (mode !== 'top-level') {
    for (const key of mode.under.split('.').reverse()) values = { [key]: values };
  }
  return `${JSON.stringify(values)}\n`;
}

/** Fills `{name}` placeholders from the coordinates; undefined names are reported. */
export function fillCoordinates(template: string, coordinates: Readonly<Record<string, string>>): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = template.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = coordinates[name];
    if (v === undefined) {
      missing.push(name);
      return '';
    }
    return v;
  });
  return { value, missing };
}

/** The real path of the repository root (the root itself when it cannot be resolved). */
async function realRoot(files: FileReader, repoRoot: string): Promise<string> {
  try {
    return await files.realpath(repoRoot);
  } catch {
    return repoRoot;
  }
}

/** True when `real` (resolved, inside the repository) lies in a `.git` folder: the repository's own or any nested one, in any letter case. */
const isGitPath = (realRootPath: string, real: string): boolean => hasGitSegment(posix.relative(realRootPath, real));

/**
 * Why a repository-relative path named by a release file or the config is unsafe: outside the
 * repository (also through symlinks), inside `.git`, or with unsafe segments. undefined when it
 * is fine or does not exist (callers report a missing path themselves, in their own words).
 */
export async function repoPathProblem(files: FileReader, repoRoot: string, rel: string, what: string): Promise<string | undefined> {
  // Its text (`..`, absolute, a `.git` segment in any case), then where its symlinks lead.
  const bad = checkRelativePath(rel, what);
  if (bad) return bad;
  if ((await files.lstat(posix.join(repoRoot, rel))) === undefined) return undefined;
  let real: string;
  try {
    real = await files.realpath(posix.join(repoRoot, rel));
  } catch {
    return `${what} "${rel}" is a broken symlink`;
  }
  const root = await realRoot(files, repoRoot);
  if (!isWithin(root, real)) return `${what} "${rel}" leads outside the repository through a symlink`;
  if (isGitPath(root, real)) return `${what} "${rel}" leads into .git through a symlink`;
  return undefined;
}

const MAX_CHART_ENTRIES = 20_000;

/**
 * Why a chart directory is unsafe for helm to load: helm follows symlinks inside a chart, so
 * every symlink below it must lead to a path inside the repository (and not into `.git`).
 * undefined when it is fine.
 */
export async function chartTreeProblem(files: FileReader, repoRoot: string, chartRel: string): Promise<string | undefined> {
  const root = await realRoot(files, repoRoot);
  const visited = new Set<string>();
  let seen = 0;
  const walk = async (abs: string, rel: string): Promise<string | undefined> => {
    let real: string;
    try {
      real = await files.realpath(abs);
    } catch {
      return `${rel} is a broken symlink`;
    }
    if (visited.has(real)) return undefined;
    visited.add(real);
    const entries = (await files.readDir(abs)).sort((a, b) => cmp(a.name, b.name));
    for (const e of entries) {
      if (++seen > MAX_CHART_ENTRIES) return `chart ${chartRel} has more than ${MAX_CHART_ENTRIES} files`;
      const childAbs = posix.join(abs, e.name);
      const childRel = `${rel}/${e.name}`;
      if (e.kind === 'directory') {
        const p = await walk(childAbs, childRel);
        if (p) return p;
      } else if (e.kind === 'symlink') {
        let target: string;
        try {
          target = await files.realpath(childAbs);
        } catch {
          return `${childRel} is a broken symlink`;
        }
        if (!isWithin(root, target)) return `${childRel} is a symlink leading outside the repository: helm would read it`;
        if (isGitPath(root, target)) return `${childRel} is a symlink into .git: helm would read it`;
        if ((await files.lstat(target))?.kind === 'directory') {
          const p = await walk(childAbs, childRel);
          if (p) return p;
        }
      }
    }
    return undefined;
  };
  return walk(posix.join(repoRoot, chartRel), chartRel);
}

export interface Located {
  file: string;
  line?: number;
  col?: number;
}

/** A problem found while resolving release keys, with where to report it. */
export interface KeyProblem {
  message: string;
  at: Located;
}

/**
 * The patches a release names in `patches`, looked up in the patches library (a mapping of
 * name → list of `{target, patch}`), in the order named. Each patch is located at its item in
 * the library, so a failing patch points there.
 */
export async function libraryPatches(
  files: FileReader,
  repoRoot: string,
  unitId: string,
  names: readonly string[],
  libraryRel: string,
  positionOfName: (i: number) => Located
): Promise<{ patches: LocatedPatch[]; problems: KeyProblem[] }> {
  const problems: KeyProblem[] = [];
  if (names.length === 0) return { patches: [], problems };
  const unsafe = await repoPathProblem(files, repoRoot, libraryRel, 'patches library (helm.patchesLibrary)');
  if (unsafe) return { patches: [], problems: [{ message: unsafe, at: positionOfName(0) }] };
  if ((await files.lstat(posix.join(repoRoot, libraryRel))) === undefined) {
    return {
      patches: [],
      problems: [
        {
          message: `patches names ${names.map((n) => JSON.stringify(n)).join(', ')} but the patches library ${libraryRel} does not exist: create it or set the entry's helm.patchesLibrary`,
          at: positionOfName(0)
        }
      ]
    };
  }
  const parsed = parsePositioned(await files.readFile(posix.join(repoRoot, libraryRel)));
  for (const e of parsed.errors) problems.push({ message: `invalid YAML: ${e.message}`, at: { file: libraryRel, line: e.line, col: e.col } });
  if (parsed.errors.length > 0) return { patches: [], problems };
  const lib = parsed.value;
  if (!isRecord(lib)) {
    return { patches: [], problems: [{ message: 'the patches library must be a mapping of name → list of {target, patch}', at: { file: libraryRel, ...parsed.positionOf([]) } }] };
  }
  const patches: LocatedPatch[] = [];
  for (const [i, name] of names.entries()) {
    if (!Object.prototype.hasOwnProperty.call(lib, name)) {
      problems.push({ message: `patch set ${JSON.stringify(name)} not found in the patches library ${libraryRel}`, at: positionOfName(i) });
      continue;
    }
    const set = lib[name];
    if (!Array.isArray(set)) {
      problems.push({ message: `patch set ${JSON.stringify(name)} must be a list of {target, patch}`, at: { file: libraryRel, ...parsed.positionOf([name]) } });
      continue;
    }
    for (const [j, item] of (set as unknown[]).entries()) {
      const check = targetedPatch.safeParse(item);
      if (!check.success) {
        for (const { issue, path, position } of locateZodIssues(check.error, parsed, [name, j])) {
          problems.push({ message: `invalid patch in set ${JSON.stringify(name)}: ${[j, ...path].join('.')}: ${issue.message}`, at: { file: libraryRel, ...position } });
        }
        continue;
      }
      patches.push({ ...check.data, where: { unit: unitId, file: libraryRel, ...parsed.positionOf([name, j]) } });
    }
  }
  return { patches: problems.length > 0 ? [] : patches, problems };
}

/**
 * Checks every remote artifact against its committed copy: Hydrate fetches nothing while
 * rendering, so an artifact must be committed at `<unit>/<filename>` and pinned by `sha256`.
 */
export async function checkRemoteArtifacts(
  files: FileReader,
  repoRoot: string,
  unitDir: string,
  artifacts: readonly RemoteArtifact[],
  positionOf: (i: number, key?: string) => Located
): Promise<KeyProblem[]> {
  const problems: KeyProblem[] = [];
  for (const [i, a] of artifacts.entries()) {
    const rel = posix.normalize(posix.join(unitDir, a.filename));
    if (a.sha256 === undefined) {
      problems.push({
        message: `remote artifact ${a.url} would be fetched at render time, and Hydrate fetches nothing while rendering (the wet tree must follow from the dry tree alone): commit it as ${rel} and pin it with sha256`,
        at: positionOf(i)
      });
      continue;
    }
    const unsafe = await repoPathProblem(files, repoRoot, rel, 'remote artifact filename');
    if (unsafe || !isWithin(unitDir, rel)) {
      problems.push({ message: unsafe ?? `remote artifact filename ${a.filename} is outside the unit directory ${unitDir}`, at: positionOf(i, 'filename') });
      continue;
    }
    const st = await files.lstat(posix.join(repoRoot, rel));
    if (st === undefined) {
      problems.push({
        message: `remote artifact ${a.url} is not committed at ${rel}: Hydrate never downloads it; download it once, check its sha256 and commit it there`,
        at: positionOf(i, 'filename')
      });
      continue;
    }
    const actual = createHash('sha256')
      .update(await files.readFileBytes(posix.join(repoRoot, rel)))
      .digest('hex');
    if (actual !== a.sha256) {
      problems.push({ message: `remote artifact ${rel} has sha256 ${actual}, not the pinned ${a.sha256}: update the file or the checksum`, at: positionOf(i, 'sha256') });
    }
  }
  return problems;
}

/**
 * Template functions whose result can differ between two identical renders (sprig's random,
 * time, key and certificate generators, bcrypt salts, AES IVs, `shuffle`), or that reach the
 * cluster or network (`lookup`, `getHostByName`), or that evaluate template text from values
 * (`tpl`, which may call any of them). A Go template calls functions only by these static names.
 */
const VARYING_FUNCTIONS =
  /\b(rand[A-Za-z]*|uuidv4|now|ago|gen(PrivateKey|CA|CAWithKey|SelfSignedCert|SelfSignedCertWithKey|SignedCert|SignedCertWithKey)|bcrypt|htpasswd|encryptAES|shuffle|lookup|getHostByName|tpl)\b/;

/**
 * Whether a local chart's output may differ between two identical renders: true when any file
 * of the chart (templates, helpers, subcharts) names a function in VARYING_FUNCTIONS, or when
 * it holds a packaged subchart (`.tgz`) or declares dependencies (fetched or built at render
 * time, not read here). A chart without any of them renders the
 * same every time, so one render is enough; otherwise the renderer renders twice and compares.
 */
export async function chartMayVary(files: FileReader, repoRoot: string, chartRel: string): Promise<boolean> {
  const visited = new Set<string>();
  const walk = async (abs: string): Promise<boolean> => {
    let real: string;
    try {
      real = await files.realpath(abs);
    } catch {
      return true;
    }
    if (visited.has(real)) return false;
    visited.add(real);
    for (const e of await files.readDir(abs)) {
      const child = posix.join(abs, e.name);
      const st = e.kind === 'symlink' ? await files.lstat(await files.realpath(child).catch(() => child)) : e;
      if (st?.kind === 'directory') {
        if (await walk(child)) return true;
      } else if (st?.kind === 'file') {
        if (e.name.endsWith('.tgz') || e.name.endsWith('.tar.gz') || e.name === 'requirements.yaml') return true;
        const text = await files.readFile(child);
        // Dependencies may be fetched or built into the chart at render time: not read here.
        if (e.name === 'Chart.yaml' && /^dependencies\s*:\s*(\S|$)/m.test(text) && !/^dependencies\s*:\s*\[\s*\]/m.test(text)) return true;
        if (VARYING_FUNCTIONS.test(text)) return true;
      } else return true;
    }
    return false;
  };
  return walk(posix.join(repoRoot, chartRel));
}
