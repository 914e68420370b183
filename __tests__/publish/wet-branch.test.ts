import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkoutWetBranch, publishWetBranch, type PublishRequest } from '../../src/publish/wet-branch.js';
import { GitClient } from '../../src/adapters/git.js';
import { ConfigError, HydrateError } from '../../src/diagnostics.js';

const ENV = {
  PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Human',
  GIT_AUTHOR_EMAIL: 'human@example.com',
  GIT_COMMITTER_NAME: 'Human',
  GIT_COMMITTER_EMAIL: 'human@example.com',
  LC_ALL: 'C'
};

let tmp: string;
let remote: string;
let n = 0;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...ENV, HOME: tmp }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\n$/, '');
}

function tip(branch: string): string | undefined {
  try {
    return git(remote, 'rev-parse', '--verify', `refs/heads/${branch}`);
  } catch {
    return undefined;
  }
}

function show(ref: string, path: string): string {
  return git(remote, 'show', `${ref}:${path}`);
}

function workDir(): string {
  const d = join(tmp, `work-${n++}`);
  mkdirSync(d);
  return d;
}

function files(content: Record<string, string>): (dir: string) => Promise<boolean> {
  return async (dir) => {
    for (const [p, c] of Object.entries(content)) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
    return true;
  };
}

function request(over: Partial<PublishRequest>): PublishRequest {
  return {
    remoteUrl: remote,
    wetBranch: 'deployment',
    targetBranch: 'deployment',
    workDir: workDir(),
    author: { name: 'hydrate[bot]', email: 'hydrate@example.com' },
    message: 'Hydrate dry commit abc',
    trailers: { 'Hydrate-Dry-Repository': 'o/r', 'Hydrate-Dry-Commit': 'abc', 'Hydrate-Version': '0.1.0' },
    render: files({ 'apps/a.yaml': 'kind: A\n' }),
    backoffMs: 1,
    ...over
  };
}

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hydrate-publish-'));
  remote = join(tmp, 'remote.git');
  git(tmp, 'init', '--quiet', '--bare', remote);
});

afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('publishWetBranch (push mode)', () => {
  it('creates an orphan wet branch on the first run', async () => {
    const r = await publishWetBranch(request({}));
    expect(r.changed).toBe(true);
    expect(r.created).toBe(true);
    expect(r.parent).toBeUndefined();
    expect(tip('deployment')).toBe(r.commit);
    expect(git(remote, 'rev-list', '--count', 'deployment')).toBe('1');
    expect(git(remote, 'log', '-1', '--format=%P', 'deployment')).toBe('');
    expect(show('deployment', 'apps/a.yaml')).toBe('kind: A');
  });

  it('makes no commit when a rerun renders the same tree', async () => {
    const first = await publishWetBranch(request({}));
    const second = await publishWetBranch(request({}));
    expect(second.changed).toBe(false);
    expect(second.commit).toBeUndefined();
    expect(tip('deployment')).toBe(first.commit);
  });

  it('commits a change with trailers, the author, and mode 100644 for every file', async () => {
    const first = await publishWetBranch(request({}));
    const render = async (dir: string): Promise<boolean> => {
      writeFileSync(join(dir, 'apps/a.yaml'), 'kind: A\nchanged: true\n');
      writeFileSync(join(dir, 'run.sh'), 'echo\n');
      chmodSync(join(dir, 'run.sh'), 0o755);
      return true;
    };
    const r = await publishWetBranch(request({ render, trailers: { 'Hydrate-Dry-Commit': 'def', 'Hydrate-Version': '0.1.0' } }));
    expect(r.changed).toBe(true);
    expect(r.parent).toBe(first.commit);
    expect(git(remote, 'log', '-1', '--format=%P', 'deployment')).toBe(first.commit);
    const msg = git(remote, 'log', '-1', '--format=%B', 'deployment');
    expect(msg).toBe('Hydrate dry commit abc\n\nHydrate-Dry-Commit: def\nHydrate-Version: 0.1.0\n');
    expect(git(remote, 'log', '-1', '--format=%(trailers:key=Hydrate-Dry-Commit,valueonly)', 'deployment')).toBe('def\n');
    expect(git(remote, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', 'deployment')).toBe(
      'hydrate[bot] <hydrate@example.com>|hydrate[bot] <hydrate@example.com>'
    );
    const modes = git(remote, 'ls-tree', '-r', 'deployment')
      .split('\n')
      .map((l) => l.split(' ')[0]);
    expect(modes).toEqual(['100644', '100644']);
    expect(show('deployment', 'run.sh')).toBe('echo');
  });

  it('keeps files the render did not touch and removes the ones it deleted', async () => {
    await publishWetBranch(request({ render: files({ 'README.md': 'hi\n', 'apps/a.yaml': 'a\n', 'apps/b.yaml': 'b\n' }) }));
    await publishWetBranch(
      request({
        render: async (dir) => {
          rmSync(join(dir, 'apps/b.yaml'));
          return true;
        }
      })
    );
    expect(git(remote, 'ls-tree', '-r', '--name-only', 'deployment').split('\n')).toEqual(['README.md', 'apps/a.yaml']);
  });

  it('pushes nothing when render aborts or in a dry run', async () => {
    const aborted = await publishWetBranch(request({ render: async () => false }));
    expect(aborted.changed).toBe(false);
    expect(aborted.aborted).toBe(true);
    const dry = await publishWetBranch(request({ dryRun: true }));
    expect(dry.changed).toBe(true);
    expect(dry.commit).toBeUndefined();
    expect(tip('deployment')).toBeUndefined();
  });

  it('rejects a symbolic link in the render output and pushes nothing', async () => {
    await publishWetBranch(request({}));
    const before = tip('deployment');
    const render = async (dir: string): Promise<boolean> => {
      symlinkSync('/etc/passwd', join(dir, 'apps/link.yaml'));
      return true;
    };
    const err = await publishWetBranch(request({ render })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HydrateError);
    expect((err as HydrateError).diagnostics[0]?.file).toBe('apps/link.yaml');
    expect((err as Error).message).toMatch(/symbolic link/);
    expect(tip('deployment')).toBe(before);
  });
});

describe('publishWetBranch (pull-request mode)', () => {
  const pr = (over: Partial<PublishRequest>): PublishRequest => request({ targetBranch: 'hydrate/deployment', ...over });

  it('creates the PR branch from the wet branch and leaves the wet branch alone', async () => {
    const wet = await publishWetBranch(request({}));
    const r = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'kind: A\nv: 2\n' }) }));
    expect(r.changed).toBe(true);
    expect(r.created).toBe(true);
    expect(r.parent).toBe(wet.commit);
    expect(r.baseTip).toBe(wet.commit);
    expect(tip('deployment')).toBe(wet.commit);
    expect(tip('hydrate/deployment')).toBe(r.commit);
  });

  it('reports no change (and creates no branch) when the render equals the wet branch', async () => {
    await publishWetBranch(request({}));
    const r = await publishWetBranch(pr({}));
    expect(r.changed).toBe(false);
    expect(tip('hydrate/deployment')).toBeUndefined();
  });

  it('reports no change when an existing PR branch would equal the wet branch again', async () => {
    await publishWetBranch(request({}));
    await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 2\n' }) }));
    const before = tip('hydrate/deployment');
    const r = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'kind: A\n' }) }));
    expect(r.changed).toBe(false);
    expect(r.identicalToWet).toBe(true);
    expect(tip('hydrate/deployment')).toBe(before);
  });

  it('a rerun with the same render leaves an open PR branch alone but still reports it as needed', async () => {
    await publishWetBranch(request({}));
    const one = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 2\n' }) }));
    const again = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 2\n' }) }));
    expect(again.changed).toBe(true);
    expect(again.upToDate).toBe(true);
    expect(again.identicalToWet).toBe(false);
    expect(again.commit).toBeUndefined();
    expect(again.targetTip).toBe(one.commit);
    expect(tip('hydrate/deployment')).toBe(one.commit);
  });

  it('renders PR updates on top of the wet tip, so the previous state is what is deployed', async () => {
    await publishWetBranch(request({ render: files({ 'apps/a.yaml': 'wet\n' }) }));
    await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'pr\n' }) }));
    let seen = '';
    const r = await publishWetBranch(
      pr({
        render: async (dir) => {
          seen = readFileSync(join(dir, 'apps/a.yaml'), 'utf8');
          writeFileSync(join(dir, 'apps/a.yaml'), 'pr 2\n');
          return true;
        }
      })
    );
    expect(seen).toBe('wet\n');
    expect(r.changed).toBe(true);
    expect(show('hydrate/deployment', 'apps/a.yaml')).toBe('pr 2');
  });

  it('updates the PR branch in place: the old commit is an ancestor of the new one', async () => {
    await publishWetBranch(request({}));
    const one = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 2\n' }) }));
    const two = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 3\n' }) }));
    expect(two.changed).toBe(true);
    expect(two.created).toBe(false);
    expect(two.parent).toBe(one.commit);
    expect(() => git(remote, 'merge-base', '--is-ancestor', one.commit!, two.commit!)).not.toThrow();
    expect(show('hydrate/deployment', 'apps/a.yaml')).toBe('v: 3');
  });

  it('makes a merge commit [PR tip, wet tip] when the wet branch moved, with the fresh render as tree', async () => {
    await publishWetBranch(request({}));
    const one = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 2\n' }) }));
    // The wet branch moves on (another dry change was pushed directly).
    const wet2 = await publishWetBranch(request({ render: files({ 'apps/b.yaml': 'b\n' }) }));
    const two = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 3\n' }) }));
    expect(two.changed).toBe(true);
    expect(git(remote, 'log', '-1', '--format=%P', 'hydrate/deployment')).toBe(`${one.commit} ${wet2.commit}`);
    expect(show('hydrate/deployment', 'apps/a.yaml')).toBe('v: 3');
    expect(show('hydrate/deployment', 'apps/b.yaml')).toBe('b');
    // The PR now contains the wet tip, so its diff is only the fresh render.
    expect(git(remote, 'diff', '--name-only', 'deployment', 'hydrate/deployment')).toBe('apps/a.yaml');

    // A human commit on the wet branch is not "foreign" to the PR branch: it is merged in too.
    const clone = join(tmp, 'wet-human');
    git(tmp, 'clone', '--quiet', '--branch', 'deployment', remote, clone);
    writeFileSync(join(clone, 'README.md'), 'docs\n');
    git(clone, 'add', 'README.md');
    git(clone, 'commit', '--quiet', '-m', 'Docs');
    git(clone, 'push', '--quiet', 'origin', 'deployment');
    const three = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 4\n' }) }));
    expect(git(remote, 'log', '-1', '--format=%P', 'hydrate/deployment')).toBe(`${two.commit} ${tip('deployment')}`);
    expect(three.parent).toBe(two.commit);
    expect(show('hydrate/deployment', 'README.md')).toBe('docs');
  });

  it('refuses to overwrite a commit that hydrate did not make, and pushes nothing', async () => {
    await publishWetBranch(request({}));
    await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 2\n' }) }));
    const clone = join(tmp, 'human');
    git(tmp, 'clone', '--quiet', '--branch', 'hydrate/deployment', remote, clone);
    writeFileSync(join(clone, 'NOTE.md'), 'mine\n');
    git(clone, 'add', 'NOTE.md');
    git(clone, 'commit', '--quiet', '-m', 'Add a note');
    git(clone, 'push', '--quiet', 'origin', 'hydrate/deployment');
    const human = tip('hydrate/deployment')!;

    const err = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 3\n' }) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HydrateError);
    expect((err as Error).message).toContain(
      `branch hydrate/deployment has commits that hydrate did not make (${human.slice(0, 12)} by Human <human@example.com>: Add a note); hydrate will not overwrite them. Merge or remove them, or delete the branch.`
    );
    expect(tip('hydrate/deployment')).toBe(human);
  });

  it('restarts the PR branch from the wet branch after its PR was merged', async () => {
    await publishWetBranch(request({}));
    const old = await publishWetBranch(pr({ render: files({ 'apps/a.yaml': 'v: 2\n' }) }));
    // Someone squash-merges it with their own commit on the wet branch.
    const clone = join(tmp, 'merger');
    git(tmp, 'clone', '--quiet', '--branch', 'deployment', remote, clone);
    writeFileSync(join(clone, 'apps/a.yaml'), 'v: 2\n');
    git(clone, 'commit', '--quiet', '-am', 'Squash merge');
    git(clone, 'push', '--quiet', 'origin', 'deployment');
    const wetTip = tip('deployment')!;

    const r = await publishWetBranch(pr({ restartTarget: true, render: files({ 'apps/a.yaml': 'v: 4\n' }) }));
    expect(r.changed).toBe(true);
    expect(r.parent).toBe(wetTip);
    expect(git(remote, 'log', '-1', '--format=%P', 'hydrate/deployment')).toBe(wetTip);
    expect(() => git(remote, 'merge-base', '--is-ancestor', old.commit!, 'hydrate/deployment')).toThrow();
  });
});

