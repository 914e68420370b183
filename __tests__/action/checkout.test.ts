/** The pull_request_target guard's view of the workspace, read from real git repositories. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readCheckout } from '../../src/action/checkout.js';
import { planForEvent } from '../../src/app/event-plan.js';

let dir: string;
let base: string;
let pr: string;
const env = { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@x', GIT_CONFIG_NOSYSTEM: '1' };
const git = (...args: string[]): string => execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd: dir, env, encoding: 'utf8' }).trim();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hydrate-checkout-'));
  git('init', '-q');
  await writeFile(path.join(dir, 'hydrate.yaml'), 'version: 1\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  base = git('rev-parse', 'HEAD');
  git('checkout', '-q', '-b', 'pr');
  await writeFile(path.join(dir, 'hydrate.yaml'), 'version: 1\nkubernetes: [{match: "x", output: "x"}]\n');
  await writeFile(path.join(dir, 'evil.yaml'), 'kind: x\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'pr');
  pr = git('rev-parse', 'HEAD');
  git('checkout', '-q', 'main');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const plan = (checkout: Awaited<ReturnType<typeof readCheckout>>) =>
  planForEvent(
    {
      mode: 'pull-request',
      dryRepository: { owner: 'acme', repo: 'platform' },
      allowPullRequestTargetHead: false,
      event: { name: 'pull_request_target', payload: { pull_request: { number: 3, head: { sha: pr, repo: { full_name: 'someone/platform' } } } } }
    },
    checkout
  );

describe('readCheckout', () => {
  it('a clean checkout of the base commit passes the guard; untracked files do not matter', async () => {
    await writeFile(path.join(dir, 'untracked.txt'), 'x\n');
    const c = await readCheckout(dir, base);
    expect(c).toEqual({ sha: base, parents: [] });
    expect(plan(c).refuse).toBeUndefined();
    await rm(path.join(dir, 'untracked.txt'));
  });

  it('the base checked out, then `git checkout <pr-sha> -- .`: HEAD is the base, the files are the PR\'s: refused', async () => {
    git('checkout', pr, '--', '.');
    try {
      const c = await readCheckout(dir, base);
      expect(c?.sha).toBe(base);
      expect(c?.differs).toMatch(/uncommitted changes to tracked files: evil\.yaml, hydrate\.yaml/);
      expect(plan(c).refuse).toMatch(/tracked files differ from the base commit/);
    } finally {
      git('reset', '-q', '--hard', base);
    }
  });

  it('a commit other than the base (e.g. the PR\'s files committed on top of it) is refused', async () => {
    git('checkout', '-q', '-b', 'other');
    git('checkout', pr, '--', '.');
    git('commit', '-q', '-m', 'pr files on top of the base');
    try {
      const c = await readCheckout(dir, base);
      expect(c?.parents).toEqual([base]);
      expect(c?.differs).toMatch(/files differ from the base commit [0-9a-f]{12}: evil\.yaml, hydrate\.yaml/);
      expect(plan(c).refuse).toBeDefined();
    } finally {
      git('checkout', '-q', 'main');
    }
  });

  it('a base commit the checkout does not have is refused too', async () => {
    expect((await readCheckout(dir, 'f'.repeat(40)))?.differs).toMatch(/cannot be read/);
  });

  it('is undefined outside a git checkout', async () => {
    expect(await readCheckout(os.tmpdir(), base)).toBeUndefined();
  });
});
