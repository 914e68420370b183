/**
 * The pull-request policy of a `pull-request` run, over the GitHub interface. It rests on one
 * look-up of the pull requests from the PR branch into the wet branch, made before the render:
 * - none open but an older one merged or closed: the PR branch starts afresh (`restartTarget`);
 * - after the render, nothing changed: the open pull request (if any) is closed and its branch deleted;
 * - else the open one is updated (or one is opened, and its reviewers asked), the labels it lacks
 *   added, the sticky comment written, and auto-merge enabled when asked and not on already — or,
 *   when GitHub answers that the pull request can be merged at once, merged.
 * With `group-by`, one listing of the open pull requests into the wet branch serves every group:
 * each changed group is settled as above, and an open group whose units no longer differ is closed.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { GitHub, MergeMethod, Pull, PullLookup } from '../adapters/github.js';
import { reportOf, type DiffReport } from '../diff/wet-diff.js';
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
  /** How auto-merge (or a merge, when GitHub can merge at once) merges. Default MERGE. */
  mergeMethod?: MergeMethod;
  /** Asked to review a pull request when it is opened (logins, `org/team`; bots left out). */
  reviewers?: readonly string[];
  /** A line added to the body (e.g. "image update from acme/web"). */
  bodyNote?: string;
}

export type PullRequestOutcome =
  | { kind: 'none' }
  | { kind: 'closed'; number: number }
  /** `merged`: auto-merge was refused because the pull request could merge at once, and it was merged. */
  | { kind: 'open'; pull: Pull; created: boolean; warnings: string[]; merged?: boolean };

export async function settlePullRequest(gh: GitHub, plan: PullRequestPlan, content: PullRequestContent, logger: Logger): Promise<PullRequestOutcome> {
  const { open } = plan.lookup;
  if (!content.changed) {
    if (!open) return { kind: 'none' };
    logger.info(`the wet branch already matches the render: closing #${open.number}`);
    await gh.closePull(open.number);
    await gh.deleteBranch(plan.head);
    return { kind: 'closed', number: open.number };
  }
  const body = content.bodyNote ? `${content.body.replace(/\n*$/, '')}\n\n${content.bodyNote}\n` : content.body;
  const { pull, created } = await gh.createOrUpdatePull({ head: plan.head, base: plan.base, title: content.title, body }, open ?? null);
  const warnings: string[] = [];
  if (created && content.reviewers && content.reviewers.length > 0) {
    const warning = await gh.requestReviewers(pull.number, content.reviewers);
    if (warning) warnings.push(warning);
  }
  if (content.labels.length > 0) await gh.addLabels(pull.number, content.labels, pull.labels);
  await gh.upsertStickyComment(pull.number, content.comment.marker, content.comment.body);
  let merged = false;
  if (pull.auto_merge) {
    logger.info(`auto-merge is already enabled on #${pull.number}`);
  } else if (content.autoMerge()) {
    const r = await gh.autoMerge(pull, content.mergeMethod ?? 'MERGE');
    if (r.kind === 'warning') warnings.push(r.message);
    merged = r.kind === 'merged';
  }
  return { kind: 'open', pull, created, warnings, ...(merged ? { merged } : {}) };
}

/** A group of changed units: the units sharing the values of the `group-by` coordinates. */
export interface PullGroup {
  /** e.g. `env=prod` or `cluster=east, env=prod` (`env=(none)` for a unit without env). */
  label: string;
  /** Coordinate labels, e.g. `env/prod`. */
  labels: string[];
  /** The group's branch: the PR branch, then one part per coordinate (`hydrate/deployment/env-prod`). */
  branch: string;
}

/**
 * A branch-name part for a coordinate name or value: characters git or a shell would trip on
 * become `-`, followed by a digest of the value whenever anything changed (so two values never
 * share a branch).
 */
function branchPart(value: string): string {
  const safe = value.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/\.{2,}/g, '.').replace(/^[.-]+/, '').replace(/(?:\.lock|[.-])+$/i, '');
  if (safe === value && safe !== '') return safe;
  return `${safe === '' ? 'x' : safe}-${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 8)}`;
}

