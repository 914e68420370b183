/** Input digests: sha256 over length-prefixed parts (hashing is pure computation). */
import { createHash } from 'node:crypto';

export function digestOf(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(`${Buffer.byteLength(p, 'utf8')}:`);
    h.update(p, 'utf8');
  }
  return `sha256:${h.digest('hex')}`;
}

/** sha256 of a file's bytes: how a file's content enters an input digest (text or not, never re-decoded). */
export function digestOfBytes(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
