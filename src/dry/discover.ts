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
import { checkInsideRepo, checkRelativePath } from './path-safety.js';
import { RENDERER_NAMES, unitId, type RendererName, type Unit } from './unit.js';

const SKIP_DIRS = new Set(['.git', 'node_modules']);

export interface DiscoverResult {
  units: Unit[];
  diagnostics: Diagnostic[];
}

interface EntryRef {
  renderer: RendererName;
  entry: number;
  match: string;
  output: string;
  exclude: readonly string[];
  allowEmpty?: boolean | undefined;
}

function entriesOf(settings: Settings): EntryRef[] {
  const out: EntryRef[] = [];
  for (const renderer of RENDERER_NAMES) {
    const list = settings.config[renderer];
    list.forEach((e, entry) => {
      out.push({ renderer, entry, match: e.match, output: e.output, exclude: e.exclude, allowEmpty: e.allowEmpty });
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
export async function discoverUnits(settings: Settings, files: FileReader): Promise<DiscoverResult> {
  const diagnostics: Diagnostic[] = [];
  const all: Unit[] = [];
  const file = settings.configPath;
  const reportedOutside = new Set<string>();

  for (const e of entriesOf(settings)) {
    let pattern: CompiledPattern;
    try {
      pattern = compilePattern(e.match);
    } catch (err) {
      const message = err instanceof PatternError ? err.message : String(err);
      diagnostics.push({ severity: 'error', file, message: `${label(e)}.match: ${message}` });
      continue;
    }
    const excluded = e.exclude.length > 0 ? picomatch([...e.exclude], { dot: true }) : undefined;
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
      const badOutput = checkRelativePath(output, 'output path');
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

  all.sort((a, b) => cmp(a.id, b.id) || a.entry - b.entry);
  return { units: dropCollisions(all, file, diagnostics), diagnostics };
}

/** Errors for one dir matched twice by the same renderer and for shared outputs; keeps the rest. */
function dropCollisions(sorted: Unit[], file: string, diagnostics: Diagnostic[]): Unit[] {
  const bad = new Set<Unit>();
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.id === b.id) {
      diagnostics.push({
        severity: 'error',
        unit: a.id,
        file,
        message: `directory ${a.dir} is matched by both ${a.renderer}[${a.entry}] and ${b.renderer}[${b.entry}]: exclude it from one of them`
      });
      bad.add(a);
      bad.add(b);
    }
  }
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
    const who = list.map((u) => `${u.dir} (${u.renderer}[${u.entry}])`).join(', ');
    diagnostics.push({
      severity: 'error',
      unit: list[0]!.id,
      file,
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
  if (problem) {
    if (!reportedOutside.has(rel)) {
      reportedOutside.add(rel);
      diagnostics.push({
        severity: 'error',
        file: rel,
        message: `directory ${rel} (matched by ${label(e)} "${e.match}") is a symlink that leads outside the repository: replace it with a real directory or exclude it`
      });
    }
    return undefined;
  }
  const target = await files.lstat(real);
  return target?.kind === 'directory' ? 'directory' : 'other';
}
