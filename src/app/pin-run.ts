/**
 * The pin step of an action run (an image update sent by dispatch, or a promotion): plan the pins
 * on the checked-out dry tree, commit the change to the dry repository (pushed onto the checked-out
 * branch, or on a branch of its own with a dry pull request), and say what the wet pull request
 * must carry. A plan with no edits (the same dispatch again) commits nothing and touches no pull
 * request; a plan that cannot be made throws before anything is written.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { HydrateError } from '../diagnostics.js';
import type { CreateOrUpdatePullInput, Pull, PullLookup } from '../adapters/github.js';
import type { ImageUpdate } from '../dry/pins/payload.js';
import type { PinChange, PinPlan } from '../dry/pins/plan.js';
import type { PipelinePorts } from '../pipeline/hydrate.js';
import type { Git } from '../ports.js';
import { commitDryEdits, dryBranchName } from '../publish/dry-branch.js';
import { HYDRATE_VERSION_TRAILER } from '../publish/wet-branch.js';
import type { Settings } from '../settings/settings.js';
import { VERSION } from '../version.js';
import type { DryCommit } from './action-inputs.js';
import { applyPinPlan, pinCommitMessage, planPins, type PinRequest } from './pins.js';

/** The GitHub verbs a dry pull request needs (the GitHub adapter, on the dry repository). */
export interface DryPulls {
  lookUpPulls(head: string, base: string): Promise<PullLookup>;
  createOrUpdatePull(input: CreateOrUpdatePullInput, known?: Pull | null): Promise<{ pull: Pull; created: boolean }>;
  /** Resolves to a warning when a reviewer could not be asked. */
  requestReviewers(number: number, reviewers: readonly string[]): Promise<string | undefined>;
}

export interface PinRun {
  settings: Settings;
  ports: PipelinePorts;
  request: PinRequest;
  /** The dry checkout the plan is made on (and, once pushed, written to so the same run renders it). */
  workspace: string;
  dry: {
    /** `owner/name`, for messages. */
    repository: string;
    remoteUrl: string;
    git: Git;
    /** The checked-out branch; undefined when the checkout is not a branch (nothing can be committed). */
    branch: string | undefined;
    /** The checked-out commit the plan is made on. */
    commit: string;
    commitMode: DryCommit;
    author: { name: string; email: string };
    tempDir: string;
  };
  /** Built only when a dry pull request is opened. */
  pulls: () => DryPulls;
  notice(message: string): void;
  warning(message: string): void;
}

export type PinRunOutcome =
  /** The pins are already set (or the same change already waits in its dry pull request). */
  | { kind: 'unchanged'; plan: PinPlan; pull?: number }
  /** A dry pull request holds the change; hydration follows its merge. */
  | { kind: 'dry-pull-request'; plan: PinPlan; pull: Pull; created: boolean }
  /** Pushed onto the dry branch: the run goes on to render `commit`; the wet pull request carries `pinNote(request, plan)` and asks `reviewers`. */
  | { kind: 'pushed'; commit: string; plan: PinPlan; reviewers: string[] };

/** Logins to ask for review: the payload's reviewers and the dispatcher, without bot accounts. */
export function humanReviewers(update: ImageUpdate | undefined, dispatcher?: string): string[] {
  return [...new Set([...(update?.reviewers ?? []), ...(dispatcher ? [dispatcher] : [])].filter((r) => !/\[bot\]$/i.test(r)))];
}

function changeLine(c: PinChange): string {
  return `- \`${c.unit}\`: \`${c.image}\` ${c.from ?? '(not pinned)'} → ${c.to} (\`${c.file}\`)`;
}

/**
 * What the pull requests say about the pin change: "image update from <repo>" with the images,
 * or the promotion with every change (image, from → to, per unit) and what was not copied.
 */
