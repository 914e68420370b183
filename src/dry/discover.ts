/**
 * Unit discovery: every directory of the dry repository matched by a renderer entry's `match`
 * pattern is one unit. The walk starts at the pattern's literal prefix and only descends into
 * directories whose name fits the pattern's segment at that depth.
 */
import picomatch from 'picomatch';
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import type { FileReader } from '../ports.js';
import { cmp } from '../resources/resource.js';
import type { Settings } from '../settings/settings.js';
import { compilePattern, matchSegment, PatternError, renderTemplate, type CompiledPattern } from './match.js';
import { checkInsideRepo, checkOutputPath, checkRelativePath, checkRepoPath } from './path-safety.js';
import { GLOB_OPTIONS } from './select.js';
import { discoverFluxUnits } from './engines/flux.js';
import { RENDERER_NAMES, unitId, type RendererName, type Unit } from './unit.js';
import { discoverArgoUnits, type RenderObjects } from './engines/argocd.js';

const SKIP_DIRS = new Set(['.git', 'node_modules']);

export interface DiscoverResult {
  units: Unit[];
  diagnostics: Diagnostic[];
  /** Config mistakes only the tree reveals (two entries of one renderer matching one directory): exit 2. */
  configErrors: Diagnostic[];
}

/** Where an entry is in the config file, by label (`kubernetes[1]`), when known. */
export type EntryPositions = ReadonlyMap<string, Pick<Diagnostic, 'file' | 'line' | 'col'>>;

interface EntryRef {
  renderer: RendererName;
  entry: number;
  match: string;
  output: string;
  exclude: readonly string[];
  allowEmpty?: boolean | undefined;
  /** Units from engine objects (`from: argocd`, `from: flux`) instead of `match`. */
  from?: 'flux' | 'argocd';
}

function entriesOf(settings: Settings): EntryRef[] {
  const out: EntryRef[] = [];
  for (const renderer of RENDERER_NAMES) {
    const list = settings.config[renderer];
    list.forEach((e, entry) => {
      const from = 'from' in e ? e.from : undefined;
      if (from === 'flux') return; // discovered from Flux Kustomizations below
      out.push({ renderer, entry, match: e.match ?? '', output: e.output, exclude: e.exclude, allowEmpty: e.allowEmpty, ...(from ? { from } : {}) });
    });
  }
  return out;
}

function label(e: Pick<EntryRef, 'renderer' | 'entry'>): string {
  return `${e.renderer}[${e.entry}]`;
}

/** A matched directory before it becomes a unit. */
interface Candidate {
  dir: string;
  coordinates: Record<string, string>;
}

/**
 * Walks `settings.repoRoot` for every entry of every renderer and returns the units, sorted by
 * id, plus diagnostics (errors for unsafe or colliding units, warnings for entries that match
 * nothing). Units with errors are left out.
 */
