import { describe, it, expect, afterEach } from '@jest/globals';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../src/ports.js';
import { HydrateError } from '../../src/diagnostics.js';
import {
  ACTIONS_PR_NOT_PERMITTED,
  BAD_TOKEN_MESSAGE,
  createGitHub,
  fitBody,
  missingPermissionMessage,
  type GitHub
} from '../../src/adapters/github.js';
import { buildComment, COMMENT_MAX_CHARS as MAX_BODY_CHARS } from '../../src/report/comment.js';
import { report } from '../report/helpers.js';
import { markerComment as commentMarker } from '../../src/report/markdown.js';
import { startGitHubStandIn, type GitHubStandIn, type StandInOptions } from '../helpers/github-standin.js';

const TOKEN = 'ghs_SECRETtoken1234567890';

interface Harness {
  standIn: GitHubStandIn;
  gh: GitHub;
  logs: string[];
}

const open: GitHubStandIn[] = [];
let instances = 0;

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function setup(opts: StandInOptions = {}, token = TOKEN): Promise<Harness> {
  const standIn = await startGitHubStandIn({ token: TOKEN, branches: ['hydrate/prod'], ...opts });
  open.push(standIn);
  const logs: string[] = [];
  const logger: Logger = {
    info: (m) => logs.push(`info: ${m}`),
    warning: (m) => logs.push(`warning: ${m}`),
    debug: (m) => logs.push(`debug: ${m}`)
  };
  const gh = createGitHub({
    token,
    apiUrl: standIn.apiUrl,
    owner: standIn.owner,
    repo: standIn.repo,
    logger,
    retry: { retries: 3, minDelayMs: 5 },
    pacingId: `test-${++instances}`
  });
  return { standIn, gh, logs };
}

