/** The input closure of kustomizations, helm releases and plain units. */
import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { helmClosure, isRemoteRef, kustomizeClosure } from '../../src/render/kubernetes/closure.js';
import { parseConfig } from '../../src/settings/load-config.js';

let root = '';
const files = createFileReader();

async function put(rel: string, content: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'hydrate-closure-'));
  await put('bases/core/kustomization.yaml', 'resources:\n  - deployment.yaml\n');
  await put('bases/core/deployment.yaml', 'kind: Deployment\n');
  await put('bases/web/kustomization.yaml', 'resources:\n  - ../core\n  - service.yaml\n');
  await put('bases/web/service.yaml', 'kind: Service\n');
  await put('components/monitor/kustomization.yaml', 'kind: Component\npatches:\n  - path: ../../patches/monitor.yaml\n');
  await put('patches/monitor.yaml', 'kind: Deployment\n');
  await put('shared/app.properties', 'a=1\n');
  await put('shared/app.env', 'B=2\n');
  await put('shared/unrelated.txt', 'x\n');
  await put(
    'apps/a/prod/kustomization.yaml',
    [
      'resources:',
      '  - ../../../bases/web',
      'components:',
      '  - ../../../components/monitor',
      'configMapGenerator:',
      '  - name: cfg',
      '    files:',
      '      - app.properties=../../../shared/app.properties',
      '    envs:',
      '      - ../../../shared/app.env',
      'patchesJson6902:',
      '  - path: json-patch.yaml',
      'replacements:',
      '  - path: ../../../shared/replacements.yaml',
      ''
    ].join('\n')
  );
  await put('apps/remote/kustomization.yaml', 'resources:\n  - https://github.com/org/repo//deploy?ref=main\n  - ../../bases/core\n');
  await put('apps/gitref/kustomization.yaml', 'resources:\n  - github.com/org/repo/deploy?ref=v1\n');
  await put('apps/chart/kustomization.yaml', 'helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n    version: 1.0.0\n    valuesFile: values.yaml\n');
  await put('apps/localchart/kustomization.yaml', 'helmGlobals:\n  chartHome: ../../vendor/charts\nhelmCharts:\n  - name: mine\n    valuesFile: values.yaml\n');
  await put('apps/cycle-a/kustomization.yaml', 'resources:\n  - ../cycle-b\n');
  await put('apps/cycle-b/kustomization.yaml', 'resources:\n  - ../cycle-a\n');
  await put('kubernetes/web/prod.yaml', 'chart: ../../charts/web\nversion: 1.0.0\n');
  await put('kubernetes/web/dev.yaml', 'chart: bitnami/nginx\nversion: ^1.0.0\n');
  await put('kubernetes/web/stage.yaml', 'chart: bitnami/nginx\nversion: 1.2.3\n');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('kustomizeClosure', () => {
  it('follows nested bases, components, generator files and patch paths', async () => {
    const c = await kustomizeClosure('apps/a/prod', files, root);
    expect(c.volatile).toBe(false);
    expect(c.paths).toEqual([
      'apps/a/prod',
      'apps/a/prod/json-patch.yaml',
      'bases/core',
      'bases/core/deployment.yaml',
      'bases/web',
      'bases/web/service.yaml',
      'components/monitor',
      'patches/monitor.yaml',
      'shared/app.env',
      'shared/app.properties',
      'shared/replacements.yaml'
    ]);
    expect(c.paths).not.toContain('shared/unrelated.txt');
  });

  it('marks a remote resource volatile and says why, still following local ones', async () => {
    const c = await kustomizeClosure('apps/remote', files, root);
    expect(c.volatile).toBe(true);
    expect(c.reason).toContain('https://github.com/org/repo//deploy?ref=main');
    expect(c.paths).toContain('bases/core');
    expect((await kustomizeClosure('apps/gitref', files, root)).volatile).toBe(true);
  });

  it('marks a helm chart fetched from a repository volatile; a local chart home is included', async () => {
    const remote = await kustomizeClosure('apps/chart', files, root);
    expect(remote.volatile).toBe(true);
    expect(remote.reason).toContain('redis');
    const local = await kustomizeClosure('apps/localchart', files, root);
    expect(local.volatile).toBe(false);
    expect(local.paths).toEqual(['apps/localchart', 'apps/localchart/values.yaml', 'vendor/charts/mine']);
  });

  it('terminates on cycles', async () => {
    const c = await kustomizeClosure('apps/cycle-a', files, root);
    expect(c.paths).toEqual(['apps/cycle-a', 'apps/cycle-b']);
  });

  it('references leaving the repository are volatile', async () => {
    await put('apps/escape/kustomization.yaml', 'resources:\n  - ../../../outside\n');
    const c = await kustomizeClosure('apps/escape', files, root);
    expect(c.volatile).toBe(true);
    expect(c.reason).toContain('outside the repository');
  });

  it('recognises remote reference forms', () => {
    expect(isRemoteRef('git::https://example.com/repo.git')).toBe(true);
    expect(isRemoteRef('github.com/org/repo')).toBe(true);
    expect(isRemoteRef('../base?ref=v1')).toBe(true);
    expect(isRemoteRef('../base')).toBe(false);
  });
});

