/**
 * The hydrate pipeline: dry tree → units → renderers (in sequence) → cross-renderer checks and
 * the secrets policy gate → wet layout → prune plan → diff → (write). Shared by the CLI and the
 * action. Nothing is written unless every selected unit rendered and every check passed.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, ExitCode, hasErrors, sortDiagnostics, type Diagnostic, type ExitCodeValue } from '../diagnostics.js';
import { entryPositions } from '../settings/load-config.js';
import type { FileReader, Logger, ProcessRunner, GitListing } from '../ports.js';
import type { Settings } from '../settings/settings.js';
import type { Unit } from '../dry/unit.js';
import { cmp } from '../resources/resource.js';
import { discoverUnits } from '../dry/discover.js';
import { selectUnits } from '../dry/select.js';
import { checkSources } from '../dry/sources.js';
import type { PreviousWet, RenderedUnit, Renderer, UnitResult } from '../render/renderer.js';
import { crossCheck } from '../render/cross-checks.js';
import { secretsPolicyGate } from '../render/policy.js';
import { defaultRenderers } from '../render/registry.js';
import { layoutWet, ownedPaths, type KeptUnit, type WetLayout } from '../wet/layout.js';
import { planWetUpdate, type WetPlan } from '../wet/plan.js';
import type { WetSnapshot } from '../wet/snapshot.js';
import { isNeverOwned } from '../wet/wet-index.js';
import { INDEX_PATH, unitRecord, type WetIndex } from '../formats/wet-index.js';
import { checkDeletions, checkEmptyConfig } from '../wet/guard.js';
import { diffWet, type DiffReport } from '../diff/wet-diff.js';
import { digestOf } from '../render/digest.js';
import { VERSION } from '../version.js';
import { runPool } from './pool.js';
import { redactUnitDiagnostics } from './input-secrets.js';
import { runnerUntil, startClock, timeLimitError, type RunClock } from './time-limits.js';
import { checkObjectNames } from '../resources/names.js';
import { checkPortablePaths } from '../wet/portable-paths.js';
import { cachingReader, memoizeAsync, recordedInputDigest, unitInputDigest, type InputDigest } from './incremental.js';
import { createFileIds } from './file-ids.js';
import {
  assignShard,
  buildShardFile,
  chooseVerificationSample,
  collectShards,
  shardResultDifference,
  shardUnitResult
} from './shards.js';
import type { LoadedShard, ShardFile } from '../formats/shard-file.js';

export interface PipelinePorts {
  files: FileReader;
  exec: ProcessRunner;
  logger: Logger;
  /** What git vouches for in a dry tree that is a git checkout (file ids without reading); without it, ids come from content. */
  gitListing?: (repoRoot: string) => Promise<GitListing | undefined>;
}

export interface HydrateRequest {
  settings: Settings;
  /** Raw text of the config file (its digest is recorded in the index). */
  configText: string;
  /** The wet tree before the run: its index and a reader for its files. */
  previous: PreviousWet;
  ports: PipelinePorts;
  dryCommit?: string;
  renderers?: readonly Renderer[];
  /** Merge mode (`settings.shard.kind === 'merge'`): the shard files read from the shard directory. */
  shards?: readonly LoadedShard[];
  /** The workflow run (GITHUB_RUN_ID): recorded in a shard file; a merge takes files of its own run only. */
  runId?: string;
  /** Merge mode: how many shard-rendered units to render again here and compare (at least one per shard; 0: none). Default 3. */
  shardVerify?: number;
  /** Merge mode: seed of the choice of those units (default: random, so a shard job cannot predict it). */
  verifySeed?: string;
}

export interface UnitReport {
  id: string;
  renderer: string;
  dir: string;
  coordinates: Record<string, string>;
  status: 'rendered' | 'failed' | 'reused' | 'skipped';
  resources: number;
  outputs: string[];
  errors: Diagnostic[];
}

