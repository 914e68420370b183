/**
 * The image-pin use cases over the dry tree: an image update (dispatch, `hydrate images`) and a
 * promotion (`hydrate promote`). Units come from discovery (the config's entries), files are read
 * through the ports; the planning is pure (src/dry/pins/plan.ts) and the plan is written only
 * when every file is still as planned.
 */
import { lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { ConfigError, HydrateError, type Diagnostic } from '../diagnostics.js';
import { discoverUnits } from '../dry/discover.js';
import { checkRelativePath, checkRepoPath } from '../dry/path-safety.js';
import { GLOB_OPTIONS } from '../dry/select.js';
import type { Unit } from '../dry/unit.js';
import { parseImageUpdate, type ImageUpdate } from '../dry/pins/payload.js';
import { imageUpdateGlobProblems, matchesSelector, parseSelector, planImageUpdate, planPromotion, selectPinUnits, type PinFile, type PinPlan, type PinUnit, type Selector } from '../dry/pins/plan.js';
import { rendererFor } from '../render/registry.js';
import type { PipelinePorts } from '../pipeline/hydrate.js';
import type { FileReader } from '../ports.js';
import { cmp } from '../resources/resource.js';
import type { Settings } from '../settings/settings.js';
import { loadSettings } from '../settings/load-settings.js';

export type PinRequest =
  /** `dispatcher`: who sent the dispatch (the event's sender), asked to review with the payload's reviewers. */
  | { kind: 'images'; update: ImageUpdate; source?: string; dispatcher?: string }
  | { kind: 'promote'; from: Selector; to: Selector };

/** Seed 000's per-unit image file. */
/** How deep below a unit directory the pins rules' `files` globs look. */
const MAX_DEPTH = 4;
const SKIP_DIRS = new Set(['.git', 'node_modules']);

/** Plans an image update or a promotion. Throws a `HydrateError` (nothing is written) when a selector matches no unit or an image is used by no selected unit. */
export async function planPins(settings: Settings, ports: PipelinePorts, request: PinRequest): Promise<PinPlan> {
  const found = await discoverUnits(settings, ports.files);
  const errors = [...found.configErrors, ...found.diagnostics.filter((d) => d.severity === 'error')];
  if (errors.length > 0) throw new HydrateError(errors);
  const units: (PinUnit & { renderer: string })[] = [];
  const problems: Diagnostic[] = request.kind === 'images' ? imageUpdateGlobProblems(request.update, request.source) : [];
  if (problems.length > 0) throw new HydrateError(problems);
  // Only the units a request can touch are read: a broken file elsewhere does not stop an update.
  const wanted = (u: Unit): boolean =>
    request.kind === 'images'
      ? request.update.images.some((i) => selectPinUnits([{ id: u.id, dir: u.dir, coordinates: u.coordinates, files: [] }], i).length > 0)
      : matchesSelector(u.coordinates, request.from) || matchesSelector(u.coordinates, request.to);
  for (const unit of found.units) {
    // Units of engine objects (Flux, Argo CD) keep their pins where their engine objects point: not edited here.
    if (unit.object || unit.argocd || !wanted(unit)) continue;
    units.push({ id: unit.id, dir: unit.dir, renderer: unit.renderer, coordinates: unit.coordinates, files: await pinFiles(settings, ports.files, unit, problems) });
  }
  if (problems.length > 0) throw new HydrateError(problems);
  return request.kind === 'images' ? planImageUpdate(units, request.update, request.source) : planPromotion(units, request.from, request.to);
}

/** The files of a unit where it may keep pins, read. */
async function pinFiles(settings: Settings, files: FileReader, unit: Unit, problems: Diagnostic[]): Promise<PinFile[]> {
  const root = settings.repoRoot;
  const out: PinFile[] = [];
  const rules = settings.config.pins.filter((r) => picomatch([...r.units], GLOB_OPTIONS)(unit.dir));
  const read = async (rel: string): Promise<string | undefined> => {
    const st = await files.lstat(path.join(root, rel));
    if (st?.kind !== 'file') return undefined;
    const bad = await checkRepoPath(root, rel, files, 'pinned file');
    if (bad) {
      problems.push({ severity: 'error', unit: unit.id, file: rel, message: bad });
      return undefined;
    }
    return files.readFile(path.join(root, rel));
  };
  const claimed = new Set<string>();
  for (const source of (await rendererFor(unit.renderer).pinSources?.(unit, settings, files)) ?? []) {
    const text = await read(source.path);
    if (source.role !== 'images') claimed.add(source.path);
    if (text === undefined) continue;
    out.push(source.role === 'release' ? { role: 'release', path: source.path, text, rules } : { role: source.role, path: source.path, text });
  }
  if (rules.length > 0) {
    for (const rel of await listUnitFiles(root, files, unit.dir)) {
      if (claimed.has(rel)) continue;
      const inUnit = rel.slice(unit.dir.length + 1);
      const applicable = rules.filter((r) => picomatch([...r.files], GLOB_OPTIONS)(inUnit));
      if (applicable.length === 0) continue;
      const text = await read(rel);
      if (text !== undefined) out.push({ role: 'values', path: rel, text, rules: applicable });
    }
  }
  return out;
}

/** Repository-relative paths of the regular files below a unit directory (symlinks not followed), sorted. */
async function listUnitFiles(root: string, files: FileReader, dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await files.readDir(path.join(root, rel));
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => cmp(a.name, b.name))) {
      const child = `${rel}/${e.name}`;
      if (e.kind === 'file') out.push(child);
      else if (e.kind === 'directory' && depth < MAX_DEPTH && !SKIP_DIRS.has(e.name)) await visit(child, depth + 1);
    }
  };
  await visit(dir, 1);
  return out;
}

