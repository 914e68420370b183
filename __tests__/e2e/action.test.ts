/**
 * The bundled action (dist/index.js) run as the runner starts it: Node 24, INPUT_* variables,
 * GITHUB_EVENT_PATH with a real-shaped payload, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and
 * GITHUB_SERVER_URL / GITHUB_API_URL pointing at one local server that speaks the GitHub REST API
 * (validated against GitHub's OpenAPI description) and git smart HTTP (git http-backend).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startGitHubStandIn, type GitHubStandIn, type StandInOptions } from '../helpers/github-standin.js';
import { gitHttpHandler } from '../helpers/git-http-server.js';
import { gitWith, ROOT, runBundledAction, type ActionRun } from '../helpers/action-runner.js';
import { markerComment } from '../../src/report/markdown.js';
import { parseRunReport, RUN_REPORT_VERSION } from '../../src/formats/run-report.js';

const TOKEN = 'ghs_e2eTokenThatMustNeverBeLogged0123';
const OWNER = 'acme';
const REPO = 'platform';
const NO_HELM = '!kubernetes/platform/web/*';

let node24: string;
let tmp: string;
let gitRoot: string;
let bare: string;
let workspace: string;
let server: GitHubStandIn;
/** The stand-in's options: a test may change how it answers (e.g. pull requests mergeable at once). */
let standInOptions: StandInOptions;

const gitEnv = {
  GIT_AUTHOR_NAME: 'Dev',
  GIT_AUTHOR_EMAIL: 'dev@example.com',
  GIT_COMMITTER_NAME: 'Dev',
  GIT_COMMITTER_EMAIL: 'dev@example.com',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: os.tmpdir()
};

const git = gitWith(gitEnv);

async function commitDry(message: string): Promise<string> {
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '--allow-empty', '-m', message);
  git(workspace, 'push', '-q', bare, 'HEAD:refs/heads/main');
  return git(workspace, 'rev-parse', 'HEAD');
}

/** Every run gets its own GITHUB_RUN_ID, as on GitHub: nothing run-specific may reach a PR or a comment. */
let runCount = 0;

/** `runId`: the jobs of one workflow run (shard jobs and their merge) share it. */
async function runAction(opts: { inputs?: Record<string, string>; event?: string; payload?: unknown; sha?: string; runId?: string } = {}): Promise<ActionRun> {
  return runBundledAction(
    { node24, tmp, workspace, repository: `${OWNER}/${REPO}`, token: TOKEN, server },
    {
      inputs: { token: TOKEN, author: 'hydrate-bot <hydrate-bot@example.com>', only: NO_HELM, ...opts.inputs },
      event: opts.event ?? 'push',
      payload: opts.payload ?? { ref: 'refs/heads/main', repository: { full_name: `${OWNER}/${REPO}` } },
      sha: opts.sha ?? git(workspace, 'rev-parse', 'HEAD'),
      runId: opts.runId ?? String(4200 + ++runCount)
    }
  );
}

