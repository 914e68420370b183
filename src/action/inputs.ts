/**
 * The only place that reads action inputs and the runner's environment. Returns one plain
 * object; nothing after this reads `core.getInput` or `process.env`.
 */
import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../diagnostics.js';
import { branchNameProblem, labelProblem } from './names.js';
import type { ActionInputs, Mode } from '../app/action-inputs.js';

export type { ActionInputs, Mode } from '../app/action-inputs.js';

function splitList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function parseRepo(full: string, what: string): { owner: string; repo: string } {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(full);
  if (!m) throw new ConfigError(`${what} must be owner/name, got "${full}"`);
  return { owner: m[1]!, repo: m[2]! };
}

function parseAuthor(value: string): { name: string; email: string } {
  const m = /^\s*(.+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (!m) throw new ConfigError(`author must look like "Name <email>", got "${value}"`);
  return { name: m[1]!, email: m[2]! };
}

function booleanInput(name: string): boolean {
  const v = core.getInput(name).toLowerCase();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  throw new ConfigError(`input ${name} must be true or false, got "${v}"`);
}

/** Branch names and labels are checked before anything runs; every problem is reported together. */
function checkNames(mode: Mode, wetBranch: string, prBranch: string, labels: readonly string[]): void {
  const problems: string[] = [];
  for (const [input, name] of [['wet-branch', wetBranch], ['pr-branch', prBranch]] as const) {
    const p = branchNameProblem(name);
    if (p) problems.push(`input ${input} "${name}" is not a valid branch name: ${p}`);
  }
  if (mode === 'pull-request' && prBranch === wetBranch) {
    problems.push(`input pr-branch equals wet-branch ("${wetBranch}"): in pull-request mode that would commit straight to the deployed branch; use another pr-branch, or mode: push to commit to ${wetBranch} directly`);
  }
  for (const l of labels) {
    const p = labelProblem(l);
    if (p) problems.push(`input labels: "${l}" cannot be a label: ${p}`);
  }
  if (problems.length > 0) throw new ConfigError(problems.map((message) => ({ severity: 'error' as const, message })));
}

/** `group-by` names, `reviewers` and `merge-method`, checked before anything runs; every problem reported together. */
function checkDelivery(groupBy: readonly string[], reviewers: readonly string[], mergeMethod: string): void {
  const problems: string[] = [];
  for (const n of groupBy) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(n)) problems.push(`input group-by: "${n}" is not a coordinate name (letters, digits, "_", "-" and ".")`);
  }
  if (new Set(groupBy).size !== groupBy.length) problems.push(`input group-by names a coordinate twice: ${groupBy.join(', ')}`);
  for (const r of reviewers) {
    if (!/^@?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?(?:\/[A-Za-z0-9_.-]+)?$/.test(r)) {
      problems.push(`input reviewers: "${r}" is neither a GitHub login nor an org/team`);
    }
  }
  if (!['merge', 'squash', 'rebase'].includes(mergeMethod)) problems.push(`input merge-method must be merge, squash or rebase, got "${mergeMethod}"`);
  if (problems.length > 0) throw new ConfigError(problems.map((message) => ({ severity: 'error' as const, message })));
}

function countInput(name: string, value: string, fallback: number): number {
  const v = value.trim();
  if (v === '') return fallback;
  if (!/^\d{1,4}$/.test(v)) throw new ConfigError(`input ${name} must be a whole number, got "${v}"`);
  return Number(v);
}

/** `mode: promote` with its selectors, or undefined; the selectors' grammar is checked by the event plan. */
function promoteInputs(modeInput: string): { from: string; to: string } | undefined {
  const from = core.getInput('promote-from').trim();
  const to = core.getInput('promote-to').trim();
  if (modeInput !== 'promote') {
    if (from || to) throw new ConfigError('inputs promote-from and promote-to are read only with mode: promote');
    return undefined;
  }
  const missing = [...(from ? [] : ['promote-from']), ...(to ? [] : ['promote-to'])];
  if (missing.length > 0) throw new ConfigError(`mode: promote needs ${missing.join(' and ')} (coordinate selectors such as env=staging)`);
  return { from, to };
}

