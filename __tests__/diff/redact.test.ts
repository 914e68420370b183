import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { diffWet, type WetSnapshot } from '../../src/diff/wet-diff.js';
import { redactPair, REDACTED, REDACTED_CHANGED } from '../../src/diff/redact.js';
import { buildComment } from '../../src/report/comment.js';
import { buildJobSummary } from '../../src/report/summary.js';
import { formatDiffText } from '../../src/report/text.js';
import { diffToJson } from '../../src/report/json-report.js';
import { toCanonicalYaml, toCanonicalYamlStream } from '../../src/resources/yaml.js';
import type { WetIndex } from '../../src/formats/wet-index.js';

const U = 'kubernetes:apps/web';
const CANARIES = ['CANARY-data-old', 'CANARY-data-new', 'CANARY-string-old', 'CANARY-string-new', 'CANARY-kept', 'CANARY-lastapplied-old', 'CANARY-lastapplied-new', 'CANARY-added-key', 'CANARY-removed-key'];
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function secret(data: Record<string, string>, stringData: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'web' }, type: 'Opaque', data, stringData };
}
function withLastApplied(o: Record<string, unknown>, v: string): Record<string, unknown> {
  return { ...o, metadata: { name: 'cm', namespace: 'web', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': v, other: 'visible' } } };
}
function snap(text: string | undefined): WetSnapshot {
  const index: WetIndex = {
    version: 1,
    generator: 't',
    units: text === undefined ? {} : { [U]: { renderer: 'kubernetes', dir: 'apps/web', coordinates: {}, output: 'web', paths: ['web/manifest.yaml'], digest: 'x' } }
  };
  return { index, files: new Map(text === undefined ? [] : [['web/manifest.yaml', text]]) };
}

const cmBase = { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } };

const base = toCanonicalYamlStream([
  secret({ pw: b64('CANARY-data-old'), kept: 'CANARY-kept', gone: 'CANARY-removed-key' }, { token: 'CANARY-string-old' }),
  withLastApplied(cmBase, '{"CANARY-lastapplied-old":1}')
]);
const head = toCanonicalYamlStream([
  secret({ pw: b64('CANARY-data-new'), kept: 'CANARY-kept', fresh: 'CANARY-added-key' }, { token: 'CANARY-string-new' }),
  withLastApplied({ ...cmBase, data: { a: '2' } }, '{"CANARY-lastapplied-new":1}')
]);

function allOutputs(): string[] {
  const reports = [diffWet(snap(base), snap(head)), diffWet(snap(undefined), snap(head)), diffWet(snap(base), snap(undefined))];
  const ctx = { marker: 'm', title: 'Diff' };
  return reports.flatMap((r) => [
    JSON.stringify(r),
    buildComment(r, ctx),
    buildJobSummary(r, ctx),
    formatDiffText(r),
    JSON.stringify(diffToJson(r))
  ]);
}

describe('redaction', () => {
  it('never lets a secret value or last-applied annotation into any output', () => {
    const outputs = allOutputs();
    for (const out of outputs) {
      for (const c of CANARIES) {
        expect(out).not.toContain(c);
        expect(out).not.toContain(b64(c));
      }
    }
    // but the diff is still informative
    const comment = outputs[1]!;
    expect(comment).toContain('Secret web/s');
    expect(comment).toContain('visible');
  });

  it('shows only whether a redacted value changed', () => {
    const r = diffWet(snap(base), snap(head));
    const sec = r.units[0]!.resources.find((x) => x.id.kind === 'Secret')!;
    expect(sec.kind).toBe('changed');
    const byPath = new Map(sec.fields.map((f) => [f.path, f]));
    expect(byPath.get('data.pw')).toEqual({ path: 'data.pw', from: REDACTED, to: REDACTED_CHANGED, redacted: true });
    expect(byPath.get('stringData.token')).toEqual({ path: 'stringData.token', from: REDACTED, to: REDACTED_CHANGED, redacted: true });
    expect(byPath.get('data.fresh')).toEqual({ path: 'data.fresh', to: REDACTED, redacted: true });
    expect(byPath.get('data.gone')).toEqual({ path: 'data.gone', from: REDACTED, redacted: true });
    expect(byPath.has('data.kept')).toBe(false);
    expect(sec.unified).toContain(`+  pw: ${REDACTED_CHANGED}`);
    const cm = r.units[0]!.resources.find((x) => x.id.kind === 'ConfigMap')!;
    expect(cm.fields).toContainEqual({
      path: 'metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]',
      from: REDACTED,
      to: REDACTED_CHANGED,
      redacted: true
    });
  });

  it('detects a change to a secret value even though both sides are redacted', () => {
    const a = toCanonicalYaml(secret({ pw: 'CANARY-data-old' }, {}));
    const b = toCanonicalYaml(secret({ pw: 'CANARY-data-new' }, {}));
    const r = diffWet(snap(a), snap(b));
    expect(r.units[0]!.changed).toBe(1);
    expect(JSON.stringify(r)).not.toContain('CANARY');
  });

  it('does not modify its inputs and leaves non-secrets alone', () => {
    const s = secret({ pw: 'x' }, {});
    const out = redactPair(s, undefined);
    expect((s['data'] as Record<string, string>)['pw']).toBe('x');
    expect((out.base!['data'] as Record<string, string>)['pw']).toBe(REDACTED);
    const c = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { pw: 'x' } };
    const copy = structuredClone(c);
    expect(redactPair(c, c).head).toEqual(copy);
    expect(c).toEqual(copy);
  });

  it('redacts random secret values in every output (property)', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,12}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9+/=]{6,40}$/).map((v) => `SECRETVAL${v}`);
    const map = fc.dictionary(key, value, { maxKeys: 6 });
    fc.assert(
      fc.property(map, map, map, map, fc.boolean(), fc.boolean(), (d1, d2, s1, s2, hasBase, hasHead) => {
        const a = hasBase ? toCanonicalYaml(secret(d1, s1)) : undefined;
        const b = hasHead ? toCanonicalYaml(secret(d2, s2)) : undefined;
        const r = diffWet(snap(a), snap(b));
        const outs = [JSON.stringify(r), buildComment(r, { marker: 'm', title: 't' }), buildJobSummary(r, { marker: 'm', title: 't' }), formatDiffText(r), JSON.stringify(diffToJson(r))];
        for (const o of outs) expect(o).not.toContain('SECRETVAL');
      }),
      { numRuns: 100 }
    );
  });
});
