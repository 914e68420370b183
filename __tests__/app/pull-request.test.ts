/**
 * The pull-request policy against an in-memory GitHub: one look-up of the pull requests per run,
 * a fresh PR branch after a merge, closing when nothing changed, labels and auto-merge only when
 * missing, and no second read of what the look-up already returned.
 */
import { describe, expect, it } from '@jest/globals';
import { CLEAN_STATUS, reviewerRequest, type AutoMergeResult, type CreateOrUpdatePullInput, type GitHub, type MergeMethod, type Pull, type PullLookup } from '../../src/adapters/github.js';
import {
  coordinateLabels,
  diffOfUnits,
  planGroupedPulls,
  planPullRequest,
  pullGroupOf,
  retireUngrouped,
  settleGroups,
  settlePullRequest,
  type PullRequestContent
} from '../../src/app/pull-request.js';
import { branchNameProblem } from '../../src/action/names.js';
import { wetCommitMessage } from '../../src/app/publish.js';
import type { DiffReport } from '../../src/diff/wet-diff.js';
import { silentLogger } from '../../src/ports.js';

/** GitHub as a list of pull requests, labels and comments; every call is recorded by name. */
class InMemoryGitHub implements GitHub {
  calls: string[] = [];
  pulls: Pull[] = [];
  comments = new Map<number, { marker: string; body: string }>();
  deletedBranches: string[] = [];
  autoMergeWarning: string | undefined;

  pull(fields: Partial<Omit<Pull, 'head' | 'base'>> & { number: number; head: string; base: string; state: Pull['state'] }): Pull {
    const p: Pull = {
      node_id: `PR_${fields.number}`, html_url: `https://github.test/pull/${fields.number}`, merged_at: null, closed_at: null,
      title: '', body: '', draft: false, labels: [], user: { login: 'hydrate[bot]' }, auto_merge: null,
      ...fields, head: { ref: fields.head }, base: { ref: fields.base }
    };
    this.pulls.push(p);
    return p;
  }

