/**
 * The action's use case: event → plan → settings → render onto the wet branch → commit/push →
 * pull request and sticky comment (or the comment on the dry pull request in check mode). It talks
 * to the runner only through `ActionIO` (groups, annotations, outputs), so src/action/main.ts only
 * composes and holds the one top-level catch.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HydrateError, type Diagnostic } from '../diagnostics.js';
import { createGitHub, type GitHub, type MergeMethod } from '../adapters/github.js';
import { GitClient } from '../adapters/git.js';
import { HYDRATE_VERSION_TRAILER } from '../publish/wet-branch.js';
import { loadSettings } from '../settings/load-settings.js';
import type { Settings } from '../settings/settings.js';
import type { HydrateOutcome } from '../pipeline/hydrate.js';
import { buildComment } from '../report/comment.js';
import { buildFailureSummary, buildJobSummary, buildShardSummary } from '../report/summary.js';
import { escapeText } from '../report/escape.js';
import type { ReportContext, UnitStatusRow } from '../report/markdown.js';
import { runReport } from '../report/json-report.js';
import { serializeRunReport } from '../formats/run-report.js';
import type { Logger } from '../ports.js';
import { VERSION } from '../version.js';
import type { ActionInputs } from './action-inputs.js';
import { planForEvent, type CheckoutHead, type EventPlan } from './event-plan.js';
import { pipelinePorts } from './pipeline-ports.js';
import {
  allUnitsAutoMerge,
  coordinateLabels,
  diffOfUnits,
  planGroupedPulls,
  planPullRequest,
  pullBody,
  pullGroupOf,
  retireUngrouped,
  settleGroups,
  settlePullRequest,
  type PullGroup
} from './pull-request.js';
import { publishGroupedRender, publishRender, renderOnWetTip, wetCommitMessage, type PublishRun } from './publish.js';
import { readRunShards, runMode, type RenderRun } from './render-run.js';
import { reviewPullRequest } from './review.js';
import { pinNote, pinSummary, runPins } from './pin-run.js';
import type { PinRequest } from './pins.js';
import type { PinPlan } from '../dry/pins/plan.js';

/** Every output the action sets (action.yml declares the same list; docs/action.md documents it). */
export const ACTION_OUTPUTS = ['changed', 'wet-commit', 'pr-number', 'pr-url', 'pull-requests', 'units-changed', 'report', 'shard-file', 'dry-sha', 'dry-pr-number', 'dry-pr-url'] as const;
export type ActionOutput = (typeof ACTION_OUTPUTS)[number];

/** The runner, as the use case sees it (implemented over @actions/core by src/action/main.ts). */
export interface ActionIO {
  /** Escapes what it prints (names and tool output come from the dry tree). */
  logger: Logger;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  annotate(d: Diagnostic): void;
  notice(message: string): void;
  setOutput(name: ActionOutput, value: string): void;
  /** The workspace's HEAD (for the pull_request_target guard); undefined when git cannot tell. */
  readCheckout(workspace: string, base?: string): Promise<CheckoutHead | undefined>;
}

/** Filled as the run goes, so the job summary shows what was rendered also when the run fails. */
export interface JobReport {
  /** The job summary of what was rendered, ending with the errors that failed the run (if any). */
  summary?: (errors: readonly string[]) => string;
}

/** What a caller adds to every pull request the run opens (e.g. an image update: its sender as reviewer, a body line naming it). */
export interface PullRequestExtras {
  reviewers?: readonly string[];
  bodyNote?: string;
}

