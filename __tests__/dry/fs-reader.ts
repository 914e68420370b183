/** A FileReader over node:fs for the discovery tests (kept here so the tests depend only on the port). */
import { lstat, readFile, readdir, realpath } from 'node:fs/promises';
import type { DirEntry, FileReader } from '../../src/ports.js';

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): DirEntry['kind'] {
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isDirectory()) return 'directory';
  if (s.isFile()) return 'file';
  return 'other';
}

export function nodeFileReader(): FileReader & { readDirCalls: string[] } {
  const readDirCalls: string[] = [];
  return {
    readDirCalls,
    readFile: (p) => readFile(p, 'utf8'),
    readFileBytes: async (p) => new Uint8Array(await readFile(p)),
    async readDir(p) {
      readDirCalls.push(p);
      const entries = await readdir(p, { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, kind: kindOf(e) }));
    },
    async lstat(p) {
      try {
        const s = await lstat(p);
        return { kind: kindOf(s), size: s.size };
      } catch {
        return undefined;
      }
    },
    realpath: (p) => realpath(p)
  };
}