  private matching(head: string, base: string): Pull[] {
    return this.pulls.filter((p) => p.head.ref === head && p.base.ref === base).sort((a, b) => b.number - a.number);
  }
  async findOpenPull(head: string, base: string): Promise<Pull | undefined> {
    this.calls.push('findOpenPull');
    return this.matching(head, base).find((p) => p.state === 'open');
  }
  async findLatestPull(head: string, base: string): Promise<Pull | undefined> {
    this.calls.push('findLatestPull');
    return this.matching(head, base)[0];
  }
  async lookUpPulls(head: string, base: string): Promise<PullLookup> {
    this.calls.push('lookUpPulls');
    const all = this.matching(head, base);
    const open = all.find((p) => p.state === 'open');
    return { ...(open ? { open: { ...open } } : {}), ...(all[0] ? { latest: { ...all[0] } } : {}) };
  }
  async createOrUpdatePull(input: CreateOrUpdatePullInput, known?: Pull | null): Promise<{ pull: Pull; created: boolean }> {
    this.calls.push(known === undefined ? 'createOrUpdatePull(list)' : 'createOrUpdatePull');
    const existing = known === undefined ? await this.findOpenPull(input.head, input.base) : known;
    if (existing) {
      const stored = this.pulls.find((p) => p.number === existing.number)!;
      Object.assign(stored, { title: input.title, body: input.body });
      return { pull: { ...existing, title: input.title, body: input.body }, created: false };
    }
    const number = Math.max(0, ...this.pulls.map((p) => p.number)) + 1;
    return { pull: { ...this.pull({ number, head: input.head, base: input.base, state: 'open', title: input.title, body: input.body }) }, created: true };
  }
  async closePull(number: number): Promise<void> {
    this.calls.push(`closePull #${number}`);
    this.pulls.find((p) => p.number === number)!.state = 'closed';
  }
  async deleteBranch(branch: string): Promise<void> {
    this.calls.push(`deleteBranch ${branch}`);
    this.deletedBranches.push(branch);
  }
  async addLabels(number: number, labels: readonly string[], have?: readonly string[]): Promise<string[]> {
    this.calls.push(have === undefined ? 'addLabels(read)' : 'addLabels');
    const stored = this.pulls.find((p) => p.number === number)!;
    const missing = labels.filter((l) => !(have ?? stored.labels).includes(l));
    stored.labels.push(...missing);
    return missing;
  }
  async upsertStickyComment(issueNumber: number, marker: string, body: string): Promise<{ id: number; action: 'created' | 'updated' | 'unchanged' }> {
    this.calls.push(`comment #${issueNumber}`);
    const had = this.comments.get(issueNumber);
    this.comments.set(issueNumber, { marker, body });
    return { id: issueNumber, action: had ? 'updated' : 'created' };
  }
  async identity(): Promise<string> {
    return 'hydrate[bot]';
  }
  async enableAutoMerge(pullNodeId: string, method: MergeMethod): Promise<string | undefined> {
    this.calls.push(`enableAutoMerge ${pullNodeId} ${method}`);
    return this.autoMergeWarning;
  }
  /** As the adapter does: enable, and merge when GitHub answers that the pull request is clean. */
  async autoMerge(pull: Pick<Pull, 'number' | 'node_id' | 'head'>, method: MergeMethod): Promise<AutoMergeResult> {
    const warning = await this.enableAutoMerge(pull.node_id, method);
    if (warning === undefined) return { kind: 'enabled' };
    if (!CLEAN_STATUS.test(warning)) return { kind: 'warning', message: warning };
    return { kind: 'merged', sha: await this.mergePull(pull.number, method) };
  }
  async mergePull(number: number, method: MergeMethod): Promise<string> {
    this.calls.push(`mergePull #${number} ${method}`);
    const stored = this.pulls.find((p) => p.number === number)!;
    Object.assign(stored, { state: 'closed', merged_at: '2026-01-02T00:00:00Z' });
    return 'f'.repeat(40);
  }
  async listOpenPulls(base: string): Promise<Pull[]> {
    this.calls.push('listOpenPulls');
    return this.pulls.filter((p) => p.state === 'open' && p.base.ref === base).sort((a, b) => b.number - a.number).map((p) => ({ ...p }));
  }
  async requestReviewers(number: number, reviewers: readonly string[]): Promise<string | undefined> {
    const { users, teams } = reviewerRequest(reviewers);
    this.calls.push(`requestReviewers #${number} ${[...users, ...teams.map((t) => `team:${t}`)].join(',')}`);
    return undefined;
  }
}

const HEAD = 'hydrate/deployment';
const BASE = 'deployment';
const content = (over: Partial<PullRequestContent> = {}): PullRequestContent => ({
  changed: true,
  title: 'Hydrate: render',
  body: 'Rendered.\n',
  labels: ['hydrate', 'env/prod'],
  comment: { marker: 'm', body: 'the diff' },
  autoMerge: () => false,
  ...over
});

