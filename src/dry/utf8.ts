/**
 * Strict UTF-8 decoding of dry files that are copied as text: a file that is not UTF-8 text is
 * reported (with the byte offset), never decoded with U+FFFD replacements.
 */

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= bytes.length) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** The text of `bytes`, or why it is not UTF-8 text (invalid bytes, or a NUL byte: a binary file). */
export function decodeUtf8Strict(bytes: Uint8Array): { text: string } | { problem: string } {
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) return { problem: `is not UTF-8 text (invalid byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at byte offset ${bad})` };
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { problem: `holds a NUL byte at byte offset ${nul} (a binary file)` };
  return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
}