export interface HydrateOutcome {
  ok: boolean;
  diagnostics: Diagnostic[];
  units: UnitReport[];
  results: UnitResult[];
  /** Present when every unit rendered and every check passed. */
  layout?: WetLayout;
  plan?: WetPlan;
  diff: DiffReport;
  /** Shard mode (`settings.shard.kind === 'part'`): what this job rendered, to save for the merge. */
  shard?: ShardFile;
  /** 0 ok, 2 when the config is at fault (an entry matching nothing, no entries at all), else 1. */
  exitCode: ExitCodeValue;
}

export async function hydrate(req: HydrateRequest): Promise<HydrateOutcome> {
  const { settings, ports } = req;
  const all = memoizedPrevious(req.previous);
  const diagnostics: Diagnostic[] = [];
  if (all.interrupted) {
    diagnostics.push({
      severity: 'warning',
      message: 'the last update of the wet tree was interrupted before it completed: every unit is rendered again and what either state owns is rewritten or pruned'
    });
  }
  // Units another config (another dry repository or config file) rendered into this wet tree are
  // left as they are: this run neither prunes nor overwrites them.
  const foreign = foreignUnits(all.index, settings.owner);
  const previous: PreviousWet = foreign.size > 0 && all.index ? { ...all, index: indexWithout(all.index, new Set(foreign.keys())) } : all;
  if (foreign.size > 0) {
    const owners = [...new Set(foreign.values())].sort(cmp).join(', ');
    ports.logger.info(`hydrate: ${foreign.size} unit(s) of the wet tree belong to other configs (${owners}): left as they are`);
  }
  const emptyConfig = checkEmptyConfig(settings, previous.index);
  diagnostics.push(...emptyConfig);
  const renderers = req.renderers ?? defaultRenderers();
  const independent = new Set<string>(renderers.filter((r) => r.independent).map((r) => r.name));
  const mode = settings.shard;
  const configDigest = digestOf([req.configText]);
  const generator = `hydrate ${VERSION}`;
  const clock = startClock(settings);

  const positions = entryPositions(req.configText, settings.configPath);
  const sourceErrors = await checkSources(settings, ports.files, positions);
  // An Argo CD app-of-apps whose source is rendered (kustomize, Helm): discovery reads the Applications it renders.
  const renderObjects = async (u: Unit): Promise<unknown[] | undefined> => {
    const [r] = (await renderers.find((x) => x.name === u.renderer)?.render({ units: [u], settings, repoRoot: settings.repoRoot, files: ports.files, exec: ports.exec, logger: ports.logger, previous, forDiscovery: true })) ?? [];
    return r?.status === 'rendered' ? r.resources.map((x) => x.object) : undefined;
  };
  const discovered = await discoverUnits(settings, ports.files, positions, { renderObjects });
  // A missing source, entries that overlap or share an output: config mistakes the tree reveals.
  // Stop, as for any config error (exit 2), with every one of them.
  if (sourceErrors.length > 0 || discovered.configErrors.length > 0) throw new ConfigError([...sourceErrors, ...discovered.configErrors]);
  diagnostics.push(...discovered.diagnostics);
  // Errors about the config itself (an entry matching nothing, a bad pattern) exit with 2.
  const configFault =
    emptyConfig.length > 0 || discovered.diagnostics.some((d) => d.severity === 'error' && d.unit === undefined && d.file === settings.configPath);
  for (const u of discovered.units) {
    const other = foreign.get(u.id);
    if (other === undefined) continue;
    diagnostics.push({
      severity: 'error',
      unit: u.id,
      file: u.dir,
      message: `unit ${u.id} is rendered into this wet tree by another config (${other}); this config (${settings.owner ?? settings.configPath}) does not overwrite it: exclude ${u.dir} here, or remove the unit from the other config first (when both are this repository under two names, pass the name the other run records: CLI --repository owner/name, as the action does)`
    });
  }
  const selection = selectUnits(discovered.units, settings.only);
  diagnostics.push(...selection.diagnostics);
  let { selected, skipped } = selection;
  if (mode?.kind === 'part') {
    // This job renders its share of the independent units; everything else is the merge's.
    selected = assignShard(selected, independent, mode.spec);
    skipped = [];
    ports.logger.info(`hydrate: shard ${mode.spec.index}/${mode.spec.count}: ${selected.length} unit(s) of ${discovered.units.length}`);
  } else {
    ports.logger.info(`hydrate: ${selected.length} unit(s) selected of ${discovered.units.length}`);
  }

  const results: UnitResult[] = [];
  let inputs = new Map<string, InputDigest>();
  let unchanged: Unit[] = [];
  let toRender: Unit[] = selected;
  if (!hasErrors(diagnostics)) {
    const started = Date.now();
    ({ inputs, unchanged, toRender } = await planIncremental(selected, settings, ports, previous, independent, renderers));
    ports.logger.info(`hydrate: ${unchanged.length} unit(s) unchanged, ${toRender.length} to render (${Date.now() - started} ms)`);
  }
  const fromShards = new Map<string, UnitResult>();
  if (mode?.kind === 'merge' && !hasErrors(diagnostics)) {
    const taken = takeFromShards(req.shards ?? [], toRender, inputs, {
      generator,
      configDigest,
      ...(req.dryCommit ? { dryCommit: req.dryCommit } : {}),
      ...(req.runId ? { runId: req.runId } : {}),
      units: selected,
      independent
    });
    diagnostics.push(...taken.diagnostics);
    for (const r of taken.results) fromShards.set(r.unit.id, r);
    if (taken.leftovers.length > 0) {
      ports.logger.info(`hydrate: ${taken.leftovers.length} unit(s) kept by their shard no longer match the wet tree: rendering them here`);
    }
    ports.logger.info(`hydrate: ${fromShards.size} unit(s) from ${req.shards?.length ?? 0} shard file(s)`);
    if (!hasErrors(diagnostics)) diagnostics.push(...(await verifyShardResults(req, renderers, fromShards, taken.shardOf, clock)));
  }
  if (!hasErrors(diagnostics)) {
    for (const name of settings.config.order) {
      const renderer = renderers.find((r) => r.name === name);
      const units = toRender.filter((u) => u.renderer === name && !fromShards.has(u.id));
      results.push(...toRender.filter((u) => u.renderer === name && fromShards.has(u.id)).map((u) => fromShards.get(u.id)!));
      if (units.length === 0) continue;
      if (!renderer) {
        diagnostics.push({ severity: 'error', message: `no renderer named "${name}" is available` });
        continue;
      }
      const started = Date.now();
      const base = { settings, repoRoot: settings.repoRoot, files: ports.files, exec: ports.exec, logger: ports.logger, previous };
      const rendered = await renderOnWorkers(renderer, units, base, clock);
      // The index records the input digest, which the next run compares before rendering.
      results.push(...rendered.map((r) => withInputDigest(r, inputs.get(r.unit.id))));
      ports.logger.info(`hydrate: ${name}: ${units.length} unit(s) in ${Date.now() - started} ms`);
    }
  }
  // Tools echo their input in errors (kustomize prints the node it choked on): no Secret value of
  // a unit's inputs may reach a message, whatever prints it later.
  const redactWith = cachingReader(ports.files);
  await runPool(
    results.filter((r) => r.diagnostics.length > 0),
    Math.max(1, settings.concurrency),
    async (r) => {
      r.diagnostics = await redactUnitDiagnostics(r.unit, r.diagnostics, settings, redactWith);
    }
  );
  for (const r of results) diagnostics.push(...r.diagnostics);

  const reused = reusedUnits([...skipped, ...unchanged], previous.index);
  if (mode?.kind === 'part') {
    // The merge runs every check again over the whole tree; the gate runs here too, so that a
    // rejected plaintext Secret never reaches the shard file.
    const gate = secretsPolicyGate(results, settings.config.policy.allowSecrets);
    diagnostics.push(...gate);
    // The unit's own errors travel in the shard file: the merge fails on them, with the same words.
    for (const r of results) r.diagnostics.push(...gate.filter((d) => d.unit === r.unit.id));
    const shard = buildShardFile({
      spec: mode.spec,
      generator,
      configDigest,
      ...(req.dryCommit ? { dryCommit: req.dryCommit } : {}),
      ...(req.runId ? { runId: req.runId } : {}),
      assigned: selected,
      results: [...results, ...reused.results],
      rejected: new Set(gate.map((d) => d.unit ?? ''))
    });
    return {
      ok: !hasErrors(diagnostics),
      diagnostics: sortDiagnostics(diagnostics),
      units: unitReports(selected, [], results, undefined, previous.index),
      results,
      diff: diffWet({ files: new Map() }, { files: new Map() }),
      shard,
      exitCode: exitCodeOf(diagnostics, configFault)
    };
  }
  // Kinds and names Kubernetes would refuse (or that hold control characters), with the other errors.
  for (const r of results) if (r.status === 'rendered') diagnostics.push(...checkObjectNames(r.resources));
  if (!hasErrors(diagnostics)) {
    diagnostics.push(...crossCheck([...results, ...reused.results]));
    diagnostics.push(...secretsPolicyGate(results, settings.config.policy.allowSecrets));
  }

  const failedUnits = results.filter((r) => r.status === 'failed').map((r) => r.unit.id);
  let layout: WetLayout | undefined;
  let plan: WetPlan | undefined;
  if (!hasErrors(diagnostics)) {
    layout = layoutWet(
      results,
      settings,
      { generator, ...(req.dryCommit ? { dryCommit: req.dryCommit } : {}), configDigest, ...(settings.owner !== undefined ? { owner: settings.owner } : {}) },
      [...(await keptUnits(reused.entries, previous)), ...(await foreignKept(foreign, all))]
    );
    diagnostics.push(...layout.diagnostics);
    if (!hasErrors(layout.diagnostics)) diagnostics.push(...portablePathErrors(layout));
    if (!hasErrors(diagnostics)) {
      plan = await planWetUpdate(all.index, (p) => all.readFile(p), layout);
      diagnostics.push(...(plan.diagnostics ?? []));
      if (!hasErrors(plan.diagnostics)) diagnostics.push(...checkDeletions(settings, previous.index, layout.index, plan, results));
    }
  }

  const ok = !hasErrors(diagnostics);
  // Kept units have the same index entry and the same files before and after: the diff would
  // find nothing in them, so it is not asked to parse them.
  const kept = new Set(ok && layout ? reused.entries.map((e) => e.id) : []);
  for (const id of foreign.keys()) kept.add(id);
  // What stays in place although the index lists it (never-owned or edited files) is not shown as removed.
  const before = await snapshotWithout(all, kept, new Set(plan?.leftInPlace ?? []));
  // The files the layout keeps (not read) belong to kept units, which the diff leaves out.
  const after = ok && layout ? withoutUnits({ index: layout.index, files: new Map(layout.files.map((f) => [f.path, f.content])) }, kept) : before;
  const diff = diffWet(before, after, { failedUnits, ignore: settings.config.diff.ignore });

  return {
    ok,
    diagnostics: sortDiagnostics(diagnostics),
    units: unitReports(selected, skipped, results, ok ? layout?.index : undefined, previous.index),
    results,
    ...(ok && layout ? { layout } : {}),
    ...(ok && plan ? { plan } : {}),
    diff,
    exitCode: exitCodeOf(diagnostics, configFault)
  };
}