async function thrown(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

const pr = { head: 'hydrate/prod', base: 'main', title: 'Hydrate prod', body: 'first body' };

describe('pull requests', () => {
  it('creates a pull request, then finds and updates it instead of opening a second one', async () => {
    const { standIn, gh } = await setup();
    const first = await gh.createOrUpdatePull(pr);
    expect(first.created).toBe(true);
    expect(first.pull.number).toBe(1);
    expect(first.pull.head.ref).toBe('hydrate/prod');
    expect(first.pull.base.ref).toBe('main');
    expect(first.pull.html_url).toBe(`https://github.com/${standIn.owner}/${standIn.repo}/pull/1`);
    expect(first.pull.node_id).toMatch(/^PR_/);

    const second = await gh.createOrUpdatePull({ ...pr, body: 'second body' });
    expect(second.created).toBe(false);
    expect(second.pull.number).toBe(1);
    expect(second.pull.body).toBe('second body');
    expect(standIn.state.pulls).toHaveLength(1);
    expect(standIn.state.pulls[0]!.body).toBe('second body');
    expect(standIn.writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /repos/${standIn.owner}/${standIn.repo}/pulls`,
      `PATCH /repos/${standIn.owner}/${standIn.repo}/pulls/1`
    ]);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('on 422 "A pull request already exists" (a racing run) finds the pull request and updates it', async () => {
    const { standIn, gh } = await setup();
    await gh.createOrUpdatePull(pr);
    // The look-up misses the pull request that another run has just opened.
    standIn.faults.push({ method: 'GET', path: /\/pulls$/, status: 200, body: [] });
    const again = await gh.createOrUpdatePull({ ...pr, title: 'Hydrate prod (2)' });
    expect(again.created).toBe(false);
    expect(again.pull.number).toBe(1);
    expect(again.pull.title).toBe('Hydrate prod (2)');
    const posts = standIn.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pulls'));
    expect(posts.map((r) => r.status)).toEqual([201, 422]);
    expect(standIn.state.pulls).toHaveLength(1);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('makes no write request when title and body are unchanged', async () => {
    const { standIn, gh } = await setup();
    await gh.createOrUpdatePull(pr);
    const before = standIn.writes().length;
    const again = await gh.createOrUpdatePull(pr);
    expect(again.created).toBe(false);
    expect(standIn.writes().length).toBe(before);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('finds the open pull request and the latest one in any state', async () => {
    const { standIn, gh } = await setup();
    expect(await gh.findOpenPull('hydrate/prod', 'main')).toBeUndefined();
    expect(await gh.findLatestPull('hydrate/prod', 'main')).toBeUndefined();
    const { pull } = await gh.createOrUpdatePull(pr);
    expect((await gh.findOpenPull('hydrate/prod', 'main'))?.number).toBe(pull.number);
    expect(await gh.findOpenPull('hydrate/prod', 'other-base')).toBeUndefined();
    await gh.closePull(pull.number);
    expect(await gh.findOpenPull('hydrate/prod', 'main')).toBeUndefined();
    const latest = await gh.findLatestPull('hydrate/prod', 'main');
    expect(latest?.number).toBe(pull.number);
    expect(latest?.state).toBe('closed');
    expect(latest?.closed_at).not.toBeNull();
    const list = standIn.requests.find((r) => r.method === 'GET' && r.path.endsWith('/pulls'));
    expect(list?.query.head).toBe(`${standIn.owner}:hydrate/prod`);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('closes a pull request and deletes its branch; a branch already gone is tolerated', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    await gh.closePull(pull.number);
    await gh.deleteBranch('hydrate/prod');
    expect(standIn.state.pulls[0]!.state).toBe('closed');
    expect(standIn.state.refs.has('hydrate/prod')).toBe(false);
    const del = standIn.requests.find((r) => r.method === 'DELETE');
    expect(decodeURIComponent(del?.path ?? '')).toBe(`/repos/${standIn.owner}/${standIn.repo}/git/refs/heads/hydrate/prod`);
    await expect(gh.deleteBranch('hydrate/prod')).resolves.toBeUndefined();
    expect(standIn.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([204, 422]);
    expect(standIn.validationErrors).toEqual([]);
  });
});

describe('labels', () => {
  it('adds only labels that the pull request does not have yet', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    expect(await gh.addLabels(pull.number, ['hydrate', 'env:prod'])).toEqual(['hydrate', 'env:prod']);
    expect(await gh.addLabels(pull.number, ['hydrate', 'env:prod'])).toEqual([]);
    expect(await gh.addLabels(pull.number, ['hydrate', 'new'])).toEqual(['new']);
    const labelPosts = standIn.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/labels'));
    expect(labelPosts.map((r) => r.body)).toEqual([{ labels: ['hydrate', 'env:prod'] }, { labels: ['new'] }]);
    expect(standIn.state.pulls[0]!.labels).toEqual(['hydrate', 'env:prod', 'new']);
    expect(standIn.validationErrors).toEqual([]);
  });
});

describe('sticky comment', () => {
  it('creates the comment, updates it in place (same id), and skips writing an identical body', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    const a = await gh.upsertStickyComment(pull.number, 'prod', 'diff v1');
    expect(a.action).toBe('created');
    const b = await gh.upsertStickyComment(pull.number, 'prod', 'diff v2');
    expect(b).toEqual({ id: a.id, action: 'updated' });
    expect(standIn.state.comments).toHaveLength(1);
    expect(standIn.state.comments[0]!.body).toBe(`${commentMarker('prod')}\ndiff v2`);

    const writesBefore = standIn.writes().length;
    const c = await gh.upsertStickyComment(pull.number, 'prod', 'diff v2');
    expect(c).toEqual({ id: a.id, action: 'unchanged' });
    expect(standIn.writes().length).toBe(writesBefore);

    // A different marker is a different comment.
    const d = await gh.upsertStickyComment(pull.number, 'staging', 'diff');
    expect(d.action).toBe('created');
    expect(d.id).not.toBe(a.id);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('finds its comment beyond the first page of comments', async () => {
    const { standIn, gh } = await setup({ defaultPerPage: 30 });
    const { pull } = await gh.createOrUpdatePull(pr);
    for (let i = 0; i < 120; i++) {
      standIn.state.comments.push({
        id: 50_000 + i,
        issue_number: pull.number,
        body: `chatter ${i}`,
        user: 'someone',
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z'
      });
    }
    standIn.state.comments.push({
      id: 99_999,
      issue_number: pull.number,
      body: `${commentMarker('prod')}\nold`,
      user: 'github-actions[bot]',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z'
    });
    const r = await gh.upsertStickyComment(pull.number, 'prod', 'new');
    expect(r).toEqual({ id: 99_999, action: 'updated' });
    const pages = standIn.requests.filter((x) => x.method === 'GET' && x.path.endsWith('/comments'));
    expect(pages.length).toBe(2);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('with commentAuthors, ignores a marker copied into someone else\'s comment', async () => {
    const { standIn } = await setup();
    const gh = createGitHub({
      token: TOKEN,
      apiUrl: standIn.apiUrl,
      owner: standIn.owner,
      repo: standIn.repo,
      retry: { retries: 1, minDelayMs: 5 },
      commentAuthors: ['github-actions[bot]'],
      pacingId: 'authors-test'
    });
    const { pull } = await gh.createOrUpdatePull(pr);
    standIn.state.comments.push({
      id: 7,
      issue_number: pull.number,
      body: `quoting: ${commentMarker('prod')}`,
      user: 'a-human',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z'
    });
    const r = await gh.upsertStickyComment(pull.number, 'prod', 'diff');
    expect(r.action).toBe('created');
    expect(r.id).not.toBe(7);
    expect(standIn.state.comments.find((c) => c.id === 7)!.body).toBe(`quoting: ${commentMarker('prod')}`);
    expect(standIn.validationErrors).toEqual([]);
  });

  const comment = (id: number, issue: number, body: string, user: string) => ({
    id,
    issue_number: issue,
    body,
    user,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z'
  });

  it('adopts only its own comment: a marker in a comment by someone else is left alone, reported once', async () => {
    const { standIn, gh, logs } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    const forged = `${commentMarker('prod')}\nmerge me, the diff is fine`;
    standIn.state.comments.push(comment(7, pull.number, forged, 'mallory'));
    const a = await gh.upsertStickyComment(pull.number, 'prod', 'diff v1');
    expect(a.action).toBe('created');
    expect(a.id).not.toBe(7);
    const b = await gh.upsertStickyComment(pull.number, 'prod', 'diff v2');
    expect(b).toEqual({ id: a.id, action: 'updated' });
    expect(standIn.state.comments.find((c) => c.id === 7)!.body).toBe(forged);
    expect(standIn.state.comments.find((c) => c.id === a.id)!.user).toBe('github-actions[bot]');
    const warnings = logs.filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/written by "mallory", not by this token \(github-actions\[bot\]\): left alone/);
    // The identity is read once: GET /user answers 403 for an installation token, GraphQL viewer names the bot.
    const identity = standIn.requests.filter((r) => r.path === '/user' || (r.operation === 'graphql' && /viewer/.test(JSON.stringify(r.body))));
    expect(identity.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /user 403', 'POST /graphql 200']);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('a user token (personal access token) is named by GET /user; the Actions bot\'s comments are then not its own', async () => {
    const { standIn, gh } = await setup({ login: 'octocat' });
    const { pull } = await gh.createOrUpdatePull(pr);
    standIn.state.comments.push(comment(8, pull.number, `${commentMarker('prod')}\nold`, 'github-actions[bot]'));
    standIn.state.comments.push(comment(9, pull.number, `${commentMarker('prod')}\nold`, 'octocat'));
    expect(await gh.identity()).toBe('octocat');
    expect(await gh.upsertStickyComment(pull.number, 'prod', 'new')).toEqual({ id: 9, action: 'updated' });
    expect(standIn.state.comments.find((c) => c.id === 8)!.body).toBe(`${commentMarker('prod')}\nold`);
    expect(standIn.requests.filter((r) => r.path === '/user').map((r) => r.status)).toEqual([200]);
    expect(standIn.requests.some((r) => r.operation === 'graphql')).toBe(false);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('a GitHub App token is its app\'s bot (GraphQL viewer, with the [bot] suffix REST uses); github-actions[bot] when viewer fails', async () => {
    const app = await setup({ login: 'my-app[bot]', viewerLogin: 'my-app' });
    expect(await app.gh.identity()).toBe('my-app[bot]');
    const failing = await setup({ login: 'github-actions[bot]', viewerLogin: 'error' });
    expect(await failing.gh.identity()).toBe('github-actions[bot]');
    expect([...app.standIn.validationErrors, ...failing.standIn.validationErrors]).toEqual([]);
  });

  it('a marker with "--" cannot end the hidden HTML comment early', () => {
    expect(commentMarker('a--b>c')).toBe('<!-- hydrate:a-bc -->');
  });

  it('finds the report\'s own marker, also for a marker holding "<" (one marker, not two)', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    const marker = 'acme/wet:<deploy>:hydrate.yaml';
    const body = buildComment(report([]), { marker, title: 'Rendered diff' });
    expect(body.startsWith('<!-- hydrate:acme/wet:deploy:hydrate.yaml -->\n')).toBe(true);
    expect((await gh.upsertStickyComment(pull.number, marker, body)).action).toBe('created');
    expect(standIn.state.comments[0]!.body).toBe(body);
    expect((await gh.upsertStickyComment(pull.number, marker, body)).action).toBe('unchanged');
    expect(standIn.state.comments).toHaveLength(1);
  });
});

describe('body size limit', () => {
  it('the stand-in rejects an oversized comment like GitHub does', async () => {
    const standIn = await startGitHubStandIn({ branches: ['b'] });
    open.push(standIn);
    const repo = `/repos/${standIn.owner}/${standIn.repo}`;
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(standIn.apiUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(`${repo}/pulls`, { title: 't', head: 'b', base: 'main' })).status).toBe(201);
    const res = await post(`${repo}/issues/1/comments`, { body: 'x'.repeat(MAX_BODY_CHARS + 1) });
    expect(res.status).toBe(422);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('fitBody leaves a body that fits alone and cuts an oversized one to fit, with a note', () => {
    expect(fitBody('small')).toBe('small');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'y'.repeat(20)}`).join('\n');
    const fitted = fitBody(lines);
    expect(fitted.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(fitted.startsWith('line 0 ')).toBe(true);
    expect(fitted).toContain('truncated');
    const multibyte = fitBody('€'.repeat(100_000));
    expect(Buffer.byteLength(multibyte, 'utf8')).toBeLessThanOrEqual(262_144);
  });

  it('an oversized sticky comment is truncated instead of failing', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    const r = await gh.upsertStickyComment(pull.number, 'prod', 'z'.repeat(200_000));
    expect(r.action).toBe('created');
    const stored = standIn.state.comments[0]!.body;
    expect(stored.startsWith(commentMarker('prod'))).toBe(true);
    expect(stored.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    // Same oversized input again: recognised as unchanged, no write.
    const writes = standIn.writes().length;
    expect((await gh.upsertStickyComment(pull.number, 'prod', 'z'.repeat(200_000))).action).toBe('unchanged');
    expect(standIn.writes().length).toBe(writes);
    expect(standIn.validationErrors).toEqual([]);
  });
});

describe('auto-merge', () => {
  it('enables auto-merge through GraphQL', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    expect(await gh.enableAutoMerge(pull.node_id, 'SQUASH')).toBeUndefined();
    expect(standIn.state.pulls[0]!.auto_merge).toBe('SQUASH');
    const call = standIn.requests.find((r) => r.path === '/graphql');
    expect(call?.body).toMatchObject({ variables: { pullRequestId: pull.node_id, mergeMethod: 'SQUASH' } });
    expect(pull.auto_merge).toBeNull();
    // The pull request then says so, which lets the next run skip the mutation.
    expect((await gh.findOpenPull(pr.head, pr.base))?.auto_merge).toEqual({ merge_method: 'squash' });
    expect((await gh.createOrUpdatePull(pr)).pull.auto_merge).toEqual({ merge_method: 'squash' });
    expect(standIn.validationErrors).toEqual([]);
  });

  it('returns a warning instead of throwing when GitHub refuses', async () => {
    const { gh } = await setup({ autoMergeError: 'Auto merge is not allowed for this repository' });
    const { pull } = await gh.createOrUpdatePull(pr);
    const warning = await gh.enableAutoMerge(pull.node_id, 'MERGE');
    expect(warning).toBe('Could not enable auto-merge: Auto merge is not allowed for this repository');
  });
});

describe('auto-merge that merges', () => {
  it('merges with the merge method when GitHub refuses auto-merge because the pull request is clean', async () => {
    const merged: string[] = [];
    const { standIn, gh } = await setup({ mergeableAtOnce: true, onMerge: (p, method) => (merged.push(`#${p.number} ${method}`), { sha: 'a'.repeat(40) }) });
    const { pull } = await gh.createOrUpdatePull(pr);
    expect(await gh.autoMerge(pull, 'SQUASH')).toEqual({ kind: 'merged', sha: 'a'.repeat(40) });
    expect(merged).toEqual([`#${pull.number} squash`]);
    expect(standIn.state.pulls[0]).toMatchObject({ state: 'closed', merged: true, merge_method: 'squash' });
    const put = standIn.requests.find((r) => r.method === 'PUT')!;
    expect(put).toMatchObject({ path: `/repos/${standIn.owner}/${standIn.repo}/pulls/${pull.number}/merge`, body: { merge_method: 'squash' }, status: 200 });
    expect(standIn.validationErrors).toEqual([]);
  });

  it('only enables auto-merge while the pull request waits for a check', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    expect(await gh.autoMerge(pull, 'REBASE')).toEqual({ kind: 'enabled' });
    expect(standIn.state.pulls[0]).toMatchObject({ state: 'open', auto_merge: 'REBASE' });
    expect(standIn.requests.some((r) => r.method === 'PUT')).toBe(false);
  });

  it('keeps any other refusal a warning, without merging', async () => {
    const { standIn, gh } = await setup({ autoMergeError: 'Auto merge is not allowed for this repository' });
    const { pull } = await gh.createOrUpdatePull(pr);
    expect(await gh.autoMerge(pull, 'MERGE')).toEqual({ kind: 'warning', message: 'Could not enable auto-merge: Auto merge is not allowed for this repository' });
    expect(standIn.requests.some((r) => r.method === 'PUT')).toBe(false);
  });

  it('names the repository setting when the merge method is not allowed (405)', async () => {
    const { standIn, gh } = await setup({ mergeableAtOnce: true, onMerge: () => ({ status: 405, message: 'Merge commits are not allowed on this repository.' }) });
    const { pull } = await gh.createOrUpdatePull(pr);
    const e = await thrown(gh.autoMerge(pull, 'MERGE'));
    expect(e).toBeInstanceOf(HydrateError);
    expect(e.message).toContain('Merge commits are not allowed on this repository');
    expect(e.message).toContain('"Allow merge commits"');
    expect(e.message).toContain('merge-method');
    expect(standIn.state.pulls[0]!.state).toBe('open');
    expect(standIn.validationErrors).toEqual([]);
  });

  it('names the permission when the token may not merge (403)', async () => {
    const { gh } = await setup({ mergeableAtOnce: true, onMerge: () => ({ status: 403, message: 'Resource not accessible by integration' }) });
    const { pull } = await gh.createOrUpdatePull(pr);
    const e = await thrown(gh.autoMerge(pull, 'MERGE'));
    expect(e).toBeInstanceOf(HydrateError);
    expect(e.message).toContain('contents: write');
  });
});

