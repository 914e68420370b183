import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtemp, mkdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInsideRepo, checkOutputPath, checkRelativePath, checkRepoPath } from '../../src/dry/path-safety.js';
import { nodeFileReader } from './fs-reader.js';

describe('checkRelativePath', () => {
  it('accepts safe relative paths', () => {
    expect(checkRelativePath('apps/web/clusters/eu-1', 'dir')).toBeUndefined();
    expect(checkRelativePath('a/.hidden/b_c.d', 'dir')).toBeUndefined();
  });

  it.each([
    ['', /is empty/],
    ['.', /repository root/],
    ['/etc/passwd', /absolute/],
    ['a/../b', /`\.\.`/],
    ['..', /`\.\.`/],
    ['a//b', /empty path segment/],
    ['a/', /empty path segment/],
    ['a\\b', /backslash/],
    ['a/./b', /`\.` segment/],
    ['a b/c', /characters outside/],
    ['a/$(x)', /characters outside/],
    ['a/é', /characters outside/]
  ])('rejects %j', (p, re) => {
    const message = checkRelativePath(p, 'unit directory');
    expect(message).toMatch(re);
    expect(message).toMatch(/^unit directory/);
  });
});

describe('checkInsideRepo', () => {
  let base: string;
  let repo: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'hydrate-safety-'));
    repo = join(base, 'repo');
    await mkdir(join(repo, 'a/b'), { recursive: true });
    await mkdir(join(base, 'outside'));
    await symlink(join(repo, 'a/b'), join(repo, 'inside-link'));
    await symlink(join(base, 'outside'), join(repo, 'outside-link'));
    await symlink('../../outside', join(repo, 'a/rel-out'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('accepts real paths and symlinks that stay inside', async () => {
    const files = nodeFileReader();
    expect(await checkInsideRepo(repo, join(repo, 'a/b'), files)).toBeUndefined();
    expect(await checkInsideRepo(repo, join(repo, 'inside-link'), files)).toBeUndefined();
    expect(await checkInsideRepo(repo, repo, files)).toBeUndefined();
  });

  it('rejects symlinks leading outside, absolute or relative', async () => {
    const files = nodeFileReader();
    expect(await checkInsideRepo(repo, join(repo, 'outside-link'), files)).toMatch(/outside the repository/);
    expect(await checkInsideRepo(repo, join(repo, 'a/rel-out'), files)).toMatch(/outside the repository/);
  });

  it('does not take a sibling with the same prefix for inside', async () => {
    await mkdir(join(base, 'repo-evil'), { recursive: true });
    expect(await checkInsideRepo(repo, join(base, 'repo-evil'), nodeFileReader())).toMatch(/outside the repository/);
  });

  it('reports a missing path', async () => {
    expect(await checkInsideRepo(repo, join(repo, 'nope'), nodeFileReader())).toMatch(/does not exist/);
  });
});

describe('.git is never a path Hydrate reads or writes', () => {
  it.each(['.git', 'a/.git/config', '.GIT/config', 'a/.Git', './.git/../.git'])('checkRelativePath refuses %j', (p) => {
    expect(checkRelativePath(p, 'path')).toMatch(/`\.git`|`\.` segment|`\.\.`|names `\.[gG]/);
  });

  it('keeps names that only start like .git', () => {
    expect(checkRelativePath('a/.gitkeep', 'path')).toBeUndefined();
    expect(checkRelativePath('a/.github/x', 'path')).toBeUndefined();
  });
});

describe('checkRepoPath', () => {
  let base: string;
  let repo: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'hydrate-repopath-'));
    repo = join(base, 'repo');
    await mkdir(join(repo, 'a/b'), { recursive: true });
    await mkdir(join(repo, '.git'), { recursive: true });
    await mkdir(join(base, 'outside'));
    await symlink(join(base, 'outside'), join(repo, 'out-link'));
    await symlink('out-link', join(repo, 'chain-1'));
    await symlink('.git', join(repo, 'git-link'));
    await symlink('../b', join(repo, 'a/inside-link'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('accepts paths inside the repository, symlinks within it, and missing paths', async () => {
    const files = nodeFileReader();
    expect(await checkRepoPath(repo, 'a/b', files, 'p')).toBeUndefined();
    expect(await checkRepoPath(repo, 'a/inside-link', files, 'p')).toBeUndefined();
    expect(await checkRepoPath(repo, 'a/missing/deeper', files, 'p')).toBeUndefined();
  });

  it.each([
    ['../outside', /`\.\.`/],
    ['/etc', /absolute/],
    ['.git/config', /names `\.git`/],
    ['out-link', /outside the repository/],
    ['chain-1', /outside the repository/],
    ['out-link/missing', /outside the repository/],
    ['git-link', /inside a `\.git` folder/],
    ['git-link/config', /inside a `\.git` folder/]
  ])('refuses %j', async (p, re) => {
    expect(await checkRepoPath(repo, p, nodeFileReader(), 'p')).toMatch(re);
  });
});

describe('checkOutputPath', () => {
  it.each([
    ['.github/workflows', /`\.github`/],
    ['.GitHub/x', /`\.GitHub`/],
    ['.gitattributes', /`\.gitattributes`/],
    ['.git/hooks', /`\.git`/],
    ['apps/.git', /`\.git`/],
    ['.hydrate', /index folder/],
    ['.HYDRATE/x', /index folder/]
  ])('refuses %j', (p, re) => {
    expect(checkOutputPath(p)).toMatch(re);
  });

  it('accepts ordinary folders, hidden ones included', () => {
    expect(checkOutputPath('clusters/eu/web')).toBeUndefined();
    expect(checkOutputPath('apps/.github')).toBeUndefined();
    expect(checkOutputPath('.config/x')).toBeUndefined();
  });
});