/** The group of a unit with these coordinates, when grouping by `names` under the PR branch. */
export function pullGroupOf(prBranch: string, names: readonly string[], coordinates: Readonly<Record<string, string>>): PullGroup {
  const parts: string[] = [];
  const shown: string[] = [];
  const labels: string[] = [];
  for (const n of names) {
    const v = coordinates[n];
    if (v === undefined || v === '') {
      parts.push(`no-${branchPart(n)}`);
      shown.push(`${n}=(none)`);
    } else {
      parts.push(`${branchPart(n)}-${branchPart(v)}`);
      shown.push(`${n}=${v}`);
      labels.push(`${n}/${v}`);
    }
  }
  // Valid whenever the PR branch is (checked with the inputs): every part is made of [A-Za-z0-9_.-], never begins with "." or "-" nor ends with "." or ".lock".
  return { label: shown.join(', '), labels, branch: [prBranch, ...parts].join('/') };
}

/** The diff of some units only (a group's comment and body). */
export function diffOfUnits(diff: DiffReport, units: readonly string[]): DiffReport {
  const keep = new Set(units);
  return reportOf(diff.units.filter((u) => keep.has(u.unit)));
}

/** The open pull requests of a grouped run, from one listing of the pull requests into the wet branch. */
export interface GroupedPullPlan {
  base: string;
  prBranch: string;
  /** Group branch → its open pull request. */
  open: Map<string, Pull>;
  /** An open pull request from the PR branch itself (from before `group-by`): closed, its branch deleted. */
  ungrouped?: Pull;
}

export async function planGroupedPulls(gh: GitHub, prBranch: string, base: string): Promise<GroupedPullPlan> {
  const open = new Map<string, Pull>();
  let ungrouped: Pull | undefined;
  for (const p of await gh.listOpenPulls(base)) {
    if (p.base.ref !== base) continue;
    if (p.head.ref === prBranch) ungrouped ??= p;
    else if (p.head.ref.startsWith(`${prBranch}/`) && !open.has(p.head.ref)) open.set(p.head.ref, p);
  }
  return { base, prBranch, open, ...(ungrouped ? { ungrouped } : {}) };
}

/** Before a grouped publish: the pull request from the PR branch itself is closed and its branch deleted (its branch name would block the group branches). */
export async function retireUngrouped(gh: GitHub, plan: GroupedPullPlan, logger: Logger): Promise<number | undefined> {
  if (!plan.ungrouped) return undefined;
  logger.info(`pull requests are grouped now: closing #${plan.ungrouped.number} from ${plan.prBranch}`);
  await gh.closePull(plan.ungrouped.number);
  await gh.deleteBranch(plan.prBranch);
  return plan.ungrouped.number;
}

export interface GroupOutcome {
  branch: string;
  outcome: PullRequestOutcome;
}

/**
 * After a grouped publish: each group with changes gets its pull request opened or updated (from
 * the one listing), and each open group pull request whose group no longer differs from the wet
 * branch is closed and its branch deleted. API calls: O(groups).
 */
export async function settleGroups(
  gh: GitHub,
  plan: GroupedPullPlan,
  groups: readonly { branch: string; content: PullRequestContent }[],
  logger: Logger
): Promise<GroupOutcome[]> {
  const out: GroupOutcome[] = [];
  const changed = new Set(groups.map((g) => g.branch));
  for (const g of groups) {
    const open = plan.open.get(g.branch);
    const groupPlan: PullRequestPlan = { head: g.branch, base: plan.base, lookup: open ? { open, latest: open } : {}, restartTarget: false };
    out.push({ branch: g.branch, outcome: await settlePullRequest(gh, groupPlan, g.content, logger) });
  }
  let me: string | undefined;
  for (const [branch, pull] of [...plan.open].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (changed.has(branch)) continue;
    // Only pull requests this token opened: a branch someone else named under the PR branch is theirs.
    me ??= await gh.identity();
    if (pull.user?.login !== me) {
      logger.info(`#${pull.number} from ${branch} was opened by ${pull.user?.login ?? 'a deleted user'}, not by ${me}: left open`);
      continue;
    }
    logger.info(`the wet branch already holds ${branch}'s units as rendered: closing #${pull.number}`);
    await gh.closePull(pull.number);
    await gh.deleteBranch(branch);
    out.push({ branch, outcome: { kind: 'closed', number: pull.number } });
  }
  return out;
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
