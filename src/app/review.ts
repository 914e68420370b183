/**
 * Check mode on a dry pull request: the comment shows the pull request's own effect (its head's
 * render against its base's render), and how the deployed wet branch differs from the base apart.
 * When the base cannot be rendered, the comment falls back to the diff against the wet branch and
 * says so.
 */
import type { DiffReport } from '../diff/wet-diff.js';
import type { HydrateOutcome, PipelinePorts } from '../pipeline/hydrate.js';
import { reviewAgainstBase } from '../pipeline/review.js';
import type { ReportContext } from '../report/markdown.js';
import type { Settings } from '../settings/settings.js';
import type { WetSnapshot } from '../wet/snapshot.js';
import { checkoutPullRequestBase, pullRequestSha } from '../adapters/dry-base.js';

export interface PullRequestReview {
  diff: DiffReport;
  context: Pick<ReportContext, 'comparedWith' | 'drift'>;
}

export async function reviewPullRequest(args: {
  workspace: string;
  tempDir: string;
  payload: Record<string, unknown>;
  wetBranch: string;
  settings: Settings;
  head: HydrateOutcome;
  wet: WetSnapshot;
  ports: PipelinePorts;
}): Promise<PullRequestReview> {
  let base;
  try {
    base = await checkoutPullRequestBase(args.workspace, { base: pullRequestSha(args.payload, 'base'), head: pullRequestSha(args.payload, 'head') }, args.tempDir);
  } catch (e) {
    return fallback(args, `the base commit could not be checked out: ${(e as Error).message}`);
  }
  try {
    const r = await reviewAgainstBase({ head: args.head, settings: args.settings, wet: args.wet, baseRoot: base.dir, baseSha: base.sha, ports: args.ports });
    const short = base.sha.slice(0, 7);
    return {
      diff: r.diff,
      context: { comparedWith: `the render of the base commit ${short}`, drift: { base: `the render of the base commit ${short}`, report: r.drift } }
    };
  } catch (e) {
    return fallback(args, (e as Error).message);
  } finally {
    await base.dispose();
  }
}

function fallback(args: { head: HydrateOutcome; wetBranch: string; ports: PipelinePorts }, why: string): PullRequestReview {
  args.ports.logger.warning(`the diff is against the wet branch, not the pull request's base: ${why}`);
  return { diff: args.head.diff, context: { comparedWith: `the wet branch ${args.wetBranch} (the pull request's base could not be rendered: ${why})` } };
}
