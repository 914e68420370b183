/**
 * FileReader over node:fs. The calls are synchronous behind the async port: a run reads
 * thousands of small dry files, and a synchronous read costs a fraction of a round trip
 * through the thread pool (the errors are the same).
 */
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import type { DirEntry, FileReader } from '../ports.js';

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): DirEntry['kind'] {
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'directory';
  return 'other';
}

export function createFileReader(): FileReader {
  return {
    readFile: async (path) => readFileSync(path, 'utf8'),
    readFileBytes: async (path) => new Uint8Array(readFileSync(path)),
    async readDir(path) {
      const entries = readdirSync(path, { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, kind: kindOf(e) }));
    },
    async lstat(path) {
      try {
        const s = lstatSync(path);
        return { kind: kindOf(s), size: s.size };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
          return undefined;
        }
        throw e;
      }
    },
    realpath: async (path) => realpathSync.native(path)
  };
}