/**
 * Writes a plan's edits into `workspace` (the dry repository root). Every file is checked first
 * (a safe relative path, a regular file, still the text that was planned); when one is not,
 * nothing is written and the error lists them all.
 */
export async function applyPinPlan(workspace: string, plan: PinPlan): Promise<void> {
  const problems: Diagnostic[] = [];
  for (const edit of plan.edits) {
    const bad = checkRelativePath(edit.path, 'pinned file');
    if (bad) {
      problems.push({ severity: 'error', file: edit.path, message: bad });
      continue;
    }
    const abs = path.join(workspace, edit.path);
    const st = await lstat(abs).catch(() => undefined);
    if (!st?.isFile()) {
      problems.push({ severity: 'error', file: edit.path, message: `${edit.path} is no longer a regular file: nothing written` });
      continue;
    }
    if ((await readFile(abs, 'utf8')) !== edit.before) problems.push({ severity: 'error', file: edit.path, message: `${edit.path} changed since the pins were planned: nothing written` });
  }
  if (problems.length > 0) throw new HydrateError(problems);
  // Each file is replaced whole (write beside it, then rename), so none is ever half written.
  const temps: string[] = [];
  try {
    for (const edit of plan.edits) {
      const abs = path.join(workspace, edit.path);
      const temp = `${abs}.hydrate-${process.pid}.tmp`;
      temps.push(temp);
      const mode = (await lstat(abs)).mode & 0o777;
      await writeFile(temp, edit.after, { mode });
    }
    for (const [i, edit] of plan.edits.entries()) await rename(temps[i]!, path.join(workspace, edit.path));
  } finally {
    for (const t of temps) await rm(t, { force: true });
  }
}

function groupByImage(plan: PinPlan): Map<string, Set<string>> {
  const byImage = new Map<string, Set<string>>();
  for (const c of plan.changes) {
    const label = c.kind === 'chart' ? `chart ${c.image}` : c.image;
    const set = byImage.get(label) ?? new Set<string>();
    set.add(c.to);
    byImage.set(label, set);
  }
  return byImage;
}

/**
 * The commit message of a pin change: the subject names the image and its tag or digest (or the
 * promotion), and the sender repository; the body lists every change per unit, and the notes.
 */
export function pinCommitMessage(plan: PinPlan, update?: ImageUpdate, promotion?: { from: Selector; to: Selector }): string {
  const byImage = groupByImage(plan);
  const pins = [...byImage.entries()].map(([image, tos]) => `${image} to ${[...tos].join(', ')}`);
  const show = (s: Selector): string => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(',');
  let subject: string;
  if (promotion) subject = `Promote ${show(promotion.from)} to ${show(promotion.to)}${pins.length === 1 ? `: ${pins[0]}` : ''}`;
  else subject = pins.length === 1 ? `Pin ${pins[0]}` : `Pin ${pins.length} images`;
  if (update?.repository) subject += ` (image update from ${update.repository})`;
  const lines = plan.changes.map((c) => `- ${c.unit}: ${c.kind === 'chart' ? `chart ${c.image}` : c.image} ${c.from ?? '(unpinned)'} → ${c.to} (${c.file})`);
  const body = [...lines, ...(plan.notes.length > 0 ? ['', 'Not promoted:', ...plan.notes.map((n) => `- ${n}`)] : [])];
  return `${subject}\n\n${body.join('\n')}\n`;
}

/** A plan as the CLI prints it: one line per change, then the notes. */
export function formatPinPlan(plan: PinPlan): string {
  const lines = plan.changes.map((c) => `${c.unit}: ${c.kind === 'chart' ? `chart ${c.image}` : c.image} ${c.from ?? '(unpinned)'} -> ${c.to} (${c.file})`);
  if (lines.length === 0) lines.push('no pin changes: every pin already holds its value');
  for (const n of plan.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

/** What `hydrate images` and `hydrate promote` do: plan against the dry tree, write the plan, return what to print. */
export async function pinsCommand(
  args: { config: string; repo?: string } & ({ kind: 'images'; payload: string } | { kind: 'promote'; from: string; to: string }),
  ports: PipelinePorts
): Promise<{ plan: PinPlan; text: string }> {
  const { settings } = await loadSettings({ configFile: args.config, ...(args.repo ? { repoRoot: args.repo } : {}) });
  let request: PinRequest;
  if (args.kind === 'images') {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(args.payload, 'utf8'));
    } catch (e) {
      throw new ConfigError({ severity: 'error', file: args.payload, message: `cannot read the image update: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    }
    request = { kind: 'images', update: parseImageUpdate(json, args.payload), source: args.payload };
  } else {
    request = { kind: 'promote', from: parseSelector(args.from), to: parseSelector(args.to) };
  }
  const plan = await planPins(settings, ports, request);
  await applyPinPlan(settings.repoRoot, plan);
  return { plan, text: formatPinPlan(plan) };
}