export async function readInputs(env: NodeJS.ProcessEnv = process.env): Promise<ActionInputs> {
  const modeInput = core.getInput('mode') || 'pull-request';
  if (modeInput !== 'pull-request' && modeInput !== 'push' && modeInput !== 'check' && modeInput !== 'promote') {
    throw new ConfigError(`input mode must be pull-request, push, check or promote, got "${modeInput}"`);
  }
  // A promotion commits pins to the dry repository, then hydrates and opens the wet pull request.
  const promote = promoteInputs(modeInput);
  const mode: Mode = modeInput === 'promote' ? 'pull-request' : modeInput;
  const dryCommit = core.getInput('dry-commit') || 'pull-request';
  if (dryCommit !== 'push' && dryCommit !== 'pull-request') {
    throw new ConfigError(`input dry-commit must be push or pull-request, got "${dryCommit}"`);
  }
  const ref = env['GITHUB_REF'] ?? '';
  const token = core.getInput('token');
  if (token) core.setSecret(token);
  const workspace = path.resolve(env['GITHUB_WORKSPACE'] ?? process.cwd());
  const dryFull = env['GITHUB_REPOSITORY'] ?? '';
  const dryRepository = parseRepo(dryFull, 'GITHUB_REPOSITORY');
  const wetRepository = parseRepo(core.getInput('wet-repository') || dryFull, 'input wet-repository');
  const wetBranch = core.getInput('wet-branch') || 'deployment';
  const eventName = env['GITHUB_EVENT_NAME'] ?? 'workflow_dispatch';
  let payload: Record<string, unknown> = {};
  const eventPath = env['GITHUB_EVENT_PATH'];
  if (eventPath) {
    try {
      payload = JSON.parse(await readFile(eventPath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`cannot read the event payload ${eventPath}: ${(e as Error).message}`);
    }
  }
  const serverUrl = (env['GITHUB_SERVER_URL'] ?? 'https://github.com').replace(/\/+$/, '');
  const apiUrl = (env['GITHUB_API_URL'] ?? 'https://api.github.com').replace(/\/+$/, '');
  const runUrl = `${serverUrl}/${dryFull}/actions/runs/${env['GITHUB_RUN_ID'] ?? ''}`;
  const only = splitList(core.getInput('only'));
  const tempDir = env['RUNNER_TEMP'] ?? (await import('node:os')).tmpdir();
  const dispatchOnly = eventName === 'workflow_dispatch' ? (payload['inputs'] as Record<string, unknown> | undefined)?.['only'] : undefined;
  if (typeof dispatchOnly === 'string') only.push(...splitList(dispatchOnly));
  const prBranch = core.getInput('pr-branch') || `hydrate/${wetBranch}`;
  const labels = splitList(core.getInput('labels'));
  checkNames(mode, wetBranch, prBranch, labels);
  const groupBy = splitList(core.getInput('group-by'));
  const reviewers = splitList(core.getInput('reviewers'));
  const mergeMethod = (core.getInput('merge-method') || 'merge').trim();
  checkDelivery(groupBy, reviewers, mergeMethod);
  return {
    workspace,
    configFile: path.resolve(workspace, core.getInput('config') || 'hydrate.yaml'),
    mode,
    wetBranch,
    wetRepository,
    dryRepository,
    drySha: env['GITHUB_SHA'] ?? '',
    token,
    prBranch,
    labels,
    autoMerge: booleanInput('auto-merge'),
    groupBy,
    reviewers,
    mergeMethod: mergeMethod as ActionInputs['mergeMethod'],
    commitMessage: core.getInput('commit-message') || 'hydrate: render {dry-repository}@{dry-sha-short}',
    author: parseAuthor(core.getInput('author') || 'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>'),
    only,
    full: booleanInput('full'),
    allowPullRequestTargetHead: booleanInput('allow-pull-request-target-head'),
    allowMassDeletion: booleanInput('allow-mass-deletion'),
    shard: core.getInput('shard').trim(),
    shardDir: path.resolve(workspace, core.getInput('shard-dir') || path.join(tempDir, 'hydrate-shards')),
    shardVerify: countInput('shard-verify', core.getInput('shard-verify'), 3),
    runId: env['GITHUB_RUN_ID'] ?? '',
    serverUrl,
    apiUrl,
    runUrl,
    event: { name: eventName, payload },
    ...(ref.startsWith('refs/heads/') ? { dryBranch: ref.slice('refs/heads/'.length) } : {}),
    dispatchEventType: core.getInput('dispatch-event-type').trim() || 'hydrate-images',
    payload: core.getInput('payload').trim(),
    dryCommit,
    ...(promote ? { promote } : {}),
    tempDir,
    ...(env['GITHUB_STEP_SUMMARY'] ? { stepSummary: env['GITHUB_STEP_SUMMARY'] } : {})
  };
}