export async function runAction(inputs: ActionInputs, io: ActionIO, report: JobReport, extras: PullRequestExtras = {}): Promise<void> {
  // Only pull_request_target needs to know what is checked out (see planForEvent).
  const checkout = inputs.event.name === 'pull_request_target' ? await io.readCheckout(inputs.workspace, trustedBase(inputs)) : undefined;
  const plan = planForEvent(inputs, checkout);
  for (const n of plan.notices) io.notice(n);
  if (plan.refuse) throw new HydrateError(plan.refuse, 1);
  const { settings, configText } = await io.group('Load config', () =>
    loadSettings({
      configFile: inputs.configFile,
      repoRoot: inputs.workspace,
      only: inputs.only,
      full: inputs.full || plan.drift,
      allowMassDeletion: inputs.allowMassDeletion,
      repository: `${inputs.dryRepository.owner}/${inputs.dryRepository.repo}`,
      ...(inputs.shard ? { shard: inputs.shard, shardDir: inputs.shardDir } : {})
    })
  );
  const run: ActionRun = { inputs, io, report, plan, settings, render: renderRequest(inputs, settings, configText, io.logger), extras };
  if (settings.shard?.kind === 'part') return renderShardPart(run, settings.shard.spec);
  if (plan.pins) {
    const delivery = await changePins(run, plan.pins);
    if (!delivery) return;
    // The same run renders the dry commit it just pushed.
    const pushed = { ...inputs, drySha: delivery.commit };
    return renderAndPublish({ ...run, inputs: pushed, render: renderRequest(pushed, settings, configText, io.logger), delivery });
  }
  await renderAndPublish(run);
}

/** What the wet pull request carries after a pin change was pushed: the note saying what changed and who asked. */
interface Delivery {
  commit: string;
  request: PinRequest;
  plan: PinPlan;
  reviewers: string[];
}

/**
 * The reviewers and body note of a wet pull request: the `reviewers` input and the caller's extras, and after a pushed pin
 * change the dispatcher too, with the note of what changed (only `units`' changes for a group's pull request).
 */
function deliveryContent(run: ActionRun, units?: readonly string[]): { reviewers: string[]; bodyNote?: string } {
  const reviewers = [...run.inputs.reviewers, ...(run.extras.reviewers ?? [])];
  const ordinary = { reviewers, ...(run.extras.bodyNote ? { bodyNote: run.extras.bodyNote } : {}) };
  const d = run.delivery;
  if (!d) return ordinary;
  const plan = units ? { ...d.plan, changes: d.plan.changes.filter((c) => units.includes(c.unit)) } : d.plan;
  // A group none of whose units the pin change touched: its pull request is an ordinary one.
  if (plan.changes.length === 0 && d.plan.changes.length > 0) return ordinary;
  return { reviewers: [...new Set([...reviewers, ...d.reviewers])], bodyNote: pinNote(d.request, plan) };
}

/** The pin step: plan, commit to the dry repository; returns what to render next, or undefined when the run ends here. */
async function changePins(run: ActionRun, request: NonNullable<EventPlan['pins']>): Promise<Delivery | undefined> {
  const { inputs, io } = run;
  const dryFull = dryFullName(inputs);
  const remoteUrl = `${inputs.serverUrl}/${dryFull}.git`;
  const git = new GitClient({ ...(inputs.token ? { token: inputs.token } : {}), remoteUrl });
  try {
    const outcome = await io.group(request.kind === 'promote' ? 'Promote pins' : 'Update image pins', () =>
      runPins({
        settings: run.settings,
        ports: run.render.ports,
        request,
        workspace: inputs.workspace,
        dry: { repository: dryFull, remoteUrl, git, branch: inputs.dryBranch, commit: inputs.drySha, commitMode: inputs.dryCommit, author: inputs.author, tempDir: inputs.tempDir },
        pulls: () => createGitHub({ token: inputs.token, apiUrl: inputs.apiUrl, ...inputs.dryRepository, logger: io.logger }),
        notice: (m) => io.notice(m),
        warning: (m) => io.logger.warning(m)
      })
    );
    if (outcome.kind === 'dry-pull-request') {
      io.setOutput('dry-pr-number', String(outcome.pull.number));
      io.setOutput('dry-pr-url', outcome.pull.html_url);
    }
    if (outcome.kind !== 'pushed') {
      const summary = escapeText(pinSummary(request, outcome));
      run.report.summary = (errors) => summary + (errors.length > 0 ? buildFailureSummary(errors) : '');
      return undefined;
    }
    io.setOutput('dry-sha', outcome.commit);
    return { commit: outcome.commit, request, plan: outcome.plan, reviewers: outcome.reviewers };
  } finally {
    git.dispose();
  }
}

