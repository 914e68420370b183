/**
 * The run-mode switch, shared by the CLI and the action: render the dry tree onto a wet
 * directory as a whole run (`render`), as one shard job (`shard-part`: the wet directory is only
 * read, and what was rendered is saved as a shard file for the merge) or as the merge of the shard
 * jobs (`shard-merge`: the shard files are read once, then the units taken from them).
 */
import { applyWetPlan, readWetDir } from '../adapters/wet-dir.js';
import { readShardFiles, writeShardFile } from '../adapters/shard-files.js';
import { hydrate, type HydrateOutcome, type PipelinePorts } from '../pipeline/hydrate.js';
import type { LoadedShard } from '../formats/shard-file.js';
import type { Settings } from '../settings/settings.js';
import type { WetSnapshot } from '../wet/snapshot.js';

export type RunMode = 'render' | 'shard-part' | 'shard-merge';

export function runMode(settings: Settings): RunMode {
  return settings.shard?.kind === 'part' ? 'shard-part' : settings.shard?.kind === 'merge' ? 'shard-merge' : 'render';
}

export interface RenderRun {
  settings: Settings;
  configText: string;
  ports: PipelinePorts;
  dryCommit?: string;
  runId?: string;
  shardVerify?: number;
  /** Merge mode: the shard files (read once per run by `readRunShards`, whatever the attempts). */
  shards?: readonly LoadedShard[];
  /** Also return the wet directory as it was before the render (to review a dry pull request against). */
  keepPrevious?: boolean;
}

export interface RenderResult {
  outcome: HydrateOutcome;
  /** Shard part: the shard file saved (also when units failed: the merge reports every shard's errors together). */
  shardFile?: string;
  /** The wet directory now holds the render (a whole run or a merge that succeeded). */
  applied: boolean;
  /** With `keepPrevious`: the wet directory before the render. */
  previous?: WetSnapshot;
}

/** The shard files a merge takes its units from; undefined in the other modes. */
export async function readRunShards(settings: Settings): Promise<LoadedShard[] | undefined> {
  return settings.shard?.kind === 'merge' ? await readShardFiles(settings.shard.dir) : undefined;
}

/** Renders onto `dir` as the run mode says (see the file comment). */
export async function renderRun(dir: string, run: RenderRun): Promise<RenderResult> {
  const { settings } = run;
  const wet = await readWetDir(dir);
  const previous = run.keepPrevious ? await wet.snapshot() : undefined;
  const outcome = await hydrate({
    settings,
    configText: run.configText,
    previous: wet,
    ports: run.ports,
    ...(run.dryCommit ? { dryCommit: run.dryCommit } : {}),
    ...(run.shards ? { shards: run.shards } : {}),
    ...(run.runId ? { runId: run.runId } : {}),
    ...(run.shardVerify !== undefined ? { shardVerify: run.shardVerify } : {})
  });
  const base = { outcome, ...(previous ? { previous } : {}) };
  if (outcome.shard && settings.shard) return { ...base, shardFile: await writeShardFile(settings.shard.dir, outcome.shard), applied: false };
  if (runMode(settings) === 'shard-part' || !outcome.ok || !outcome.plan) return { ...base, applied: false };
  await applyWetPlan(dir, outcome.plan);
  return { ...base, applied: true };
}
