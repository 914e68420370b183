/**
 * FileIds.known: the ids a git listing vouches for, answered without reading or an asynchronous
 * step, are the ids `id` gives (from the listing, and from content), for files and folders; a
 * path git does not vouch for is left to `id`.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { readGitListing } from '../../src/adapters/git-files.js';
import { createFileIds } from '../../src/pipeline/file-ids.js';
import { silentLogger } from '../../src/ports.js';
import { put } from './dry-fixture.js';

const git = (root: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd: root, encoding: 'utf8' });

describe('FileIds.known', () => {
  it('gives the id `id` gives, or nothing, for every path of a checkout with clean, modified, untracked and symlinked files', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'hydrate-known-'));
    try {
      await put(root, 'bases/web/kustomization.yaml', 'resources:\n  - deployment.yaml\n');
      await put(root, 'bases/web/deployment.yaml', 'kind: Deployment\n');
      await put(root, 'apps/a/kustomization.yaml', 'resources:\n  - ../../bases/web\n');
      await put(root, 'apps/b/cm.yaml', 'kind: ConfigMap\n');
      await put(root, 'apps/c/nested/deep/cm.yaml', 'kind: ConfigMap\n');
      git(root, 'init', '-q');
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', 'dry');
      await writeFile(path.join(root, 'apps/b/cm.yaml'), 'kind: ConfigMap\nedited: true\n');
      await put(root, 'apps/c/nested/untracked.yaml', 'kind: Secret\n');
      await symlink('../b', path.join(root, 'apps/link'));
      const exec = createProcessRunner();
      const listing = await readGitListing(exec, root, silentLogger);
      expect(listing).toBeDefined();
      const paths = [
        '', 'apps', 'apps/a', 'apps/a/kustomization.yaml', 'apps/b', 'apps/b/cm.yaml', 'apps/c', 'apps/c/nested', 'apps/c/nested/deep',
        'apps/c/nested/deep/cm.yaml', 'apps/c/nested/untracked.yaml', 'apps/link', 'bases', 'bases/web', 'bases/web/deployment.yaml', 'missing', 'apps/missing.yaml'
      ];
      // Asked first, before `id` computed anything, and again after.
      const fromGit = createFileIds(createFileReader(), root, listing);
      const early = paths.map((p) => fromGit.known!(p));
      const ids = await Promise.all(paths.map((p) => fromGit.id(p)));
      const fromContent = createFileIds(createFileReader(), root);
      expect(await Promise.all(paths.map((p) => fromContent.id(p)))).toEqual(ids);
      paths.forEach((p, i) => {
        if (early[i] !== undefined) expect([p, early[i]]).toEqual([p, ids[i]]);
        expect([p, fromGit.known!(p) ?? ids[i]]).toEqual([p, ids[i]]);
      });
      // Git vouches for the clean files and the folders holding only clean files…
      const vouched = paths.filter((_, i) => early[i] !== undefined);
      expect(vouched).toEqual(['apps/a', 'apps/a/kustomization.yaml', 'apps/c/nested/deep', 'apps/c/nested/deep/cm.yaml', 'bases', 'bases/web', 'bases/web/deployment.yaml']);
      // …and not for what was edited, is untracked or a symlink, nor for folders holding them.
      for (const p of ['', 'apps', 'apps/b', 'apps/b/cm.yaml', 'apps/c', 'apps/c/nested', 'apps/c/nested/untracked.yaml', 'apps/link']) expect(vouched).not.toContain(p);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