function exitCodeOf(diagnostics: readonly Diagnostic[], configFault: boolean): ExitCodeValue {
  if (!hasErrors(diagnostics)) return ExitCode.ok;
  return configFault ? ExitCode.usage : ExitCode.renderErrors;
}

/** Units of the index recorded as rendered by another config than `owner`: id → that config. */
function foreignUnits(index: WetIndex | undefined, owner: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!index || owner === undefined) return out;
  for (const [id, e] of Object.entries(index.units)) if (e.owner !== undefined && e.owner !== owner) out.set(id, e.owner);
  return out;
}

/** Other configs' units with their files, laid out again as they are. */
async function foreignKept(foreign: ReadonlyMap<string, string>, previous: PreviousWet): Promise<KeptUnit[]> {
  const entries = [...foreign.keys()].map((id) => ({ id, entry: previous.index!.units[id]! }));
  return (await keptUnits(entries, previous)).map((k) => ({ ...k, foreign: true }));
}

/**
 * Splits the selected units into those whose inputs are unchanged since the previous wet tree
 * (kept as they are) and those to render. With `full`, everything renders. Units of renderers
 * that are not independent (terraform, secrets: they reference each other) are kept only all together.
 */
async function planIncremental(
  selected: readonly Unit[],
  settings: Settings,
  ports: PipelinePorts,
  previous: PreviousWet,
  independent: ReadonlySet<string>,
  renderers: readonly Renderer[]
): Promise<{ inputs: Map<string, InputDigest>; unchanged: Unit[]; toRender: Unit[] }> {
  const inputs = new Map<string, InputDigest>();
  // The versions of the tools of each renderer that runs some and has a unit selected, asked once.
  const tools = new Map<string, Promise<string>>();
  for (const r of renderers) {
    if (!r.toolVersions || !selected.some((u) => u.renderer === r.name)) continue;
    const versions = r.toolVersions(ports.exec);
    // Never rejects (toolVersions catches), but keep an unobserved rejection impossible.
    versions.catch(() => undefined);
    tools.set(r.name, versions);
  }
  const toolsOf = (u: Unit): string | Promise<string> => tools.get(u.renderer) ?? '';
  const width = Math.max(1, settings.concurrency) * 16;
  const files = cachingReader(ports.files);
  // File ids from git when the dry tree is a checkout (clean tracked files are not read), else from content.
  const ids = createFileIds(files, settings.repoRoot, await ports.gitListing?.(settings.repoRoot));
  // A unit whose recorded closure has the same ids is decided without walking (or parsing) its kustomizations.
  const recorded = settings.full ? undefined : previous.index;
  let walked = 0;
  const digests = await runPool(selected, width, async (u) => {
    const quick = await recordedInputDigest(u, settings, recorded?.units[u.id], ids, toolsOf(u));
    if (quick) return quick;
    walked++;
    return unitInputDigest(u, settings, files, toolsOf(u), ids);
  });
  ports.logger.debug(`hydrate: ${selected.length - walked} unit(s) checked against their recorded closure, ${walked} walked (file ids from ${ids.source})`);
  selected.forEach((u, i) => inputs.set(u.id, digests[i]!));
  if (settings.full || !previous.index) return { inputs, unchanged: [], toRender: [...selected] };

  const prev = previous.index;
  const present = presence(previous);
  const reusable = await runPool(selected, width, async (u) => {
    const input = inputs.get(u.id)!;
    const entry = prev.units[u.id];
    if (input.volatile || !entry || entry.volatile || entry.digest !== input.digest) return false;
    // The digest covers the renderer and the output folder: equal digests mean the same ones.
    for (const p of entry.paths) if (!(await present(p))) return false;
    return true;
  });
  const keep = new Set(selected.filter((_, i) => reusable[i]).map((u) => u.id));
  const grouped = selected.filter((u) => !independent.has(u.renderer));
  const prevGrouped = Object.entries(prev.units).filter(([, e]) => !independent.has(e.renderer)).map(([id]) => id);
  const sameSet = prevGrouped.length === grouped.length && grouped.every((u) => prev.units[u.id]?.renderer === u.renderer);
  if (!sameSet || grouped.some((u) => !keep.has(u.id))) for (const u of grouped) keep.delete(u.id);

  const unchanged = selected.filter((u) => keep.has(u.id));
  const toRender = selected.filter((u) => !keep.has(u.id));
  return { inputs, unchanged, toRender };
}