describe('the pull-request policy', () => {
  it('opens a pull request with one look-up, adds its labels without reading it again, and comments', async () => {
    const gh = new InMemoryGitHub();
    const plan = await planPullRequest(gh, HEAD, BASE);
    expect(plan.restartTarget).toBe(false);
    const out = await settlePullRequest(gh, plan, content(), silentLogger);
    expect(out).toMatchObject({ kind: 'open', created: true, pull: { number: 1 } });
    expect(gh.calls).toEqual(['lookUpPulls', 'createOrUpdatePull', 'addLabels', 'comment #1']);
    expect(gh.pulls[0]!.labels).toEqual(['hydrate', 'env/prod']);
    expect(gh.comments.get(1)).toEqual({ marker: 'm', body: 'the diff' });
  });

  it('updates the open pull request found by the look-up and adds only the labels it lacks', async () => {
    const gh = new InMemoryGitHub();
    gh.pull({ number: 3, head: HEAD, base: BASE, state: 'open', labels: ['hydrate'] });
    const plan = await planPullRequest(gh, HEAD, BASE);
    const out = await settlePullRequest(gh, plan, content({ title: 'new title' }), silentLogger);
    expect(out).toMatchObject({ kind: 'open', created: false, pull: { number: 3, title: 'new title' } });
    expect(gh.calls.filter((c) => /find|lookUp|list|read/.test(c))).toEqual(['lookUpPulls']);
    expect(gh.pulls[0]!.labels).toEqual(['hydrate', 'env/prod']);
  });

  it('restarts the PR branch when the newest pull request was merged and none is open', async () => {
    const gh = new InMemoryGitHub();
    gh.pull({ number: 2, head: HEAD, base: BASE, state: 'closed', merged_at: '2026-01-01T00:00:00Z' });
    const plan = await planPullRequest(gh, HEAD, BASE);
    expect(plan.restartTarget).toBe(true);
    const out = await settlePullRequest(gh, plan, content(), silentLogger);
    expect(out).toMatchObject({ kind: 'open', created: true, pull: { number: 3 } });
  });

  it('does not restart the PR branch while a pull request is open, nor for another branch\'s pull requests', async () => {
    const gh = new InMemoryGitHub();
    gh.pull({ number: 1, head: HEAD, base: BASE, state: 'open' });
    gh.pull({ number: 4, head: 'other', base: BASE, state: 'closed' });
    expect((await planPullRequest(gh, HEAD, BASE)).restartTarget).toBe(false);
    const lonely = new InMemoryGitHub();
    lonely.pull({ number: 4, head: 'other', base: BASE, state: 'closed' });
    expect((await planPullRequest(lonely, HEAD, BASE)).restartTarget).toBe(false);
  });

  it('closes the open pull request and deletes its branch when the render changed nothing', async () => {
    const gh = new InMemoryGitHub();
    gh.pull({ number: 7, head: HEAD, base: BASE, state: 'open' });
    const logged: string[] = [];
    const plan = await planPullRequest(gh, HEAD, BASE);
    const out = await settlePullRequest(gh, plan, content({ changed: false }), { ...silentLogger, info: (m) => logged.push(m) });
    expect(out).toEqual({ kind: 'closed', number: 7 });
    expect(gh.calls).toEqual(['lookUpPulls', 'closePull #7', `deleteBranch ${HEAD}`]);
    expect(logged).toEqual(['the wet branch already matches the render: closing #7']);
  });

  it('writes nothing when the render changed nothing and no pull request is open', async () => {
    const gh = new InMemoryGitHub();
    const plan = await planPullRequest(gh, HEAD, BASE);
    expect(await settlePullRequest(gh, plan, content({ changed: false }), silentLogger)).toEqual({ kind: 'none' });
    expect(gh.calls).toEqual(['lookUpPulls']);
  });

  it('enables auto-merge when asked, returns its warning, and leaves it alone when already on', async () => {
    const gh = new InMemoryGitHub();
    gh.autoMergeWarning = 'Could not enable auto-merge: not allowed';
    const out = await settlePullRequest(gh, await planPullRequest(gh, HEAD, BASE), content({ autoMerge: () => true, labels: [] }), silentLogger);
    expect(out).toMatchObject({ kind: 'open', warnings: ['Could not enable auto-merge: not allowed'] });
    expect(gh.calls).toContain('enableAutoMerge PR_1 MERGE');

    const on = new InMemoryGitHub();
    on.pull({ number: 1, head: HEAD, base: BASE, state: 'open', auto_merge: { merge_method: 'squash' } });
    let asked = false;
    const again = await settlePullRequest(on, await planPullRequest(on, HEAD, BASE), content({ autoMerge: () => (asked = true), labels: [] }), silentLogger);
    expect(again).toMatchObject({ kind: 'open', warnings: [] });
    expect(asked).toBe(false);
    expect(on.calls.some((c) => c.startsWith('enableAutoMerge'))).toBe(false);
  });
});

describe('what the pull request and the wet commit say', () => {
  it('labels a pull request with each named coordinate of the changed units, once and sorted', () => {
    const diff = { units: [{ coordinates: { env: 'prod', app: 'web' } }, { coordinates: { env: 'dev' } }, { coordinates: { env: 'prod' } }] } as unknown as DiffReport;
    expect(coordinateLabels(['env'], diff)).toEqual(['env/dev', 'env/prod']);
    expect(coordinateLabels([], diff)).toEqual([]);
  });

  it('fills the commit message template with the dry repository and commit', () => {
    const sha = '0123456789abcdef0123456789abcdef01234567';
    expect(wetCommitMessage('render {dry-repository}@{dry-sha-short} ({dry-sha})', 'o/dry', sha)).toBe(`render o/dry@0123456 (${sha})`);
  });
});

