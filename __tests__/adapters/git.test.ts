import { describe, it, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitClient } from '../../src/adapters/git.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { checkoutPullRequestBase } from '../../src/adapters/dry-base.js';
import type { ProcessRunner, RunOptions } from '../../src/ports.js';

describe('GitClient on the process runner port', () => {
  it('runs git through the runner it is given, with a timeout and the token only in the environment', async () => {
    const seen: { command: string; args: readonly string[]; options: RunOptions | undefined }[] = [];
    const runner: ProcessRunner = {
      run: async (command, args, options) => {
        seen.push({ command, args, options });
        return { exitCode: 0, stdout: 'abc\trefs/heads/deployment\n', stderr: '' };
      },
      which: async () => undefined
    };
    const client = new GitClient({ runner, token: 's3cret-token', remoteUrl: 'https://example.invalid/o/r.git', timeoutMs: 1234 });
    try {
      const listed = await client.listHeads('https://example.invalid/o/r.git', ['deployment']);
      expect(listed).toEqual({ ok: true, heads: new Map([['deployment', 'abc']]) });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.command).toBe('git');
      expect(seen[0]!.args).toContain('ls-remote');
      expect(seen[0]!.options?.timeoutMs).toBe(1234);
      expect(seen[0]!.args.join(' ')).not.toContain('s3cret-token');
      expect(Object.values(seen[0]!.options?.env ?? {}).some((v) => v.includes('AUTHORIZATION: basic'))).toBe(true);
    } finally {
      client.dispose();
    }
  });

  it('reports a missing git the way every other program is reported', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hydrate-nogit-'));
    const saved = process.env['PATH'];
    process.env['PATH'] = empty;
    const client = new GitClient({ runner: createProcessRunner() });
    try {
      const err = await client.isValidBranchName('main').catch((e: unknown) => e);
      expect((err as Error).message).toBe('git: program not found on PATH');
    } finally {
      process.env['PATH'] = saved;
      client.dispose();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('kills a git call that outlives its timeout', async () => {
    const client = new GitClient({ timeoutMs: 1 });
    try {
      const err = await client.run(['-c', 'alias.slow=!sleep 5', 'slow']).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/git timed out after 1 ms and was killed/);
    } finally {
      client.dispose();
    }
  });
});

describe('checkoutPullRequestBase (the user checkout through git verbs)', () => {
  const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@x' };
  const sh = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8' }).trim();

  it("checks out the merge commit's first parent beside the workspace, and removes it on dispose", async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hydrate-base-test-'));
    try {
      const ws = join(tmp, 'ws');
      sh(tmp, 'init', '--quiet', '-b', 'main', ws);
      writeFileSync(join(ws, 'a.txt'), 'base\n');
      sh(ws, 'add', '.');
      sh(ws, 'commit', '--quiet', '-m', 'base');
      const base = sh(ws, 'rev-parse', 'HEAD');
      sh(ws, 'checkout', '--quiet', '-b', 'feature');
      writeFileSync(join(ws, 'a.txt'), 'feature\n');
      sh(ws, 'commit', '--quiet', '-am', 'feature');
      const head = sh(ws, 'rev-parse', 'HEAD');
      sh(ws, 'checkout', '--quiet', 'main');
      writeFileSync(join(ws, 'b.txt'), 'main\n');
      sh(ws, 'add', '.');
      sh(ws, 'commit', '--quiet', '-m', 'main moves');
      const mainTip = sh(ws, 'rev-parse', 'HEAD');
      sh(ws, 'merge', '--quiet', '--no-ff', '-m', 'merge', 'feature');
      const checkout = await checkoutPullRequestBase(ws, { base, head }, tmp);
      expect(checkout.sha).toBe(mainTip);
      expect(readFileSync(join(checkout.dir, 'a.txt'), 'utf8')).toBe('base\n');
      expect(readFileSync(join(checkout.dir, 'b.txt'), 'utf8')).toBe('main\n');
      await checkout.dispose();
      expect(existsSync(checkout.dir)).toBe(false);
      expect(sh(ws, 'worktree', 'list').split('\n')).toHaveLength(1);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
