/**
 * Check mode on a dry pull request, with real git: the comment shows the pull request's own
 * effect (head render against base render) even when the deployed wet branch lags behind the
 * target branch; what the wet branch lacks is a separate drift section.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { hydrate, type PipelinePorts } from '../../src/pipeline/hydrate.js';
import { snapshotFromLayout, type WetSnapshot } from '../../src/wet/snapshot.js';
import { reviewPullRequest } from '../../src/app/review.js';
import { buildComment } from '../../src/report/comment.js';
import type { Logger } from '../../src/ports.js';

const warnings: string[] = [];
const logger: Logger = { info: () => undefined, warning: (m) => warnings.push(m), debug: () => undefined };
const ports: PipelinePorts = { files: createFileReader(), exec: createProcessRunner(), logger };

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Dev',
  GIT_AUTHOR_EMAIL: 'dev@example.com',
  GIT_COMMITTER_NAME: 'Dev',
  GIT_COMMITTER_EMAIL: 'dev@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null'
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}

let tmp: string;
let origin: string;

async function put(root: string, rel: string, content: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
}

const cm = (name: string, key: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shop\ndata:\n  ${key}: ${value}\n`;

async function commit(message: string): Promise<string> {
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', message);
  return git(origin, 'rev-parse', 'HEAD');
}

/** Renders the checkout at `root` onto `previous` (undefined: an empty wet tree). */
async function render(root: string, previous?: WetSnapshot): ReturnType<typeof hydrate> {
  const { settings, configText } = await loadSettings({ configFile: path.join(root, 'hydrate.yaml'), repoRoot: root, repository: 'acme/platform' });
  return hydrate({
    settings,
    configText,
    previous: { index: previous?.index, readFile: (p) => Promise.resolve(previous?.files.get(p)) },
    ports
  });
}

let deployed: WetSnapshot;
let mainTip: string;
let headSha: string;
let mainAfter: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-review-'));
  origin = path.join(tmp, 'origin');
  await mkdir(origin);
  git(origin, 'init', '-q');
  await put(origin, 'hydrate.yaml', 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: "{app}"\n    type: plain\n');
  await put(origin, 'apps/web/cm.yaml', cm('web-settings', 'color', 'blue'));
  await put(origin, 'apps/api/cm.yaml', cm('api-settings', 'level', 'info'));
  await commit('A');
  // The deployed wet branch: rendered from A, then two commits land on main without a render.
  const a = await render(origin);
  deployed = snapshotFromLayout(a.layout!);
  await put(origin, 'apps/api/cm.yaml', cm('api-settings', 'level', 'debug'));
  await commit('B: api log level');
  await put(origin, 'apps/db/cm.yaml', cm('db-settings', 'pool', '"10"'));
  mainTip = await commit('C: a db unit');
  // The pull request: one change of the web unit, on top of C.
  git(origin, 'checkout', '-q', '-b', 'feature');
  await put(origin, 'apps/web/cm.yaml', cm('web-settings', 'color', 'green'));
  headSha = await commit('D: web color');
  git(origin, 'checkout', '-q', 'main');
}, 60_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function review(workspace: string, baseSha: string, prHead?: string): Promise<Awaited<ReturnType<typeof reviewPullRequest>> & { oldDiffUnits: string[] }> {
  const { settings } = await loadSettings({ configFile: path.join(workspace, 'hydrate.yaml'), repoRoot: workspace, repository: 'acme/platform' });
  const head = await render(workspace, deployed);
  expect(head.ok).toBe(true);
  const r = await reviewPullRequest({
    workspace,
    tempDir: tmp,
    payload: { pull_request: { number: 7, base: { sha: baseSha, ref: 'main' }, ...(prHead ? { head: { sha: prHead } } : {}) } },
    wetBranch: 'deployment',
    settings,
    head,
    wet: deployed,
    ports
  });
  return { ...r, oldDiffUnits: head.diff.units.map((u) => u.unit) };
}