describe('publishWetBranch under concurrency', () => {
  it('six racing runs all finish, lose no commit, and the tip holds the last push', async () => {
    await publishWetBranch(request({ render: files({ 'README.md': 'wet\n' }) }));
    const derived = (k: number): string => `derived: ${k * k}\n`;
    const runs = [1, 2, 3, 4, 5, 6].map((k) =>
      publishWetBranch(
        request({
          maxAttempts: 30,
          trailers: { 'Hydrate-Dry-Commit': String(k), 'Hydrate-Version': '0.1.0' },
          render: async (dir) => {
            await new Promise((r) => setTimeout(r, Math.random() * 20));
            writeFileSync(join(dir, 'dry.txt'), `${k}\n`);
            writeFileSync(join(dir, 'derived.txt'), derived(k));
            return true;
          }
        })
      )
    );
    const results = await Promise.all(runs);
    expect(results.every((r) => r.changed && r.commit)).toBe(true);
    expect(results.some((r) => r.attempts > 1)).toBe(true);
    const final = tip('deployment')!;
    // No commit lost: every pushed commit is on the branch's first-parent chain.
    const chain = git(remote, 'rev-list', '--first-parent', final).split('\n');
    expect(chain).toHaveLength(7);
    for (const r of results) expect(chain).toContain(r.commit);
    // The tip is the last push, and its tree is exactly what that run rendered.
    const last = results.find((r) => r.commit === final)!;
    const k = results.indexOf(last) + 1;
    expect(show('deployment', 'dry.txt')).toBe(String(k));
    expect(show('deployment', 'derived.txt')).toBe(derived(k).trimEnd());
    expect(show('deployment', 'README.md')).toBe('wet');
    // Each commit's parent is the commit pushed just before it.
    for (const r of results) expect(chain[chain.indexOf(r.commit!) + 1]).toBe(r.parent);
  });

  it('gives up with a clear error after maxAttempts rejected pushes', async () => {
    await publishWetBranch(request({}));
    let i = 0;
    const err = await publishWetBranch(
      request({
        maxAttempts: 2,
        render: async (dir) => {
          // Another writer moves the branch between every read and push.
          await publishWetBranch(request({ render: files({ 'other.txt': `${i++}\n` }) }));
          writeFileSync(join(dir, 'mine.txt'), 'x\n');
          return true;
        }
      })
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HydrateError);
    expect((err as Error).message).toMatch(/rejected 2 times.*gave up after 2 attempts/);
  });

  it('fails at once, with the reason, when the remote declines the push (no retries)', async () => {
    await publishWetBranch(request({}));
    const hook = join(remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "protected branch" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    let renders = 0;
    const err = await publishWetBranch(
      request({
        render: async (dir) => {
          renders++;
          writeFileSync(join(dir, 'b.yaml'), 'b\n');
          return true;
        }
      })
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HydrateError);
    expect((err as Error).message).toMatch(/the remote refused the push to deployment \(pre-receive hook declined\)/);
    expect(renders).toBe(1);
  });

  it('rejects invalid branch names and option-like remotes before running anything', async () => {
    for (const over of [{ targetBranch: 'bad..name' }, { wetBranch: '-x' }, { targetBranch: 'a b' }, { remoteUrl: '--upload-pack=touch /tmp/x' }]) {
      let renders = 0;
      const client = new GitClient();
      const err = await publishWetBranch(
        request({
          ...over,
          git: client,
          render: async () => {
            renders++;
            return true;
          }
        })
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect(renders).toBe(0);
      // Only name checks ran: nothing fetched, cloned or pushed.
      expect(client.calls.every((argv) => argv.includes('check-ref-format'))).toBe(true);
      client.dispose();
    }
    expect(git(remote, 'for-each-ref')).toBe('');
  });
});

describe('checkoutWetBranch', () => {
  it('checks out the tip of the wet branch read-only: nothing is committed or pushed', async () => {
    const published = await publishWetBranch(request({ render: files({ 'apps/a.yaml': 'kind: A\n', 'b/c.yaml': 'kind: C\n' }) }));
    const refsBefore = git(remote, 'for-each-ref');
    const client = new GitClient();
    try {
      const checkout = await checkoutWetBranch({ remoteUrl: remote, wetBranch: 'deployment', workDir: workDir(), git: client });
      expect(checkout.tip).toBe(published.commit);
      expect(readFileSync(join(checkout.dir, 'apps/a.yaml'), 'utf8')).toBe('kind: A\n');
      expect(readFileSync(join(checkout.dir, 'b/c.yaml'), 'utf8')).toBe('kind: C\n');
      expect(client.calls.some((argv) => argv.includes('push') || argv.includes('commit-tree'))).toBe(false);
    } finally {
      client.dispose();
    }
    expect(git(remote, 'for-each-ref')).toBe(refsBefore);
  });

  it('gives an empty directory and no tip when the wet branch does not exist yet', async () => {
    const checkout = await checkoutWetBranch({ remoteUrl: remote, wetBranch: 'deployment', workDir: workDir() });
    expect(checkout.tip).toBeUndefined();
    expect(readdirSync(checkout.dir)).toEqual([]);
    expect(git(remote, 'for-each-ref')).toBe('');
  });

  it('rejects an invalid branch name before touching the remote', async () => {
    await expect(checkoutWetBranch({ remoteUrl: remote, wetBranch: 'bad..name', workDir: workDir() })).rejects.toBeInstanceOf(ConfigError);
  });
});
