/**
 * checkPortablePaths against the rules applied path by path and prefix by prefix, as first written
 * (the reference below): the same diagnostics in the same order, for any list of paths.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Diagnostic } from '../../src/diagnostics.js';
import { checkPortablePaths, segmentProblem } from '../../src/wet/portable-paths.js';

const RESERVED_CHARS = /[<>:"|?*\\]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Windows device names, reserved whatever the extension (`NUL.yml`, `con.tar.gz`). */
const RESERVED_NAME = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)$/i;

/** Why one path segment cannot be checked out on Windows or macOS, or undefined. */
function referenceSegmentProblem(segment: string): string | undefined {
  const reserved = RESERVED_CHARS.exec(segment);
  if (reserved) return `"${reserved[0]}" is reserved on Windows`;
  if (CONTROL.test(segment)) return 'it holds a control character';
  const stem = segment.split('.')[0]!;
  if (RESERVED_NAME.test(stem.trimEnd())) return `"${stem}" is a reserved device name on Windows`;
  if (/[. ]$/.test(segment)) return 'Windows drops a trailing dot or space';
  return undefined;
}

/** The key under which case-insensitive, normalisation-insensitive file systems see a path. */
function referencePortableKey(p: string): string {
  return p.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * Errors for wet paths that Windows or macOS cannot check out, or that would become one path
 * there; `unitOf` names the unit that writes a path (a per-resource path names its object:
 * `<Kind>.<name>.yml`).
 */
function referenceCheck(paths: readonly string[], unitOf: (path: string) => string | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const whose = (p: string): string => JSON.stringify(p);
  const error = (p: string, message: string): void => {
    const unit = unitOf(p);
    out.push({ severity: 'error', ...(unit ? { unit } : {}), message });
  };
  // Every path and every folder above it, under its portable key.
  const seen = new Map<string, string>();
  const reported = new Set<string>();
  for (const p of [...paths].sort()) {
    const segments = p.split('/');
    const bad = segments.map((s) => [s, referenceSegmentProblem(s)] as const).find(([, problem]) => problem !== undefined);
    if (bad) error(p, `wet path of ${whose(p)} cannot be checked out on Windows or macOS: segment ${JSON.stringify(bad[0])}: ${bad[1]}; rename the object or the output folder`);
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      const key = referencePortableKey(prefix);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, prefix);
      else if (first !== prefix) {
        // One error per colliding folder or file, at the shallowest level where the paths meet.
        if (!reported.has(key)) {
          reported.add(key);
          error(
            p,
            `wet path of ${whose(p)} and ${JSON.stringify(first)} differ only in letter case or Unicode normalisation (NFC/NFD): on Windows and macOS they are the same path; rename one of them`
          );
        }
        break;
      }
    }
  }
  return out;
}

describe('checkPortablePaths (property)', () => {
  const segment = fc.constantFrom('a', 'A', 'b', 'x.yml', 'X.yml', 'CON', 'con.yml', 'lpt1', 'COM\u00b9', 'é', 'e\u0301', '\u00c9', 'a.', 'a ', 'a:b', 'c\u0000', '_', 'Kind.n-1.yml', 'aux', 'nul.tar.gz', '.gitattributes', '');
  const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
  const unitOf = (p: string): string | undefined => (p.startsWith('a/') ? `kubernetes:${p.split('/')[1] ?? ''}` : undefined);

  it('gives the diagnostics of the reference, in its order', () => {
    fc.assert(
      fc.property(fc.array(path, { maxLength: 30 }), (paths) => {
        expect(checkPortablePaths(paths, unitOf)).toEqual(referenceCheck(paths, unitOf));
      }),
      { numRuns: 3000 }
    );
  });

  it('judges one segment as the reference does', () => {
    fc.assert(
      fc.property(fc.oneof(segment, fc.string({ maxLength: 8 }), fc.stringMatching(/^[A-Za-z0-9._ -]{0,8}$/)), (s) => {
        expect(segmentProblem(s)).toBe(referenceSegmentProblem(s));
      }),
      { numRuns: 3000 }
    );
  });
});
