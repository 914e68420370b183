import { describe, it, expect } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createFileReader, invalidUtf8Offset } from '../../src/adapters/files.js';
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

  it('refuses a file that is not UTF-8, naming it and the offset of the first invalid byte (no U+FFFD)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hydrate-files-'));
    try {
      await writeFile(join(root, 'ok.yaml'), Buffer.from('\ufeffa: é\n', 'utf8'));
      await writeFile(join(root, 'bad.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0xa9, 0x20, 0xff, 0x0a]));
      const files = createFileReader();
      // A BOM is kept, as before.
      expect(await files.readFile(join(root, 'ok.yaml'))).toBe('\ufeffa: é\n');
      await expect(files.readFile(join(root, 'bad.yaml'))).rejects.toThrow(`${join(root, 'bad.yaml')} is not valid UTF-8 (invalid byte at offset 6)`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('finds the first invalid byte where a fatal TextDecoder stops', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const valid = (b: Uint8Array): boolean => {
      try {
        fatal.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xa0, 0xed, 0x9f, 0xef, 0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }), (arr) => {
        const b = Uint8Array.from(arr);
        const at = invalidUtf8Offset(b);
        expect(at === -1).toBe(valid(b));
        if (at !== -1) expect(valid(b.subarray(0, at))).toBe(true);
      }),
      { numRuns: 5000 }
    );
  });
});
