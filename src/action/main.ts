/**
 * The action's composition root: inputs → settings → render onto the wet branch → commit/push →
 * pull request and sticky comment. The one `core.setFailed` lives here.
 */
import * as core from '@actions/core';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDiagnostic, HydrateError, type Diagnostic } from '../diagnostics.js';
import { pipelinePorts } from '../app/pipeline-ports.js';
import { createGitHub } from '../adapters/github.js';
import { GitClient } from '../adapters/git.js';
import { HYDRATE_VERSION_TRAILER } from '../publish/wet-branch.js';
import { loadSettings } from '../settings/load-settings.js';
import type { HydrateOutcome } from '../pipeline/hydrate.js';
import { buildComment } from '../report/comment.js';
import { buildFailureSummary, buildJobSummary, buildShardSummary } from '../report/summary.js';
import type { ReportContext, UnitStatusRow } from '../report/markdown.js';
import { runReport } from '../report/json-report.js';
import { serializeRunReport } from '../formats/run-report.js';
import type { Logger } from '../ports.js';
import { VERSION } from '../version.js';
import { escapeLine, escapeText } from '../report/escape.js';
import { readInputs, type ActionInputs } from './inputs.js';
import { reviewPullRequest } from './review.js';
import { planForEvent, type EventPlan } from './event-plan.js';
import { readCheckout } from './checkout.js';
import { allUnitsAutoMerge, coordinateLabels, planPullRequest, pullBody, settlePullRequest } from '../app/pull-request.js';
import { publishRender, wetCommitMessage } from '../app/publish.js';
import { readRunShards, runMode, type RenderResult, type RenderRun } from '../app/render-run.js';

// Names and tool output come from the dry tree: control characters are escaped, and a line that
// would be a workflow command (`::add-mask::`) is shown instead of run.
const actionsLogger: Logger = {
  info: (m) => core.info(escapeText(m)),
  warning: (m) => core.warning(escapeText(m)),
  debug: (m) => core.debug(escapeText(m))
};

function annotate(d: Diagnostic): void {
  const props: core.AnnotationProperties = {
    ...(d.file ? { file: escapeLine(d.file) } : {}),
    ...(d.line !== undefined ? { startLine: d.line } : {}),
    ...(d.col !== undefined ? { startColumn: d.col } : {}),
    title: d.unit ? `hydrate: ${escapeLine(d.unit)}` : 'hydrate'
  };
  const text = escapeText(formatDiagnostic({ ...d, file: undefined, line: undefined, col: undefined } as Diagnostic));
  if (d.severity === 'error') core.error(text, props);
  else if (d.severity === 'warning') core.warning(text, props);
  else core.notice(text, props);
}

async function remoteHasBranch(remoteUrl: string, token: string, branch: string): Promise<boolean> {
  const git = new GitClient({ ...(token ? { token } : {}), remoteUrl });
  try {
    const r = await git.run(['ls-remote', '--heads', remoteUrl, `refs/heads/${branch}`], { allowFailure: true });
    if (r.exitCode !== 0) throw new HydrateError(`cannot read ${remoteUrl}: ${git.scrub(r.stderr.trim())}`);
    return r.stdout.trim() !== '';
  } finally {
    git.dispose();
  }
}

/** The commit a pull_request_target checkout must match: GITHUB_SHA (the base branch's tip), else the event's base commit. */
function trustedBase(inputs: ActionInputs): string {
  const pr = inputs.event.payload['pull_request'] as { base?: { sha?: unknown } } | undefined;
  return inputs.drySha || (typeof pr?.base?.sha === 'string' ? pr.base.sha : '');
}

