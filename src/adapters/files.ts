/**
 * FileReader over node:fs. The calls are synchronous behind the async port: a run reads
 * thousands of small dry files, and a synchronous read costs a fraction of a round trip
 * through the thread pool (the errors are the same).
 */
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { firstInvalidUtf8 } from '../dry/utf8.js';
import type { DirEntry, FileReader } from '../ports.js';

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): DirEntry['kind'] {
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'directory';
  return 'other';
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The byte offset of the first byte that is not part of well-formed UTF-8 (as for TextDecoder), or -1. */
export const invalidUtf8Offset = firstInvalidUtf8;

/** The text of a file that must be UTF-8; invalid bytes are an error naming the file and the offset, never U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new Error(`${path} is not valid UTF-8 (invalid byte at offset ${invalidUtf8Offset(bytes)}): dry files must be UTF-8 text`);
  }
}

export function createFileReader(): FileReader {
  return {
    readFile: async (path) => decodeUtf8(readFileSync(path), path),
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