/**
 * Merge mode: the results the shard files hold for the units this job must render. A unit its
 * shard kept (unchanged against the wet tree the shard saw) that this job must render, because
 * the wet branch moved since, is a leftover this job renders itself. A result rendered from other
 * inputs than this job sees (another dry commit, config or tool version) is an error.
 */
function takeFromShards(
  shards: readonly LoadedShard[],
  toRender: readonly Unit[],
  inputs: ReadonlyMap<string, InputDigest>,
  expect: Parameters<typeof collectShards>[1]
): { results: UnitResult[]; leftovers: Unit[]; diagnostics: Diagnostic[]; shardOf: Map<string, LoadedShard> } {
  const { entries, diagnostics } = collectShards(shards, expect);
  const results: UnitResult[] = [];
  const leftovers: Unit[] = [];
  const shardOf = new Map<string, LoadedShard>();
  if (hasErrors(diagnostics)) return { results, leftovers, diagnostics, shardOf };
  for (const u of toRender) {
    if (!expect.independent.has(u.renderer)) continue;
    const entry = entries.get(u.id);
    if (!entry) continue;
    if (entry.unit.status === 'reused') {
      leftovers.push(u);
      continue;
    }
    const { index, count } = entry.shard.data.shard;
    if (entry.unit.digest !== inputs.get(u.id)?.digest) {
      diagnostics.push({
        severity: 'error',
        unit: u.id,
        message: `shard ${index}/${count} rendered unit ${u.id} from other inputs than this job sees (dry files, config or tool versions differ): run the shards and the merge on the same commit and runner image [${entry.shard.file}]`
      });
      continue;
    }
    // Equal digests cover equal closures: the index records the one this job computed.
    const closure = inputs.get(u.id)?.closure;
    const result = shardUnitResult(entry.unit, u);
    results.push(closure && !result.volatile ? { ...result, closure } : result);
    shardOf.set(u.id, entry.shard);
  }
  return { results, leftovers, diagnostics, shardOf };
}

