/**
 * The job summary: the same Markdown report with the job summary's larger size limit, followed by
 * the run's unit table and errors, all within that limit.
 */
import type { DiffReport } from '../diff/wet-diff.js';
import { buildMarkdown, buildTrailer, escapeText, type Budget, type ReportContext, type UnitStatusRow } from './markdown.js';

/** GitHub's limit for one step's job summary, in bytes. */
export const SUMMARY_MAX_BYTES = 1_048_576;

const SUMMARY_BUDGET: Budget = { maxChars: Number.MAX_SAFE_INTEGER, maxBytes: SUMMARY_MAX_BYTES };

function summaryOverflowLine(n: number): string {
  return `… ${n} more unit${n === 1 ? '' : 's'} not shown: the diff is larger than the job summary limit; run \`hydrate diff\` locally for all of it`;
}

export function buildJobSummary(report: DiffReport, ctx: ReportContext): string {
  return buildMarkdown(report, ctx, SUMMARY_BUDGET, summaryOverflowLine);
}

/** A run that failed before anything was rendered: its errors. */
export function buildFailureSummary(errors: readonly string[]): string {
  return buildTrailer({ errors }, SUMMARY_BUDGET);
}

interface ShardSummary {
  index: number;
  count: number;
  /** File name of the saved shard file. */
  file: string;
  units: readonly UnitStatusRow[];
  errors?: readonly string[];
}

/** A `shard: i/n` job: what it rendered and saved for the merge job. */
export function buildShardSummary(s: ShardSummary): string {
  const counts = { rendered: 0, reused: 0, failed: 0 };
  for (const u of s.units) if (u.status in counts) counts[u.status as keyof typeof counts]++;
  const head = `## Hydrate shard ${s.index}/${s.count}\n\n${s.units.length} unit(s): ${counts.rendered} rendered, ${counts.reused} unchanged, ${counts.failed} failed. Saved to <code>${escapeText(s.file)}</code> for the merge job.\n\n`;
  const used = Buffer.byteLength(head, 'utf8');
  return head + buildTrailer({ units: s.units, ...(s.errors ? { errors: s.errors } : {}) }, { maxChars: SUMMARY_BUDGET.maxChars, maxBytes: SUMMARY_BUDGET.maxBytes - used });
}
