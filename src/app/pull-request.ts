/**
 * The pull-request policy of a `pull-request` run, over the GitHub interface. It rests on one
 * look-up of the pull requests from the PR branch into the wet branch, made before the render:
 * - none open but an older one merged or closed: the PR branch starts afresh (`restartTarget`);
 * - after the render, nothing changed: the open pull request (if any) is closed and its branch deleted;
 * - else the open one is updated (or one is opened), the labels it lacks added, the sticky comment
 *   written, and auto-merge enabled when asked and not on already.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { GitHub, Pull, PullLookup } from '../adapters/github.js';
import type { DiffReport } from '../diff/wet-diff.js';
import type { HydrateOutcome } from '../pipeline/hydrate.js';
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

/** The same for every run on the same dry commit (no run URL), so a rerun does not rewrite it. */
export function pullBody(diff: DiffReport, run: { drift: boolean; wetBranch: string; dryRepository: string; dryCommitUrl: string }): string {
  const lines = [
    run.drift
      ? `The wet branch \`${run.wetBranch}\` differs from a fresh render of \`${run.dryRepository}\`: this is drift.`
      : `Rendered from ${run.dryCommitUrl}.`,
    '',
    `Units changed: ${diff.totals.units} · resources added ${diff.totals.added}, changed ${diff.totals.changed}, removed ${diff.totals.removed}.`
  ];
  return `${lines.join('\n')}\n`;
}

/** `coordinate/value` labels for the coordinates named in `wet.labelCoordinates` of the config (e.g. env). */
export function coordinateLabels(names: readonly string[], diff: DiffReport): string[] {
  const out = new Set<string>();
  for (const u of diff.units) for (const n of names) if (u.coordinates[n]) out.add(`${n}/${u.coordinates[n]}`);
  return [...out].sort();
}

/** Auto-merge when every changed unit's dry directory holds an AUTO_MERGE file. */
export function allUnitsAutoMerge(diff: DiffReport, outcome: HydrateOutcome, workspace: string): boolean {
  if (diff.units.length === 0) return false;
  const dirs = new Map(outcome.units.map((u) => [u.id, u.dir]));
  return diff.units.every((u) => {
    const dir = dirs.get(u.unit);
    return dir !== undefined && existsSync(path.join(workspace, dir, 'AUTO_MERGE'));
  });
}