/**
 * Shard files are artifacts of the same workflow run, but the merge does not take their objects
 * on trust alone: it renders a sample of the units the shards rendered (at least one per shard)
 * itself and refuses the whole merge when any result differs from the shard's.
 */
async function verifyShardResults(
  req: HydrateRequest,
  renderers: readonly Renderer[],
  fromShards: ReadonlyMap<string, UnitResult>,
  shardOf: ReadonlyMap<string, LoadedShard>,
  clock: RunClock
): Promise<Diagnostic[]> {
  const { settings, ports } = req;
  const count = req.shardVerify ?? 3;
  const candidates = new Map<string, number>();
  for (const [id, r] of fromShards) if (r.status !== 'failed' && shardOf.has(id)) candidates.set(id, shardOf.get(id)!.data.shard.index);
  const sample = chooseVerificationSample(candidates, count, req.verifySeed ?? randomBytes(16).toString('hex'));
  if (sample.length === 0) {
    if (count <= 0 && candidates.size > 0) ports.logger.warning('shard-verify is 0: the merge publishes the shards\' objects without rendering any of them again');
    return [];
  }
  const diagnostics: Diagnostic[] = [];
  const started = Date.now();
  for (const renderer of renderers) {
    const units = sample.map((id) => fromShards.get(id)!.unit).filter((u) => u.renderer === renderer.name);
    if (units.length === 0) continue;
    const base = { settings, repoRoot: settings.repoRoot, files: ports.files, exec: ports.exec, logger: ports.logger, previous: memoizedPrevious(req.previous) };
    const own = await renderOnWorkers(renderer, units, base, clock);
    for (const mine of own) {
      const theirs = fromShards.get(mine.unit.id)!;
      const difference = shardResultDifference(theirs, mine);
      if (difference === undefined) continue;
      const shard = shardOf.get(mine.unit.id)!;
      diagnostics.push({
        severity: 'error',
        unit: mine.unit.id,
        message: `shard ${shard.data.shard.index}/${shard.data.shard.count}'s result for unit ${mine.unit.id} differs from this job's own render of it (${difference}): the shard file was altered or not rendered from these inputs, so no shard is trusted and nothing is published${theirs.volatile ? ' (the unit reads remote sources, which may also have changed between the jobs: pin them)' : ''} [${shard.file}]`
      });
    }
  }
  ports.logger.info(`hydrate: verified ${sample.length} shard-rendered unit(s) by rendering them again (${Date.now() - started} ms)${diagnostics.length > 0 ? `: ${diagnostics.length} differ` : ': identical'}`);
  return diagnostics;
}

