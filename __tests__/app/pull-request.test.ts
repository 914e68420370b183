/**
 * The pull-request policy against an in-memory GitHub: one look-up of the pull requests per run,
 * a fresh PR branch after a merge, closing when nothing changed, labels and auto-merge only when
 * missing, and no second read of what the look-up already returned.
 */
import { describe, expect, it } from '@jest/globals';
import type { CreateOrUpdatePullInput, GitHub, MergeMethod, Pull, PullLookup } from '../../src/adapters/github.js';
import { coordinateLabels, planPullRequest, settlePullRequest, type PullRequestContent } from '../../src/app/pull-request.js';
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
    expect(gh.calls).toContain('enableAutoMerge PR_1 SQUASH');

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
