import { describe, it, expect } from '@jest/globals';
import { applyTargetedPatches, matchesTarget, parseLabelSelector } from '../../../src/render/patches.js';
import type { LocatedPatch } from '../../../src/render/patches.js';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import type { Resource } from '../../../src/resources/resource.js';
import { fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';

function res(apiVersion: string, kind: string, name: string, namespace?: string, labels?: Record<string, string>): Resource {
  return {
    object: { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) } },
    unit: 'kubernetes:u',
    source: {}
  };
}

const objects: Resource[] = [
  res('apps/v1', 'Deployment', 'web', 'prod', { app: 'web', tier: 'frontend' }),
  res('apps/v1', 'Deployment', 'db', 'prod', { app: 'db', tier: 'backend' }),
  res('v1', 'Service', 'web', 'prod', { app: 'web' }),
  res('batch/v1', 'Job', 'migrate', 'staging')
];
const names = (sel: Record<string, string>): string[] =>
  objects.filter((r) => matchesTarget(r.object, sel)).map((r) => `${String(r.object['kind'])}/${(r.object['metadata'] as { name: string }).name}`);

const where = { unit: 'kubernetes:u', file: 'u/hydrate-patches.yaml', line: 3, col: 3 };
const patch = (target: LocatedPatch['target'], ops: LocatedPatch['patch']): LocatedPatch => ({ target, patch: ops, where });

describe('patch target selectors', () => {
  it('match by group, version, kind, name and namespace', () => {
    expect(names({ group: 'apps' })).toEqual(['Deployment/web', 'Deployment/db']);
    expect(names({ group: '' })).toEqual(['Service/web']);
    expect(names({ version: 'v1', kind: 'Job' })).toEqual(['Job/migrate']);
    expect(names({ name: 'web' })).toEqual(['Deployment/web', 'Service/web']);
    expect(names({ namespace: 'staging' })).toEqual(['Job/migrate']);
    expect(names({ kind: 'Deployment', name: 'nope' })).toEqual([]);
  });

  it('match label selectors with =, !=, existence, absence and AND', () => {
    expect(names({ labelSelector: 'app=web' })).toEqual(['Deployment/web', 'Service/web']);
    expect(names({ labelSelector: 'app==web,tier=frontend' })).toEqual(['Deployment/web']);
    expect(names({ labelSelector: 'tier!=frontend' })).toEqual(['Deployment/db', 'Service/web', 'Job/migrate']);
    expect(names({ labelSelector: 'tier' })).toEqual(['Deployment/web', 'Deployment/db']);
    expect(names({ labelSelector: '!tier' })).toEqual(['Service/web', 'Job/migrate']);
    expect(names({ labelSelector: 'app, !tier' })).toEqual(['Service/web']);
  });

  it('rejects a malformed selector', () => {
    expect(() => parseLabelSelector('a=b=c')).toThrow(/invalid label selector/);
  });
});

describe('applyTargetedPatches', () => {
  it('applies ops to every selected object on clones, leaving the input untouched', () => {
    const before = JSON.stringify(objects);
    const out = applyTargetedPatches(objects, [
      patch({ kind: 'Deployment' }, [{ op: 'add', path: '/metadata/annotations', value: { a: '1' } }]),
      patch({ name: 'web', kind: 'Deployment' }, [{ op: 'replace', path: '/metadata/annotations/a', value: '2' }])
    ]);
    expect(out.diagnostics).toEqual([]);
    expect(JSON.stringify(objects)).toBe(before);
    const ann = out.resources.map((r) => (r.object['metadata'] as { annotations?: unknown }).annotations);
    expect(ann).toEqual([{ a: '2' }, { a: '1' }, undefined, undefined]);
  });

  it('reports a target that matches nothing at the patch location', () => {
    const out = applyTargetedPatches(objects, [patch({ kind: 'CronJob' }, [{ op: 'remove', path: '/spec' }])]);
    expect(out.diagnostics).toEqual([
      {
        severity: 'error',
        unit: 'kubernetes:u',
        file: 'u/hydrate-patches.yaml',
        line: 3,
        col: 3,
        message: 'patch target {kind=CronJob} matches no rendered object: fix the target or remove the patch'
      }
    ]);
  });

  it('reports a failing op naming the object and keeps the object unpatched', () => {
    const before = structuredClone(objects[3]!.object);
    // The first op applies, the second fails: nothing of the patch may stay.
    const out = applyTargetedPatches(objects, [
      patch({ kind: 'Job' }, [
        { op: 'add', path: '/metadata/labels', value: { x: '1' } },
        { op: 'replace', path: '/spec/missing', value: 1 }
      ])
    ]);
    expect(out.diagnostics).toHaveLength(1);
    expect(out.diagnostics[0]).toEqual(
      expect.objectContaining({ file: 'u/hydrate-patches.yaml', line: 3, message: expect.stringContaining('patch operation failed on Job.batch staging/migrate') })
    );
    expect(out.resources[3]!.object).toEqual(before);
    expect(objects[3]!.object).toEqual(before);
  });

  it('reports a malformed label selector once, at the patch location, and applies the other patches', () => {
    const out = applyTargetedPatches(objects, [
      patch({ labelSelector: 'a=b=c' }, [{ op: 'remove', path: '/spec' }]),
      patch({ kind: 'Job' }, [{ op: 'add', path: '/metadata/annotations', value: { a: '1' } }])
    ]);
    expect(out.diagnostics).toEqual([
      {
        severity: 'error',
        unit: 'kubernetes:u',
        file: 'u/hydrate-patches.yaml',
        line: 3,
        col: 3,
        message: 'invalid label selector term "a=b=c" in "a=b=c": fix the patch target'
      }
    ]);
    expect((out.resources[3]!.object['metadata'] as { annotations?: unknown }).annotations).toEqual({ a: '1' });
  });

  it('a failing test op is an error', () => {
    const out = applyTargetedPatches(objects, [patch({ kind: 'Service' }, [{ op: 'test', path: '/metadata/name', value: 'other' }])]);
    expect(out.diagnostics[0]?.message).toContain('patch operation failed on Service prod/web');
  });
});

describe('patch order in a unit', () => {
  it('applies entry patches, then hydrate-patches.yaml, and reports a bad unit patch at its line', async () => {
    const repo = await tempRepo({
      'k/a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {v: "base"}\n',
      'k/a/hydrate-patches.yaml':
        '- target: {kind: ConfigMap}\n  patch:\n    - {op: test, path: /data/v, value: entry}\n    - {op: replace, path: /data/v, value: unit}\n',
      'k/b/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {v: "base"}\n',
      'k/b/hydrate-patches.yaml': '# comment\n- target: {kind: ConfigMap}\n  patch: []\n'
    });
    try {
      const cfg = {
        kubernetes: [{ match: 'k/{x}', output: '{x}', patches: [{ target: { kind: 'ConfigMap' }, patch: [{ op: 'replace', path: '/data/v', value: 'entry' }] }] }]
      };
      const a = await renderKubernetesUnit(unit('k/a', 0), makeInput(repo.root, cfg, [], fakeRunner([])));
      expect(a.diagnostics).toEqual([]);
      expect(a.resources[0]!.object['data']).toEqual({ v: 'unit' });

      const b = await renderKubernetesUnit(unit('k/b', 0), makeInput(repo.root, cfg, [], fakeRunner([])));
      expect(b.status).toBe('failed');
      expect(b.diagnostics[0]).toEqual(expect.objectContaining({ file: 'k/b/hydrate-patches.yaml', line: 3, message: expect.stringContaining('invalid patch: patch') }));
    } finally {
      await repo.cleanup();
    }
  });
});