/** Wet paths that Windows or macOS could not check out (or would merge), by the unit that writes them. */
function portablePathErrors(layout: WetLayout): Diagnostic[] {
  const owner = new Map<string, string>();
  for (const [id, entry] of Object.entries(layout.index.units)) for (const p of entry.paths) owner.set(p, id);
  // Kept files too: a rendered path may meet one of theirs on a case-insensitive file system.
  return checkPortablePaths([...layout.files.map((f) => f.path), ...layout.kept], (p) => owner.get(p));
}

function indexWithout(index: WetIndex, ids: ReadonlySet<string>): WetIndex {
  return { ...index, units: unitRecord(Object.entries(index.units).filter(([id]) => !ids.has(id))) };
}

/** The previous tree's snapshot without the given units (as the adapter's snapshot: every owned file that exists). */
async function snapshotWithout(previous: PreviousWet, ids: ReadonlySet<string>, stays: ReadonlySet<string> = new Set()): Promise<WetSnapshot> {
  const files = new Map<string, string>();
  if (!previous.index) return { files };
  const index = indexWithout(previous.index, ids);
  for (const p of ownedPaths(index)) {
    if (stays.has(p) || (p !== INDEX_PATH && isNeverOwned(p))) continue;
    const content = await previous.readFile(p);
    if (content !== undefined) files.set(p, content);
  }
  return { index, files };
}

