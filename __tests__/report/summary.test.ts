import { describe, it, expect } from '@jest/globals';
import { buildFailureSummary, buildJobSummary, buildShardSummary, SUMMARY_MAX_BYTES } from '../../src/report/summary.js';
import type { ResourceChange } from '../../src/diff/wet-diff.js';
import { report, unitDiff, utf8Bytes } from './helpers.js';

const ctx = { marker: 'main', title: 'Rendered diff' };

/** The cells of a Markdown table row, split as GFM does (on `|` not escaped by a backslash). */
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
}

describe('the job summary unit table and failure list', () => {
  it('follow the diff, with unit ids escaped so that | and backticks cannot break the table', () => {
    const units = [
      { id: 'kubernetes:a|b', status: 'failed', resources: 0, errors: 1 },
      { id: 'kubernetes:`tick`<x>', status: 'rendered', resources: 3, errors: 0 }
    ];
    const body = buildJobSummary(report([unitDiff('kubernetes:a|b', [], { status: 'failed' })]), {
      ...ctx,
      units,
      failures: [{ unit: 'kubernetes:a|b', message: 'bad <yaml>' }],
      errors: ['kubernetes:a|b: bad <yaml>\nsecond line']
    });
    const rows = body.split('\n').filter((l) => l.startsWith('| <code>kubernetes:'));
    const table = rows.slice(-2);
    expect(table.map(cells)).toEqual([
      ['<code>kubernetes:a\\|b</code>', 'failed', '0', '1'],
      ['<code>kubernetes:\\`tick\\`&lt;x&gt;</code>', 'rendered', '3', '0']
    ]);
    expect(body).toContain('**Render failed:** bad &lt;yaml&gt;');
    const failed = body.slice(body.indexOf('## Hydrate failed'));
    expect(body.indexOf('### Units')).toBeLessThan(body.indexOf('## Hydrate failed'));
    expect(failed).toContain('- kubernetes:a\\|b: bad &lt;yaml&gt; ↵ second line');
    expect(failed).not.toMatch(/<yaml>/);
  });

  it('keep the whole summary within 1 MiB, however many units, errors and diffs there are', () => {
    const big: ResourceChange = { kind: 'added', id: { group: '', kind: 'ConfigMap', namespace: 'n', name: 'c' }, key: 'k', fields: [], unified: '+line\n'.repeat(20_000) };
    const r = report(Array.from({ length: 20 }, (_, i) => unitDiff(`u${String(i).padStart(2, '0')}`, [big])));
    const units = Array.from({ length: 30_000 }, (_, i) => ({ id: `kubernetes:apps/app-${i}/clusters/prod`, status: 'reused', resources: 12, errors: 0 }));
    const errors = Array.from({ length: 2_000 }, (_, i) => `kubernetes:apps/app-${i}: ${'x'.repeat(1_000)}`);
    const body = buildJobSummary(r, { ...ctx, units, errors });
    expect(utf8Bytes(body)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(body).toMatch(/\| … and \d+ more units \| \| \| \|/);
    expect(body).toMatch(/- … \d+ more errors/);
    expect(body).toContain('_Text diffs omitted to fit the size limit._');
    // Small enough: everything is there.
    const small = buildJobSummary(report([]), { ...ctx, units: units.slice(0, 3), errors: errors.slice(0, 2).map((e) => e.slice(0, 40)) });
    expect(small).not.toMatch(/more units|more errors/);
    expect(small.match(/^\| <code>/gm)).toHaveLength(3);
  });

  it('a failure before anything was rendered lists the errors alone', () => {
    expect(buildFailureSummary(['config: <bad>'])).toBe('## Hydrate failed\n\n- config: &lt;bad&gt;\n\n');
    const many = buildFailureSummary(Array.from({ length: 5_000 }, () => 'e'.repeat(2_000)));
    expect(utf8Bytes(many)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
  });

  it('a shard job summarises its units and names its file', () => {
    const body = buildShardSummary({
      index: 1,
      count: 2,
      file: 'hydrate-shard-1-of-2.json',
      units: [
        { id: 'kubernetes:a', status: 'rendered', resources: 2, errors: 0 },
        { id: 'kubernetes:b', status: 'failed', resources: 0, errors: 1 }
      ],
      errors: ['kubernetes:b: broken']
    });
    expect(body).toContain('## Hydrate shard 1/2\n\n2 unit(s): 1 rendered, 0 unchanged, 1 failed.');
    expect(body).toContain('<code>hydrate-shard-1-of-2.json</code>');
    expect(body).toContain('| <code>kubernetes:b</code> | failed | 0 | 1 |');
    expect(body).toContain('## Hydrate failed\n\n- kubernetes:b: broken');
  });
});
