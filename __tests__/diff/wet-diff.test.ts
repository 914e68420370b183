import { describe, it, expect } from '@jest/globals';
import { diffWet, type WetSnapshot } from '../../src/diff/wet-diff.js';
import { toCanonicalYaml, toCanonicalYamlStream } from '../../src/resources/yaml.js';
import type { WetIndex, WetIndexUnit } from '../../src/formats/wet-index.js';

function unit(dir: string, paths: string[], coordinates: Record<string, string> = {}): WetIndexUnit {
  return { renderer: 'kubernetes', dir, coordinates, output: dir, paths: [...paths].sort(), digest: 'd' };
}

function snap(units: Record<string, WetIndexUnit>, files: Record<string, string>): WetSnapshot {
  const index: WetIndex = { version: 1, generator: 'test', units };
  return { index, files: new Map(Object.entries(files)) };
}

function deployment(image: string, replicas = 2): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'web' },
    spec: {
      replicas,
      template: {
        spec: {
          containers: [
            { name: 'sidecar', image: 'envoy:1' },
            { name: 'web', image }
          ]
        }
      }
    }
  };
}

function cm(name: string, data: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'web' }, data };
}

const U = 'kubernetes:apps/web';

describe('diffWet', () => {
  it('reports field paths with named array elements', () => {
    const base = snap({ [U]: unit('apps/web', ['web/manifest.yaml']) }, {
      'web/manifest.yaml': toCanonicalYaml(deployment('nginx:1.25'))
    });
    const head = snap({ [U]: unit('apps/web', ['web/manifest.yaml']) }, {
      'web/manifest.yaml': toCanonicalYaml(deployment('nginx:1.27', 3))
    });
    const r = diffWet(base, head);
    expect(r.units).toHaveLength(1);
    const res = r.units[0]!.resources[0]!;
    expect(res.kind).toBe('changed');
    expect(res.fields).toContainEqual({ path: 'spec.template.spec.containers[name=web].image', from: 'nginx:1.25', to: 'nginx:1.27' });
    expect(res.fields).toContainEqual({ path: 'spec.replicas', from: '2', to: '3' });
    expect(res.unified).toContain('-          image: nginx:1.25');
    expect(res.unified).toContain('+          image: nginx:1.27');
    expect(res.unified).toContain('--- a/web/manifest.yaml');
    expect(res.unified).toContain('+++ b/web/manifest.yaml');
    expect(r.changed).toBe(true);
  });

  it('matches scalar list items by value and quotes odd keys', () => {
    const a = { ...cm('x', {}), spec: { ports: [80, 443] }, metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'a' } } };
    const b = { ...cm('x', {}), spec: { ports: [80, 8443] }, metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'b' } } };
    const r = diffWet(
      snap({ [U]: unit('apps/web', ['m.yaml']) }, { 'm.yaml': toCanonicalYaml(a) }),
      snap({ [U]: unit('apps/web', ['m.yaml']) }, { 'm.yaml': toCanonicalYaml(b) })
    );
    const paths = r.units[0]!.resources[0]!.fields.map((f) => f.path).sort();
    expect(paths).toEqual(['metadata.labels["app.kubernetes.io/name"]', 'spec.ports[=443]', 'spec.ports[=8443]']);
  });

  it('counts added, changed and removed per unit and per kind (per-unit manifest layout)', () => {
    const base = snap({ [U]: unit('apps/web', ['web/manifest.yaml']) }, {
      'web/manifest.yaml': toCanonicalYamlStream([deployment('a'), cm('one', { k: '1' }), cm('two', { k: '2' })])
    });
    const head = snap({ [U]: unit('apps/web', ['web/manifest.yaml']) }, {
      'web/manifest.yaml': toCanonicalYamlStream([deployment('b'), cm('one', { k: '1' }), cm('three', { k: '3' })])
    });
    const u = diffWet(base, head).units[0]!;
    expect([u.added, u.changed, u.removed]).toEqual([1, 1, 1]);
    expect(u.byKind).toEqual({
      ConfigMap: { added: 1, changed: 0, removed: 1 },
      'Deployment.apps': { added: 0, changed: 1, removed: 0 }
    });
    expect(u.resources.map((x) => `${x.kind}:${x.id.name}`)).toEqual(['added:three', 'removed:two', 'changed:api']);
  });

  it('diffs a per-resource layout and a layout change without spurious changes', () => {
    const base = snap({ [U]: unit('apps/web', ['web/manifest.yaml']) }, {
      'web/manifest.yaml': toCanonicalYamlStream([cm('one', { k: '1' }), cm('two', { k: '2' })])
    });
    const head = snap({ [U]: unit('apps/web', ['web/configmap-one.yaml', 'web/configmap-two.yaml', 'web/.gitattributes']) }, {
      'web/configmap-one.yaml': toCanonicalYaml(cm('one', { k: '1' })),
      'web/configmap-two.yaml': toCanonicalYaml(cm('two', { k: '22' })),
      'web/.gitattributes': '* linguist-generated\n'
    });
    const r = diffWet(base, head);
    const u = r.units[0]!;
    expect([u.added, u.changed, u.removed]).toEqual([0, 1, 0]);
    expect(u.resources[0]!.fields).toEqual([{ path: 'data.k', from: '2', to: '22' }]);
    expect(u.resources[0]!.unified).toContain('+++ b/web/configmap-two.yaml');
    expect(u.files).toEqual({ added: [], changed: [], removed: [] });
  });

  it('never reports a failed unit as removals', () => {
    const base = snap({ [U]: unit('apps/web', ['m.yaml']) }, { 'm.yaml': toCanonicalYaml(cm('one', { k: '1' })) });
    const head = snap({}, {});
    const plain = diffWet(base, head);
    expect(plain.units[0]!.status).toBe('deleted');
    expect(plain.units[0]!.removed).toBe(1);
    const r = diffWet(base, head, { failedUnits: [U] });
    expect(r.units).toHaveLength(1);
    expect(r.units[0]!.status).toBe('failed');
    expect(r.units[0]!.resources).toEqual([]);
    expect(r.totals).toEqual({ added: 0, changed: 0, removed: 0, units: 1, failed: 1 });
    expect(r.changed).toBe(false);
  });

  it('omits unchanged units, sorts units, marks new units, lists non-YAML files', () => {
    const V = 'kubernetes:apps/api';
    const base = snap({ [U]: unit('apps/web', ['m.yaml']) }, { 'm.yaml': toCanonicalYaml(cm('one', { k: '1' })) });
    const head = snap(
      { [U]: unit('apps/web', ['m.yaml']), [V]: unit('apps/api', ['api/m.yaml', 'api/README.md']) },
      { 'm.yaml': toCanonicalYaml(cm('one', { k: '1' })), 'api/m.yaml': toCanonicalYaml(cm('x', {})), 'api/README.md': 'hi' }
    );
    const r = diffWet(base, head);
    expect(r.units.map((u) => u.unit)).toEqual([V]);
    expect(r.units[0]!.status).toBe('new');
    expect(r.units[0]!.files.added).toEqual(['api/README.md']);
    expect(r.units[0]!.resources[0]!.unified).toContain('+kind: ConfigMap');
  });

  it('is deterministic', () => {
    const base = snap({ [U]: unit('apps/web', ['m.yaml']) }, { 'm.yaml': toCanonicalYaml(deployment('a')) });
    const head = snap({ [U]: unit('apps/web', ['m.yaml']) }, { 'm.yaml': toCanonicalYaml(deployment('b')) });
    expect(JSON.stringify(diffWet(base, head))).toBe(JSON.stringify(diffWet(base, head)));
  });
});
