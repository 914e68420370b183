/** A render split by groups of units, on tree listings (path → blob id). */
import { describe, expect, it } from '@jest/globals';
import { changedUnits, partChanges, type RenderSides } from '../../src/wet/groups.js';
import { INDEX_PATH, parseIndex, unitRecord, type WetIndex, type WetIndexUnit } from '../../src/formats/wet-index.js';

const unit = (env: string, digest: string, paths = [`c/${env}/a.yml`]): WetIndexUnit => ({ renderer: 'kubernetes', dir: `apps/${env}`, coordinates: { env }, output: `c/${env}`, paths, digest });
const index = (units: [string, WetIndexUnit][], extra: Partial<WetIndex> = {}): WetIndex => ({ version: 1, generator: 'g', units: unitRecord(units), ...extra });

describe('changedUnits', () => {
  it('finds units whose entry changed, that came or went, and whose files differ with the same entry (drift)', () => {
    const sides: RenderSides = {
      old: {
        index: index([['dev', unit('dev', '1')], ['qa', unit('qa', '1')], ['prod', unit('prod', '1')], ['gone', unit('gone', '1')]]),
        files: new Map([['c/dev/a.yml', 'b1'], ['c/qa/a.yml', 'hand-edited'], ['c/prod/a.yml', 'b3'], ['c/gone/a.yml', 'b4']])
      },
      next: {
        index: index([['dev', unit('dev', '2')], ['qa', unit('qa', '1')], ['prod', unit('prod', '1')], ['new', unit('new', '1')]]),
        files: new Map([['c/dev/a.yml', 'b1'], ['c/qa/a.yml', 'b2'], ['c/prod/a.yml', 'b3'], ['c/new/a.yml', 'b5']])
      }
    };
    expect(changedUnits(sides).map((u) => u.id)).toEqual(['dev', 'gone', 'new', 'qa']);
    expect(changedUnits(sides).find((u) => u.id === 'gone')!.coordinates).toEqual({ env: 'gone' });
  });
});

describe('partChanges', () => {
  it('takes only the part\'s files and entries from the render, the shared files too, and writes an index a reader accepts', () => {
    const sides: RenderSides = {
      old: {
        index: index([['dev', unit('dev', '1')], ['prod', unit('prod', '1')]], { dryCommit: 'old', shared: ['c/.gitattributes'] }),
        files: new Map([['c/dev/a.yml', 'd1'], ['c/prod/a.yml', 'p1'], ['c/.gitattributes', 's1'], ['README.md', 'r']])
      },
      next: {
        index: index([['dev', unit('dev', '2', ['c/dev/b.yml'])], ['prod', unit('prod', '2')]], { dryCommit: 'new', shared: ['c/.gitattributes'] }),
        files: new Map([['c/dev/b.yml', 'd2'], ['c/prod/a.yml', 'p2'], ['c/.gitattributes', 's2'], ['README.md', 'r']])
      }
    };
    const part = partChanges(sides, ['dev']);
    expect([...part.files].sort()).toEqual([['c/.gitattributes', 's2'], ['c/dev/a.yml', null], ['c/dev/b.yml', 'd2']]);
    const read = parseIndex(part.indexText, INDEX_PATH);
    expect(read.units['dev']!.digest).toBe('2');
    expect(read.units['dev']!.paths).toEqual(['c/dev/b.yml']);
    expect(read.units['prod']!.digest).toBe('1');
    expect(read.dryCommit).toBe('new');
    expect(JSON.parse(part.indexText)).toEqual(JSON.parse(JSON.stringify(part.index)));
  });

  it('drops the entry of a unit the render removed', () => {
    const sides: RenderSides = {
      old: { index: index([['dev', unit('dev', '1')], ['prod', unit('prod', '1')]]), files: new Map([['c/dev/a.yml', 'd1'], ['c/prod/a.yml', 'p1']]) },
      next: { index: index([['prod', unit('prod', '1')]]), files: new Map([['c/prod/a.yml', 'p1']]) }
    };
    const part = partChanges(sides, ['dev']);
    expect([...part.files]).toEqual([['c/dev/a.yml', null]]);
    expect(Object.keys(part.index.units)).toEqual(['prod']);
  });
});
