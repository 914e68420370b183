import { describe, it, expect } from '@jest/globals';
import { diffWet, type WetSnapshot } from '../../src/diff/wet-diff.js';
import { buildComment } from '../../src/report/comment.js';
import { toCanonicalYaml } from '../../src/resources/yaml.js';
import type { WetIndex } from '../../src/formats/wet-index.js';

type Obj = Record<string, unknown>;

/** A snapshot with one unit per entry, one file per object. */
function snap(units: Record<string, Obj[]>): WetSnapshot {
  const index: WetIndex = { version: 1, generator: 'test', units: {} };
  const files = new Map<string, string>();
  for (const [id, objects] of Object.entries(units)) {
    const dir = id.split(':')[1]!;
    const paths = objects.map((o) => `${dir}/${String(o['kind'])}.${String((o['metadata'] as Obj)['name'])}.yml`);
    objects.forEach((o, i) => files.set(paths[i]!, toCanonicalYaml(o)));
    index.units[id] = { renderer: 'kubernetes', dir, coordinates: {}, output: dir, paths: [...paths].sort(), digest: 'd' };
  }
  return { index, files };
}

function deploy(name: string, image: string, replicas?: number): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: { ...(replicas !== undefined ? { replicas } : {}), template: { spec: { containers: [{ name: 'app', image }] } } }
  };
}
const ns = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const crd = (plural: string): Obj => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.example.com` },
  spec: { group: 'example.com', names: { plural } }
});
const role = (verbs: string[]): Obj => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'reader' },
  rules: [{ apiGroups: [''], resources: ['pods'], verbs }]
});
const cm = (name: string): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' }, data: { a: '1' } });

const ctx = { marker: 'm', title: 'Hydrate' };

describe('the comment headline', () => {
  const base = snap({
    'kubernetes:apps/shop': [deploy('api', 'api:1.0', 2), deploy('worker', 'worker:1.0', 3), deploy('cron', 'api:1.0'), cm('old'), ns('legacy'), crd('widgets'), role(['get'])],
    'kubernetes:apps/broken': [cm('kept')]
  });
  const head = snap({
    'kubernetes:apps/shop': [deploy('api', 'api:2.0', 2), deploy('worker', 'worker:1.0', 0), deploy('cron', 'api:2.0'), ns('shop'), crd('widgets'), { ...crd('gadgets') }, role(['get', 'list'])],
    'kubernetes:apps/broken': []
  });
  const body = buildComment(diffWet(base, head, { failedUnits: ['kubernetes:apps/broken'] }), ctx);
  const lines = body.split('\n');

  it('comes first, with the deletions first (count and list), failed units left out', () => {
    expect(lines[0]).toBe('<!-- hydrate:m -->');
    expect(lines[1]).toBe('## Hydrate');
    expect(lines[3]).toBe('- ⚠️ **2 objects will be deleted from the cluster:** <code>ConfigMap shop/old</code>, <code>Namespace legacy</code>');
    expect(body).not.toMatch(/deleted from the cluster:.*kept/);
  });

  it('names namespaces, CRDs, RBAC, images (old → new, with the objects counted) and scale-to-zero', () => {
    const glance = lines.slice(3, lines.indexOf('', 3));
    expect(glance).toEqual([
      '- ⚠️ **2 objects will be deleted from the cluster:** <code>ConfigMap shop/old</code>, <code>Namespace legacy</code>',
      '- **Namespaces created:** <code>shop</code>',
      '- ⚠️ **Namespaces deleted:** <code>legacy</code>',
      '- **CRDs changed:** <code>gadgets.example.com (added)</code>',
      '- **RBAC changed:** <code>ClusterRole.rbac.authorization.k8s.io reader (changed)</code>',
      '- **Images changed:** <code>api:1.0</code> → <code>api:2.0</code> (2 objects)',
      '- ⚠️ **Scaled to zero:** <code>Deployment.apps shop/worker (3 → 0)</code>'
    ]);
  });

  it('counts objects and units apart', () => {
    expect(body).toContain('**Objects:** 2 added, 4 changed, 2 removed · in 2 units (1 failed).');
    expect(body).not.toMatch(/\d+ units?\*\*: \d+ added/);
  });

  it('is left out when nothing needs flagging', () => {
    const quiet = buildComment(diffWet(snap({ 'kubernetes:a/b': [cm('x')] }), snap({ 'kubernetes:a/b': [{ ...cm('x'), data: { a: '2' } }] })), ctx);
    expect(quiet).not.toContain('⚠️');
    expect(quiet.split('\n')[3]).toMatch(/^Rendered from/);
  });
});