interface ActionRun {
  inputs: ActionInputs;
  io: ActionIO;
  report: JobReport;
  plan: EventPlan;
  settings: Settings;
  render: RenderRun;
  /** Set after a pin change was pushed: the wet pull request says so and asks its reviewers. */
  delivery?: Delivery;
  extras: PullRequestExtras;
}

/** The commit a pull_request_target checkout must match: GITHUB_SHA (the base branch's tip), else the event's base commit. */
function trustedBase(inputs: ActionInputs): string {
  const pr = inputs.event.payload['pull_request'] as { base?: { sha?: unknown } } | undefined;
  return inputs.drySha || (typeof pr?.base?.sha === 'string' ? pr.base.sha : '');
}

function renderRequest(inputs: ActionInputs, settings: Settings, configText: string, logger: Logger): RenderRun {
  return {
    settings,
    configText,
    ports: pipelinePorts(logger),
    ...(inputs.drySha ? { dryCommit: inputs.drySha } : {}),
    ...(inputs.runId ? { runId: inputs.runId } : {}),
    shardVerify: inputs.shardVerify
  };
}

const wetFullName = (inputs: ActionInputs): string => `${inputs.wetRepository.owner}/${inputs.wetRepository.repo}`;
const dryFullName = (inputs: ActionInputs): string => `${inputs.dryRepository.owner}/${inputs.dryRepository.repo}`;
const remoteUrlOf = (inputs: ActionInputs): string => `${inputs.serverUrl}/${wetFullName(inputs)}.git`;

/** Where the wet branch lives and who commits: the part of a publish request every run shares. */
function opening(inputs: ActionInputs): Pick<PublishRun, 'remoteUrl' | 'token' | 'wetBranch' | 'tempDir' | 'author'> {
  return { remoteUrl: remoteUrlOf(inputs), ...(inputs.token ? { token: inputs.token } : {}), wetBranch: inputs.wetBranch, tempDir: inputs.tempDir, author: inputs.author };
}

/** What the run rendered, per unit, for the job summary (shown also when the run fails). */
function unitRows(outcome: HydrateOutcome): UnitStatusRow[] {
  return outcome.units.map((u) => ({ id: u.id, status: u.status, resources: u.resources, errors: u.errors.length }));
}

/**
 * `shard: i/n`: this job's share of the units was rendered against the wet branch (read only) and
 * saved as a shard file for the merge job, even when units failed (the merge reports every
 * shard's errors together); this job then fails too.
 */
async function renderShardPart(run: ActionRun, spec: { index: number; count: number }): Promise<void> {
  const { io } = run;
  const { outcome, shardFile } = await io.group(`Render shard ${spec.index}/${spec.count}`, () =>
    renderOnWetTip({ ...opening(run.inputs), render: run.render })
  );
  if (!shardFile) throw new HydrateError('nothing was rendered');
  for (const d of outcome.diagnostics) if (d.severity !== 'error') io.annotate(d);
  io.setOutput('shard-file', shardFile);
  const file = path.basename(shardFile);
  run.report.summary = (errors) => buildShardSummary({ index: spec.index, count: spec.count, file, units: unitRows(outcome), errors });
  if (!outcome.ok) throw new HydrateError(outcome.diagnostics.filter((d) => d.severity === 'error'));
}

/**
 * Pull-request mode: a wet branch that does not exist yet is created as one empty root commit, in
 * the same listing of the remote that reads the tips, so the first render is reviewed too.
 */
function startWet(inputs: ActionInputs): PublishRun['startWet'] {
  return { message: `hydrate: start ${inputs.wetBranch} (empty; the first render comes as a pull request)` };
}