export async function discoverUnits(
  settings: Settings,
  files: FileReader,
  positions: EntryPositions = new Map(),
  engines: { renderObjects?: RenderObjects } = {}
): Promise<DiscoverResult> {
  const diagnostics: Diagnostic[] = [];
  const configErrors: Diagnostic[] = [];
  const all: Unit[] = [];
  const file = settings.configPath;
  const reportedOutside = new Set<string>();

  for (const e of entriesOf(settings)) {
    if (e.from !== undefined) {
      switch (e.from) {
        case 'argocd': {
          const found = await discoverArgoUnits(settings, files, e.entry, engines.renderObjects);
          all.push(...found.units);
          diagnostics.push(...found.diagnostics);
          break;
        }
      }
      continue;
    }
    let pattern: CompiledPattern;
    try {
      pattern = compilePattern(e.match);
    } catch (err) {
      const message = err instanceof PatternError ? err.message : String(err);
      diagnostics.push({ severity: 'error', file, message: `${label(e)}.match: ${message}` });
      continue;
    }
    const excluded = e.exclude.length > 0 ? picomatch([...e.exclude], GLOB_OPTIONS) : undefined;
    const found = await walk(settings, files, pattern, e, excluded, diagnostics, reportedOutside);
    for (const c of found) {
      const id = unitId(e.renderer, c.dir);
      const unsafe = checkRelativePath(c.dir, 'unit directory');
      if (unsafe) {
        diagnostics.push({ severity: 'error', unit: id, file: c.dir, message: `${unsafe} (matched by ${label(e)} "${e.match}"; or exclude it)` });
        continue;
      }
      let output: string;
      try {
        output = renderTemplate(e.output, c.coordinates);
      } catch (err) {
        diagnostics.push({ severity: 'error', unit: id, file, message: `${label(e)}: ${(err as Error).message}` });
        continue;
      }
      const badOutput = checkOutputPath(output);
      if (badOutput) {
        diagnostics.push({ severity: 'error', unit: id, file, message: `${label(e)}.output "${e.output}": ${badOutput}` });
        continue;
      }
      all.push({ id, renderer: e.renderer, entry: e.entry, dir: c.dir, coordinates: c.coordinates, output });
    }
    if (found.length === 0) {
      // A typo would otherwise prune everything the entry rendered before: an error unless allowed.
      const allowed = e.allowEmpty === true;
      const where = settings.locations?.[label(e)];
      diagnostics.push({
        severity: allowed ? 'warning' : 'error',
        file,
        ...(where ? { line: where.line, col: where.col } : {}),
        message: `${label(e)}.match "${e.match}" matches no directory${pattern.literalPrefix ? ` (looked under ${pattern.literalPrefix})` : ''}${allowed ? '' : ': fix the pattern, remove the entry, or set allowEmpty: true on it'}`
      });
    }
  }

  for (const [entry, e] of settings.config.kubernetes.entries()) {
    switch (e.from) {
      case 'flux': {
        const found = await discoverFluxUnits(settings, files, entry, e);
        all.push(...found.units);
        diagnostics.push(...found.diagnostics);
        break;
      }
    }
  }

  all.sort((a, b) => cmp(a.id, b.id) || a.entry - b.entry);
  const units = dropCollisions(all, file, positions, configErrors, (r, a, b, dirs) => configErrors.push(overlapError(settings, positions, r, a, b, dirs)));
  diagnostics.push(...(await nestedUnits(settings, files, units)));
  return { units, diagnostics, configErrors };
}

/**
 * A Kubernetes unit inside a plain unit whose rule recurses is read by both: its objects would be
 * deployed twice. A warning on the outer unit says how to leave it out. (An outer unit with a
 * kustomization, or typed kustomize or helm, reads only what it references.)
 */
async function nestedUnits(settings: Settings, files: FileReader, units: readonly Unit[]): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const kube = units.filter((u) => u.renderer === 'kubernetes' && !u.object && !u.emit).sort((a, b) => cmp(a.dir, b.dir));
  for (let i = 0; i < kube.length; i++) {
    const outer = kube[i]!;
    const entry = settings.config.kubernetes[outer.entry];
    if (!entry || entry.from !== undefined || entry.type === 'kustomize' || entry.type === 'helm') continue;
    if (!(entry.plain?.recurse ?? settings.config.defaults.plain.recurse ?? true)) continue;
    const inner: string[] = [];
    for (let j = i + 1; j < kube.length && kube[j]!.dir.startsWith(`${outer.dir}/`); j++) inner.push(kube[j]!.dir.slice(outer.dir.length + 1));
    if (inner.length === 0) continue;
    if (entry.type === 'auto' && (await hasKustomization(settings.repoRoot, outer.dir, files))) continue;
    const shown = inner.slice(0, 3).join(', ') + (inner.length > 3 ? ` and ${inner.length - 3} more` : '');
    out.push({
      severity: 'warning',
      unit: outer.id,
      file: settings.configPath,
      message: `units ${shown} lie inside ${outer.dir}, whose plain rule recurses: if ${outer.dir} is a plain directory, their files are rendered by both units; leave them out with plain.exclude (e.g. ["${inner[0]!.split('/')[0]}"]) or set plain.recurse: false on kubernetes[${outer.entry}]`
    });
  }
  return out;
}

async function hasKustomization(root: string, dir: string, files: FileReader): Promise<boolean> {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    if ((await files.lstat(join(root, dir, name)))?.kind === 'file') return true;
  }
  return false;
}

/** The glob form of a match pattern: `{name}` → `*`. */
function patternGlob(match: string): string {
  return match.replace(/\{[^}]*\}/g, '*');
}

