/**
 * The pull-request policy of a `pull-request` run, over the GitHub interface. It rests on one
 * look-up of the pull requests from the PR branch into the wet branch, made before the render:
 * - none open but an older one merged or closed: the PR branch starts afresh (`restartTarget`);
 * - after the render, nothing changed: the open pull request (if any) is closed and its branch deleted;
 * - else the open one is updated (or one is opened), the labels it lacks added, the sticky comment
 *   written, and auto-merge enabled when asked and not on already.
 */
import type { GitHub, Pull, PullLookup } from '../adapters/github.js';
import type { Logger } from '../ports.js';

export interface PullRequestPlan {
  head: string;
  base: string;
  lookup: PullLookup;
  /** A pull request was merged or closed since: the PR branch starts afresh from the wet branch. */
  restartTarget: boolean;
}

export async function planPullRequest(gh: GitHub, head: string, base: string): Promise<PullRequestPlan> {
  const lookup = await gh.lookUpPulls(head, base);
  return { head, base, lookup, restartTarget: !lookup.open && lookup.latest !== undefined };
}

export interface PullRequestContent {
  /** Whether the render moved the PR branch away from the wet branch. */
  changed: boolean;
  title: string;
  body: string;
  labels: readonly string[];
  comment: { marker: string; body: string };
  /** Asked for auto-merge (evaluated only when a pull request is open). */
  autoMerge: () => boolean;
}

export type PullRequestOutcome =
  | { kind: 'none' }
  | { kind: 'closed'; number: number }
  | { kind: 'open'; pull: Pull; created: boolean; warnings: string[] };

export async function settlePullRequest(gh: GitHub, plan: PullRequestPlan, content: PullRequestContent, logger: Logger): Promise<PullRequestOutcome> {
  const { open } = plan.lookup;
  if (!content.changed) {
    if (!open) return { kind: 'none' };
    logger.info(`the wet branch already matches the render: closing #${open.number}`);
    await gh.closePull(open.number);
    await gh.deleteBranch(plan.head);
    return { kind: 'closed', number: open.number };
  }
  const { pull, created } = await gh.createOrUpdatePull({ head: plan.head, base: plan.base, title: content.title, body: content.body }, open ?? null);
  if (content.labels.length > 0) await gh.addLabels(pull.number, content.labels, pull.labels);
  await gh.upsertStickyComment(pull.number, content.comment.marker, content.comment.body);
  const warnings: string[] = [];
  if (pull.auto_merge) {
    logger.info(`auto-merge is already enabled on #${pull.number}`);
  } else if (content.autoMerge()) {
    const warning = await gh.enableAutoMerge(pull.node_id, 'SQUASH');
    if (warning) warnings.push(warning);
  }
  return { kind: 'open', pull, created, warnings };
}