describe('auto-merge that merges, reviewers and the body note', () => {
  it('merges with the merge method when GitHub refuses auto-merge because the pull request is clean', async () => {
    const gh = new InMemoryGitHub();
    gh.autoMergeWarning = 'Could not enable auto-merge: Pull request Pull request is in clean status';
    const out = await settlePullRequest(gh, await planPullRequest(gh, HEAD, BASE), content({ autoMerge: () => true, labels: [], mergeMethod: 'SQUASH' }), silentLogger);
    expect(out).toMatchObject({ kind: 'open', merged: true, warnings: [] });
    expect(gh.calls.slice(-2)).toEqual(['enableAutoMerge PR_1 SQUASH', 'mergePull #1 SQUASH']);
    expect(gh.pulls[0]!.merged_at).not.toBeNull();
  });

  it('leaves auto-merge enabled (no merge) while a required check is pending', async () => {
    const gh = new InMemoryGitHub();
    const out = await settlePullRequest(gh, await planPullRequest(gh, HEAD, BASE), content({ autoMerge: () => true, labels: [] }), silentLogger);
    expect(out).toMatchObject({ kind: 'open', warnings: [] });
    expect(out).not.toHaveProperty('merged');
    expect(gh.calls.some((c) => c.startsWith('mergePull'))).toBe(false);
  });

  it('requests reviewers (bots left out, teams apart) on a new pull request only, and adds the body note', async () => {
    const gh = new InMemoryGitHub();
    const withReviewers = content({ reviewers: ['alice', 'acme/platform', 'dependabot[bot]', '@bob'], bodyNote: 'image update from acme/web' });
    const out = await settlePullRequest(gh, await planPullRequest(gh, HEAD, BASE), withReviewers, silentLogger);
    expect(gh.calls).toContain('requestReviewers #1 alice,bob,team:platform');
    expect(out.kind === 'open' && out.pull.body).toBe('Rendered.\n\nimage update from acme/web\n');
    const calls = gh.calls.length;
    await settlePullRequest(gh, await planPullRequest(gh, HEAD, BASE), withReviewers, silentLogger);
    expect(gh.calls.slice(calls).some((c) => c.startsWith('requestReviewers'))).toBe(false);
  });

  it('requests nobody when every reviewer is a bot', () => {
    expect(reviewerRequest(['github-actions[bot]', 'renovate[bot]'])).toEqual({ users: [], teams: [] });
  });
});

