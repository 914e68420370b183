import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { buildComment, COMMENT_MAX_BYTES, COMMENT_MAX_CHARS } from '../../src/report/comment.js';
import { buildJobSummary, SUMMARY_MAX_BYTES } from '../../src/report/summary.js';
import type { ResourceChange } from '../../src/diff/wet-diff.js';
import { report, structure, unitDiff, utf8Bytes } from './helpers.js';

const CHUNKS = ['a', 'spec: x', '😀', '漢字テスト', '```', '<details>', '</details>', '\n', ' ', '|', 'é', '`', '-', '+'];
const text = fc.array(fc.constantFrom(...CHUNKS), { minLength: 1, maxLength: 30 }).map((a) => a.join(''));
const bigText = fc.tuple(text, fc.integer({ min: 1, max: 3000 })).map(([s, n]) => s.repeat(n));

const resourceWith = (fields: { minLength: number; maxLength: number }): fc.Arbitrary<ResourceChange> =>
  fc
    .record({
      kind: fc.constantFrom('added' as const, 'changed' as const, 'removed' as const),
      name: text,
      fields: fc.array(fc.record({ path: text, from: text, to: text }), fields),
      unified: bigText
    })
    .map((r) => ({
      kind: r.kind,
      id: { group: 'apps', kind: 'Deployment', namespace: 'ns', name: r.name },
      key: `apps/Deployment/ns/${r.name}`,
      fields: r.fields,
      unified: r.unified
    }));
const resource = resourceWith({ minLength: 0, maxLength: 4 });

const reportArb = fc
  .array(fc.tuple(text, fc.array(resource, { maxLength: 4 }), fc.boolean()), { minLength: 1, maxLength: 120 })
  .map((units) =>
    report(
      units.map(([name, resources, failed], i) =>
        unitDiff(`kubernetes:${String(i).padStart(4, '0')}/${name}`, failed ? [] : resources, failed ? { status: 'failed' } : {})
      )
    )
  );

/** Reports that do not fit a comment even without their text diffs: many units, each with many field changes. */
const overflowingReportArb = fc
  .array(fc.tuple(text, fc.array(resourceWith({ minLength: 4, maxLength: 4 }), { minLength: 2, maxLength: 4 })), { minLength: 60, maxLength: 120 })
  .map((units) => report(units.map(([name, resources], i) => unitDiff(`kubernetes:${String(i).padStart(4, '0')}/${name}`, resources))));

const ctx = { marker: 'main', title: 'Rendered diff ✨', dryCommit: 'abc123', wetBranch: 'wet', summaryUrl: 'https://example.test/run/1' };

function checkBody(body: string, unitCount: number, overflowText: RegExp): void {
  const s = structure(body);
  expect(s.openFence).toBe(false);
  expect(s.nestingError).toBe(false);
  expect(s.opened).toBe(s.closed);
  const m = overflowText.exec(body);
  if (s.opened < unitCount) {
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(unitCount - s.opened);
  } else {
    expect(m).toBeNull();
  }
}

