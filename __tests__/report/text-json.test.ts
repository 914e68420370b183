import { describe, it, expect } from '@jest/globals';
import { formatDiffText } from '../../src/report/text.js';
import { diffToJson, renderReport } from '../../src/report/json-report.js';
import type { HydrateOutcome } from '../../src/pipeline/hydrate.js';
import { buildJobSummary, SUMMARY_MAX_BYTES } from '../../src/report/summary.js';
import type { ResourceChange } from '../../src/diff/wet-diff.js';
import { report, structure, unitDiff, utf8Bytes } from './helpers.js';

const change = (kind: ResourceChange['kind'], name: string, fields: ResourceChange['fields'] = []): ResourceChange => ({
  kind,
  id: { group: kind === 'changed' ? 'apps' : '', kind: kind === 'changed' ? 'Deployment' : 'ConfigMap', namespace: 'web', name },
  key: name,
  fields,
  unified: ''
});

const sample = report([
  unitDiff('kubernetes:apps/web', [
    change('added', 'three'),
    change('removed', 'two'),
    change('changed', 'api', [{ path: 'spec.replicas', from: '2', to: '3' }, { path: 'metadata.labels.x', to: 'a\nb' }])
  ], { coordinates: { z: '1', a: '2' }, byKind: { 'Deployment.apps': { added: 0, changed: 1, removed: 0 }, ConfigMap: { added: 1, changed: 0, removed: 1 } }, files: { added: ['web/README.md'], changed: [], removed: [] } }),
  unitDiff('kubernetes:apps/x', [], { status: 'failed' })
]);

describe('formatDiffText', () => {
  it('lists resources with +/~/- and totals', () => {
    expect(formatDiffText(sample)).toBe(
      [
        '! 1 object will be deleted from the cluster: ConfigMap web/two',
        '',
        'kubernetes:apps/web: +1 ~1 -1',
        '  + ConfigMap web/three',
        '  - ConfigMap web/two',
        '  ~ Deployment.apps web/api',
        '      spec.replicas: 2 → 3',
        '      metadata.labels.x: (none) → a↵b',
        '  + file web/README.md',
        'kubernetes:apps/x: render failed (previous output kept)',
        'Total: objects 1 added, 1 changed, 1 removed; in 2 units (1 failed)',
        ''
      ].join('\n')
    );
  });

  it('says when nothing changed', () => {
    expect(formatDiffText(report([]))).toBe('No changes.\n');
  });
});

describe('diffToJson', () => {
  it('has a stable key order and sorted maps', () => {
    const j = diffToJson(sample);
    expect(Object.keys(j)).toEqual(['changed', 'totals', 'units']);
    const u = (j['units'] as Record<string, unknown>[])[0]!;
    expect(Object.keys(u)).toEqual(['unit', 'renderer', 'coordinates', 'status', 'added', 'changed', 'removed', 'byKind', 'resources', 'files']);
    expect(Object.keys(u['coordinates'] as object)).toEqual(['a', 'z']);
    expect(Object.keys(u['byKind'] as object)).toEqual(['ConfigMap', 'Deployment.apps']);
    expect(JSON.stringify(diffToJson(sample))).toBe(JSON.stringify(j));
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});

describe('buildJobSummary truncation', () => {
  it('falls back to compact sections (no text diffs) past 1 MiB', () => {
    const big: ResourceChange = { ...change('added', 'c'), unified: '+漢字😀\n'.repeat(20000) };
    const r = report(Array.from({ length: 8 }, (_, i) => unitDiff(`u${i}`, [big])));
    const body = buildJobSummary(r, { marker: 'm', title: 't' });
    expect(utf8Bytes(body)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    const s = structure(body);
    expect(s.opened).toBe(s.closed);
    expect(s.openFence).toBe(false);
    expect(s.opened).toBe(8);
    // full sections come first, then compact ones
    const full = (body.match(/```diff/g) ?? []).length;
    expect(full).toBeGreaterThan(0);
    expect(full).toBeLessThan(8);
  });

  it('drops whole sections that do not fit even in compact form and says how many', () => {
    const v = '😀'.repeat(199);
    const fields = Array.from({ length: 20 }, (_, i) => ({ path: `data.k${i}`, from: v, to: v }));
    const resources = Array.from({ length: 100 }, (_, i) => ({ ...change('changed', `r${i}`, fields), unified: '+x\n' }));
    const r = report([unitDiff('u0', [change('added', 'small')]), unitDiff('u1', resources), unitDiff('u2', [change('added', 'small')])]);
    const body = buildJobSummary(r, { marker: 'm', title: 't' });
    expect(utf8Bytes(body)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(structure(body).opened).toBe(1);
    expect(body).toContain('… 2 more units not shown: the diff is larger than the job summary limit');
    expect(body.endsWith('job summary limit; run `hydrate diff` locally for all of it\n')).toBe(true);
    // the table still names every unit
    expect(body).toContain('| <code>u2</code> |');
  });
});

describe('renderReport', () => {
  const outcome = {
    ok: false,
    diagnostics: [
      { severity: 'error', unit: 'kubernetes:apps/web', message: 'broken' },
      { severity: 'warning', message: 'slow' },
      { severity: 'info', message: 'note' }
    ],
    units: [],
    results: [],
    diff: sample
  } as unknown as HydrateOutcome;

  it('keeps errors and warnings apart, with the diff and what was written', () => {
    const r = renderReport(outcome, '/out');
    expect(Object.keys(r)).toEqual(['ok', 'out', 'units', 'errors', 'warnings', 'written', 'diff']);
    expect(r['errors']).toEqual([outcome.diagnostics[0]]);
    expect(r['warnings']).toEqual(outcome.diagnostics.slice(1));
    expect(r['written']).toBeNull();
    expect(r['diff']).toEqual(diffToJson(sample));
  });

  it('names no output directory when there is none (the action)', () => {
    expect(Object.keys(renderReport(outcome))).toEqual(['ok', 'units', 'errors', 'warnings', 'written', 'diff']);
  });
});
