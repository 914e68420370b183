/**
 * The hydrate pipeline: dry tree → units → renderers (in sequence) → cross-renderer checks and
 * the secrets policy gate → wet layout → prune plan → diff → (write). Shared by the CLI and the
 * action. Nothing is written unless every selected unit rendered and every check passed.
 */
import { ConfigError, hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { entryPositions } from '../settings/load-config.js';
import type { FileReader, Logger, ProcessRunner } from '../ports.js';
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
import { snapshotFromLayout, type WetSnapshot } from '../wet/snapshot.js';
import type { WetIndex } from '../wet/wet-index.js';
import { diffWet, type DiffReport } from '../diff/wet-diff.js';
import { digestOf } from '../render/digest.js';
import { VERSION } from '../version.js';
import { runPool } from './pool.js';
import { cachingReader, memoizeAsync, recordedInputDigest, renderToolVersions, unitInputDigest, type InputDigest } from './incremental.js';
import { createFileIds } from './file-ids.js';
import { readGitListing } from '../adapters/git-files.js';
import { assignShard, buildShardFile, collectShards, shardUnitResult, type LoadedShard, type ShardFile } from './shards.js';

export interface PipelinePorts {
  files: FileReader;
  exec: ProcessRunner;
  logger: Logger;
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
}

export async function hydrate(req: HydrateRequest): Promise<HydrateOutcome> {
  const { settings, ports } = req;
  const previous = memoizedPrevious(req.previous);
  const diagnostics: Diagnostic[] = [];
  const renderers = req.renderers ?? defaultRenderers();
  const independent = new Set<string>(renderers.filter((r) => r.independent).map((r) => r.name));
  const mode = settings.shard;
  const configDigest = digestOf([req.configText]);
  const generator = `hydrate ${VERSION}`;

  diagnostics.push(...(await checkSources(settings, ports.files)));
  const discovered = await discoverUnits(settings, ports.files, entryPositions(req.configText, settings.configPath));
  // Entries that overlap are a config mistake the tree reveals: stop, as for any config error (exit 2).
  if (discovered.configErrors.length > 0) throw new ConfigError(discovered.configErrors);
  diagnostics.push(...discovered.diagnostics);
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
    ({ inputs, unchanged, toRender } = await planIncremental(selected, settings, ports, previous, independent));
    ports.logger.info(`hydrate: ${unchanged.length} unit(s) unchanged, ${toRender.length} to render (${Date.now() - started} ms)`);
  }
  const fromShards = new Map<string, UnitResult>();
  if (mode?.kind === 'merge' && !hasErrors(diagnostics)) {
    const taken = takeFromShards(req.shards ?? [], toRender, inputs, {
      generator,
      configDigest,
      ...(req.dryCommit ? { dryCommit: req.dryCommit } : {}),
      units: selected,
      independent
    });
    diagnostics.push(...taken.diagnostics);
    for (const r of taken.results) fromShards.set(r.unit.id, r);
    if (taken.leftovers.length > 0) {
      ports.logger.info(`hydrate: ${taken.leftovers.length} unit(s) kept by their shard no longer match the wet tree: rendering them here`);
    }
    ports.logger.info(`hydrate: ${fromShards.size} unit(s) from ${req.shards?.length ?? 0} shard file(s)`);
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
      const rendered = await renderOnWorkers(renderer, units, {
        settings,
        repoRoot: settings.repoRoot,
        files: ports.files,
        exec: ports.exec,
        logger: ports.logger,
        previous
      });
      // The index records the input digest, which the next run compares before rendering.
      results.push(...rendered.map((r) => withInputDigest(r, inputs.get(r.unit.id))));
      ports.logger.info(`hydrate: ${name}: ${units.length} unit(s) in ${Date.now() - started} ms`);
    }
  }
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
      shard
    };
  }
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
      { generator, ...(req.dryCommit ? { dryCommit: req.dryCommit } : {}), configDigest },
      await keptUnits(reused.entries, previous)
    );
    diagnostics.push(...layout.diagnostics);
    if (!hasErrors(layout.diagnostics)) {
      plan = await planWetUpdate(previous.index, (p) => previous.readFile(p), layout);
      diagnostics.push(...(plan.diagnostics ?? []));
    }
  }

  const ok = !hasErrors(diagnostics);
  // Kept units have the same index entry and the same files before and after: the diff would
  // find nothing in them, so it is not asked to parse them.
  const kept = new Set(ok && layout ? reused.entries.map((e) => e.id) : []);
  const before = await snapshotWithout(previous, kept);
  const after = ok && layout ? withoutUnits(snapshotFromLayout(layout), kept) : before;
  const diff = diffWet(before, after, { failedUnits, ignore: settings.config.diff.ignore });

  return {
    ok,
    diagnostics: sortDiagnostics(diagnostics),
    units: unitReports(selected, skipped, results, ok ? layout?.index : undefined, previous.index),
    results,
    ...(ok && layout ? { layout } : {}),
    ...(ok && plan ? { plan } : {}),
    diff
  };
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
  independent: ReadonlySet<string>
): Promise<{ inputs: Map<string, InputDigest>; unchanged: Unit[]; toRender: Unit[] }> {
  const inputs = new Map<string, InputDigest>();
  const tools = selected.some((u) => u.renderer === 'kubernetes') ? renderToolVersions(ports.exec) : Promise.resolve('');
  // Never rejects (renderToolVersions catches), but keep an unobserved rejection impossible.
  tools.catch(() => undefined);
  const width = Math.max(1, settings.concurrency) * 16;
  const files = cachingReader(ports.files);
  // File ids from git when the dry tree is a checkout (clean tracked files are not read), else from content.
  const ids = createFileIds(files, settings.repoRoot, await readGitListing(ports.exec, settings.repoRoot, ports.logger));
  // A unit whose recorded closure has the same ids is decided without walking (or parsing) its kustomizations.
  const recorded = settings.full ? undefined : previous.index;
  let walked = 0;
  const digests = await runPool(selected, width, async (u) => {
    const quick = await recordedInputDigest(u, settings, recorded?.units[u.id], ids, tools);
    if (quick) return quick;
    walked++;
    return unitInputDigest(u, settings, files, tools, ids);
  });
  ports.logger.debug(`hydrate: ${selected.length - walked} unit(s) checked against their recorded closure, ${walked} walked (file ids from ${ids.source})`);
  selected.forEach((u, i) => inputs.set(u.id, digests[i]!));
  if (settings.full || !previous.index) return { inputs, unchanged: [], toRender: [...selected] };

  const prev = previous.index;
  const reusable = await runPool(selected, width, async (u) => {
    const input = inputs.get(u.id)!;
    const entry = prev.units[u.id];
    if (input.volatile || !entry || entry.volatile || entry.digest !== input.digest) return false;
    // The digest covers the renderer and the output folder: equal digests mean the same ones.
    for (const p of entry.paths) if ((await previous.readFile(p)) === undefined) return false;
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
): { results: UnitResult[]; leftovers: Unit[]; diagnostics: Diagnostic[] } {
  const { entries, diagnostics } = collectShards(shards, expect);
  const results: UnitResult[] = [];
  const leftovers: Unit[] = [];
  if (hasErrors(diagnostics)) return { results, leftovers, diagnostics };
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
  }
  return { results, leftovers, diagnostics };
}

function indexWithout(index: WetIndex, ids: ReadonlySet<string>): WetIndex {
  return { ...index, units: Object.fromEntries(Object.entries(index.units).filter(([id]) => !ids.has(id))) };
}

/** The previous tree's snapshot without the given units (as the adapter's snapshot: every owned file that exists). */
async function snapshotWithout(previous: PreviousWet, ids: ReadonlySet<string>): Promise<WetSnapshot> {
  const files = new Map<string, string>();
  if (!previous.index) return { files };
  const index = indexWithout(previous.index, ids);
  for (const p of ownedPaths(index)) {
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
  return { index: previous.index, readFile: memoizeAsync((p) => previous.readFile(p)) };
}

function withInputDigest(r: RenderedUnit, input: InputDigest | undefined): UnitResult {
  return { ...r, digest: input?.digest ?? '', ...(input?.volatile ? { volatile: true } : {}), ...(input?.closure ? { closure: input.closure } : {}) };
}

/** Renders a renderer's units on a pool of workers; output order is the canonical unit order. */
async function renderOnWorkers(
  renderer: Renderer,
  units: readonly Unit[],
  base: Omit<Parameters<Renderer['render']>[0], 'units'>
): Promise<RenderedUnit[]> {
  const workers = Math.max(1, Math.min(base.settings.concurrency, units.length));
  if (workers === 1 || !renderer.independent) return renderer.render({ ...base, units });
  const chunks = await runPool(
    units.map((u) => [u]),
    workers,
    (chunk) => renderer.render({ ...base, units: chunk })
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

/** The kept units with their files, read from the previous wet tree (the reuse check read them already). */
async function keptUnits(reused: readonly ReusedEntry[], previous: PreviousWet): Promise<KeptUnit[]> {
  const out: KeptUnit[] = [];
  for (const { id, entry } of reused) {
    const files = new Map<string, string>();
    for (const p of entry.paths) {
      const content = await previous.readFile(p);
      if (content !== undefined) files.set(p, content);
    }
    out.push({ id, entry, files });
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