function noticeStarted(io: ActionIO, inputs: ActionInputs, started: string | undefined): void {
  if (started) io.notice(`wet branch ${inputs.wetBranch} did not exist: created it as an empty root commit; the first render is opened as a pull request into it`);
}

async function renderAndPublish(run: ActionRun): Promise<void> {
  const { inputs, io, plan, settings } = run;
  const wetFull = wetFullName(inputs);
  const dryFull = dryFullName(inputs);
  const shards = runMode(settings) === 'shard-merge' ? await io.group('Read shard files', async () => (await readRunShards(settings))!) : undefined;
  const marker = `${wetFull}:${inputs.wetBranch}:${settings.configPath}`;
  const gh = createGitHub({ token: inputs.token, apiUrl: inputs.apiUrl, ...inputs.wetRepository, logger: io.logger });
  // Where the render is committed: nowhere in check mode (which read-only plans always are).
  const publish = plan.mode === 'check' ? undefined : plan.mode;
  if (publish === 'push' && inputs.groupBy.length > 0) io.notice('group-by applies to pull-request mode: push mode commits every change to the wet branch');
  if (publish === 'pull-request' && inputs.groupBy.length > 0) {
    await renderAndPublishGroups(run, gh, { marker, dryFull, shards });
    return;
  }

  // One look-up of the pull requests for the whole run (a merged or closed one restarts the PR branch).
  const prPlan = publish === 'pull-request' ? await planPullRequest(gh, inputs.prBranch, inputs.wetBranch) : undefined;
  const { outcome: rendered, published, previous: wetBefore } = await io.group('Render and commit', () =>
    publishRender({
      ...opening(inputs),
      target: publish === undefined ? { kind: 'read-only' } : { kind: 'write', branch: prPlan ? inputs.prBranch : inputs.wetBranch, restart: prPlan?.restartTarget ?? false },
      ...(prPlan ? { startWet: startWet(inputs) } : {}),
      message: wetCommitMessage(inputs.commitMessage, dryFull, inputs.drySha),
      trailers: {
        'Hydrate-Dry-Repository': dryFull,
        ...(inputs.drySha ? { 'Hydrate-Dry-Commit': inputs.drySha } : {}),
        [HYDRATE_VERSION_TRAILER]: VERSION
      },
      // Check mode on a dry pull request: the deployed wet tree, to tell the PR's effect from drift.
      render: { ...run.render, ...(shards ? { shards } : {}), keepPrevious: publish === undefined && plan.dryPullNumber !== undefined }
    })
  );
  noticeStarted(io, inputs, published.startedWet);
  // Errors are annotated once, by the top-level catch; warnings and notices here (the render may have run more than once).
  for (const d of rendered.diagnostics) if (d.severity !== 'error') io.annotate(d);
  const diff = rendered.diff;
  const unitsChanged = diff.units.map((u) => u.unit);
  const reportPath = path.join(inputs.tempDir, 'hydrate-report.json');
  await writeFile(reportPath, serializeRunReport(runReport(rendered, { version: VERSION, mode: plan.mode })));
  io.setOutput('report', reportPath);
  io.setOutput('units-changed', JSON.stringify(unitsChanged));

  const title = plan.drift
    ? `Hydrate: drift on ${inputs.wetBranch} (${unitsChanged.length} unit(s))`
    : `Hydrate: render ${dryFull}@${inputs.drySha.slice(0, 7)} into ${inputs.wetBranch}`;
  const ctx: ReportContext = {
    marker,
    title: plan.mode === 'check' ? `Rendered diff for ${inputs.wetBranch}` : title,
    dryRepository: dryFull,
    dryCommit: inputs.drySha,
    wetBranch: inputs.wetBranch,
    summaryUrl: inputs.runUrl
  };
  const failures = rendered.diagnostics.flatMap((d) => (d.severity === 'error' && d.unit ? [{ unit: d.unit, message: d.message }] : []));
  // The pull request's own effect: its head's render against its base's render.
  const review = rendered.ok && wetBefore
    ? await io.group('Render the pull request base', () => reviewPullRequest({ workspace: inputs.workspace, tempDir: inputs.tempDir, payload: inputs.event.payload, wetBranch: inputs.wetBranch, settings, head: rendered, wet: wetBefore, ports: run.render.ports }))
    : undefined;
  const shown = review ? review.diff : diff;
  if (review) Object.assign(ctx, review.context);
  run.report.summary = (errors) => buildJobSummary(shown, { ...ctx, failures, units: unitRows(rendered), errors });
  if (!rendered.ok) {
    throw new HydrateError(rendered.diagnostics.filter((d) => d.severity === 'error'));
  }
  io.setOutput('changed', String(published.changed));
  io.setOutput('wet-commit', published.commit ?? '');

  if (plan.readOnly) {
    io.logger.warning('read-only token (fork pull request): rendered and summarised; no comment, commit or pull request was written');
    return;
  }
  if (publish === undefined) {
    const pullNumber = plan.dryPullNumber;
    if (pullNumber !== undefined) {
      const dryGh = createGitHub({ token: inputs.token, apiUrl: inputs.apiUrl, ...inputs.dryRepository, logger: io.logger });
      await io.group('Comment on the dry pull request', () => dryGh.upsertStickyComment(pullNumber, marker, buildComment(shown, ctx)));
    }
    return;
  }
  if (!prPlan) return; // push mode
  await io.group('Pull request', async () => {
    const settled = await settlePullRequest(gh, prPlan, {
      changed: published.changed,
      title,
      body: pullBody(diff, { drift: plan.drift, wetBranch: inputs.wetBranch, dryRepository: dryFull, dryCommitUrl: `${inputs.serverUrl}/${dryFull}/commit/${inputs.drySha}` }),
      labels: [...inputs.labels, ...coordinateLabels(settings.config.wet.labelCoordinates, diff)],
      comment: { marker, body: buildComment(diff, ctx) },
      autoMerge: () => inputs.autoMerge || allUnitsAutoMerge(diff, rendered, inputs.workspace),
      mergeMethod: MERGE_METHOD[inputs.mergeMethod],
      ...deliveryContent(run)
    }, io.logger);
    if (settled.kind !== 'open') return;
    io.setOutput('pr-number', String(settled.pull.number));
    io.setOutput('pr-url', settled.pull.html_url);
    for (const w of settled.warnings) io.logger.warning(w);
  });
}