describe('one listing of the open pull requests, reviewers', () => {
  it('lists every open pull request into the base with one paginated listing', async () => {
    const { standIn, gh } = await setup({ branches: ['a', 'b', 'c'], defaultPerPage: 30 });
    const t = '2026-01-01T00:00:00Z';
    for (let i = 1; i <= 120; i++) {
      standIn.state.pulls.push({ number: i, id: i, node_id: `PR_${i}`, title: `t${i}`, body: '', state: i === 7 ? 'closed' : 'open', merged: false, draft: false, head: `hydrate/deployment/g${i}`, base: i === 8 ? 'main' : 'deployment', labels: [], created_at: t, updated_at: t, closed_at: null, merged_at: null, user: 'x', auto_merge: null, ...(i === 10 ? { head_owner: 'forker' } : {}) });
    }
    // A fork's pull request from a branch of the same name is not one of this repository's.
    const fork = standIn.state.pulls[9]!;
    const pulls = await gh.listOpenPulls('deployment');
    expect(pulls).toHaveLength(117);
    expect(pulls.map((p) => p.number)).not.toContain(fork.number);
    expect(pulls.map((p) => p.number)).not.toContain(7);
    expect(pulls.map((p) => p.number)).not.toContain(8);
    const reads = standIn.requests.filter((r) => r.method === 'GET');
    expect(reads.map((r) => [r.query['state'], r.query['base'], r.query['per_page'], r.query['page'] ?? '1'])).toEqual([
      ['open', 'deployment', '100', '1'],
      ['open', 'deployment', '100', '2']
    ]);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('requests users and teams, leaving bots out, and turns a refusal into a warning', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    expect(await gh.requestReviewers(pull.number, ['alice', 'octo-org/platform', 'renovate[bot]'])).toBeUndefined();
    expect(standIn.state.pulls[0]).toMatchObject({ requested_reviewers: ['alice'], requested_teams: ['platform'] });
    const post = standIn.requests.find((r) => r.path.endsWith('/requested_reviewers'))!;
    expect(post.body).toEqual({ reviewers: ['alice'], team_reviewers: ['platform'] });
    expect(await gh.requestReviewers(pull.number, ['dependabot[bot]'])).toBeUndefined();
    expect(standIn.requests.filter((r) => r.path.endsWith('/requested_reviewers'))).toHaveLength(1);
    const warning = await gh.requestReviewers(pull.number, [standIn.state.pulls[0]!.user]);
    expect(warning).toBeUndefined(); // the author is a bot here: left out
    const human = await setup({ login: 'dev', tokenKind: 'user' });
    const opened = await human.gh.createOrUpdatePull(pr);
    expect(await human.gh.requestReviewers(opened.pull.number, ['dev'])).toContain('Review cannot be requested from pull request author');
    expect(standIn.validationErrors).toEqual([]);
    expect(human.standIn.validationErrors).toEqual([]);
  });
});

describe('auto-merge with a read-only token', () => {
  it('turns the 403 into a warning naming the permission', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    const ro = await setup({ forkReadOnly: true });
    ro.standIn.state.pulls.push({ ...standIn.state.pulls[0]! });
    const warning = await ro.gh.enableAutoMerge(pull.node_id, 'SQUASH');
    expect(warning).toContain('Could not enable auto-merge');
    expect(warning).toContain('pull-requests: write');
    expect(ro.standIn.state.pulls[0]!.auto_merge).toBeNull();
  });
});