export async function run(): Promise<void> {
  // The job summary is set as soon as something was rendered, so a failure still shows it.
  const report: JobReport = {};
  let inputs: ActionInputs | undefined;
  let errors: string[] = [];
  try {
    inputs = await readInputs();
    // Only pull_request_target needs to know what is checked out (see planForEvent).
    const checkout = inputs.event.name === 'pull_request_target' ? await readCheckout(inputs.workspace, trustedBase(inputs)) : undefined;
    const plan = planForEvent(inputs, checkout);
    for (const n of plan.notices) core.notice(n);
    if (plan.refuse) throw new HydrateError(plan.refuse, 1);
    await execute(inputs, plan, report);
  } catch (e) {
    const diagnostics = e instanceof HydrateError ? e.diagnostics : [{ severity: 'error' as const, message: (e as Error).message }];
    for (const d of diagnostics) annotate(d);
    errors = diagnostics.map((d) => formatDiagnostic(d));
    core.setFailed(`hydrate failed with ${diagnostics.length} error(s)`);
  } finally {
    const summary = report.summary ? report.summary(errors) : errors.length > 0 ? buildFailureSummary(errors) : '';
    if (summary && inputs?.stepSummary) await appendFile(inputs.stepSummary, summary);
  }
}

interface JobReport {
  /** The job summary of what was rendered, ending with the errors that failed the run (if any). */
  summary?: (errors: readonly string[]) => string;
}

/** What the run rendered, per unit, for the job summary (shown also when the run fails). */
function unitRows(outcome: HydrateOutcome): UnitStatusRow[] {
  return outcome.units.map((u) => ({ id: u.id, status: u.status, resources: u.resources, errors: u.errors.length }));
}