describe('a pull request per group', () => {
  const diffOf = (units: { unit: string; env?: string; added?: number }[]): DiffReport =>
    ({
      units: units.map((u) => ({ unit: u.unit, renderer: 'kubernetes', coordinates: u.env ? { env: u.env } : {}, status: 'ok', added: u.added ?? 1, changed: 0, removed: 0, byKind: {}, resources: [], files: { added: [], changed: [], removed: [] } })),
      totals: { added: 0, changed: 0, removed: 0, units: units.length, failed: 0 },
      changed: true
    }) as unknown as DiffReport;

  it('names a group branch from the PR branch and the coordinates, always a valid and distinct branch name', () => {
    expect(pullGroupOf(HEAD, ['env'], { env: 'prod', app: 'web' })).toEqual({ label: 'env=prod', labels: ['env/prod'], branch: 'hydrate/deployment/env-prod' });
    expect(pullGroupOf(HEAD, ['cluster', 'env'], { env: 'prod', cluster: 'east' })).toEqual({
      label: 'cluster=east, env=prod',
      labels: ['cluster/east', 'env/prod'],
      branch: 'hydrate/deployment/cluster-east/env-prod'
    });
    expect(pullGroupOf(HEAD, ['env'], {})).toEqual({ label: 'env=(none)', labels: [], branch: 'hydrate/deployment/no-env' });
    const hostile = ['a b', 'a/b', 'a-b', '..', '.hidden', 'x.lock', 'a~b^c:d', '-', 'é', 'a..b', 'a@{1}', 'tail.', 'a.-'];
    const branches = hostile.map((v) => pullGroupOf(HEAD, ['env'], { env: v }).branch);
    for (const b of branches) expect([b, branchNameProblem(b)]).toEqual([b, undefined]);
    expect(new Set(branches).size).toBe(hostile.length);
    expect(branches[2]).toBe('hydrate/deployment/env-a-b');
  });

  it('limits a group\'s diff to its units, with totals of those units', () => {
    const d = diffOfUnits(diffOf([{ unit: 'a', env: 'dev', added: 2 }, { unit: 'b', env: 'prod', added: 5 }]), ['b']);
    expect(d.units.map((u) => u.unit)).toEqual(['b']);
    expect(d.totals).toMatchObject({ units: 1, added: 5 });
  });

  it('lists the open pull requests once, opens one per changed group, and closes an open group that no longer differs', async () => {
    const gh = new InMemoryGitHub();
    gh.pull({ number: 1, head: `${HEAD}/env-qa`, base: BASE, state: 'open' });
    gh.pull({ number: 2, head: `${HEAD}/env-prod`, base: BASE, state: 'open', labels: ['hydrate'] });
    gh.pull({ number: 3, head: 'someone-else', base: BASE, state: 'open' });
    gh.pull({ number: 4, head: `${HEAD}/env-dev`, base: 'other-wet', state: 'open' });
    const plan = await planGroupedPulls(gh, HEAD, BASE);
    expect([...plan.open.keys()].sort()).toEqual([`${HEAD}/env-prod`, `${HEAD}/env-qa`]);
    const groups = [
      { branch: `${HEAD}/env-dev`, content: content({ title: 'dev', labels: ['hydrate', 'env/dev'], autoMerge: () => true, reviewers: ['alice'] }) },
      { branch: `${HEAD}/env-prod`, content: content({ title: 'prod', labels: ['hydrate', 'env/prod'], reviewers: ['alice'] }) }
    ];
    const out = await settleGroups(gh, plan, groups, silentLogger);
    expect(out.map((o) => [o.branch, o.outcome.kind])).toEqual([[`${HEAD}/env-dev`, 'open'], [`${HEAD}/env-prod`, 'open'], [`${HEAD}/env-qa`, 'closed']]);
    const dev = gh.pulls.find((p) => p.head.ref === `${HEAD}/env-dev` && p.base.ref === BASE)!;
    expect(dev).toMatchObject({ number: 5, title: 'dev', labels: ['hydrate', 'env/dev'] });
    // One listing; no second read of any pull request; reviewers on the new one only; auto-merge on dev only.
    expect(gh.calls).toEqual([
      'listOpenPulls',
      'createOrUpdatePull', 'requestReviewers #5 alice', 'addLabels', 'comment #5', 'enableAutoMerge PR_5 MERGE',
      'createOrUpdatePull', 'addLabels', 'comment #2',
      'closePull #1', `deleteBranch ${HEAD}/env-qa`
    ]);
  });

  it('closes the pull request of the ungrouped PR branch (its branch would block the group branches)', async () => {
    const gh = new InMemoryGitHub();
    gh.pull({ number: 9, head: HEAD, base: BASE, state: 'open' });
    const plan = await planGroupedPulls(gh, HEAD, BASE);
    expect(plan.open.size).toBe(0);
    expect(await retireUngrouped(gh, plan, silentLogger)).toBe(9);
    expect(gh.calls).toEqual(['listOpenPulls', 'closePull #9', `deleteBranch ${HEAD}`]);
    const none = new InMemoryGitHub();
    expect(await retireUngrouped(none, await planGroupedPulls(none, HEAD, BASE), silentLogger)).toBeUndefined();
    expect(none.calls).toEqual(['listOpenPulls']);
  });
});

describe('closing a group that no longer differs', () => {
  it('leaves open a pull request under the PR branch that someone else opened', async () => {
    const gh = new InMemoryGitHub();
    gh.pull({ number: 1, head: `${HEAD}/env-qa`, base: BASE, state: 'open', user: { login: 'mallory' } });
    gh.pull({ number: 2, head: `${HEAD}/env-dev`, base: BASE, state: 'open' });
    const out = await settleGroups(gh, await planGroupedPulls(gh, HEAD, BASE), [], silentLogger);
    expect(out).toEqual([{ branch: `${HEAD}/env-dev`, outcome: { kind: 'closed', number: 2 } }]);
    expect(gh.calls).toEqual(['listOpenPulls', 'closePull #2', `deleteBranch ${HEAD}/env-dev`]);
  });
});