const MERGE_METHOD: Record<ActionInputs['mergeMethod'], MergeMethod> = { merge: 'MERGE', squash: 'SQUASH', rebase: 'REBASE' };

/**
 * Pull-request mode with `group-by`: one listing of the open pull requests, one render onto the
 * wet tip, a branch per group of changed units (the wet branch plus only that group), then per
 * group its pull request, labels, comment with that group's diff, reviewers and auto-merge; an
 * open group pull request whose group no longer differs is closed and its branch deleted.
 */
async function renderAndPublishGroups(run: ActionRun, gh: GitHub, ctxIn: { marker: string; dryFull: string; shards: RenderRun['shards'] }): Promise<void> {
  const { inputs, io, plan, settings } = run;
  const { marker, dryFull, shards } = ctxIn;
  const pulls = await planGroupedPulls(gh, inputs.prBranch, inputs.wetBranch);
  const groups = new Map<string, PullGroup>();
  const branchOf = (u: { coordinates: Record<string, string> }): string => {
    const g = pullGroupOf(inputs.prBranch, inputs.groupBy, u.coordinates);
    groups.set(g.branch, g);
    return g.branch;
  };
  await retireUngrouped(gh, pulls, io.logger);
  const rendered = await io.group('Render and commit (a branch per group)', () =>
    publishGroupedRender({
      ...opening(inputs),
      startWet: startWet(inputs),
      message: wetCommitMessage(inputs.commitMessage, dryFull, inputs.drySha),
      trailers: {
        'Hydrate-Dry-Repository': dryFull,
        ...(inputs.drySha ? { 'Hydrate-Dry-Commit': inputs.drySha } : {}),
        [HYDRATE_VERSION_TRAILER]: VERSION
      },
      branchOf,
      inPlace: new Set(pulls.open.keys()),
      render: { ...run.render, ...(shards ? { shards } : {}) }
    })
  );
  const { outcome, published } = rendered;
  noticeStarted(io, inputs, published.startedWet);
  for (const d of outcome.diagnostics) if (d.severity !== 'error') io.annotate(d);
  const diff = outcome.diff;
  const reportPath = path.join(inputs.tempDir, 'hydrate-report.json');
  await writeFile(reportPath, serializeRunReport(runReport(outcome, { version: VERSION, mode: plan.mode })));
  io.setOutput('report', reportPath);
  io.setOutput('units-changed', JSON.stringify(diff.units.map((u) => u.unit)));
  const title = plan.drift
    ? `Hydrate: drift on ${inputs.wetBranch}`
    : `Hydrate: render ${dryFull}@${inputs.drySha.slice(0, 7)} into ${inputs.wetBranch}`;
  const ctx: ReportContext = { marker, title, dryRepository: dryFull, dryCommit: inputs.drySha, wetBranch: inputs.wetBranch, summaryUrl: inputs.runUrl };
  const failures = outcome.diagnostics.flatMap((d) => (d.severity === 'error' && d.unit ? [{ unit: d.unit, message: d.message }] : []));
  run.report.summary = (errors) => buildJobSummary(diff, { ...ctx, failures, units: unitRows(outcome), errors });
  if (!outcome.ok) throw new HydrateError(outcome.diagnostics.filter((d) => d.severity === 'error'));
  io.setOutput('changed', String(published.groups.length > 0));
  io.setOutput('wet-commit', '');
  if (plan.readOnly) {
    io.logger.warning('read-only token (fork pull request): rendered and summarised; no comment, commit or pull request was written');
    return;
  }
  const dryCommitUrl = `${inputs.serverUrl}/${dryFull}/commit/${inputs.drySha}`;
  await io.group('Pull requests', async () => {
    const settled = await settleGroups(
      gh,
      pulls,
      published.groups.map((p) => {
        const group = groups.get(p.branch)!;
        const groupDiff = diffOfUnits(diff, p.units);
        const groupTitle = `${title} (${group.label})`;
        const groupMarker = `${marker}#${group.label}`;
        return {
          branch: p.branch,
          content: {
            changed: true,
            title: groupTitle,
            body: pullBody(groupDiff, { drift: plan.drift, wetBranch: inputs.wetBranch, dryRepository: dryFull, dryCommitUrl }),
            labels: [...new Set([...inputs.labels, ...group.labels, ...coordinateLabels(settings.config.wet.labelCoordinates, groupDiff)])],
            comment: { marker: groupMarker, body: buildComment(groupDiff, { ...ctx, marker: groupMarker, title: groupTitle }) },
            autoMerge: () => inputs.autoMerge || allUnitsAutoMerge(groupDiff, outcome, inputs.workspace),
            mergeMethod: MERGE_METHOD[inputs.mergeMethod],
            ...deliveryContent(run, p.units)
          }
        };
      }),
      io.logger
    );
    const open = settled.flatMap((s) => (s.outcome.kind === 'open' ? [{ branch: s.branch, group: groups.get(s.branch)?.label ?? '', number: s.outcome.pull.number, url: s.outcome.pull.html_url, merged: s.outcome.merged === true }] : []));
    for (const s of settled) if (s.outcome.kind === 'open') for (const w of s.outcome.warnings) io.logger.warning(w);
    io.setOutput('pull-requests', JSON.stringify(open));
    if (open[0]) {
      io.setOutput('pr-number', String(open[0].number));
      io.setOutput('pr-url', open[0].url);
    }
  });
}
