/** FileReader over node:fs/promises. */
import { lstat, readFile, readdir, realpath } from 'node:fs/promises';
import type { DirEntry, FileReader } from '../ports.js';

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): DirEntry['kind'] {
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'directory';
  return 'other';
}

export function createFileReader(): FileReader {
  return {
    readFile: (path) => readFile(path, 'utf8'),
    readFileBytes: async (path) => new Uint8Array(await readFile(path)),
    async readDir(path) {
      const entries = await readdir(path, { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, kind: kindOf(e) }));
    },
    async lstat(path) {
      try {
        const s = await lstat(path);
        return { kind: kindOf(s), size: s.size };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
          return undefined;
        }
        throw e;
      }
    },
    realpath: (path) => realpath(path)
  };
}
