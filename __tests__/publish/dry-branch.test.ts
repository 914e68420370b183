import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitDryEdits, dryBranchName, type DryCommitRequest } from '../../src/publish/dry-branch.js';
import { HydrateError } from '../../src/diagnostics.js';
import { GitClient } from '../../src/adapters/git.js';

let tmp: string;
let bare: string;
let base: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmp, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe']
  }).replace(/\n$/, '');
}

const KUSTOMIZATION = 'resources:\n  - ../../base\n# pinned by the dispatch\nimages:\n  - name: ghcr.io/acme/web\n    newTag: 1.0.0\n';
const EDIT = { path: 'apps/web/dev/kustomization.yaml', before: KUSTOMIZATION, after: KUSTOMIZATION.replace('1.0.0', '1.2.3') };

function request(over: Partial<DryCommitRequest> = {}): DryCommitRequest {
  const workDir = mkdtempSync(join(tmp, 'work-'));
  return {
    remoteUrl: bare,
    git: new GitClient({ home: workDir }),
    base: { branch: 'main', commit: base },
    targetBranch: 'main',
    edits: [EDIT],
    message: 'hydrate: pin ghcr.io/acme/web to 1.2.3 (image update from acme/web)',
    trailers: { 'Hydrate-Version': '0.1.0' },
    author: { name: 'hydrate-bot', email: 'bot@example.com' },
    workDir,
    ...over
  };
}

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hydrate-dry-branch-'));
  bare = join(tmp, 'dry.git');
  git(tmp, 'init', '-q', '--bare', bare);
  const clone = join(tmp, 'clone');
  mkdirSync(join(clone, 'apps/web/dev'), { recursive: true });
  git(clone, 'init', '-q');
  writeFileSync(join(clone, 'apps/web/dev/kustomization.yaml'), KUSTOMIZATION);
  writeFileSync(join(clone, 'run.sh'), '#!/bin/sh\n');
  git(clone, 'add', '-A');
  git(clone, 'update-index', '--chmod=+x', 'run.sh');
  git(clone, 'commit', '-q', '-m', 'dry: initial');
  git(clone, 'push', '-q', bare, 'HEAD:refs/heads/main');
  base = git(clone, 'rev-parse', 'HEAD');
});

afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('commitDryEdits', () => {
  it('push: commits exactly the edited file on the checked-out commit, with message and trailers, keeping other files and modes', async () => {
    const r = await commitDryEdits(request());
    expect(r).toMatchObject({ pushed: true, created: false });
    expect(git(bare, 'rev-parse', 'main')).toBe(r.commit);
    expect(git(bare, 'rev-parse', `${r.commit}^`)).toBe(base);
    expect(git(bare, 'diff', '--name-only', base, r.commit!)).toBe('apps/web/dev/kustomization.yaml');
    expect(git(bare, 'show', `main:${EDIT.path}`) + '\n').toBe(EDIT.after);
    expect(git(bare, 'ls-tree', 'main', 'run.sh')).toMatch(/^100755 /);
    const message = git(bare, 'log', '-1', '--format=%B', 'main');
    expect(message).toContain('image update from acme/web');
    expect(message).toContain('Hydrate-Version: 0.1.0');
    expect(git(bare, 'log', '-1', '--format=%an <%ae>', 'main')).toBe('hydrate-bot <bot@example.com>');
  });

  it('pull-request: pushes a branch of its own from the checked-out commit; the same edits again push nothing', async () => {
    const target = dryBranchName('hydrate/images', ['ghcr.io/acme/web', '1.2.3']);
    expect(target).toBe('hydrate/images/ghcr.io-acme-web-1.2.3');
    const first = await commitDryEdits(request({ targetBranch: target }));
    expect(first).toMatchObject({ pushed: true, created: true });
    expect(git(bare, 'rev-parse', 'main')).toBe(base);
    expect(git(bare, 'rev-parse', target)).toBe(first.commit);
    const again = await commitDryEdits(request({ targetBranch: target }));
    expect(again).toEqual({ pushed: false, commit: first.commit, created: false });
    expect(git(bare, 'rev-parse', target)).toBe(first.commit);
  });

  it('no change (the pins are already set): nothing pushed', async () => {
    const r = await commitDryEdits(request({ edits: [{ ...EDIT, after: EDIT.before }] }));
    expect(r).toEqual({ pushed: false, created: false });
    expect(git(bare, 'rev-parse', 'main')).toBe(base);
  });

  it('refuses when the branch moved since the checkout, or the file differs from the one planned on; nothing pushed', async () => {
    const moved = await commitDryEdits(request({ base: { branch: 'main', commit: 'f'.repeat(40) } })).catch((e: unknown) => e);
    expect(moved).toBeInstanceOf(HydrateError);
    expect((moved as Error).message).toMatch(/dry branch main moved since this run checked it out.*nothing was committed/);
    const stale = await commitDryEdits(request({ edits: [{ ...EDIT, before: 'other\n' }] })).catch((e: unknown) => e);
    expect((stale as HydrateError).diagnostics[0]).toMatchObject({ file: EDIT.path, message: expect.stringMatching(/differs in main/) });
    expect(git(bare, 'rev-parse', 'main')).toBe(base);
  });

  it('never writes an edit through a symlink of the base commit (out of its private tree)', async () => {
    const clone = join(tmp, 'linked');
    git(tmp, 'clone', '-q', bare, clone);
    const outside = join(tmp, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(clone, 'apps/link'));
    git(clone, 'add', '-A');
    git(clone, 'commit', '-q', '-m', 'a folder that is a symlink');
    git(clone, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
    const linked = git(bare, 'rev-parse', 'main');
    const edit = { path: 'apps/link/kustomization.yaml', before: '', after: 'planted\n' };
    await expect(commitDryEdits(request({ base: { branch: 'main', commit: linked }, edits: [edit] }))).rejects.toThrow(/through a symlink/);
    expect(readdirSync(outside)).toEqual([]);
    expect(git(bare, 'rev-parse', 'main')).toBe(linked);
  });

  it('refuses a path outside the repository, and a pull-request branch holding somebody else\'s commit', async () => {
    for (const p of ['../x', '/etc/passwd', '.git/config', 'a/../../b', '']) {
      await expect(commitDryEdits(request({ edits: [{ ...EDIT, path: p }] }))).rejects.toThrow(/outside the repository/);
    }
    const clone = join(tmp, 'human');
    git(tmp, 'clone', '-q', bare, clone);
    git(clone, 'commit', '-q', '--allow-empty', '-m', 'human work');
    git(clone, 'push', '-q', 'origin', 'HEAD:refs/heads/hydrate/images/web');
    const tip = git(bare, 'rev-parse', 'hydrate/images/web');
    await expect(commitDryEdits(request({ targetBranch: 'hydrate/images/web' }))).rejects.toThrow(/commits that hydrate did not make/);
    expect(git(bare, 'rev-parse', 'hydrate/images/web')).toBe(tip);
  });
});

describe('dryBranchName', () => {
  it('keeps a valid, short branch name whatever the text', () => {
    expect(dryBranchName('hydrate/promote', ['env=staging', 'to', 'env=prod'])).toBe('hydrate/promote/env-staging-to-env-prod');
    expect(dryBranchName('hydrate/images', ['ghcr.io/acme/web', 'sha256:abc'])).toBe('hydrate/images/ghcr.io-acme-web-sha256-abc');
    expect(dryBranchName('hydrate/images', ['..', '@{', 'x.lock'])).toBe('hydrate/images/x-lock');
    expect(dryBranchName('hydrate/images', ['a'.repeat(300)]).length).toBeLessThanOrEqual(115);
  });
});
