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

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The byte offset of the first byte that does not start or continue a valid UTF-8 sequence
 * (overlong forms, surrogates and code points above U+10FFFF are invalid, as for TextDecoder);
 * -1 when every byte is valid.
 */
export function invalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

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
