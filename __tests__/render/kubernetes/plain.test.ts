import { describe, it, expect } from '@jest/globals';
import { readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { EXAMPLE_ROOT, fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';

const PLAIN_DIR = 'kubernetes/platform/ops/namespaces';

describe('plain manifest units', () => {
  it('renders the example plain unit with positions, its hydrate-patches.yaml and extra artifacts', async () => {
    const config = await readFile(join(EXAMPLE_ROOT, 'hydrate.yaml'), 'utf8');
    const u = unit(PLAIN_DIR, 1);
    const exec = fakeRunner([]);
    const result = await renderKubernetesUnit(u, makeInput(EXAMPLE_ROOT, config, [u], exec));
    expect(result.diagnostics).toEqual([]);
    expect(result.status).toBe('rendered');
    expect(exec.calls).toEqual([]);
    // Files in code-unit order of their path below the unit (the entry's plain rule recurses).
    expect(result.resources.map((r) => [r.object['kind'], (r.object['metadata'] as { name: string }).name, r.source])).toEqual([
      ['LimitRange', 'container-defaults', { file: `${PLAIN_DIR}/limits/web-prod.yaml`, line: 2, col: 1 }],
      ['Namespace', 'web-prod', { file: `${PLAIN_DIR}/namespaces.yaml`, line: 1, col: 1 }],
      ['Namespace', 'cache', { file: `${PLAIN_DIR}/namespaces.yaml`, line: 8, col: 1 }],
      ['ConfigMap', 'quota-defaults', { file: `${PLAIN_DIR}/quota-defaults.yaml`, line: 1, col: 1 }],
      ['Secret', 'registry-credentials', { file: `${PLAIN_DIR}/registry-credentials.sops.yaml`, line: 4, col: 1 }]
    ]);
    const labels = (name: string): unknown =>
      (result.resources.find((r) => (r.object['metadata'] as { name: string }).name === name)!.object['metadata'] as { labels: unknown }).labels;
    expect(labels('web-prod')).toEqual({ team: 'web', 'pod-security.kubernetes.io/enforce': 'restricted' });
    expect(labels('cache')).toEqual({ team: 'data' });
    // Key order of the document is kept.
    expect(Object.keys(result.resources[3]!.object)).toEqual(['apiVersion', 'kind', 'metadata', 'data']);

    const readme = await readFile(join(EXAMPLE_ROOT, PLAIN_DIR, 'extra_artifacts/README.md'), 'utf8');
    expect(result.artifacts).toEqual([{ path: 'README.md', content: readme, source: `${PLAIN_DIR}/extra_artifacts/README.md` }]);
  });

  it('drops empty documents, rejects non-mapping documents and duplicates', async () => {
    const repo = await tempRepo({
      'k/a/a.yaml': '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n---\n',
      'k/b/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n- just\n- a list\n',
      'k/c/c.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      'k/c/d.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n'
    });
    try {
      const cfg = { kubernetes: [{ match: 'k/{x}', output: '{x}' }] };
      const a = await renderKubernetesUnit(unit('k/a', 0), makeInput(repo.root, cfg, [], fakeRunner([])));
      expect(a.status).toBe('rendered');
      expect(a.resources).toHaveLength(1);
      expect(a.resources[0]!.source).toEqual({ file: 'k/a/a.yaml', line: 2, col: 1 });

      const b = await renderKubernetesUnit(unit('k/b', 0), makeInput(repo.root, cfg, [], fakeRunner([])));
      expect(b.status).toBe('failed');
      expect(b.resources).toEqual([]);
      expect(b.diagnostics).toEqual([
        expect.objectContaining({ severity: 'error', file: 'k/b/b.yaml', line: 5, message: expect.stringContaining('not a mapping') })
      ]);

      const c = await renderKubernetesUnit(unit('k/c', 0), makeInput(repo.root, cfg, [], fakeRunner([])));
      expect(c.status).toBe('failed');
      expect(c.diagnostics[0]).toEqual(expect.objectContaining({ file: 'k/c/d.yaml', message: expect.stringContaining('duplicate object ConfigMap x') }));
    } finally {
      await repo.cleanup();
    }
  });

  it('reports invalid YAML at file:line:col', async () => {
    const repo = await tempRepo({ 'k/a/a.yaml': 'apiVersion: v1\nkind: [unclosed\n' });
    try {
      const r = await renderKubernetesUnit(unit('k/a', 0), makeInput(repo.root, { kubernetes: [{ match: 'k/{x}', output: '{x}' }] }, [], fakeRunner([])));
      expect(r.status).toBe('failed');
      expect(r.diagnostics[0]).toEqual(expect.objectContaining({ file: 'k/a/a.yaml', line: expect.any(Number), message: expect.stringContaining('invalid YAML') }));
    } finally {
      await repo.cleanup();
    }
  });
});

describe('extra artifacts', () => {
  it('copies nested files sorted, with paths relative to the folder, and honours the entry setting', async () => {
    const repo = await tempRepo({
      'k/a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      'k/a/files/z.txt': 'z\n',
      'k/a/files/docs/b.md': '# b\n',
      'k/a/files/a.json': '{}\n',
      'k/a/extra_artifacts/ignored.txt': 'not the configured folder\n'
    });
    try {
      const cfg = { kubernetes: [{ match: 'k/{x}', output: '{x}', extraArtifacts: 'files' }] };
      const r = await renderKubernetesUnit(unit('k/a', 0), makeInput(repo.root, cfg, [], fakeRunner([])));
      expect(r.status).toBe('rendered');
      expect(r.artifacts.map((a) => [a.path, a.content, a.source])).toEqual([
        ['a.json', '{}\n', 'k/a/files/a.json'],
        ['docs/b.md', '# b\n', 'k/a/files/docs/b.md'],
        ['z.txt', 'z\n', 'k/a/files/z.txt']
      ]);
    } finally {
      await repo.cleanup();
    }
  });

  it('orders nested files by their whole relative path (code-unit order), not directory by directory', async () => {
    const repo = await tempRepo({
      'k/a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      'k/a/files/a/c.txt': 'c\n',
      'k/a/files/a-b.txt': 'b\n',
      'k/a/files/a0.txt': '0\n',
      'k/a/files/A.txt': 'A\n'
    });
    try {
      const cfg = { kubernetes: [{ match: 'k/{x}', output: '{x}', extraArtifacts: 'files' }] };
      const r = await renderKubernetesUnit(unit('k/a', 0), makeInput(repo.root, cfg, [], fakeRunner([])));
      expect(r.artifacts.map((a) => a.path)).toEqual(['A.txt', 'a-b.txt', 'a/c.txt', 'a0.txt']);
    } finally {
      await repo.cleanup();
    }
  });

  it('rejects symlinks and unsafe names', async () => {
    const repo = await tempRepo({
      'k/a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      'k/a/extra_artifacts/ok.txt': 'ok\n',
      'k/a/extra_artifacts/bad name.txt': 'space\n',
      'secret.txt': 'outside\n'
    });
    try {
      await symlink(join(repo.root, 'secret.txt'), join(repo.root, 'k/a/extra_artifacts/link.txt'));
      const cfg = { kubernetes: [{ match: 'k/{x}', output: '{x}' }] };
      const r = await renderKubernetesUnit(unit('k/a', 0), makeInput(repo.root, cfg, [], fakeRunner([])));
      expect(r.status).toBe('failed');
      const byFile = new Map(r.diagnostics.map((d) => [d.file, d.message]));
      expect(byFile.get('k/a/extra_artifacts/link.txt')).toContain('symlink');
      expect(byFile.get('k/a/extra_artifacts/bad name.txt')).toContain('characters outside');
      expect(byFile.has('k/a/extra_artifacts/ok.txt')).toBe(false);
    } finally {
      await repo.cleanup();
    }
  });
});

describe('unexpected I/O problems', () => {
  it('a unit directory that does not exist fails the unit instead of throwing', async () => {
    const repo = await tempRepo({ 'k/other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' });
    try {
      const r = await renderKubernetesUnit(unit('k/gone', 0), makeInput(repo.root, { kubernetes: [{ match: 'k/{x}', output: '{x}' }] }, [], fakeRunner([])));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([expect.objectContaining({ file: 'k/gone', unit: 'kubernetes:k/gone', message: expect.stringContaining('rendering failed') })]);
    } finally {
      await repo.cleanup();
    }
  });
});
