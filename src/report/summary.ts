/** The job summary: the same Markdown report with the job summary's larger size limit. */
import type { DiffReport } from '../diff/wet-diff.js';
import { buildMarkdown, type ReportContext } from './markdown.js';

/** GitHub's limit for one step's job summary, in bytes. */
export const SUMMARY_MAX_BYTES = 1_048_576;

export function summaryOverflowLine(n: number): string {
  return `… ${n} more unit${n === 1 ? '' : 's'} not shown: the diff is larger than the job summary limit; run \`hydrate diff\` locally for all of it`;
}

export function buildJobSummary(report: DiffReport, ctx: ReportContext): string {
  return buildMarkdown(
    report,
    ctx,
    { maxChars: Number.MAX_SAFE_INTEGER, maxBytes: SUMMARY_MAX_BYTES },
    summaryOverflowLine
  );
}
