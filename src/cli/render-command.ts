/** `hydrate render`: the run-mode switch of src/app/render-run.ts onto a local directory, printed as text or JSON. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, ExitCode, formatDiagnostic, type Diagnostic } from '../diagnostics.js';
import { pipelinePorts } from '../app/pipeline-ports.js';
import { readRunShards, renderRun, runMode } from '../app/render-run.js';
import { refuseOutDir } from '../app/out-dir.js';
import { loadSettings } from '../settings/load-settings.js';
import type { HydrateOutcome } from '../pipeline/hydrate.js';
import { formatDiffText } from '../report/text.js';
import { escapeLine, escapeText } from '../report/escape.js';
import { renderReport } from '../report/json-report.js';
import type { Logger } from '../ports.js';
import type { CommandValues } from './usage.js';

// Names and tool output come from the dry tree: control characters and workflow commands are escaped.
export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`${escapeText(m)}\n`),
  warning: (m) => process.stderr.write(`warning: ${escapeText(m)}\n`),
  debug: (m) => {
    if (process.env['HYDRATE_DEBUG']) process.stderr.write(`debug: ${escapeText(m)}\n`);
  }
};

export interface RenderCommand {
  config: string;
  repo?: string;
  out: string;
  only: string[];
  full: boolean;
  json: boolean;
  dryCommit?: string;
  /** `i/n` or `merge` (with shardDir). */
  shard?: string;
  shardDir?: string;
  allowMassDeletion?: boolean;
  repository?: string;
  /** Recorded in shard files; a merge takes files with its own run id only. */
  runId?: string;
  /** Merge: units to render again and compare with their shard's result. */
  shardVerify?: number;
}

/**
 * Renders into `out` (created or updated in place, with pruning; only read, and not created, by a
 * `--shard i/n` run). Prints text or the JSON report.
 */
export async function renderCommand(cmd: RenderCommand, logger: Logger = stderrLogger): Promise<{ exitCode: number; outcome: HydrateOutcome }> {
  const { settings, configText } = await loadSettings({
    configFile: cmd.config,
    ...(cmd.repo ? { repoRoot: cmd.repo } : {}),
    only: cmd.only,
    full: cmd.full,
    ...(cmd.shard !== undefined ? { shard: cmd.shard } : {}),
    ...(cmd.shardDir !== undefined ? { shardDir: path.resolve(cmd.shardDir) } : {}),
    ...(cmd.allowMassDeletion ? { allowMassDeletion: true } : {}),
    ...(cmd.repository !== undefined ? { repository: cmd.repository } : {})
  });
  const outDir = path.resolve(cmd.out);
  const ports = pipelinePorts(logger);
  await refuseOutDir(outDir, cmd.out, settings, ports.files);
  if (runMode(settings) !== 'shard-part') await mkdir(outDir, { recursive: true });
  const shards = await readRunShards(settings);
  const { outcome, shardFile } = await renderRun(outDir, {
    settings,
    configText,
    ports,
    ...(cmd.dryCommit ? { dryCommit: cmd.dryCommit } : {}),
    ...(shards ? { shards } : {}),
    ...(cmd.runId ? { runId: cmd.runId } : {}),
    ...(cmd.shardVerify !== undefined ? { shardVerify: cmd.shardVerify } : {})
  });
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify({ ...renderReport(outcome, outDir), ...(shardFile ? { shardFile } : {}) }, null, 2)}\n`);
  } else if (shardFile) {
    printShard(outcome, shardFile);
  } else {
    printOutcome(outcome, outDir);
  }
  return { exitCode: outcome.ok ? ExitCode.ok : outcome.exitCode, outcome };
}

function printOutcome(outcome: HydrateOutcome, outDir: string): void {
  const out = process.stdout;
  for (const u of outcome.units) {
    out.write(`${u.status.padEnd(8)} ${escapeLine(u.id)}  (${u.resources} resources)\n`);
  }
  if (!outcome.ok) {
    printDiagnostics(outcome.diagnostics);
    out.write(`\nhydrate: render failed; ${outDir} was not changed\n`);
    return;
  }
  // Warnings and notices are shown on success too (on stderr, like progress).
  printDiagnostics(outcome.diagnostics);
  const plan = outcome.plan!;
  out.write(`\nwrote ${plan.writes.length} file(s), removed ${plan.deletes.length}, unchanged ${plan.unchanged.length} in ${outDir}\n\n`);
  out.write(formatDiffText(outcome.diff));
}

function printShard(outcome: HydrateOutcome, shardFile: string): void {
  const out = process.stdout;
  for (const u of outcome.units) out.write(`${u.status.padEnd(8)} ${escapeLine(u.id)}  (${u.resources} resources)\n`);
  printDiagnostics(outcome.diagnostics);
  out.write(`\nsaved ${outcome.units.length} unit(s) of shard ${outcome.shard!.shard.index}/${outcome.shard!.shard.count} to ${shardFile}\n`);
}

export function printDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(`${escapeText(formatDiagnostic(d))}\n`);
}


function wholeNumber(flag: string, value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new ConfigError(`${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

/** The render command a command line asks for. */
export function renderFlags(values: CommandValues<'render'>): RenderCommand {
  return {
    config: values.config,
    ...(values.repo ? { repo: values.repo } : {}),
    out: values.out,
    only: values.only,
    full: values.full,
    json: values.json,
    ...(values['dry-commit'] ? { dryCommit: values['dry-commit'] } : {}),
    ...(values.shard !== undefined ? { shard: values.shard } : {}),
    ...(values['shard-dir'] !== undefined ? { shardDir: values['shard-dir'] } : {}),
    ...(values['allow-mass-deletion'] ? { allowMassDeletion: true } : {}),
    ...(values.repository !== undefined ? { repository: values.repository } : {}),
    ...(values['run-id'] ? { runId: values['run-id'] } : {}),
    ...(values['shard-verify'] !== undefined ? { shardVerify: wholeNumber('--shard-verify', values['shard-verify']) } : {})
  };
}
