import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { digestOf } from '../../src/render/digest.js';

describe('digestOf', () => {
  it('is sha256 over each part prefixed by its UTF-8 length and a colon (property)', () => {
    const reference = (parts: readonly string[]): string => {
      const h = createHash('sha256');
      for (const p of parts) {
        h.update(`${Buffer.byteLength(p, 'utf8')}:`);
        h.update(p, 'utf8');
      }
      return `sha256:${h.digest('hex')}`;
    };
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', ':', '1:', 'é', '\u0000')), { maxLength: 12 }), (parts) => {
        expect(digestOf(parts)).toBe(reference(parts));
      })
    );
  });

  it('keeps the parts apart: moving a boundary changes the digest', () => {
    expect(digestOf(['ab', 'c'])).not.toBe(digestOf(['a', 'bc']));
    expect(digestOf(['1:a'])).not.toBe(digestOf(['', 'a']));
  });
});