export function pinNote(request: PinRequest, plan: PinPlan): string {
  const lines: string[] = [];
  if (request.kind === 'images') {
    const from = request.update.repository ?? 'a dispatch';
    const images = request.update.images.map((i) => `\`${i.name}\` ${i.tag ?? i.digest ?? ''}`.trim());
    lines.push(`**Image update from ${from}:** ${images.join(', ')}.`);
  } else {
    const sel = (s: Record<string, string>): string => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(',');
    lines.push(`**Promotion ${sel(request.from)} → ${sel(request.to)}:**`);
  }
  if (plan.changes.length > 0) lines.push('', ...plan.changes.map(changeLine));
  if (plan.notes.length > 0) lines.push('', '**Not changed:**', ...plan.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

/** The job summary of a run that ends with the pin step (nothing to commit, or a dry pull request). */
export function pinSummary(request: PinRequest, outcome: Exclude<PinRunOutcome, { kind: 'pushed' }>): string {
  const what = request.kind === 'promote' ? 'promotion' : 'image update';
  const status =
    outcome.kind === 'dry-pull-request'
      ? `The ${what} is in the dry pull request [#${outcome.pull.number}](${outcome.pull.html_url}); merging it hydrates the change.`
      : outcome.pull !== undefined
        ? `The same ${what} already waits in the dry pull request #${outcome.pull}: nothing was committed.`
        : `Every pin already holds its value: nothing was committed.`;
  return `## Hydrate: ${what}\n\n${status}\n\n${pinNote(request, outcome.plan)}\n\n`;
}

function dryTargetBranch(request: PinRequest): string {
  if (request.kind === 'promote') {
    const sel = (s: Record<string, string>): string => Object.entries(s).map(([k, v]) => `${k}-${v}`).join('-');
    return dryBranchName('hydrate/promote', [sel(request.from), 'to', sel(request.to)]);
  }
  return dryBranchName('hydrate/images', request.update.images.map((i) => `${i.name}-${i.tag ?? i.digest ?? ''}`));
}

export async function runPins(run: PinRun): Promise<PinRunOutcome> {
  const { request, dry } = run;
  const plan = await planPins(run.settings, run.ports, request);
  for (const n of plan.notes) run.warning(n);
  if (plan.edits.length === 0) {
    run.notice(
      request.kind === 'promote'
        ? 'the target units already hold the source units\' pins: nothing to promote, nothing committed'
        : 'the pins are already set as the image update asks: nothing committed, no pull request touched'
    );
    return { kind: 'unchanged', plan };
  }
  if (!dry.branch) {
    throw new HydrateError('the checkout is not a branch (GITHUB_REF is not refs/heads/…): there is no dry branch to commit the pin change to; check out a branch');
  }
  const update = request.kind === 'images' ? request.update : undefined;
  const message = pinCommitMessage(plan, update, request.kind === 'promote' ? { from: request.from, to: request.to } : undefined);
  const target = dry.commitMode === 'push' ? dry.branch : dryTargetBranch(request);
  const workDir = await mkdtemp(path.join(dry.tempDir, 'hydrate-dry-'));
  let committed;
  try {
    committed = await commitDryEdits({
      remoteUrl: dry.remoteUrl,
      git: dry.git,
      base: { branch: dry.branch, commit: dry.commit },
      targetBranch: target,
      edits: plan.edits,
      message,
      trailers: { [HYDRATE_VERSION_TRAILER]: VERSION },
      author: dry.author,
      workDir
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const reviewers = humanReviewers(update, request.kind === 'images' ? request.dispatcher : undefined);
  if (dry.commitMode === 'push') {
    if (!committed.commit) return { kind: 'unchanged', plan };
    // The same run renders what was committed.
    await applyPinPlan(run.workspace, plan);
    run.notice(`committed the pin change to ${dry.repository}@${dry.branch} (${committed.commit.slice(0, 7)})`);
    return { kind: 'pushed', commit: committed.commit, plan, reviewers };
  }
  const pulls = run.pulls();
  const lookup = await pulls.lookUpPulls(target, dry.branch);
  if (!committed.pushed && lookup.open) {
    run.notice(`the same pin change already waits in #${lookup.open.number}: nothing committed, no pull request touched`);
    return { kind: 'unchanged', plan, pull: lookup.open.number };
  }
  const subject = message.split('\n')[0]!;
  const body = `${pinNote(request, plan)}\n\nMerging this pull request hydrates the change (the wet pull request follows).\n`;
  const { pull, created } = await pulls.createOrUpdatePull({ head: target, base: dry.branch, title: subject, body }, lookup.open ?? null);
  if (created && reviewers.length > 0) {
    const warning = await pulls.requestReviewers(pull.number, reviewers);
    if (warning) run.warning(warning);
  }
  run.notice(`${created ? 'opened' : 'updated'} the dry pull request #${pull.number} for the pin change: ${pull.html_url}`);
  return { kind: 'dry-pull-request', plan, pull, created };
}