describe('buildComment', () => {
  it('renders the marker, commit, table, field bullets and diff fences', () => {
    const r = report([
      unitDiff('kubernetes:apps/web', [
        {
          kind: 'changed',
          id: { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'api' },
          key: 'apps/Deployment/web/api',
          fields: [{ path: 'spec.template.spec.containers[web].image', from: 'nginx:1.25', to: 'nginx:1.27' }],
          unified: '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n'
        }
      ], { coordinates: { env: 'prod' } })
    ]);
    const body = buildComment(r, { marker: 'main', title: 'Hydrate', dryRepository: 'o/r', dryCommit: 'deadbeef', wetBranch: 'wet' });
    expect(body.startsWith('<!-- hydrate:main -->\n')).toBe(true);
    expect(body).toContain('## Hydrate');
    expect(body).toContain('commit <code>deadbeef</code>');
    expect(body).toContain('removed · in 1 unit.\n\n| Unit | Added | Changed | Removed | Status |\n|---|---:|---:|---:|---|\n| <code>kubernetes:apps/web</code> | 0 | 1 | 0 | ok |\n\n<details>');
    expect(body).toContain('<code>env=prod</code>');
    expect(body).toContain(
      '- <code>spec.template.spec.containers\\[web\\].image</code>: <code>nginx:1.25</code> → <code>nginx:1.27</code>'
    );
    expect(body).toContain('```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n```');
    expect(body).not.toContain('not shown');
  });

  it('lists deletions first: deleted units, then units losing objects, and removed objects first in a unit', () => {
    const change = (kind: ResourceChange['kind'], name: string): ResourceChange => ({
      kind,
      id: { group: '', kind: 'ConfigMap', namespace: 'n', name },
      key: `/ConfigMap/n/${name}`,
      fields: [],
      unified: ''
    });
    const r = report([
      unitDiff('kubernetes:a-changed', [change('changed', 'c1')]),
      unitDiff('kubernetes:b-mixed', [change('added', 'a1'), change('changed', 'c2'), change('removed', 'r1')]),
      unitDiff('kubernetes:c-new', [change('added', 'a2')], { status: 'new' }),
      unitDiff('kubernetes:d-gone', [change('removed', 'r2')], { status: 'deleted' })
    ]);
    const body = buildComment(r, { marker: 'main', title: 'Hydrate' });
    const rows = [...body.matchAll(/^\| <code>(kubernetes:[a-z-]+)<\/code>/gm)].map((m) => m[1]);
    expect(rows).toEqual(['kubernetes:d-gone', 'kubernetes:b-mixed', 'kubernetes:a-changed', 'kubernetes:c-new']);
    const sections = [...body.matchAll(/<summary><code>(kubernetes:[a-z-]+)<\/code>/g)].map((m) => m[1]);
    expect(sections).toEqual(rows);
    const mixed = body.slice(body.indexOf('<summary><code>kubernetes:b-mixed'));
    expect(mixed.indexOf('r1')).toBeLessThan(mixed.indexOf('a1'));
    expect(mixed.indexOf('a1')).toBeLessThan(mixed.indexOf('c2'));
  });

  it('uses a longer fence when the diff contains backticks', () => {
    const r = report([
      unitDiff('u', [
        { kind: 'added', id: { group: '', kind: 'ConfigMap', namespace: '', name: 'c' }, key: 'k', fields: [], unified: '+a: "```"\n+b: ````\n' }
      ])
    ]);
    const body = buildComment(r, ctx);
    expect(body).toContain('`````diff\n+a: "```"\n+b: ````\n`````');
    expect(structure(body).openFence).toBe(false);
  });

  it('shows failed units in the table and their messages, escaped', () => {
    const r = report([unitDiff('kubernetes:a', [], { status: 'failed' })]);
    const body = buildComment(r, { ...ctx, failures: [{ unit: 'kubernetes:a', message: 'bad <script> at x.yaml:3' }, { unit: 'kubernetes:b', message: 'boom' }] });
    expect(body).toContain('| <code>kubernetes:a</code> | – | – | – | ❌ failed |');
    expect(body).toContain('| <code>kubernetes:b</code> | – | – | – | ❌ failed |');
    expect(body).toContain('bad &lt;script&gt; at x.yaml:3');
    expect(body).not.toContain('<script>');
  });

  it('cuts table rows when even the table does not fit', () => {
    const long = 'x'.repeat(300);
    const r = report(Array.from({ length: 2000 }, (_, i) => unitDiff(`kubernetes:${String(i).padStart(5, '0')}-${long}`, [], { status: 'failed' })));
    const body = buildComment(r, ctx);
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(utf8Bytes(body)).toBeLessThanOrEqual(COMMENT_MAX_BYTES);
    const m = /\| … and (\d+) more units \|/.exec(body);
    expect(m).not.toBeNull();
    const rows = body.split('\n').filter((l) => l.startsWith('| <code>kubernetes:')).length;
    expect(rows + Number(m![1])).toBe(2000);
    expect(body).toContain('2000 more units not shown: the full diff is in the job summary ([open the job summary](https://example.test/run/1))');
  });

  it('stays within both limits for huge multi-byte diffs, cutting only between sections (property)', () => {
    let truncated = 0;
    let complete = 0;
    fc.assert(
      // Reports of every size, and as many that cannot fit, so that both paths are taken whatever the seed.
      fc.property(fc.oneof(reportArb, overflowingReportArb), (r) => {
        const body = buildComment(r, ctx);
        expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
        expect(utf8Bytes(body)).toBeLessThanOrEqual(COMMENT_MAX_BYTES);
        expect(body.startsWith('<!-- hydrate:main -->\n## Rendered diff ✨\n')).toBe(true);
        expect(body).toContain('| Unit | Added | Changed | Removed | Status |');
        expect(body).toContain(` in ${r.units.length} unit${r.units.length === 1 ? '' : 's'}`);
        checkBody(body, r.units.length, /… (\d+) more units? not shown: the full diff is in the job summary/);
        expect(buildComment(r, ctx)).toBe(body);
        if (body.includes('not shown: the full diff')) truncated++;
        else complete++;
      }),
      { numRuns: 40 }
    );
    // the generator exercises both paths
    expect(truncated).toBeGreaterThan(0);
    expect(complete).toBeGreaterThan(0);
  });

  it('truncates a huge diff and says so', () => {
    const big: ResourceChange = {
      kind: 'changed',
      id: { group: '', kind: 'ConfigMap', namespace: 'n', name: 'c' },
      key: 'k',
      fields: [],
      unified: '+😀漢字\n'.repeat(20000)
    };
    const r = report(Array.from({ length: 10 }, (_, i) => unitDiff(`u${i}`, [big])));
    const body = buildComment(r, ctx);
    expect(utf8Bytes(body)).toBeLessThanOrEqual(COMMENT_MAX_BYTES);
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    // compact sections (fields only) still fit, so every unit gets a section without its text diff
    expect(structure(body).opened).toBe(10);
    expect(body).toContain('Text diffs omitted');
  });
});

describe('buildJobSummary', () => {
  it('stays within 1 MiB, never cuts inside a section, and is deterministic (property)', () => {
    let maxBytes = 0;
    fc.assert(
      fc.property(reportArb, (r) => {
        const body = buildJobSummary(r, ctx);
        expect(utf8Bytes(body)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
        expect(body.startsWith('<!-- hydrate:main -->')).toBe(true);
        checkBody(body, r.units.length, /… (\d+) more units? not shown: the diff is larger than the job summary limit/);
        expect(buildJobSummary(r, ctx)).toBe(body);
        maxBytes = Math.max(maxBytes, utf8Bytes(body));
      }),
      { numRuns: 25 }
    );
    expect(maxBytes).toBeGreaterThan(COMMENT_MAX_BYTES);
  });

  it('holds more than the comment does', () => {
    const big: ResourceChange = { kind: 'added', id: { group: '', kind: 'ConfigMap', namespace: 'n', name: 'c' }, key: 'k', fields: [], unified: '+line\n'.repeat(5000) };
    const r = report(Array.from({ length: 20 }, (_, i) => unitDiff(`u${String(i).padStart(2, '0')}`, [big])));
    const summary = buildJobSummary(r, ctx);
    const comment = buildComment(r, ctx);
    expect((summary.match(/\+line/g) ?? []).length).toBe(100000);
    expect((comment.match(/\+line/g) ?? []).length).toBeLessThan(100000);
  });
});