function expectOnlyThePullRequestsChange(r: Awaited<ReturnType<typeof review>>, base: string): void {
  // Against the lagging wet branch, the diff mixes in B and C ...
  expect(r.oldDiffUnits).toEqual(['kubernetes:apps/api', 'kubernetes:apps/db', 'kubernetes:apps/web']);
  // ... the review shows D alone.
  expect(r.diff.units.map((u) => u.unit)).toEqual(['kubernetes:apps/web']);
  expect(r.diff.units[0]!.resources.map((c) => [c.kind, c.id.name, c.fields])).toEqual([
    ['changed', 'web-settings', [{ path: 'data.color', from: 'blue', to: 'green' }]]
  ]);
  expect(r.context.comparedWith).toBe(`the render of the base commit ${base.slice(0, 7)}`);
  const drift = r.context.drift!.report;
  expect(drift.units.map((u) => [u.unit, u.status, u.added, u.changed, u.removed])).toEqual([
    ['kubernetes:apps/api', 'ok', 0, 1, 0],
    ['kubernetes:apps/db', 'new', 1, 0, 0]
  ]);
  const body = buildComment(r.diff, { marker: 'm', title: 'Rendered diff for deployment', ...r.context });
  const [main, driftPart] = body.split('<details><summary>ℹ️');
  expect(main).toContain(`compared with the render of the base commit ${base.slice(0, 7)}.`);
  expect(driftPart).toContain('in 2 units: not part of this change');
  expect(driftPart).toContain('- <code>kubernetes:apps/api</code>: 0 added, 1 changed, 0 removed');
  expect(body).toContain('<code>data.color</code>: <code>blue</code> → <code>green</code>');
  expect(body).not.toContain('api-settings');
  expect(body).not.toContain('db-settings');
}

describe('check mode on a dry pull request whose wet branch is two commits behind', () => {
  it('shows only the pull request\'s change for a checkout of its head (base: the merge base)', async () => {
    const ws = path.join(tmp, 'head-checkout');
    git(tmp, 'clone', '-q', origin, ws);
    git(ws, 'checkout', '-q', headSha);
    const r = await review(ws, mainTip);
    expectOnlyThePullRequestsChange(r, mainTip);
    // The base worktree is gone.
    expect(git(ws, 'worktree', 'list').split('\n')).toHaveLength(1);
  }, 60_000);

  it('shows only the pull request\'s change for GitHub\'s merge checkout, shallow (base: its first parent, fetched)', async () => {
    // The target branch moved on after the pull request branched: E changes the api unit again.
    await put(origin, 'apps/api/cm.yaml', cm('api-settings', 'level', 'warn'));
    const e = await commit('E: api log level again');
    mainAfter = e;
    git(origin, 'merge', '-q', '--no-ff', '-m', 'Merge feature into main', 'feature');
    const merge = git(origin, 'rev-parse', 'HEAD');
    git(origin, 'update-ref', 'refs/pull/7/merge', merge);
    git(origin, 'reset', '-q', '--hard', e);
    const ws = path.join(tmp, 'merge-checkout');
    git(tmp, 'clone', '-q', '--depth=1', `file://${origin}`, ws);
    git(ws, 'fetch', '-q', '--depth=1', 'origin', 'refs/pull/7/merge');
    git(ws, 'checkout', '-q', 'FETCH_HEAD');
    expect(git(ws, 'rev-parse', '--is-shallow-repository')).toBe('true');
    const r = await review(ws, mainTip, headSha);
    expect(r.oldDiffUnits).toEqual(['kubernetes:apps/api', 'kubernetes:apps/db', 'kubernetes:apps/web']);
    expect(r.diff.units.map((u) => u.unit)).toEqual(['kubernetes:apps/web']);
    expect(r.context.comparedWith).toBe(`the render of the base commit ${e.slice(0, 7)}`);
    expect(r.context.drift!.report.units.map((u) => u.unit)).toEqual(['kubernetes:apps/api', 'kubernetes:apps/db']);
  }, 60_000);

  it('measures a head that merged the target branch in from the merge base, not from its first parent', async () => {
    git(origin, 'checkout', '-q', '-b', 'feature-synced', headSha);
    git(origin, 'merge', '-q', '--no-ff', '-m', 'Merge main into feature', mainAfter);
    const synced = git(origin, 'rev-parse', 'HEAD');
    git(origin, 'checkout', '-q', 'main');
    const ws = path.join(tmp, 'synced-head');
    git(tmp, 'clone', '-q', origin, ws);
    git(ws, 'checkout', '-q', synced);
    const r = await review(ws, mainAfter, synced);
    expect(r.diff.units.map((u) => u.unit)).toEqual(['kubernetes:apps/web']);
    expect(r.context.comparedWith).toBe(`the render of the base commit ${mainAfter.slice(0, 7)}`);
  }, 60_000);

  it('falls back to the wet branch, and says why, when the base cannot be found', async () => {
    const ws = path.join(tmp, 'no-base');
    git(tmp, 'clone', '-q', origin, ws);
    git(ws, 'checkout', '-q', headSha);
    warnings.length = 0;
    const r = await review(ws, 'f'.repeat(40));
    expect(r.diff.units.map((u) => u.unit)).toEqual(['kubernetes:apps/api', 'kubernetes:apps/db', 'kubernetes:apps/web']);
    expect(r.context.comparedWith).toMatch(/^the wet branch deployment \(the pull request's base could not be rendered: /);
    expect(r.context.drift).toBeUndefined();
    expect(warnings.join('\n')).toContain("not the pull request's base");
  }, 60_000);
});
