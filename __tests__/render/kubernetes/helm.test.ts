import { describe, it, expect } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { helmRelease, helmTemplateArgs, renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { EXAMPLE_ROOT, fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';

const helmOnPath = (await createProcessRunner().which('helm')) !== undefined;
const itHelm = helmOnPath ? it : it.skip;

const HELM_DIR = 'kubernetes/platform/web/prod';

describe('helmTemplateArgs', () => {
  it('builds template args with repo, namespace, CRDs, values in order and typed --set', () => {
    const release = helmRelease.parse({
      chart: 'podinfo',
      version: '6.7.1',
      repository: 'https://stefanprodan.github.io/podinfo',
      set: [
        { name: 'replicaCount', value: 2 },
        { name: 'ui.message', value: 'hi' },
        { name: 'ingress.enabled', value: true }
      ]
    });
    const args = helmTemplateArgs({ ...release, releaseName: 'web', namespace: 'apps' }, ['/r/a.yaml', '/r/b.yaml']);
    expect(args).toEqual([
      'template', 'web', 'podinfo', '--version', '6.7.1',
      '--repo', 'https://stefanprodan.github.io/podinfo',
      '--namespace', 'apps', '--include-crds',
      '-f', '/r/a.yaml', '-f', '/r/b.yaml',
      '--set', 'replicaCount=2', '--set-string', 'ui.message=hi', '--set', 'ingress.enabled=true'
    ]);
    expect(args).not.toContain('--post-renderer');
  });

  it('uses the resolved chart reference and omits --repo when there is none', () => {
    const release = helmRelease.parse({ chart: 'oci://ghcr.io/x/charts/app', version: '1.0.0' });
    expect(helmTemplateArgs({ ...release, releaseName: 'r', namespace: 'n' }, [])).toEqual([
      'template', 'r', 'oci://ghcr.io/x/charts/app', '--version', '1.0.0', '--namespace', 'n', '--include-crds'
    ]);
  });

  for (const bad of ['^1.2.0', '~1.2.0', '*', '1.x', '>=1.0.0', '1.2']) {
    it(`rejects the unpinned version ${JSON.stringify(bad)}`, () => {
      const r = helmRelease.safeParse({ chart: 'c', version: bad });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toContain('pinned');
    });
  }
  it('accepts exact versions incl. pre-releases', () => {
    for (const v of ['0.1.0', 'v1.2.3', '1.2.3-rc.1', '1.2.3+build.5']) expect(helmRelease.safeParse({ chart: 'c', version: v }).success).toBe(true);
  });
});

describe('Helm release units', () => {
  const cfg = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}' }] };

  it('reports an unpinned version at the release file line and runs nothing', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: ./chart\nversion: ^1.0.0\n',
      'k/c/t/prod/values.yaml': 'a: 1\n'
    });
    try {
      const exec = fakeRunner(['helm']);
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ file: 'k/c/t/prod.yaml', line: 2, col: 10, message: expect.stringContaining('version: version must be pinned') })
      ]);
      expect(exec.calls).toEqual([]);
    } finally {
      await repo.cleanup();
    }
  });

  it('passes values files sorted by name (code-unit order) and the local chart as an absolute path', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: ../../../charts/x\nversion: 0.1.0\nset:\n  - {name: a, value: "1"}\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'k/c/t/prod/B-overrides.yml': 'b: 1\n',
      'k/c/t/prod/a-base.yaml': 'c: 1\n',
      'k/c/t/prod/hydrate-patches.yaml': '[]\n',
      'k/c/t/prod/extra_artifacts/not-values.yaml': 'd: 1\n',
      'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n',
      'charts/x/templates/cm.yaml': 'data: {p: {{ randAlphaNum 8 }}}\n'
    });
    try {
      const exec = fakeRunner(['helm'], {
        exitCode: 0,
        stdout: '---\n# Source: x/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n',
        stderr: ''
      });
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.diagnostics).toEqual([]);
      // Rendered twice with the same arguments, to catch non-deterministic charts (randAlphaNum).
      expect(exec.calls).toHaveLength(2);
      expect(exec.calls[1]!.args).toEqual(exec.calls[0]!.args);
      expect(exec.calls[0]!.command).toBe('helm');
      const d = join(repo.root, 'k/c/t/prod');
      expect(exec.calls[0]!.args).toEqual([
        'template', 't', join(repo.root, 'charts/x'), '--version', '0.1.0', '--namespace', 'default', '--include-crds',
        '-f', `${d}/B-overrides.yml`, '-f', `${d}/a-base.yaml`, '-f', `${d}/values.yaml`,
        '--set-string', 'a=1'
      ]);
      expect(r.resources.map((x) => x.source.file)).toEqual(['k/c/t/prod.yaml']);
    } finally {
      await repo.cleanup();
    }
  });

  it('refuses a chart whose output differs between two identical renders', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: ../../../charts/x\nversion: 0.1.0\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n',
      'charts/x/templates/secret.yaml': 'stringData: {p: {{ randAlphaNum 8 }}}\n'
    });
    try {
      let n = 0;
      const base = fakeRunner(['helm']);
      const exec = {
        ...base,
        async run(command: string, args: readonly string[]) {
          if (args[0] === 'version') return { exitCode: 0, stdout: 'v-test', stderr: '' };
          n++;
          return { exitCode: 0, stdout: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  p: random${n}\n`, stderr: '' };
        }
      };
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.status).toBe('failed');
      expect(r.diagnostics[0]).toMatchObject({ file: 'k/c/t/prod.yaml', severity: 'error' });
      expect(r.diagnostics[0]!.message).toContain('different output on identical renders');
      expect(JSON.stringify(r.diagnostics)).not.toContain('random1');
      expect(n).toBe(2);
    } finally {
      await repo.cleanup();
    }
  });

  it('helm missing: the example release fails with a clear error naming the release file', async () => {
    const config = await readFile(join(EXAMPLE_ROOT, 'hydrate.yaml'), 'utf8');
    const exec = fakeRunner(['kubectl']);
    const r = await renderKubernetesUnit(unit(HELM_DIR, 2), makeInput(EXAMPLE_ROOT, config, [], exec));
    expect(r.status).toBe('failed');
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        unit: `kubernetes:${HELM_DIR}`,
        file: `${HELM_DIR}.yaml`,
        message: `helm not found: install helm to render Helm release ${HELM_DIR}.yaml`
      }
    ]);
    expect(exec.calls).toEqual([]);
  });

  it('the type is detected automatically from a release file with a chart key', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: repo/app\nversion: 1.0.0\nrepository: https://charts.example.com\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'k/c/t/dev.yaml': '# not a release\nfoo: bar\n',
      'k/c/t/dev/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dev}\n'
    });
    try {
      const exec = fakeRunner([]);
      const prod = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(prod.diagnostics[0]?.message).toBe('helm not found: install helm to render Helm release k/c/t/prod.yaml');
      const dev = await renderKubernetesUnit(unit('k/c/t/dev', 0), makeInput(repo.root, cfg, [], exec));
      expect(dev.status).toBe('rendered');
      expect(dev.resources).toHaveLength(1);
    } finally {
      await repo.cleanup();
    }
  });

  it('applies the release file\'s extraPatches to what helm printed (helm faked)', async () => {
    const config = await readFile(join(EXAMPLE_ROOT, 'hydrate.yaml'), 'utf8');
    const stdout = '---\n# Source: hello/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hello\nspec:\n  replicas: 2\n';
    const r = await renderKubernetesUnit(unit(HELM_DIR, 2), makeInput(EXAMPLE_ROOT, config, [], fakeRunner(['helm'], { exitCode: 0, stdout, stderr: '' })));
    expect(r.diagnostics).toEqual([]);
    const dep = r.resources.find((x) => x.object['kind'] === 'Deployment')!;
    expect((dep.object['metadata'] as Record<string, unknown>)['annotations']).toEqual({ owner: 'platform' });
    expect((dep.object['spec'] as Record<string, unknown>)['replicas']).toBe(2);
  });

  itHelm('renders the example release with real helm and applies extraPatches', async () => {
    const config = await readFile(join(EXAMPLE_ROOT, 'hydrate.yaml'), 'utf8');
    const r = await renderKubernetesUnit(unit(HELM_DIR, 2), makeInput(EXAMPLE_ROOT, config, []));
    expect(r.diagnostics).toEqual([]);
    const dep = r.resources.find((x) => x.object['kind'] === 'Deployment')!;
    expect((dep.object['metadata'] as Record<string, unknown>)['annotations']).toEqual({ owner: 'platform' });
    expect((dep.object['spec'] as Record<string, unknown>)['replicas']).toBe(2);
  });
});

describe('local charts', () => {
  it('a release version that differs from the local Chart.yaml is an error at the version line', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: ../../../charts/x\nversion: 0.2.0\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n'
    });
    try {
      const exec = fakeRunner(['helm']);
      const cfg = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}' }] };
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.status).toBe('failed');
      expect(r.diagnostics[0]).toEqual(expect.objectContaining({ file: 'k/c/t/prod.yaml', line: 2, message: expect.stringContaining('does not match the local chart charts/x') }));
      expect(exec.calls).toEqual([]);
    } finally {
      await repo.cleanup();
    }
  });

  it('a local chart path without Chart.yaml is an error at the chart line', async () => {
    const repo = await tempRepo({ 'k/c/t/prod.yaml': '# release\nchart: ./nope\nversion: 0.1.0\n', 'k/c/t/prod/values.yaml': 'a: 1\n' });
    try {
      const cfg = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}' }] };
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], fakeRunner(['helm'])));
      expect(r.diagnostics[0]).toEqual(expect.objectContaining({ file: 'k/c/t/prod.yaml', line: 2, message: expect.stringContaining('has no Chart.yaml') }));
    } finally {
      await repo.cleanup();
    }
  });
});
