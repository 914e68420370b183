/** The pull-request comment: the Markdown report within GitHub's comment size limits. */
import type { DiffReport } from '../diff/wet-diff.js';
import { buildMarkdown, safeUrl, type ReportContext } from './markdown.js';

import { COMMENT_MAX_BYTES, COMMENT_MAX_CHARS } from '../ports.js';

export type { ReportContext } from './markdown.js';
/** GitHub's limits on a comment's body (src/ports.ts), which the comment is built to fit. */
export { COMMENT_MAX_BYTES, COMMENT_MAX_CHARS } from '../ports.js';

function commentOverflowLine(n: number, summaryUrl?: string): string {
  const base = `… ${n} more unit${n === 1 ? '' : 's'} not shown: the full diff is in the job summary`;
  return summaryUrl ? `${base} ([open the job summary](${safeUrl(summaryUrl)}))` : base;
}

export function buildComment(report: DiffReport, ctx: ReportContext): string {
  return buildMarkdown(report, ctx, { maxChars: COMMENT_MAX_CHARS, maxBytes: COMMENT_MAX_BYTES }, (n) =>
    commentOverflowLine(n, ctx.summaryUrl)
  );
}
