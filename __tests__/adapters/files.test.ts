import { describe, it, expect } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { cmp } from '../../src/resources/resource.js';

describe('createFileReader', () => {
  it('reads files, lists directories with kinds, lstat and realpath', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hydrate-files-'));
    try {
      await mkdir(join(root, 'd'));
      await writeFile(join(root, 'a.txt'), 'héllo');
      await symlink(join(root, 'a.txt'), join(root, 'link'));
      const files = createFileReader();
      expect(await files.readFile(join(root, 'a.txt'))).toBe('héllo');
      expect(Array.from(await files.readFileBytes(join(root, 'a.txt')))).toEqual(Array.from(Buffer.from('héllo')));
      const entries = (await files.readDir(root)).sort((a, b) => cmp(a.name, b.name));
      expect(entries).toEqual([
        { name: 'a.txt', kind: 'file' },
        { name: 'd', kind: 'directory' },
        { name: 'link', kind: 'symlink' }
      ]);
      expect(await files.lstat(join(root, 'link'))).toMatchObject({ kind: 'symlink' });
      expect(await files.lstat(join(root, 'a.txt'))).toEqual({ kind: 'file', size: Buffer.byteLength('héllo') });
      expect(await files.lstat(join(root, 'missing'))).toBeUndefined();
      expect(await files.lstat(join(root, 'a.txt', 'below'))).toBeUndefined();
      expect(await files.realpath(join(root, 'link'))).toBe(await files.realpath(join(root, 'a.txt')));
      await expect(files.realpath(join(root, 'missing'))).rejects.toThrow();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
