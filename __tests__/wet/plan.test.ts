import { describe, expect, it } from '@jest/globals';
import { layoutWet } from '../../src/wet/layout.js';
import { isEmptyPlan, planWetUpdate } from '../../src/wet/plan.js';
import { snapshotFromLayout } from '../../src/wet/snapshot.js';
import { INDEX_PATH } from '../../src/formats/wet-index.js';
import { meta, obj, settingsWith, unitResult } from './helpers.js';

function treeReader(tree: Record<string, string>): (p: string) => Promise<string | undefined> {
  return async (p) => tree[p];
}

function treeOf(files: { path: string; content: string }[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.path, f.content]));
}

const settings = settingsWith({ generatedAttributes: true });

describe('planWetUpdate', () => {
  const first = layoutWet(
    [
      unitResult('apps/web', 'web', [obj('ConfigMap', 'a', 'n'), obj('ConfigMap', 'b', 'n')]),
      unitResult('apps/old', 'old', [obj('Service', 's', 'n')])
    ],
    settings,
    meta
  );

  it('plans everything as a write on an empty tree', async () => {
    const plan = await planWetUpdate(undefined, treeReader({}), first);
    expect(plan.writes.map((w) => w.path)).toEqual(first.files.map((f) => f.path));
    expect(plan.deletes).toEqual([]);
    expect(plan.diagnostics).toEqual([]);
  });

  it('plans nothing when the tree already matches', async () => {
    const tree = { ...treeOf(first.files), 'README.md': '# wet\n' };
    const plan = await planWetUpdate(first.index, treeReader(tree), first);
    expect(isEmptyPlan(plan)).toBe(true);
    expect(plan.writes).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.unchanged).toEqual(first.files.map((f) => f.path));
  });

  it('deletes exactly the owned paths no longer produced and never touches other files', async () => {
    const tree = {
      ...treeOf(first.files),
      'README.md': '# wet\n',
      '.github/workflows/ci.yml': 'on: push\n',
      'web/NOTES.md': 'mine\n',
      'old/other-tool.yaml': 'x: 1\n',
      'argocd/app.yaml': 'kind: Application\n'
    };
    const next = layoutWet([unitResult('apps/web', 'web', [obj('ConfigMap', 'a', 'n', 'v1', { data: { k: 'v2' } })])], settings, meta);
    const plan = await planWetUpdate(first.index, treeReader(tree), next);
    expect(plan.diagnostics).toEqual([]);
    expect(plan.deletes).toEqual(['old/.gitattributes', 'old/Service.s.yml', 'web/ConfigMap.b.yml']);
    expect(plan.writes.map((w) => w.path)).toEqual([INDEX_PATH, 'web/ConfigMap.a.yml']);
    expect(plan.unchanged).toEqual(['web/.gitattributes']);
    const touched = new Set([...plan.deletes, ...plan.writes.map((w) => w.path)]);
    for (const p of ['README.md', '.github/workflows/ci.yml', 'web/NOTES.md', 'old/other-tool.yaml', 'argocd/app.yaml']) {
      expect(touched.has(p)).toBe(false);
    }
  });

  it('does not plan deletes for owned paths that are already gone', async () => {
    const tree = treeOf(first.files);
    delete tree['old/Service.s.yml'];
    const next = layoutWet([unitResult('apps/web', 'web', [obj('ConfigMap', 'a', 'n'), obj('ConfigMap', 'b', 'n')])], settings, meta);
    const plan = await planWetUpdate(first.index, treeReader(tree), next);
    expect(plan.deletes).toEqual(['old/.gitattributes']);
  });

  it('refuses to overwrite a file hydrate did not write', async () => {
    const tree = { ...treeOf(first.files), 'new/ConfigMap.c.yml': 'hand written\n' };
    const next = layoutWet([...[unitResult('apps/web', 'web', [obj('ConfigMap', 'a', 'n'), obj('ConfigMap', 'b', 'n')])], unitResult('apps/new', 'new', [obj('ConfigMap', 'c', 'n')])], settings, meta);
    const plan = await planWetUpdate(first.index, treeReader(tree), next);
    expect(plan.diagnostics).toEqual([
      {
        severity: 'error',
        file: 'new/ConfigMap.c.yml',
        message: 'refusing to overwrite new/ConfigMap.c.yml: it exists in the wet tree but was not written by hydrate (move it, or delete it)'
      }
    ]);
    expect(plan.writes.map((w) => w.path)).not.toContain('new/ConfigMap.c.yml');
  });

  it('carries the layout errors so the plan cannot be applied', async () => {
    const bad = layoutWet([unitResult('a', 'same', [obj('ConfigMap', 'c')]), unitResult('b', 'same', [obj('ConfigMap', 'c')])], settings, meta);
    const plan = await planWetUpdate(undefined, treeReader({}), bad);
    expect(plan.diagnostics.some((d) => d.severity === 'error')).toBe(true);
  });
});

describe('snapshotFromLayout', () => {
  it('maps every laid-out file, the index included', () => {
    const l = layoutWet([unitResult('u', 'out', [obj('ConfigMap', 'c')])], settingsWith(), meta);
    const snap = snapshotFromLayout(l);
    expect(snap.index).toBe(l.index);
    expect([...snap.files.keys()]).toEqual([INDEX_PATH, 'out/ConfigMap.c.yml']);
    expect(snap.files.get('out/ConfigMap.c.yml')).toContain('kind: ConfigMap');
  });
});