/** Literal (non-placeholder, non-`*`) segments of a pattern: the more, the more specific. */
function literalSegments(match: string): number {
  return match.split('/').filter((s) => !s.includes('{') && !s.includes('*')).length;
}

/**
 * Two entries of one renderer match the same directories. Most often a general entry and a
 * specific one meant as an exception: the message says how to write that exception.
 */
function overlapError(settings: Settings, positions: EntryPositions, renderer: RendererName, a: number, b: number, dirs: readonly string[]): Diagnostic {
  const list: readonly { match?: string | undefined; from?: string | undefined; path?: string | undefined }[] = settings.config[renderer];
  const ea = { match: list[a]!.match ?? '' };
  const eb = { match: list[b]!.match ?? '' };
  const where = (i: number): string => {
    const p = positions.get(`${renderer}[${i}]`);
    return p?.line !== undefined ? ` (${p.file ?? settings.configPath}:${p.line})` : '';
  };
  if (list[a]!.from !== undefined || list[b]!.from !== undefined) {
    // Units from engine objects: the same object found by two entries (their paths overlap, or two Argo CD entries name one Application).
    const what = (i: number): string => (list[i]!.from !== undefined ? `${renderer}[${i}] (from: ${list[i]!.from}, path: ${list[i]!.path ?? ''})` : `${renderer}[${i}] "${list[i]!.match ?? ''}"`);
    const shown = dirs.slice(0, 3).join(', ') + (dirs.length > 3 ? ` and ${dirs.length - 3} more` : '');
    return {
      severity: 'error',
      ...(positions.get(`${renderer}[${a}]`) ?? { file: settings.configPath }),
      message: `${what(a)}${where(a)} and ${what(b)}${where(b)} both make unit ${shown}: an engine object is rendered by one entry; give the entries paths that do not overlap, or exclude the object's file from one of them`
    };
  }
  const [general, specific] = literalSegments(ea.match) <= literalSegments(eb.match) ? [a, b] : [b, a];
  const glob = patternGlob(list[specific]!.match ?? '');
  const shown = dirs.slice(0, 3).join(', ') + (dirs.length > 3 ? ` and ${dirs.length - 3} more` : '');
  const first = positions.get(`${renderer}[${a}]`) ?? { file: settings.configPath };
  return {
    severity: 'error',
    ...first,
    message:
      `${renderer}[${a}] "${ea.match}"${where(a)} and ${renderer}[${b}] "${eb.match}"${where(b)} both match ${shown}: a directory is rendered by one entry. ` +
      `For ${renderer}[${specific}] to render ${dirs.length === 1 ? 'it' : 'them'}, add \`exclude: ["${glob}"]\` to ${renderer}[${general}]; ` +
      `to render ${dirs.length === 1 ? 'it' : 'them'} once with one entry's settings, remove or narrow the other entry's match`
  };
}

/** Errors for one dir matched twice by the same renderer and for shared outputs; keeps the rest. */
function dropCollisions(
  sorted: Unit[],
  file: string,
  positions: EntryPositions,
  configErrors: Diagnostic[],
  overlap: (renderer: RendererName, a: number, b: number, dirs: string[]) => void
): Unit[] {
  const bad = new Set<Unit>();
  const pairs = new Map<string, { a: number; b: number; renderer: RendererName; dirs: string[] }>();
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.id === b.id) {
      const key = `${a.renderer}:${a.entry}:${b.entry}`;
      const pair = pairs.get(key) ?? { a: a.entry, b: b.entry, renderer: a.renderer, dirs: [] };
      pair.dirs.push(a.object || a.argocd || b.object || b.argocd ? a.id.slice(a.renderer.length + 1) : a.dir);
      pairs.set(key, pair);
      bad.add(a);
      bad.add(b);
    }
  }
  for (const p of pairs.values()) overlap(p.renderer, p.a, p.b, p.dirs);
  const byOutput = new Map<string, Unit[]>();
  for (const u of sorted) {
    if (bad.has(u)) continue;
    const list = byOutput.get(u.output) ?? [];
    list.push(u);
    byOutput.set(u.output, list);
  }
  for (const output of [...byOutput.keys()].sort(cmp)) {
    const list = byOutput.get(output)!;
    if (list.length < 2) continue;
    // A config mistake the tree reveals (exit 2): located at the first entry's `output`, the others by line.
    const at = (u: Unit): Pick<Diagnostic, 'file' | 'line' | 'col'> | undefined => positions.get(`${u.renderer}[${u.entry}].output`) ?? positions.get(`${u.renderer}[${u.entry}]`);
    const lineOf = (u: Unit): string => {
      const p = at(u);
      return p?.line !== undefined ? `, line ${p.line}` : '';
    };
    const who = list.map((u) => `${u.dir} (${u.renderer}[${u.entry}]${lineOf(u)})`).join(', ');
    configErrors.push({
      severity: 'error',
      unit: list[0]!.id,
      file,
      ...at(list[0]!),
      message: `units ${who} all render to output ${output}: make the output templates use coordinates that tell them apart`
    });
    for (const u of list) bad.add(u);
  }
  return sorted.filter((u) => !bad.has(u));
}

