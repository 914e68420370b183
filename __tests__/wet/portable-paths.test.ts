import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkPortablePaths, portableKey, segmentProblem } from '../../src/wet/portable-paths.js';

const unitOf = (p: string): string => `kubernetes:${p.split('/').slice(0, 2).join('/')}`;

describe('wet paths Windows and macOS can check out', () => {
  it.each([
    ['ClusterRole.system:view.yml', /":" is reserved on Windows/],
    ['a<b', /"<" is reserved/],
    ['a"b', /reserved/],
    ['a|b', /reserved/],
    ['a?b', /reserved/],
    ['a*b', /reserved/],
    ['a\\b', /reserved/],
    ['CON', /reserved device name/],
    ['nul.yml', /reserved device name/],
    ['Com1.tar.gz', /reserved device name/],
    ['lpt9', /reserved device name/],
    ['name.', /trailing dot or space/],
    ['name ', /trailing dot or space/],
    ['a\u0001b', /control character/]
  ])('refuses the segment %j', (segment, why) => {
    expect(segmentProblem(segment)).toMatch(why);
  });

  it.each(['ConfigMap.web.yml', 'console', 'nullable.yml', 'COM10', '_cluster', '.hydrate', 'ü.yml'])('accepts %j', (segment) => {
    expect(segmentProblem(segment)).toBeUndefined();
  });

  it('names the unit and the path of a bad segment', () => {
    expect(checkPortablePaths(['apps/x/Role.a:b.yml'], unitOf)).toEqual([
      { severity: 'error', unit: 'kubernetes:apps/x', message: expect.stringContaining('wet path of "apps/x/Role.a:b.yml" cannot be checked out on Windows or macOS: segment "Role.a:b.yml"') }
    ]);
  });

  it('finds paths that differ only in case or NFC/NFD, also through a folder, once each', () => {
    const nfc = 'apps/caf\u00e9/ConfigMap.x.yml';
    const nfd = 'apps/cafe\u0301/ConfigMap.y.yml';
    const errors = checkPortablePaths(['apps/Web/ConfigMap.x.yml', 'apps/web/ConfigMap.x.yml', 'apps/web/ConfigMap.z.yml', nfc, nfd, 'apps/ok/a.yml'], unitOf);
    expect(errors.map((e) => e.message).sort()).toEqual([
      expect.stringMatching(/^wet path of "apps\/caf(e\u0301|\u00e9)\/ConfigMap\.[xy]\.yml" and "apps\/caf(e\u0301|\u00e9)" differ only in letter case or Unicode normalisation \(NFC\/NFD\)/),
      expect.stringMatching(/^wet path of "apps\/web\/ConfigMap\.x\.yml" and "apps\/Web" differ only in letter case or Unicode normalisation/)
    ]);
    expect(checkPortablePaths(['a/B.yml', 'a/b.yml/c'], unitOf)).toHaveLength(1);
    expect(checkPortablePaths(['apps/a/x.yml', 'apps/a/y.yml', 'apps/b/x.yml'], unitOf)).toEqual([]);
  });
});

describe('portableKey', () => {
  it('is the NFC form, upper- then lower-cased, in NFC again, for ASCII and any other text (property)', () => {
    const reference = (p: string): string => p.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('Kind.NAME.yml', 'e\u0301', '\u00c9', '\u0130', '\u00df', 'ﬁ', '\u017f')), (p) => {
        expect(portableKey(p)).toBe(reference(p));
      })
    );
  });
});
