/** The pull-request comment: the Markdown report within GitHub's comment size limits. */
import type { DiffReport } from '../diff/wet-diff.js';
import { buildMarkdown, safeUrl, type ReportContext } from './markdown.js';

export type { ReportContext } from './markdown.js';

/** GitHub rejects comment and pull request bodies longer than this many characters... */
export const COMMENT_MAX_CHARS = 65_536;
/** ... and longer than this many UTF-8 bytes. */
export const COMMENT_MAX_BYTES = 262_144;

function commentOverflowLine(n: number, summaryUrl?: string): string {
  const base = `… ${n} more unit${n === 1 ? '' : 's'} not shown: the full diff is in the job summary`;
  return summaryUrl ? `${base} ([open the job summary](${safeUrl(summaryUrl)}))` : base;
}

export function buildComment(report: DiffReport, ctx: ReportContext): string {
  return buildMarkdown(report, ctx, { maxChars: COMMENT_MAX_CHARS, maxBytes: COMMENT_MAX_BYTES }, (n) =>
    commentOverflowLine(n, ctx.summaryUrl)
  );
}