/** Directories matching `pattern`, found by walking from its literal prefix. */
async function walk(
  settings: Settings,
  files: FileReader,
  pattern: CompiledPattern,
  e: EntryRef,
  excluded: ((path: string) => boolean) | undefined,
  diagnostics: Diagnostic[],
  reportedOutside: Set<string>
): Promise<Candidate[]> {
  const root = settings.repoRoot;
  const prefixParts = pattern.literalPrefix ? pattern.literalPrefix.split('/') : [];
  const out: Candidate[] = [];

  // The literal prefix itself must exist, be a directory, and stay inside the repository.
  if (prefixParts.length > 0) {
    for (let i = 1; i <= prefixParts.length; i++) {
      const rel = prefixParts.slice(0, i).join('/');
      if (SKIP_DIRS.has(prefixParts[i - 1]!)) return out;
      if (i === pattern.segments.length && excluded?.(rel)) return out;
      const kind = await dirKind(root, rel, files, diagnostics, e, reportedOutside);
      if (kind !== 'directory') return out;
    }
  }

  const visit = async (rel: string, depth: number, coords: Record<string, string>): Promise<void> => {
    if (depth === pattern.segments.length) {
      out.push({ dir: rel, coordinates: coords });
      return;
    }
    let entries;
    try {
      entries = await files.readDir(rel ? join(root, rel) : root);
    } catch {
      return;
    }
    const names = entries.filter((d) => d.kind === 'directory' || d.kind === 'symlink').sort((a, b) => cmp(a.name, b.name));
    for (const d of names) {
      if (SKIP_DIRS.has(d.name)) continue;
      const got = matchSegment(pattern, depth, d.name);
      if (!got) continue;
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      if (depth + 1 === pattern.segments.length && excluded?.(childRel)) continue;
      if (d.kind === 'symlink') {
        const kind = await dirKind(root, childRel, files, diagnostics, e, reportedOutside);
        if (kind !== 'directory') continue;
      }
      await visit(childRel, depth + 1, { ...coords, ...got });
    }
  };

  await visit(pattern.literalPrefix, prefixParts.length, {});
  return out;
}

/**
 * Kind of a repo-relative path after following a symlink, or undefined when missing. A symlink
 * that leads outside the repository is an error (reported once) and yields undefined.
 */
async function dirKind(
  root: string,
  rel: string,
  files: FileReader,
  diagnostics: Diagnostic[],
  e: EntryRef,
  reportedOutside: Set<string>
): Promise<'directory' | 'other' | undefined> {
  const abs = join(root, rel);
  const st = await files.lstat(abs);
  if (!st) return undefined;
  if (st.kind === 'directory') return 'directory';
  if (st.kind !== 'symlink') return 'other';
  let real: string;
  try {
    real = await files.realpath(abs);
  } catch {
    return undefined; // a broken symlink is not a directory
  }
  const problem = await checkInsideRepo(root, abs, files);
  const intoGit = problem ? undefined : await checkRepoPath(root, rel, files, 'directory', { anyName: true });
  if (problem || intoGit) {
    if (!reportedOutside.has(rel)) {
      reportedOutside.add(rel);
      diagnostics.push({
        severity: 'error',
        file: rel,
        message: `directory ${rel} (matched by ${label(e)} "${e.match}") is a symlink that leads ${problem ? 'outside the repository' : 'into a `.git` folder'}: replace it with a real directory or exclude it`
      });
    }
    return undefined;
  }
  const target = await files.lstat(real);
  return target?.kind === 'directory' ? 'directory' : 'other';
}