function withoutUnits(snapshot: WetSnapshot, ids: ReadonlySet<string>): WetSnapshot {
  if (ids.size === 0 || !snapshot.index) return snapshot;
  const drop = new Set<string>();
  for (const id of ids) for (const p of snapshot.index.units[id]?.paths ?? []) drop.add(p);
  const files = new Map([...snapshot.files].filter(([p]) => !drop.has(p)));
  return { index: indexWithout(snapshot.index, ids), files };
}

/** The previous tree with each file read once (reuse checks, kept units, the plan and the diff all read it). */
function memoizedPrevious(previous: PreviousWet): PreviousWet {
  const exists = previous.exists?.bind(previous);
  return {
    index: previous.index,
    readFile: memoizeAsync((p) => previous.readFile(p)),
    ...(exists ? { exists: memoizeAsync((p) => exists(p)) } : {}),
    ...(previous.interrupted ? { interrupted: true } : {})
  };
}

/** Whether a file of the previous tree exists, without reading it when the tree can say so. */
function presence(previous: PreviousWet): (path: string) => Promise<boolean> {
  return previous.exists ? (p) => previous.exists!(p) : async (p) => (await previous.readFile(p)) !== undefined;
}

function withInputDigest(r: RenderedUnit, input: InputDigest | undefined): UnitResult {
  return { ...r, digest: input?.digest ?? '', ...(input?.volatile ? { volatile: true } : {}), ...(input?.closure ? { closure: input.closure } : {}) };
}

