/** Input digests: sha256 over length-prefixed parts (hashing is pure computation). */
import { createHash } from 'node:crypto';

export function digestOf(parts: readonly string[]): string {
  // One update over the joined text: the same bytes as one update per part, without a native call for each.
  let text = '';
  for (const p of parts) text += `${Buffer.byteLength(p, 'utf8')}:${p}`;
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** sha256 of a file's bytes: how a file's content enters an input digest (text or not, never re-decoded). */
export function digestOfBytes(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
