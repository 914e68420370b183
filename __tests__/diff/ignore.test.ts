import { describe, it, expect } from '@jest/globals';
import { fieldMatcher } from '../../src/diff/ignore.js';
import { diffWet, isNoise, type WetSnapshot } from '../../src/diff/wet-diff.js';
import { toCanonicalYaml } from '../../src/resources/yaml.js';

describe('fieldMatcher', () => {
  it('matches a quoted key with * inside the quotes, and everything below a pattern', () => {
    const m = fieldMatcher(['metadata.annotations["checksum/*"]', 'metadata.labels'])!;
    expect(m('metadata.annotations["checksum/config"]')).toBe(true);
    expect(m('metadata.annotations["checksum/a.b/c"]')).toBe(true);
    expect(m('metadata.annotations["other/config"]')).toBe(false);
    expect(m('metadata.labels')).toBe(true);
    expect(m('metadata.labels["helm.sh/chart"]')).toBe(true);
    expect(m('metadata.labelsx')).toBe(false);
  });

  it('lets * stay within one segment and ** cross segments', () => {
    const one = fieldMatcher(['spec.*.image'])!;
    expect(one('spec.x.image')).toBe(true);
    expect(one('spec.template.spec.image')).toBe(false);
    const any = fieldMatcher(['**.annotations["checksum/*"]'])!;
    expect(any('spec.template.metadata.annotations["checksum/secret"]')).toBe(true);
    expect(any('spec.template.metadata.labels["checksum/secret"]')).toBe(false);
  });

  it('is undefined for no patterns', () => {
    expect(fieldMatcher([])).toBeUndefined();
    expect(fieldMatcher([' '])).toBeUndefined();
  });
});

describe('diffWet with ignore', () => {
  const obj = (sum: string, image: string): Record<string, unknown> => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'a', namespace: 'n', annotations: { 'checksum/config': sum } },
    spec: { template: { spec: { containers: [{ name: 'c', image }] } } }
  });
  const snap = (o: Record<string, unknown>): WetSnapshot => ({
    index: { version: 1, generator: 't', units: { 'kubernetes:u': { renderer: 'kubernetes', dir: 'u', coordinates: {}, output: 'u', paths: ['u/a.yml'], digest: 'd' } } },
    files: new Map([['u/a.yml', toCanonicalYaml(o)]])
  });
  const ignore = ['metadata.annotations["checksum/*"]'];

  it('hides ignored fields, counts them and keeps them in the unified diff', () => {
    const r = diffWet(snap(obj('1', 'x:1')), snap(obj('2', 'x:2')), { ignore }).units[0]!.resources[0]!;
    expect(r.fields.map((f) => f.path)).toEqual(['spec.template.spec.containers[name=c].image']);
    expect(r.ignored).toBe(1);
    expect(isNoise(r)).toBe(false);
    expect(r.unified).toContain('+    checksum/config: "2"');
  });

  it('marks a change of ignored fields only as noise, still a change', () => {
    const u = diffWet(snap(obj('1', 'x:1')), snap(obj('2', 'x:1')), { ignore }).units[0]!;
    expect(u.changed).toBe(1);
    expect(u.resources[0]!.fields).toEqual([]);
    expect(isNoise(u.resources[0]!)).toBe(true);
  });
});