/** Renders a renderer's units on a pool of workers; output order is the canonical unit order. */
async function renderOnWorkers(
  renderer: Renderer,
  units: readonly Unit[],
  base: Omit<Parameters<Renderer['render']>[0], 'units'>,
  clock: RunClock
): Promise<RenderedUnit[]> {
  // Units of an independent renderer render one by one, each within its own time limit.
  if (!renderer.independent) {
    const exec = runnerUntil(base.exec, clock.runDeadline);
    const rendered = await renderer.render({ ...base, exec, units });
    if (Date.now() < clock.runDeadline) return rendered;
    return units.map((u) => ({ unit: u, status: 'failed', resources: [], artifacts: [], diagnostics: [timeLimitError(u, clock, 'run')] }));
  }
  const workers = Math.max(1, Math.min(base.settings.concurrency, units.length));
  const chunks = await runPool(
    units.map((u) => [u]),
    workers,
    async (chunk): Promise<RenderedUnit[]> => {
      const unit = chunk[0]!;
      const started = Date.now();
      if (started >= clock.runDeadline) return [{ unit, status: 'failed', resources: [], artifacts: [], diagnostics: [timeLimitError(unit, clock, 'run')] }];
      const unitDeadline = started + clock.unitMs;
      const deadline = Math.min(unitDeadline, clock.runDeadline);
      const rendered = await renderer.render({ ...base, exec: runnerUntil(base.exec, deadline), units: chunk });
      if (Date.now() < deadline) return rendered;
      // Out of time: whatever the tools said (killed, not started), the unit failed for its limit.
      const which = unitDeadline <= clock.runDeadline ? 'unit' : 'run';
      return [{ unit, status: 'failed', resources: [], artifacts: [], diagnostics: [timeLimitError(unit, clock, which)] }];
    }
  );
  return chunks.flat();
}

interface ReusedEntry {
  id: string;
  entry: WetIndex['units'][string];
}

/** Units left out by `only`, and units whose inputs are unchanged, keep what the previous wet tree holds for them. */
function reusedUnits(skipped: readonly Unit[], index: WetIndex | undefined): { entries: ReusedEntry[]; results: UnitResult[] } {
  const entries: ReusedEntry[] = [];
  const results: UnitResult[] = [];
  for (const u of skipped) {
    const entry = index?.units[u.id];
    if (!entry) continue;
    entries.push({ id: u.id, entry });
    results.push({
      unit: u,
      status: 'reused',
      resources: [],
      artifacts: [],
      diagnostics: [],
      digest: entry.digest,
      provides: (entry.provides ?? []).map((ref) => ({ ref }))
    });
  }
  return { entries, results };
}

/**
 * The kept units with their files present in the previous wet tree. A kept file stays as it is
 * there, so it is not read, unless the index records no hash for it (an older version wrote it).
 */
async function keptUnits(reused: readonly ReusedEntry[], previous: PreviousWet): Promise<KeptUnit[]> {
  const out: KeptUnit[] = [];
  const present = presence(previous);
  for (const { id, entry } of reused) {
    const paths: string[] = [];
    const files = new Map<string, string>();
    for (const p of entry.paths) {
      if (entry.hashes?.[p] !== undefined) {
        if (await present(p)) paths.push(p);
        continue;
      }
      const content = await previous.readFile(p);
      if (content === undefined) continue;
      paths.push(p);
      files.set(p, content);
    }
    out.push({ id, entry, present: paths, files });
  }
  return out;
}

function unitReports(
  selected: readonly Unit[],
  skipped: readonly Unit[],
  results: readonly UnitResult[],
  index: WetIndex | undefined,
  previousIndex: WetIndex | undefined
): UnitReport[] {
  const byId = new Map(results.map((r) => [r.unit.id, r]));
  const reports: UnitReport[] = [];
  for (const u of [...selected, ...skipped]) {
    const r = byId.get(u.id);
    const status: UnitReport['status'] = r ? (r.status === 'failed' ? 'failed' : r.status) : previousIndex?.units[u.id] ? 'reused' : 'skipped';
    reports.push({
      id: u.id,
      renderer: u.renderer,
      dir: u.dir,
      coordinates: u.coordinates,
      status,
      // A unit kept from an earlier run counts what the index says it rendered then.
      resources: r && r.status !== 'reused' ? r.resources.length : (index?.units[u.id]?.resources ?? previousIndex?.units[u.id]?.resources ?? 0),
      outputs: index?.units[u.id]?.paths ?? previousIndex?.units[u.id]?.paths ?? [],
      errors: r?.diagnostics.filter((d) => d.severity === 'error') ?? []
    });
  }
  return reports.sort((a, b) => cmp(a.id, b.id));
}