describe('helmClosure', () => {
  it('includes the release file, the unit dir and a local chart', async () => {
    const c = await helmClosure('kubernetes/web/prod', 'kubernetes/web/prod.yaml', files, root);
    expect(c).toEqual({ paths: ['charts/web', 'kubernetes/web/prod', 'kubernetes/web/prod.yaml'], volatile: false });
  });

  it('an unpinned remote chart is volatile; a pinned one is not', async () => {
    const dev = await helmClosure('kubernetes/web/dev', 'kubernetes/web/dev.yaml', files, root);
    expect(dev.volatile).toBe(true);
    expect(dev.reason).toContain('pinned');
    const stage = await helmClosure('kubernetes/web/stage', 'kubernetes/web/stage.yaml', files, root);
    expect(stage.volatile).toBe(false);
  });
});

describe('helmClosure of a local chart with dependencies', () => {
  it('includes file:// dependencies; a dependency from a repository is volatile only when neither pinned nor locked', async () => {
    const chart = (name: string, deps: string): Promise<void> => put(`deps/charts/${name}/Chart.yaml`, `apiVersion: v2\nname: ${name}\nversion: 0.1.0\ndependencies:\n${deps}`);
    const release = (env: string, name: string): Promise<void> => put(`deps/k/${env}.yaml`, `chart: ../charts/${name}\nversion: 0.1.0\n`);
    await chart('pinned', '  - {name: lib, version: 1.2.0, repository: https://charts.example.com}\n  - {name: util, version: 0.0.1, repository: "file://../util"}\n');
    await chart('ranged', '  - {name: lib, version: ~1.2.0, repository: https://charts.example.com}\n');
    await chart('locked', '  - {name: lib, version: ~1.2.0, repository: https://charts.example.com}\n');
    await put('deps/charts/locked/Chart.lock', 'dependencies:\n- name: lib\n  repository: https://charts.example.com\n  version: 1.2.3\n');
    await chart('outside', '  - {name: util, version: 0.0.1, repository: "file://../../../../elsewhere"}\n');
    for (const n of ['pinned', 'ranged', 'locked', 'outside']) await release(n, n);

    const pinned = await helmClosure('deps/k/pinned', 'deps/k/pinned.yaml', files, root);
    expect(pinned).toEqual({ paths: ['deps/charts/pinned', 'deps/charts/util', 'deps/k/pinned', 'deps/k/pinned.yaml'], volatile: false });
    const ranged = await helmClosure('deps/k/ranged', 'deps/k/ranged.yaml', files, root);
    expect(ranged.volatile).toBe(true);
    expect(ranged.reason).toContain('lib ~1.2.0 from https://charts.example.com without a Chart.lock');
    expect((await helmClosure('deps/k/locked', 'deps/k/locked.yaml', files, root)).volatile).toBe(false);
    const outside = await helmClosure('deps/k/outside', 'deps/k/outside.yaml', files, root);
    expect(outside.volatile).toBe(true);
    expect(outside.reason).toContain('outside the repository');
  });
});

describe('a YAML alias bomb in a dry file', () => {
  const bomb = `resources:\n  - &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 5 }, (_, i) => `  - &b${i} [${Array(10).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]\n`).join('')}`;

  it('does not stop the closure walk: the file is still in the closure (the renderer reports it)', async () => {
    await put('apps/bomb/kustomization.yaml', bomb);
    const c = await kustomizeClosure('apps/bomb', files, root);
    expect(c.paths).toEqual(['apps/bomb']);
  });

  it('is a located error in the config, not a crash', () => {
    expect(() => parseConfig(`kubernetes:\n  - match: a\n    output: b\n    patches: ${bomb.replace('resources:\n', '\n')}`, 'hydrate.yaml')).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(/hydrate\.yaml:\d+:\d+: error: invalid YAML: Excessive alias count/) })
    );
  });
});