function branchTip(branch: string): string | undefined {
  try {
    return git(bare, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`);
  } catch {
    return undefined;
  }
}

function showFile(ref: string, file: string): string {
  return git(bare, 'show', `${ref}:${file}`);
}

/** Branch existence answered by the bare repository itself, so pushes over git are visible to the API. */
class LiveRefs extends Set<string> {
  override has(branch: string): boolean {
    return branchTip(branch) !== undefined;
  }
  override delete(branch: string): boolean {
    if (branchTip(branch) === undefined) return false;
    git(bare, 'update-ref', '-d', `refs/heads/${branch}`);
    return true;
  }
}

beforeAll(async () => {
  node24 = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'ensure-node24.mjs')], { encoding: 'utf8' }).trim();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-e2e-'));
  gitRoot = path.join(tmp, 'git');
  bare = path.join(gitRoot, OWNER, `${REPO}.git`);
  await mkdir(bare, { recursive: true });
  git(bare, 'init', '-q', '--bare');
  git(bare, 'config', 'http.receivepack', 'true');
  workspace = path.join(tmp, 'workspace');
  await cp(path.join(ROOT, 'examples', 'dry'), workspace, { recursive: true });
  git(workspace, 'init', '-q');
  await commitDry('dry: initial');
  standInOptions = { owner: OWNER, repo: REPO, token: TOKEN, branches: ['main'], fallback: gitHttpHandler(gitRoot) };
  server = await startGitHubStandIn(standInOptions);
  // The API sees the branches that really exist in the served repository.
  server.state.refs = new LiveRefs();
  // The dry pull request that check-mode runs comment on.
  const t = '2026-01-01T00:00:00Z';
  server.state.pulls.push({
    number: 5, id: 5005, node_id: 'PR_dry5', title: 'dry change', body: '', state: 'open', merged: false, draft: false,
    head: 'feature', base: 'main', labels: [], created_at: t, updated_at: t, closed_at: null, merged_at: null, user: 'dev', auto_merge: null
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('the action, end to end (dist/index.js under Node 24)', () => {
  it('creates the wet branch on the first run in push mode, with trailers, LF files of mode 100644', async () => {
    const r = await runAction({ inputs: { mode: 'push' } });
    // The runner learns the mask from the add-mask command; the token appears nowhere else.
    const logged = r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
    expect(r.stdout).toContain(`::add-mask::${TOKEN}`);
    expect(logged).not.toContain(TOKEN);
    expect(r.code).toBe(0);
    expect(r.outputs['changed']).toBe('true');
    const tip = branchTip('deployment')!;
    expect(r.outputs['wet-commit']).toBe(tip);
    const message = git(bare, 'log', '-1', '--format=%B', tip);
    expect(message).toContain(`Hydrate-Dry-Repository: ${OWNER}/${REPO}`);
    expect(message).toContain(`Hydrate-Dry-Commit: ${git(workspace, 'rev-parse', 'HEAD')}`);
    expect(message).toMatch(/Hydrate-Version: \d+\.\d+\.\d+/);
    expect(git(bare, 'log', '--format=%P', tip)).toBe(''); // orphan
    const modes = new Set(git(bare, 'ls-tree', '-r', tip).split('\n').map((l) => l.split(' ')[0]));
    expect([...modes]).toEqual(['100644']);
    expect(showFile('deployment', 'clusters/prod/web/Deployment.web.yml')).toContain('image: ghcr.io/example/web:1.2.0');
    expect(r.summary).toContain('kubernetes:apps/web/clusters/prod');
    expect(server.validationErrors).toEqual([]);
  });

  it('makes no commit, no pull request and no comment when run again on the same dry commit', async () => {
    const tip = branchTip('deployment');
    const writesBefore = server.writes().length;
    const r = await runAction();
    expect(r.code).toBe(0);
    expect(r.outputs['changed']).toBe('false');
    expect(branchTip('deployment')).toBe(tip);
    expect(branchTip('hydrate/deployment')).toBeUndefined();
    expect(server.writes().length).toBe(writesBefore);
  });

  it('opens a pull request with labels and a sticky comment for a change, and updates both in place', async () => {
    const deployment = path.join(workspace, 'apps/web/clusters/prod/replicas.yaml');
    const original = await readFile(deployment, 'utf8');
    expect(original).toContain('replicas:');
    await writeFile(deployment, original.replace(/replicas: \d+/, 'replicas: 7'));
    const sha = await commitDry('dry: scale web');
    const autoMerge = { inputs: { 'auto-merge': 'true', 'merge-method': 'squash' } };
    const from = server.requests.length;
    const r = await runAction(autoMerge);
    expect(r.code).toBe(0);
    // One look-up of the pull requests per run; the labels are known without reading the PR again.
    const pullRequestReads = (since: number): string[] =>
      server.requests.slice(since).filter((q) => q.method === 'GET' && /\/pulls(\/\d+)?$/.test(q.path)).map((q) => q.path.replace(/^.*\/pulls/, '/pulls'));
    expect(pullRequestReads(from)).toEqual(['/pulls']);
    expect(r.outputs['changed']).toBe('true');
    expect(r.outputs['pr-number']).toMatch(/^\d+$/);
    const prNumber = Number(r.outputs['pr-number']);
    const pull = server.state.pulls.find((p) => p.number === prNumber)!;
    expect(pull).toMatchObject({ head: 'hydrate/deployment', base: 'deployment', state: 'open' });
    expect(pull.labels).toContain('hydrate');
    expect(pull.auto_merge).toBe('SQUASH');
    expect(JSON.parse(r.outputs['units-changed']!)).toEqual(['kubernetes:apps/web/clusters/prod']);
    const comments = server.state.comments.filter((c) => c.issue_number === prNumber);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('<!-- hydrate:');
    expect(comments[0]!.body).toMatch(/spec\.replicas.*→.*7/);
    const prTip = branchTip('hydrate/deployment')!;
    expect(git(bare, 'log', '-1', '--format=%B', prTip)).toContain(`Hydrate-Dry-Commit: ${sha}`);
    expect(branchTip('deployment')).not.toBe(prTip);

    // The same commit again: nothing is written anywhere (auto-merge is already on).
    const writes = server.writes().length;
    const again = await runAction(autoMerge);
    expect(again.code).toBe(0);
    expect(server.writes().length).toBe(writes);
    expect(branchTip('hydrate/deployment')).toBe(prTip);

    // A further change: same PR, same comment, the branch moves forward (review threads survive).
    await writeFile(deployment, original.replace(/replicas: \d+/, 'replicas: 9'));
    await commitDry('dry: scale web more');
    const beforeThird = server.requests.length;
    const third = await runAction();
    expect(third.code).toBe(0);
    expect(pullRequestReads(beforeThird)).toEqual(['/pulls']);
    expect(third.outputs['pr-number']).toBe(String(prNumber));
    const newTip = branchTip('hydrate/deployment')!;
    expect(newTip).not.toBe(prTip);
    git(bare, 'merge-base', '--is-ancestor', prTip, newTip);
    const after = server.state.comments.filter((c) => c.issue_number === prNumber);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(comments[0]!.id);
    expect(after[0]!.body).toMatch(/spec\.replicas.*→.*9/);
    expect(server.state.pulls.filter((p) => p.head === 'hydrate/deployment' && p.state === 'open')).toHaveLength(1);
    expect(server.validationErrors).toEqual([]);
  });

  it('stops without pushing when the PR branch holds a commit hydrate did not make', async () => {
    const clone = path.join(tmp, 'human');
    git(tmp, 'clone', '-q', '--branch', 'hydrate/deployment', bare, clone);
    await writeFile(path.join(clone, 'NOTES.md'), 'a reviewer note\n');
    git(clone, 'add', '-A');
    git(clone, 'commit', '-q', '-m', 'human: add a note');
    git(clone, 'push', '-q', 'origin', 'HEAD:refs/heads/hydrate/deployment');
    const humanTip = branchTip('hydrate/deployment');
    await writeFile(path.join(workspace, 'apps/web/base/extra.txt'), 'unrelated\n');
    await commitDry('dry: unrelated file');
    const r = await runAction();
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('hydrate did not make');
    expect(branchTip('hydrate/deployment')).toBe(humanTip);
    // Clean up for the next tests: the human commit goes away.
    git(bare, 'update-ref', '-d', 'refs/heads/hydrate/deployment');
  });

  it('renders a fork pull request read-only: job summary, a warning, no write calls, exit 0', async () => {
    const writes = server.writes().length;
    const tips = [branchTip('deployment'), branchTip('hydrate/deployment')];
    const sha = git(workspace, 'rev-parse', 'HEAD');
    const r = await runAction({
      event: 'pull_request',
      payload: {
        action: 'synchronize',
        number: 77,
        pull_request: { number: 77, head: { sha, ref: 'feature', repo: { full_name: 'someone/platform' } }, base: { ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } } },
        repository: { full_name: `${OWNER}/${REPO}` }
      }
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/::warning::.*read-only/);
    expect(r.summary.length).toBeGreaterThan(0);
    expect(server.writes().length).toBe(writes);
    // Nor any push (git traffic is not among the API writes).
    expect([branchTip('deployment'), branchTip('hydrate/deployment')]).toEqual(tips);
  });

  it('renders a merge queue commit as a check: job summary, no push, no write calls, whatever the mode', async () => {
    const writes = server.writes().length;
    const tips = [branchTip('deployment'), branchTip('hydrate/deployment')];
    const sha = git(workspace, 'rev-parse', 'HEAD');
    const r = await runAction({
      event: 'merge_group',
      inputs: { mode: 'push' },
      payload: { action: 'checks_requested', merge_group: { head_sha: sha, head_ref: 'refs/heads/gh-readonly-queue/main/pr-9-x', base_sha: sha, base_ref: 'refs/heads/main' }, repository: { full_name: `${OWNER}/${REPO}` } }
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/::notice::merge_group: rendering only/);
    expect(r.summary).toContain('Rendered diff for deployment');
    expect(server.writes().length).toBe(writes);
    expect([branchTip('deployment'), branchTip('hydrate/deployment')]).toEqual(tips);
  });

  it('posts the rendered diff on the dry pull request in check mode, without pushing', async () => {
    const tips = [branchTip('deployment'), branchTip('hydrate/deployment')];
    const sha = git(workspace, 'rev-parse', 'HEAD');
    const r = await runAction({
      event: 'pull_request',
      inputs: { mode: 'check' },
      payload: {
        action: 'opened',
        number: 5,
        pull_request: { number: 5, head: { sha, ref: 'feature', repo: { full_name: `${OWNER}/${REPO}` } }, base: { ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } } },
        repository: { full_name: `${OWNER}/${REPO}` }
      }
    });
    expect(r.code).toBe(0);
    const comment = server.state.comments.find((c) => c.issue_number === 5);
    expect(comment?.body).toMatch(/spec\.replicas/);
    expect([branchTip('deployment'), branchTip('hydrate/deployment')]).toEqual(tips);
    expect(server.validationErrors).toEqual([]);
  });

  it('comments only the pull request\'s own change in check mode while the wet branch lags behind main', async () => {
    // The wet branch has none of the last commits of main (the wet pull request is still open).
    const tips = [branchTip('deployment'), branchTip('hydrate/deployment')];
    const mainTip = git(workspace, 'rev-parse', 'HEAD');
    const staging = path.join(workspace, 'apps/web/clusters/staging/replicas.yaml');
    await writeFile(staging, (await readFile(staging, 'utf8')).replace(/replicas: \d+/, 'replicas: 0'));
    git(workspace, 'add', '-A');
    git(workspace, 'commit', '-q', '-m', 'dry: staging scaled to zero');
    const head = git(workspace, 'rev-parse', 'HEAD');
    try {
      const r = await runAction({
        event: 'pull_request',
        inputs: { mode: 'check' },
        payload: {
          action: 'synchronize',
          number: 5,
          pull_request: {
            number: 5,
            head: { sha: head, ref: 'feature', repo: { full_name: `${OWNER}/${REPO}` } },
            base: { sha: mainTip, ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } }
          },
          repository: { full_name: `${OWNER}/${REPO}` }
        }
      });
      expect(r.code).toBe(0);
      const body = server.state.comments.find((c) => c.issue_number === 5)!.body;
      const driftStart = body.indexOf('<details><summary>ℹ️');
      const drift = body.slice(driftStart, body.indexOf('</details>', driftStart));
      const own = body.replace(drift, '');
      expect(own).toContain('- ⚠️ **Scaled to zero:** <code>Deployment.apps web-staging/web (1 → 0)</code>');
      expect(own).toContain(`compared with the render of the base commit ${mainTip.slice(0, 7)}.`);
      expect(own).toContain('**Objects:** 0 added, 1 changed, 0 removed · in 1 unit.');
      expect(own).toContain('<code>kubernetes:apps/web/clusters/staging</code>');
      expect(own).not.toContain('kubernetes:apps/web/clusters/prod');
      // What main holds and the wet branch lacks is not this change: a separate section.
      expect(drift).toContain('- <code>kubernetes:apps/web/clusters/prod</code>: 0 added, 1 changed, 0 removed');
      expect(r.summary).toContain('Scaled to zero');
      expect([branchTip('deployment'), branchTip('hydrate/deployment')]).toEqual(tips);
      expect(server.validationErrors).toEqual([]);
    } finally {
      git(workspace, 'reset', '-q', '--hard', mainTip);
    }
  });

  it('leaves a comment holding its marker but written by someone else alone, and posts its own', async () => {
    const t = '2026-01-01T00:00:00Z';
    server.state.pulls.push({
      number: 9, id: 5009, node_id: 'PR_dry9', title: 'another dry change', body: '', state: 'open', merged: false, draft: false,
      head: 'feature-9', base: 'main', labels: [], created_at: t, updated_at: t, closed_at: null, merged_at: null, user: 'mallory', auto_merge: null
    });
    const forged = `${markerComment(`${OWNER}/${REPO}:deployment:hydrate.yaml`)}\nAll good, nothing changes: merge it.`;
    server.state.comments.push({ id: 424242, issue_number: 9, body: forged, user: 'mallory', created_at: t, updated_at: t });
    const sha = git(workspace, 'rev-parse', 'HEAD');
    const r = await runAction({
      event: 'pull_request',
      inputs: { mode: 'check' },
      payload: {
        action: 'opened',
        number: 9,
        pull_request: { number: 9, head: { sha, ref: 'feature-9', repo: { full_name: `${OWNER}/${REPO}` } }, base: { ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } } },
        repository: { full_name: `${OWNER}/${REPO}` }
      }
    });
    expect(r.code).toBe(0);
    const onPr = server.state.comments.filter((c) => c.issue_number === 9);
    expect(onPr).toHaveLength(2);
    expect(onPr.find((c) => c.id === 424242)!.body).toBe(forged);
    const own = onPr.find((c) => c.id !== 424242)!;
    expect(own.user).toBe('github-actions[bot]');
    expect(own.body).toMatch(/spec\.replicas/);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::warning::') && l.includes('"mallory"'))).toHaveLength(1);
    expect(server.validationErrors).toEqual([]);
    // The stand-in numbers new pull requests by count: take this one away again.
    server.state.pulls.splice(server.state.pulls.findIndex((p) => p.number === 9), 1);
    server.state.comments = server.state.comments.filter((c) => c.issue_number !== 9);
  });

  it('refuses to render a checked-out PR head under pull_request_target unless opted in', async () => {
    const sha = git(workspace, 'rev-parse', 'HEAD');
    const payload = {
      action: 'opened',
      number: 6,
      pull_request: { number: 6, head: { sha, ref: 'feature', repo: { full_name: 'someone/platform' } }, base: { ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } } },
      repository: { full_name: `${OWNER}/${REPO}` }
    };
    const r = await runAction({ event: 'pull_request_target', payload });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('refusing to render the pull request head under pull_request_target');
    // The base checked out, then the PR's files over it (`git checkout <pr-sha> -- .`): HEAD is not
    // the PR head, but the tracked files are the PR's. Refused too.
    const replicas = path.join(workspace, 'apps/web/clusters/prod/replicas.yaml');
    const original = await readFile(replicas, 'utf8');
    await writeFile(replicas, original.replace(/replicas: \d+/, 'replicas: 99'));
    try {
      const prFiles = await runAction({
        event: 'pull_request_target',
        payload: { ...payload, pull_request: { ...payload.pull_request, head: { ...payload.pull_request.head, sha: 'f'.repeat(40) } } }
      });
      expect(prFiles.code).not.toBe(0);
      expect(prFiles.stdout).toContain("the workspace's tracked files differ from the base commit (uncommitted changes to tracked files: apps/web/clusters/prod/replicas.yaml)");
    } finally {
      await writeFile(replicas, original);
    }
    // Opted in: it renders and comments the diff on the (dry) pull request.
    const tips = [branchTip('deployment'), branchTip('hydrate/deployment')];
    const trusted = await runAction({
      event: 'pull_request_target',
      payload: { ...payload, number: 5, pull_request: { ...payload.pull_request, number: 5 } },
      inputs: { 'allow-pull-request-target-head': 'true' }
    });
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).not.toContain('refusing');
    expect(trusted.stdout).toContain('::group::Comment on the dry pull request');
    expect([branchTip('deployment'), branchTip('hydrate/deployment')]).toEqual(tips);
  });

  it('retries through a secondary rate limit and a 502 from the API, then succeeds', async () => {
    const replicas = path.join(workspace, 'apps/web/clusters/prod/replicas.yaml');
    const text = await readFile(replicas, 'utf8');
    await writeFile(replicas, text.replace(/replicas: \d+/, 'replicas: 4'));
    await commitDry('dry: scale to 4');
    server.faults.push(
      { method: 'GET', path: /\/pulls$/, status: 403, headers: { 'retry-after': '1' }, body: { message: 'You have exceeded a secondary rate limit', documentation_url: 'https://docs.github.com/rest' } },
      { method: 'GET', path: /\/pulls$/, status: 502, body: { message: 'Bad Gateway' } }
    );
    const from = server.requests.length;
    const r = await runAction();
    expect(r.code).toBe(0);
    expect(r.outputs['pr-number']).toMatch(/^\d+$/);
    expect(server.faults).toHaveLength(0);
    const lists = server.requests.slice(from).filter((q) => q.method === 'GET' && /\/pulls$/.test(q.path)).map((q) => q.status);
    expect(lists.slice(0, 3)).toEqual([403, 502, 200]);
    expect(r.stdout).toMatch(/secondary rate limit/);
    expect(server.validationErrors).toEqual([]);
  });

  it('lands the newest render when several runs race in push mode', async () => {
    const deployment = path.join(workspace, 'apps/web/clusters/prod/replicas.yaml');
    const text = await readFile(deployment, 'utf8');
    const shas: string[] = [];
    for (const n of [11, 12, 13]) {
      await writeFile(deployment, text.replace(/replicas: \d+/, `replicas: ${n}`));
      shas.push(await commitDry(`dry: replicas ${n}`));
    }
    // Every run renders the workspace as it is now (the newest dry commit).
    const runs = await Promise.all(shas.map((sha) => runAction({ inputs: { mode: 'push' }, sha })));
    for (const r of runs) expect(r.code).toBe(0);
    expect(showFile('deployment', 'clusters/prod/web/Deployment.web.yml')).toContain('replicas: 13');
    const pushed = runs.filter((r) => r.outputs['changed'] === 'true');
    expect(pushed.length).toBeGreaterThanOrEqual(1);
    // Nothing lost: every pushed commit is in the history of the wet branch.
    for (const r of pushed) git(bare, 'merge-base', '--is-ancestor', r.outputs['wet-commit']!, 'deployment');
  });

  it('starts a fresh PR branch after its pull request was merged', async () => {
    const open = server.state.pulls.find((p) => p.head === 'hydrate/deployment' && p.state === 'open')!;
    const prTip = branchTip('hydrate/deployment');
    expect(open).toBeDefined();
    expect(prTip).toBeDefined();
    // Merge: the wet branch takes the PR's tree, and the PR is marked merged.
    git(bare, 'update-ref', 'refs/heads/deployment', prTip!);
    Object.assign(open, { state: 'closed', merged: true, merged_at: '2026-01-02T00:00:00Z', closed_at: '2026-01-02T00:00:00Z' });
    const replicas = path.join(workspace, 'apps/web/clusters/prod/replicas.yaml');
    await writeFile(replicas, (await readFile(replicas, 'utf8')).replace(/replicas: \d+/, 'replicas: 21'));
    await commitDry('dry: replicas 21');
    const r = await runAction();
    expect(r.code).toBe(0);
    expect(Number(r.outputs['pr-number'])).not.toBe(open.number);
    const tip = branchTip('hydrate/deployment')!;
    expect(git(bare, 'log', '-1', '--format=%P', tip)).toBe(branchTip('deployment'));
    expect(server.validationErrors).toEqual([]);
  });

  it('reports drift on a scheduled run when the wet branch was edited by hand', async () => {
    // Land the open PR, then edit a rendered file directly on the wet branch.
    const open = server.state.pulls.find((p) => p.head === 'hydrate/deployment' && p.state === 'open')!;
    git(bare, 'update-ref', 'refs/heads/deployment', branchTip('hydrate/deployment')!);
    Object.assign(open, { state: 'closed', merged: true, merged_at: '2026-01-03T00:00:00Z', closed_at: '2026-01-03T00:00:00Z' });
    const clone = path.join(tmp, 'drift');
    git(tmp, 'clone', '-q', '--branch', 'deployment', bare, clone);
    const file = path.join(clone, 'clusters/prod/web/Deployment.web.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/replicas: \d+/, 'replicas: 1'));
    git(clone, 'commit', '-q', '-am', 'hotfix by hand');
    git(clone, 'push', '-q', 'origin', 'HEAD:refs/heads/deployment');
    const r = await runAction({ event: 'schedule', payload: { schedule: '17 5 * * *' } });
    expect(r.code).toBe(0);
    const pull = server.state.pulls.find((p) => p.number === Number(r.outputs['pr-number']))!;
    expect(pull.title).toMatch(/drift/i);
    expect(pull.body).toMatch(/drift/);
    const comment = server.state.comments.find((c) => c.issue_number === pull.number)!;
    expect(comment.body).toMatch(/spec\.replicas.*1.*→.*21/);
  });

  it('renders in shard jobs and publishes once from the merge job, as a single job would', async () => {
    // Land the open PR, then change two units of the dry tree.
    const open = server.state.pulls.find((p) => p.head === 'hydrate/deployment' && p.state === 'open')!;
    git(bare, 'update-ref', 'refs/heads/deployment', branchTip('hydrate/deployment')!);
    Object.assign(open, { state: 'closed', merged: true, merged_at: '2026-01-04T00:00:00Z', closed_at: '2026-01-04T00:00:00Z' });
    const replicas = path.join(workspace, 'apps/web/clusters/prod/replicas.yaml');
    await writeFile(replicas, (await readFile(replicas, 'utf8')).replace(/replicas: \d+/, 'replicas: 31'));
    await writeFile(path.join(workspace, 'kubernetes/platform/ops/namespaces/team-x.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-x\n');
    await commitDry('dry: replicas 31, namespace team-x');
    const tips = [branchTip('deployment'), branchTip('hydrate/deployment')];
    const writes = server.writes().length;

    // The matrix: each shard job saves its file; nothing is written to git or the API.
    const artifacts = path.join(tmp, 'artifacts');
    const shards = [];
    for (const i of [1, 2]) {
      const r = await runAction({ runId: '7001', inputs: { shard: `${i}/2`, 'shard-dir': path.join(artifacts, `hydrate-shard-${i}`) } });
      expect(r.code).toBe(0);
      expect(r.outputs['shard-file']).toBe(path.join(artifacts, `hydrate-shard-${i}`, `hydrate-shard-${i}-of-2.json`));
      expect(r.summary).toContain(`Hydrate shard ${i}/2`);
      shards.push(JSON.parse(await readFile(r.outputs['shard-file']!, 'utf8')) as { assigned: string[] });
    }
    expect([branchTip('deployment'), branchTip('hydrate/deployment')]).toEqual(tips);
    expect(server.writes().length).toBe(writes);
    // Every kubernetes unit is dealt to exactly one shard.
    const dealt = shards.flatMap((s) => s.assigned);
    expect(new Set(dealt).size).toBe(dealt.length);
    expect(dealt).toContain('kubernetes:apps/web/clusters/prod');
    expect(dealt).toContain('kubernetes:kubernetes/platform/ops/namespaces');
    expect(shards.every((s) => s.assigned.length > 0)).toBe(true);

    // A merge in another workflow run refuses them.
    const foreign = await runAction({ runId: '7999', inputs: { shard: 'merge', 'shard-dir': artifacts } });
    expect(foreign.code).not.toBe(0);
    expect(foreign.stdout).toMatch(/::error.*shard 1\/2 was rendered by workflow run 7001, this merge is run 7999/);
    expect(server.writes().length).toBe(writes);

    // The merge job of the same run reads the downloaded artifacts (one sub-folder each), checks a
    // sample by rendering it again, and opens the PR.
    const merged = await runAction({ runId: '7001', inputs: { shard: 'merge', 'shard-dir': artifacts } });
    expect(merged.code).toBe(0);
    expect(merged.stdout).toMatch(/unit\(s\) from 2 shard file\(s\)/);
    expect(merged.stdout).toMatch(/verified [1-9]\d* shard-rendered unit\(s\) by rendering them again .*: identical/);
    const pull = server.state.pulls.find((p) => p.number === Number(merged.outputs['pr-number']))!;
    expect(pull.state).toBe('open');
    expect(JSON.parse(merged.outputs['units-changed']!)).toEqual(['kubernetes:apps/web/clusters/prod', 'kubernetes:kubernetes/platform/ops/namespaces']);
    expect(server.state.comments.find((c) => c.issue_number === pull.number)!.body).toMatch(/spec\.replicas.*→.*31/);

    // A single job rendering the same commit onto the same wet branch commits the same tree.
    const single = await runAction({ inputs: { 'pr-branch': 'hydrate/single' } });
    expect(single.code).toBe(0);
    expect(git(bare, 'rev-parse', 'hydrate/single^{tree}')).toBe(git(bare, 'rev-parse', 'hydrate/deployment^{tree}'));
    expect(server.validationErrors).toEqual([]);

    // The same matrix on the dry pull request: the merge comments exactly what one check job does.
    const sha = git(workspace, 'rev-parse', 'HEAD');
    const prEvent = {
      event: 'pull_request',
      payload: {
        action: 'synchronize',
        number: 5,
        pull_request: { number: 5, head: { sha, ref: 'feature', repo: { full_name: `${OWNER}/${REPO}` } }, base: { ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } } },
        repository: { full_name: `${OWNER}/${REPO}` }
      }
    };
    const check = await runAction({ ...prEvent, inputs: { mode: 'check' } });
    expect(check.code).toBe(0);
    const commentAfterCheck = server.state.comments.find((c) => c.issue_number === 5)!.body;
    expect(commentAfterCheck).toMatch(/spec\.replicas.*→.*31/);
    const checkShards = path.join(tmp, 'check-artifacts');
    for (const i of [1, 2]) {
      expect((await runAction({ ...prEvent, runId: '7002', inputs: { mode: 'check', shard: `${i}/2`, 'shard-dir': path.join(checkShards, String(i)) } })).code).toBe(0);
    }
    const writesBeforeMerge = server.writes().length;
    const checkMerge = await runAction({ ...prEvent, runId: '7002', inputs: { mode: 'check', shard: 'merge', 'shard-dir': checkShards } });
    expect(checkMerge.code).toBe(0);
    expect(checkMerge.stdout).toContain('::group::Comment on the dry pull request');
    // The sticky comment already holds exactly this body: nothing to write.
    expect(server.writes().length).toBe(writesBeforeMerge);
    expect(server.state.comments.find((c) => c.issue_number === 5)!.body).toBe(commentAfterCheck);

    // A shard missing from the merge: it fails and publishes nothing.
    await rm(path.join(artifacts, 'hydrate-shard-2'), { recursive: true });
    const prTip = branchTip('hydrate/deployment');
    const incomplete = await runAction({ runId: '7001', inputs: { shard: 'merge', 'shard-dir': artifacts } });
    expect(incomplete.code).not.toBe(0);
    expect(incomplete.stdout).toMatch(/::error.*shard 2\/2 is missing/);
    expect(branchTip('hydrate/deployment')).toBe(prTip);
    // Land it, for the scenarios that follow.
    git(bare, 'update-ref', 'refs/heads/deployment', prTip!);
    Object.assign(pull, { state: 'closed', merged: true, merged_at: '2026-01-05T00:00:00Z', closed_at: '2026-01-05T00:00:00Z' });
  });

  it('fails without pushing when a unit breaks, with every error annotated and the units in the job summary', async () => {
    const tips = [branchTip('deployment'), branchTip('hydrate/deployment')];
    await writeFile(path.join(workspace, 'kubernetes/platform/ops/namespaces/broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n');
    await commitDry('dry: broken manifest');
    const r = await runAction({ inputs: { mode: 'push' } });
    expect(r.code).not.toBe(0);
    const annotations = r.stdout.split('\n').filter((l) => /^::error .*file=kubernetes\/platform\/ops\/namespaces\/broken\.yaml,line=\d+/.test(l));
    expect(annotations).toHaveLength(1);
    expect([branchTip('deployment'), branchTip('hydrate/deployment')]).toEqual(tips);
    expect(r.summary).toContain('| <code>kubernetes:kubernetes/platform/ops/namespaces</code> | failed |');
    expect(r.summary).toContain('| <code>kubernetes:apps/web/clusters/prod</code> | reused |');
    expect(r.summary).toContain('Hydrate failed');
    // The JSON report has the CLI's shape (errors and warnings apart), with the version and mode.
    const text = await readFile(r.outputs['report']!, 'utf8');
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(json).toMatchObject({ mode: 'push', ok: false, written: null });
    // It is a report of its format's version, and its schema reads all of it.
    expect(json['formatVersion']).toBe(RUN_REPORT_VERSION);
    expect(parseRunReport(text)).toEqual(json);
    expect(json['version']).toMatch(/^\d+\.\d+\.\d+/);
    const errors = json['errors'] as { severity: string; file?: string }[];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((d) => d.severity === 'error')).toBe(true);
    expect(errors.some((d) => d.file === 'kubernetes/platform/ops/namespaces/broken.yaml')).toBe(true);
    expect(Array.isArray(json['warnings'])).toBe(true);
  });

  it('refuses extraArtifacts: ../../.git (the checkout token in .git/config) with a clear error, pushing nothing', async () => {
    const tips = [branchTip('deployment'), branchTip('hydrate/deployment')];
    const writes = server.writes().length;
    // As actions/checkout leaves it: the token in the workspace's .git/config.
    git(workspace, 'config', 'http.extraheader', `AUTHORIZATION: basic ${TOKEN}`);
    await rm(path.join(workspace, 'kubernetes/platform/ops/namespaces/broken.yaml'), { force: true });
    await mkdir(path.join(workspace, 'leak/a'), { recursive: true });
    await writeFile(path.join(workspace, 'leak/a/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\n');
    const config = await readFile(path.join(workspace, 'hydrate.yaml'), 'utf8');
    await writeFile(
      path.join(workspace, 'hydrate.yaml'),
      config.replace(/^kubernetes:\n/m, 'kubernetes:\n  - match: leak/{x}\n    output: leak/{x}\n    extraArtifacts: ../../.git\n')
    );
    await commitDry('dry: extra artifacts from .git');
    try {
      const r = await runAction({ inputs: { mode: 'push' } });
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/^::error .*file=hydrate\.yaml,line=\d+.*extraArtifacts "\.\.\/\.\.\/\.git" contains `\.\.`/m);
      expect(r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain(TOKEN);
      expect([branchTip('deployment'), branchTip('hydrate/deployment')]).toEqual(tips);
      expect(server.writes().length).toBe(writes);
    } finally {
      // Leave a valid dry repository (without the token) for the scenarios that follow.
      git(workspace, 'config', '--unset', 'http.extraheader');
      await writeFile(path.join(workspace, 'hydrate.yaml'), config);
      await rm(path.join(workspace, 'leak'), { recursive: true, force: true });
      await commitDry('dry: drop the .git extra artifacts');
    }
  });

  it('refuses a config change that would delete everything, pushing nothing, unless allow-mass-deletion is set', async () => {
    await rm(path.join(workspace, 'kubernetes/platform/ops/namespaces/broken.yaml'), { force: true });
    await commitDry('dry: a working tree');
    expect((await runAction({ inputs: { mode: 'push' } })).code).toBe(0);
    const tip = branchTip('deployment')!;
    const owned = git(bare, 'ls-tree', '-r', '--name-only', tip).split('\n').filter((p) => p.startsWith('clusters/'));
    expect(owned.length).toBeGreaterThan(3);

    // Every entry removed (a bad merge, an emptied file): refused, nothing pushed.
    const config = await readFile(path.join(workspace, 'hydrate.yaml'), 'utf8');
    await writeFile(path.join(workspace, 'hydrate.yaml'), 'version: 1\nkubernetes: []\nterraform: []\nsecrets: []\n');
    await commitDry('dry: every entry removed');
    const refused = await runAction({ inputs: { mode: 'push' } });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/::error .*hydrate\.yaml has no kubernetes, terraform or secrets entries, but the wet tree holds \d+ unit\(s\).*allow-mass-deletion/);
    expect(branchTip('deployment')).toBe(tip);

    // Only the Kubernetes entries removed: more than half of the owned files would go.
    await writeFile(path.join(workspace, 'hydrate.yaml'), config.replace(/\nkubernetes:\n[\s\S]*?\nterraform:/, '\nkubernetes: []\nterraform:'));
    await commitDry('dry: kubernetes entries removed');
    const most = await runAction({ inputs: { mode: 'push' } });
    expect(most.code).not.toBe(0);
    expect(most.stdout).toMatch(/::error .*this run would delete \d+ of the \d+ files hydrate owns in the wet tree .*unit kubernetes:apps\/web\/clusters\/prod/);
    expect(branchTip('deployment')).toBe(tip);

    // Allowed for this run, it goes through.
    const allowed = await runAction({ inputs: { mode: 'push', 'allow-mass-deletion': 'true' } });
    expect(allowed.code).toBe(0);
    expect(allowed.outputs['changed']).toBe('true');
    const after = git(bare, 'ls-tree', '-r', '--name-only', 'refs/heads/deployment').split('\n');
    expect(after.filter((p) => p.startsWith('clusters/') || p.startsWith('kubernetes/'))).toEqual([]);
    expect(after).toContain('.hydrate/index.json');
    await writeFile(path.join(workspace, 'hydrate.yaml'), config);
    await commitDry('dry: entries back');
  });

  it('never shows a Secret value that kustomize echoes in its error: not in the annotations, the job summary nor the JSON report', async () => {
    const canary = 'CANARY-e2e-secret-5d1f0c';
    const dir = path.join(workspace, 'apps/leak/clusters/prod');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'kustomization.yaml'), 'resources: [secret.yaml]\npatches:\n  - path: patch.yaml\n');
    await writeFile(path.join(dir, 'secret.yaml'), `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: placeholder\n`);
    // The value put in a list by mistake: kustomize prints the list in its error.
    await writeFile(path.join(dir, 'patch.yaml'), `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: [${canary}]\n`);
    await commitDry('dry: a malformed secret patch');
    try {
      const r = await runAction({ inputs: { mode: 'push' } });
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/::error .*kubernetes:apps\/leak\/clusters\/prod.*wrong node kind.*<redacted>/);
      const report = await readFile(r.outputs['report']!, 'utf8');
      expect(report).toContain('wrong node kind');
      for (const text of [r.stdout, r.summary, report]) expect(text).not.toContain(canary);
    } finally {
      await rm(path.join(workspace, 'apps/leak'), { recursive: true, force: true });
      await commitDry('dry: remove the malformed secret patch');
    }
  });
  it('opens the first render of a new wet branch as a pull request onto an empty root commit', async () => {
    const r = await runAction({ inputs: { 'wet-branch': 'first' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/::notice::wet branch first did not exist: created it as an empty root commit/);
    const root = branchTip('first')!;
    expect(git(bare, 'log', '--format=%P', root)).toBe('');
    expect(git(bare, 'rev-parse', `${root}^{tree}`)).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    expect(git(bare, 'ls-tree', '-r', root)).toBe('');
    const pull = server.state.pulls.find((p) => p.number === Number(r.outputs['pr-number']))!;
    expect(pull).toMatchObject({ head: 'hydrate/first', base: 'first', state: 'open' });
    expect(git(bare, 'log', '-1', '--format=%P', 'hydrate/first')).toBe(root);
    expect(showFile('hydrate/first', 'clusters/prod/web/Deployment.web.yml')).toContain('kind: Deployment');
    // Push mode keeps pushing the first render.
    const pushed = await runAction({ inputs: { 'wet-branch': 'first-pushed', mode: 'push' } });
    expect(pushed.code).toBe(0);
    expect(git(bare, 'log', '--format=%P', 'first-pushed')).toBe('');
    expect(showFile('first-pushed', 'clusters/prod/web/Deployment.web.yml')).toContain('kind: Deployment');
    expect(branchTip('hydrate/first-pushed')).toBeUndefined();
    // Grouped: one pull request per group, each onto the empty root, together the whole render.
    const g = await runAction({ inputs: { 'wet-branch': 'first-grouped', 'group-by': 'cluster' } });
    expect(g.code).toBe(0);
    const groupRoot = branchTip('first-grouped')!;
    expect(git(bare, 'ls-tree', '-r', groupRoot)).toBe('');
    const opened = JSON.parse(g.outputs['pull-requests']!) as { branch: string }[];
    expect(opened.map((o) => o.branch)).toEqual(expect.arrayContaining(['hydrate/first-grouped/cluster-prod', 'hydrate/first-grouped/cluster-staging']));
    const union = new Set<string>();
    for (const { branch } of opened) {
      expect(git(bare, 'log', '-1', '--format=%P', branch)).toBe(groupRoot);
      for (const f of git(bare, 'ls-tree', '-r', '--name-only', branch).split('\n')) if (f !== '.hydrate/index.json') union.add(f);
    }
    expect([...union].sort()).toEqual(git(bare, 'ls-tree', '-r', '--name-only', 'hydrate/first').split('\n').filter((f) => f !== '.hydrate/index.json').sort());
    expect(server.validationErrors).toEqual([]);
  }, 180_000);

  describe('a pull request per group (group-by: cluster, the environments of apps/web)', () => {
    const WET = 'grouped';
    const STAGING = 'hydrate/grouped/cluster-staging';
    const PROD = 'hydrate/grouped/cluster-prod';
    const grouped = { 'wet-branch': WET, 'group-by': 'cluster', reviewers: 'alice, acme/platform, renovate[bot]' };
    const setReplicas = async (cluster: string, n: number): Promise<void> => {
      const file = path.join(workspace, `apps/web/clusters/${cluster}/replicas.yaml`);
      await writeFile(file, (await readFile(file, 'utf8')).replace(/replicas: \d+/, `replicas: ${n}`));
    };
    /** GitHub's merge: a merge commit of the head into the base (squash: one parent). */
    const mergeInBare = (head: string, base: string, method: string): string => {
      const tree = git(bare, 'merge-tree', '--write-tree', base, head).split('\n')[0]!;
      const parents = method === 'merge' ? ['-p', base, '-p', head] : ['-p', base];
      const commit = git(bare, 'commit-tree', tree, ...parents, '-m', `Merge ${head}`);
      git(bare, 'update-ref', `refs/heads/${base}`, commit);
      return commit;
    };
    const changedFiles = (branch: string): string[] => git(bare, 'diff', '--name-only', WET, branch).split('\n').filter(Boolean);
    const openPull = (head: string) => server.state.pulls.find((p) => p.head === head && p.base === WET && p.state === 'open');

    afterAll(() => {
      delete standInOptions.mergeableAtOnce;
      delete standInOptions.onMerge;
    });

    it('opens a pull request per group holding only its own units, each with its labels, comment, reviewers and auto-merge', async () => {
      const base = await runAction({ inputs: { 'wet-branch': WET, mode: 'push' } });
      expect(base.code).toBe(0);
      await writeFile(path.join(workspace, 'apps/web/clusters/staging/AUTO_MERGE'), '');
      await setReplicas('staging', 3);
      await setReplicas('prod', 6);
      await commitDry('dry: scale web in staging and prod');
      const from = server.requests.length;
      const r = await runAction({ inputs: grouped });
      expect(r.code).toBe(0);
      // One listing of the pull requests for the whole run, and no read of a pull request after it.
      const reads = server.requests.slice(from).filter((q) => q.method === 'GET' && /\/pulls(\/\d+)?$/.test(q.path));
      expect(reads.map((q) => [q.path.replace(/^.*\/pulls/, '/pulls'), q.query['state'], q.query['base'], q.query['head']])).toEqual([['/pulls', 'open', WET, undefined]]);
      const staging = openPull(STAGING)!;
      const prod = openPull(PROD)!;
      expect(staging.title).toMatch(/\(cluster=staging\)$/);
      expect(prod.title).toMatch(/\(cluster=prod\)$/);
      expect(staging.labels).toEqual(expect.arrayContaining(['hydrate', 'cluster/staging']));
      expect(prod.labels).toEqual(expect.arrayContaining(['hydrate', 'cluster/prod']));
      expect(prod.labels).not.toContain('cluster/staging');
      expect([staging.requested_reviewers, staging.requested_teams]).toEqual([['alice'], ['platform']]);
      expect([prod.requested_reviewers, prod.requested_teams]).toEqual([['alice'], ['platform']]);
      // AUTO_MERGE is judged per group: staging's unit has the file, prod's has not.
      expect(staging.auto_merge).toBe('MERGE');
      expect(prod.auto_merge).toBeNull();
      expect(changedFiles(STAGING)).toEqual(['.hydrate/index.json', 'clusters/staging/web/Deployment.web.yml']);
      expect(changedFiles(PROD)).toEqual(['.hydrate/index.json', 'clusters/prod/web/Deployment.web.yml']);
      for (const b of [STAGING, PROD]) expect(git(bare, 'log', '-1', '--format=%P', b)).toBe(branchTip(WET));
      const comment = (n: number): string => server.state.comments.filter((c) => c.issue_number === n).map((c) => c.body).join('\n');
      expect(comment(staging.number)).toContain('apps/web/clusters/staging');
      expect(comment(staging.number)).not.toContain('apps/web/clusters/prod');
      expect(comment(prod.number)).toMatch(/spec\.replicas.*→.*6/);
      expect(comment(prod.number)).not.toContain('apps/web/clusters/staging');
      // Each branch's index is true to its tree: read with an independent JSON reader.
      const index = JSON.parse(showFile(PROD, '.hydrate/index.json')) as { units: Record<string, { hashes?: Record<string, string> }> };
      const stagingHash = index.units['kubernetes:apps/web/clusters/staging']!.hashes!['clusters/staging/web/Deployment.web.yml'];
      expect(stagingHash).toBe(JSON.parse(showFile(WET, '.hydrate/index.json')).units['kubernetes:apps/web/clusters/staging'].hashes['clusters/staging/web/Deployment.web.yml']);
      expect(JSON.parse(r.outputs['pull-requests']!)).toEqual([
        { branch: STAGING, group: 'cluster=staging', number: staging.number, url: expect.any(String), merged: false },
        { branch: PROD, group: 'cluster=prod', number: prod.number, url: expect.any(String), merged: false }
      ].sort((a, b) => (a.branch < b.branch ? -1 : 1)));
      // The same dry commit again: nothing written anywhere.
      const writes = server.writes().length;
      const tips = [branchTip(STAGING), branchTip(PROD)];
      const again = await runAction({ inputs: grouped });
      expect(again.code).toBe(0);
      expect(server.writes().length).toBe(writes);
      expect([branchTip(STAGING), branchTip(PROD)]).toEqual(tips);
      expect(server.validationErrors).toEqual([]);
    }, 180_000);

    it('after staging merged, updates prod in place onto the new wet tip, holding only prod', async () => {
      const staging = openPull(STAGING)!;
      const prodBefore = openPull(PROD)!;
      const prodTip = branchTip(PROD)!;
      // GitHub merges staging once its checks pass (auto-merge was enabled).
      mergeInBare(STAGING, WET, 'merge');
      Object.assign(staging, { state: 'closed', merged: true, merged_at: '2026-01-03T00:00:00Z', closed_at: '2026-01-03T00:00:00Z' });
      git(bare, 'update-ref', '-d', `refs/heads/${STAGING}`);
      expect(showFile(WET, 'clusters/staging/web/Deployment.web.yml')).toContain('replicas: 3');
      expect(showFile(WET, 'clusters/prod/web/Deployment.web.yml')).not.toContain('replicas: 6');
      const r = await runAction({ inputs: grouped });
      expect(r.code).toBe(0);
      expect(openPull(PROD)!.number).toBe(prodBefore.number);
      expect(openPull(STAGING)).toBeUndefined();
      expect(branchTip(STAGING)).toBeUndefined();
      const tip = branchTip(PROD)!;
      expect(git(bare, 'log', '-1', '--format=%P', tip)).toBe(`${prodTip} ${branchTip(WET)}`);
      expect(changedFiles(PROD)).toEqual(['.hydrate/index.json', 'clusters/prod/web/Deployment.web.yml']);
      expect(showFile(PROD, 'clusters/staging/web/Deployment.web.yml')).toContain('replicas: 3');
      // Reviewers are asked on new pull requests only.
      expect(server.requests.filter((q) => q.path.endsWith(`/pulls/${prodBefore.number}/requested_reviewers`))).toHaveLength(1);
      expect(server.validationErrors).toEqual([]);
    }, 180_000);

    it('merges the staging pull request at once when GitHub reports it mergeable, with the merge method', async () => {
      standInOptions.mergeableAtOnce = true;
      standInOptions.onMerge = (pull, method) => ({ sha: mergeInBare(pull.head, pull.base, method) });
      await setReplicas('staging', 4);
      await commitDry('dry: staging to 4');
      const r = await runAction({ inputs: { ...grouped, 'merge-method': 'squash' } });
      expect(r.code).toBe(0);
      const merged = server.state.pulls.find((p) => p.head === STAGING && p.merged && p.merge_method === 'squash');
      expect(merged).toBeDefined();
      expect(showFile(WET, 'clusters/staging/web/Deployment.web.yml')).toContain('replicas: 4');
      // prod has no AUTO_MERGE: still open, not merged, and still holding only prod.
      expect(openPull(PROD)).toBeDefined();
      expect(showFile(WET, 'clusters/prod/web/Deployment.web.yml')).not.toContain('replicas: 6');
      expect(JSON.parse(r.outputs['pull-requests']!)).toContainEqual(expect.objectContaining({ branch: STAGING, merged: true }));
      expect(server.validationErrors).toEqual([]);
    }, 180_000);

    it('closes a group\'s pull request and deletes its branch once its units no longer differ from the wet branch', async () => {
      delete standInOptions.mergeableAtOnce;
      const prod = openPull(PROD)!;
      const wetProd = showFile(WET, 'clusters/prod/web/Deployment.web.yml');
      const replicas = /replicas: (\d+)/.exec(wetProd)![1]!;
      await setReplicas('prod', Number(replicas));
      await commitDry('dry: prod back');
      const r = await runAction({ inputs: grouped });
      expect(r.code).toBe(0);
      expect(server.state.pulls.find((p) => p.number === prod.number)!.state).toBe('closed');
      expect(branchTip(PROD)).toBeUndefined();
      expect(server.validationErrors).toEqual([]);
    }, 180_000);
  });
});