async function execute(inputs: ActionInputs, plan: EventPlan, report: JobReport): Promise<void> {
  const { settings, configText } = await core.group('Load config', () =>
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
  const ports = pipelinePorts(actionsLogger);
  const renderRequest: RenderRun = {
    settings,
    configText,
    ports,
    ...(inputs.drySha ? { dryCommit: inputs.drySha } : {}),
    ...(inputs.runId ? { runId: inputs.runId } : {}),
    shardVerify: inputs.shardVerify
  };
  const wetFull = `${inputs.wetRepository.owner}/${inputs.wetRepository.repo}`;
  const remoteUrl = `${inputs.serverUrl}/${wetFull}.git`;
  const opening = { remoteUrl, ...(inputs.token ? { token: inputs.token } : {}), wetBranch: inputs.wetBranch, tempDir: inputs.tempDir, author: inputs.author };
  if (settings.shard?.kind === 'part') {
    const { spec } = settings.shard;
    const result = await core.group(`Render shard ${spec.index}/${spec.count}`, () =>
      publishRender({ ...opening, target: { kind: 'read-only' }, message: 'hydrate shard (never committed)', trailers: {}, render: renderRequest })
    );
    reportShard(result, spec, report);
    return;
  }
  const shards = runMode(settings) === 'shard-merge' ? await core.group('Read shard files', async () => (await readRunShards(settings))!) : undefined;
  const dryFull = `${inputs.dryRepository.owner}/${inputs.dryRepository.repo}`;
  const marker = `${wetFull}:${inputs.wetBranch}:${settings.configPath}`;
  const gh = createGitHub({ token: inputs.token, apiUrl: inputs.apiUrl, ...inputs.wetRepository, logger: actionsLogger });
  // Where the render is committed: nowhere in check mode (which read-only plans always are).
  let publish = plan.mode === 'check' ? undefined : plan.mode;
  // A pull request needs a base: the first render of a new wet branch creates it directly.
  if (publish === 'pull-request' && !(await remoteHasBranch(remoteUrl, inputs.token, inputs.wetBranch))) {
    core.notice(`wet branch ${inputs.wetBranch} does not exist yet: the first render creates it (an orphan branch) without a pull request`);
    publish = 'push';
  }

  // One look-up of the pull requests for the whole run (a merged or closed one restarts the PR branch).
  const prPlan = publish === 'pull-request' ? await planPullRequest(gh, inputs.prBranch, inputs.wetBranch) : undefined;
  const { outcome: rendered, published, previous: wetBefore } = await core.group('Render and commit', () =>
    publishRender({
      ...opening,
      target: publish === undefined ? { kind: 'read-only' } : { kind: 'write', branch: prPlan ? inputs.prBranch : inputs.wetBranch, restart: prPlan?.restartTarget ?? false },
      message: wetCommitMessage(inputs.commitMessage, dryFull, inputs.drySha),
      trailers: {
        'Hydrate-Dry-Repository': dryFull,
        ...(inputs.drySha ? { 'Hydrate-Dry-Commit': inputs.drySha } : {}),
        [HYDRATE_VERSION_TRAILER]: VERSION
      },
      // Check mode on a dry pull request: the deployed wet tree, to tell the PR's effect from drift.
      render: { ...renderRequest, ...(shards ? { shards } : {}), keepPrevious: publish === undefined && plan.dryPullNumber !== undefined }
    })
  );
  // Errors are annotated once, by the top-level catch; warnings and notices here (the render may have run more than once).
  for (const d of rendered.diagnostics) if (d.severity !== 'error') annotate(d);
  const diff = rendered.diff;
  const unitsChanged = diff.units.map((u) => u.unit);
  const reportPath = path.join(inputs.tempDir, 'hydrate-report.json');
  await writeFile(reportPath, serializeRunReport(runReport(rendered, { version: VERSION, mode: plan.mode })));
  core.setOutput('report', reportPath);
  core.setOutput('units-changed', JSON.stringify(unitsChanged));

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
    ? await core.group('Render the pull request base', () => reviewPullRequest({ workspace: inputs.workspace, tempDir: inputs.tempDir, payload: inputs.event.payload, wetBranch: inputs.wetBranch, settings, head: rendered, wet: wetBefore, ports }))
    : undefined;
  const shown = review ? review.diff : diff;
  if (review) Object.assign(ctx, review.context);
  report.summary = (errors) => buildJobSummary(shown, { ...ctx, failures, units: unitRows(rendered), errors });
  if (!rendered.ok) {
    throw new HydrateError(rendered.diagnostics.filter((d) => d.severity === 'error'));
  }
  core.setOutput('changed', String(published.changed));
  core.setOutput('wet-commit', published.commit ?? '');

  if (plan.readOnly) {
    core.warning('read-only token (fork pull request): rendered and summarised; no comment, commit or pull request was written');
    return;
  }
  if (publish === undefined) {
    const pullNumber = plan.dryPullNumber;
    if (pullNumber !== undefined) {
      const dryGh = createGitHub({ token: inputs.token, apiUrl: inputs.apiUrl, ...inputs.dryRepository, logger: actionsLogger });
      await core.group('Comment on the dry pull request', () => dryGh.upsertStickyComment(pullNumber, marker, buildComment(shown, ctx)));
    }
    return;
  }
  if (!prPlan) return; // push mode, or the first render of the wet branch
  await core.group('Pull request', async () => {
    const settled = await settlePullRequest(gh, prPlan, {
      changed: published.changed,
      title,
      body: pullBody(diff, { drift: plan.drift, wetBranch: inputs.wetBranch, dryRepository: dryFull, dryCommitUrl: `${inputs.serverUrl}/${dryFull}/commit/${inputs.drySha}` }),
      labels: [...inputs.labels, ...coordinateLabels(settings.config.wet.labelCoordinates, diff)],
      comment: { marker, body: buildComment(diff, ctx) },
      autoMerge: () => inputs.autoMerge || allUnitsAutoMerge(diff, rendered, inputs.workspace)
    }, actionsLogger);
    if (settled.kind !== 'open') return;
    core.setOutput('pr-number', String(settled.pull.number));
    core.setOutput('pr-url', settled.pull.html_url);
    for (const w of settled.warnings) core.warning(w);
  });
}

/**
 * `shard: i/n`: this job's share of the units was rendered against the wet branch (read only) and
 * saved as a shard file for the merge job, even when units failed (the merge reports every
 * shard's errors together); this job then fails too.
 */
function reportShard(result: RenderResult, spec: { index: number; count: number }, report: JobReport): void {
  const { outcome, shardFile } = result;
  if (!shardFile) throw new HydrateError('nothing was rendered');
  for (const d of outcome.diagnostics) if (d.severity !== 'error') annotate(d);
  core.setOutput('shard-file', shardFile);
  const file = path.basename(shardFile);
  report.summary = (errors) => buildShardSummary({ index: spec.index, count: spec.count, file, units: unitRows(outcome), errors });
  if (!outcome.ok) throw new HydrateError(outcome.diagnostics.filter((d) => d.severity === 'error'));
}