describe('retries and rate limits', () => {
  it('retries a secondary rate limit (403 + retry-after) and a 502, then succeeds', async () => {
    const { standIn, gh, logs } = await setup();
    standIn.faults.push(
      { method: 'POST', path: /\/pulls$/, status: 403, headers: { 'retry-after': '1' }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest' } },
      { method: 'POST', path: /\/pulls$/, status: 502, body: { message: 'Server Error' } }
    );
    const { pull, created } = await gh.createOrUpdatePull(pr);
    expect(created).toBe(true);
    expect(pull.number).toBe(1);
    const attempts = standIn.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pulls'));
    expect(attempts.map((r) => r.status)).toEqual([403, 502, 201]);
    expect(logs.some((l) => l.startsWith('warning: GitHub secondary rate limit'))).toBe(true);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('waits for a primary rate limit reset (x-ratelimit-remaining: 0) and retries', async () => {
    const { standIn, gh, logs } = await setup();
    // Two seconds from now: the wait is taken from the reset (the test scales waits down to ms).
    const reset = String(Math.floor(Date.now() / 1000) + 2);
    standIn.faults.push({
      method: 'GET',
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
      body: { message: 'API rate limit exceeded for installation ID 1.', documentation_url: 'https://docs.github.com/rest' }
    });
    expect(await gh.findOpenPull('hydrate/prod', 'main')).toBeUndefined();
    expect(standIn.requests.map((r) => r.status)).toEqual([403, 200]);
    expect(logs.join('\n')).toMatch(/rate limit hit for .*; retrying after [1-3]s/);
  });

  it('does not wait for a secondary rate limit longer than the bound; fails with a clear error', async () => {
    const { standIn, gh, logs } = await setup();
    standIn.faults.push({
      method: 'POST',
      status: 403,
      headers: { 'retry-after': '3600' },
      body: { message: 'You have exceeded a secondary rate limit.', documentation_url: 'https://docs.github.com/rest' }
    });
    const started = Date.now();
    const err = await thrown(gh.createOrUpdatePull(pr));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(HydrateError);
    expect(err.message).toContain('403 You have exceeded a secondary rate limit.');
    expect(standIn.requests.filter((r) => r.method === 'POST').length).toBe(1);
    expect(logs.some((l) => l.includes('giving up'))).toBe(true);
  });

  it('gives up after the configured number of retries on persistent 5xx', async () => {
    const { standIn, gh } = await setup();
    for (let i = 0; i < 10; i++) standIn.faults.push({ method: 'GET', status: 503, body: { message: 'Service Unavailable' } });
    const err = await thrown(gh.findOpenPull('hydrate/prod', 'main'));
    expect(err).toBeInstanceOf(HydrateError);
    expect(standIn.requests.length).toBe(4); // 1 attempt + 3 retries
  });

  it('never retries a 4xx that cannot succeed', async () => {
    const { standIn, gh } = await setup();
    standIn.faults.push({ method: 'POST', status: 404, body: { message: 'Not Found' } });
    await thrown(gh.upsertStickyComment(1, 'prod', 'x'));
    expect(standIn.requests.filter((r) => r.status === 404).length).toBe(1);
  });
});

describe('error mapping', () => {
  it('maps the "not permitted to create pull requests" 403 to the repository setting', async () => {
    const { standIn, gh } = await setup({ prCreationDisabled: true });
    const err = await thrown(gh.createOrUpdatePull(pr));
    expect(err).toBeInstanceOf(HydrateError);
    expect((err as HydrateError).diagnostics[0]!.message).toBe(ACTIONS_PR_NOT_PERMITTED);
    expect(err.message).toContain('Allow GitHub Actions to create and approve pull requests');
    expect(err.message).toContain('Settings → Actions → General');
    expect(standIn.requests.filter((r) => r.method === 'POST').length).toBe(1);
    expect(standIn.validationErrors).toEqual([]);
  });

  it('maps "Resource not accessible by integration" to the missing permission of each call', async () => {
    const { standIn, gh } = await setup();
    const { pull } = await gh.createOrUpdatePull(pr);
    const readOnly = await setup({ readOnly: true });
    readOnly.standIn.state.pulls.push({ ...standIn.state.pulls[0]! });
    const cases: [() => Promise<unknown>, string, string][] = [
      [() => readOnly.gh.createOrUpdatePull({ ...pr, body: 'changed' }), 'create or update the pull request', 'pull-requests: write'],
      [() => readOnly.gh.deleteBranch('hydrate/prod'), 'delete branch hydrate/prod', 'contents: write'],
      [() => readOnly.gh.addLabels(pull.number, ['x']), `add labels to #${pull.number}`, 'issues: write'],
      [() => readOnly.gh.upsertStickyComment(pull.number, 'prod', 'x'), `write the comment on #${pull.number}`, 'pull-requests: write']
    ];
    for (const [p, action, permission] of cases) {
      const err = await thrown(p());
      expect(err).toBeInstanceOf(HydrateError);
      expect((err as HydrateError).diagnostics[0]!.message).toBe(missingPermissionMessage(action, permission as 'contents: write'));
      expect(err.message).toContain(`permissions:\n  ${permission}`);
    }
    expect(readOnly.standIn.validationErrors).toEqual([]);
  });

  it('maps 401 to a bad token message that never contains the token', async () => {
    const wrong = 'ghp_WRONGtoken_0987654321';
    const { standIn, gh, logs } = await setup({}, wrong);
    const err = await thrown(gh.findOpenPull('hydrate/prod', 'main'));
    expect(err).toBeInstanceOf(HydrateError);
    expect(err.message).toContain(BAD_TOKEN_MESSAGE);
    expect(err.message).not.toContain(wrong);
    expect(JSON.stringify(logs)).not.toContain(wrong);
    expect(standIn.requests.length).toBe(1);
  });

  it('never leaks the token in an error or log even when the server echoes it', async () => {
    const { standIn, gh, logs } = await setup();
    standIn.faults.push({ method: 'POST', status: 400, body: { message: `Problems parsing JSON near ${TOKEN}` } });
    const err = await thrown(gh.createOrUpdatePull(pr));
    expect(err.message).toContain('Problems parsing JSON');
    expect(err.message).not.toContain(TOKEN);
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
  });
});

describe('GitHub Enterprise Server', () => {
  /**
   * A GHES host serves REST under /api/v3 and GraphQL at /api/graphql (GITHUB_API_URL is
   * https://HOST/api/v3): a proxy with only those two routes in front of the stand-in.
   */
  async function enterpriseHost(target: string): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const url = req.url ?? '';
      seen.push(`${req.method} ${url}`);
      const upstream = url.startsWith('/api/v3/') ? url.slice('/api/v3'.length) : url === '/api/graphql' ? '/graphql' : undefined;
      if (upstream === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
        return;
      }
      const fwd = httpRequest(`${target}${upstream}`, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(fwd);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('calls REST under GITHUB_API_URL (/api/v3) and GraphQL at /api/graphql', async () => {
    const standIn = await startGitHubStandIn({ token: TOKEN, branches: ['hydrate/prod'] });
    open.push(standIn);
    const host = await enterpriseHost(standIn.apiUrl);
    try {
      const gh = createGitHub({ token: TOKEN, apiUrl: `${host.url}/api/v3/`, owner: standIn.owner, repo: standIn.repo, retry: { retries: 0, minDelayMs: 5 }, pacingId: `test-${++instances}` });
      const { pull } = await gh.createOrUpdatePull(pr);
      await gh.upsertStickyComment(pull.number, 'ghes', 'body');
      expect(await gh.enableAutoMerge(pull.node_id, 'SQUASH')).toBeUndefined();
      expect(standIn.state.pulls[0]!.auto_merge).toBe('SQUASH');
      expect(standIn.state.comments.map((c) => c.issue_number)).toEqual([pull.number]);
      expect(host.seen.length).toBeGreaterThan(2);
      for (const call of host.seen) expect(call).toMatch(/^[A-Z]+ \/api\/(v3\/repos\/|v3\/user$|graphql$)/);
      expect(host.seen).toContain('POST /api/graphql');
    } finally {
      await host.close();
    }
  });
});
