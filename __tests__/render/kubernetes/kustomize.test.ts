import { describe, it, expect } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { renderKubernetesUnit, createKubernetesRenderer } from '../../../src/render/kubernetes/index.js';
import { identityKey, mustIdentity } from '../../../src/resources/resource.js';
import { EXAMPLE_ROOT, fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';
import { KUBECTLS, pathOf, tool } from '../../helpers/tools.js';
import { HELM_ENV } from '../../../src/render/kubernetes/kubernetes-renderer.js';

const exampleConfig = async (): Promise<string> => readFile(join(EXAMPLE_ROOT, 'hydrate.yaml'), 'utf8');

function byIdentity(objects: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const o of objects) m.set(identityKey(mustIdentity(o as Record<string, unknown>)), o);
  return m;
}

// Against kustomize v5.5 (kubectl 1.32) and v5.7 (kubectl 1.35): the runner's PATH holds only
// the kubectl under test. The example renders the same objects with both.
describe.each(KUBECTLS)('kustomize units of the example (real %s kustomize)', (k) => {
  const kubectl = tool(k);
  const runner = () => createProcessRunner({ PATH: pathOf(kubectl), ...(process.env.HOME ? { HOME: process.env.HOME } : {}) });
  it(`runs ${kubectl.version}`, async () => {
    expect(await runner().which('kubectl')).toBe(kubectl.bin);
    expect(await runner().which('kustomize')).toBeUndefined();
  });
  const dirs = ['apps/web/clusters/staging', 'apps/web/clusters/prod', 'apps/cache/clusters/prod'];
  for (const dir of dirs) {
    it(`renders ${dir} to exactly what kubectl kustomize prints`, async () => {
      const exec = runner();
      const input = makeInput(EXAMPLE_ROOT, await exampleConfig(), [unit(dir, 0)], exec);
      const result = await renderKubernetesUnit(unit(dir, 0), input);
      expect(result.diagnostics).toEqual([]);
      expect(result.status).toBe('rendered');

      const direct = await exec.run('kubectl', ['kustomize', join(EXAMPLE_ROOT, dir)]);
      expect(direct.exitCode).toBe(0);
      const expected = parseAllDocuments(direct.stdout).map((d) => d.toJS() as unknown).filter((v) => v !== null);
      const got = result.resources.map((r) => r.object);
      expect(got.length).toBe(expected.length);
      const want = byIdentity(expected);
      const have = byIdentity(got);
      expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, v] of want) expect(have.get(k)).toEqual(v);
      for (const r of result.resources) {
        expect(r.unit).toBe(`kubernetes:${dir}`);
        expect(r.source.file).toBe(`${dir}/kustomization.yaml`);
      }
    });
  }

  it('includes the component and the vendored base', async () => {
    const input = makeInput(EXAMPLE_ROOT, await exampleConfig(), [unit('apps/web/clusters/prod', 0), unit('apps/cache/clusters/prod', 0)], runner());
    const [web, cache] = await createKubernetesRenderer().render(input);
    const webKinds = web!.resources.map((r) => r.object['kind']);
    expect(webKinds).toContain('ServiceMonitor');
    const cm = web!.resources.find((r) => r.object['kind'] === 'ConfigMap');
    expect((cm!.object['metadata'] as Record<string, unknown>)['name']).toMatch(/^web-config-[a-z0-9]{10}$/);
    const sts = cache!.resources.find((r) => r.object['kind'] === 'StatefulSet');
    expect((sts!.object['spec'] as Record<string, unknown>)['replicas']).toBe(3);
  });
});

describe('kustomize failures', () => {
  it('a kustomization with a missing resource fails the unit with the tool stderr and the file named', async () => {
    const repo = await tempRepo({
      'apps/broken/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - does-not-exist.yaml\n'
    });
    try {
      const u = unit('apps/broken', 0);
      const result = await renderKubernetesUnit(u, makeInput(repo.root, { kubernetes: [{ match: 'apps/{a}', output: '{a}' }] }, [u]));
      expect(result.status).toBe('failed');
      expect(result.resources).toEqual([]);
      const d = result.diagnostics.find((x) => x.severity === 'error');
      expect(d?.file).toBe('apps/broken/kustomization.yaml');
      expect(d?.unit).toBe('kubernetes:apps/broken');
      expect(d?.message).toContain('does-not-exist.yaml');
      expect(d?.message).toMatch(/^kubectl kustomize failed \(exit \d+\): /);
    } finally {
      await repo.cleanup();
    }
  });

  it('reports a clear error when neither kustomize nor kubectl is on PATH', async () => {
    const u = unit('apps/web/clusters/prod', 0);
    const exec = fakeRunner([]);
    const result = await renderKubernetesUnit(u, makeInput(EXAMPLE_ROOT, await exampleConfig(), [u], exec));
    expect(result.status).toBe('failed');
    expect(result.diagnostics[0]?.message).toBe('kustomize not found: install kustomize or kubectl (kubectl kustomize)');
    expect(result.diagnostics[0]?.file).toBe('apps/web/clusters/prod/kustomization.yaml');
    expect(exec.calls).toEqual([]);
  });

  it('prefers a kustomize binary over kubectl', async () => {
    const u = unit('apps/web/clusters/prod', 0);
    const exec = fakeRunner(['kustomize', 'kubectl']);
    await renderKubernetesUnit(u, makeInput(EXAMPLE_ROOT, await exampleConfig(), [u], exec));
    expect(exec.calls[0]?.command).toBe('kustomize');
    expect(exec.calls[0]?.args).toEqual(['build', join(EXAMPLE_ROOT, 'apps/web/clusters/prod')]);
  });

  it('runs kustomize with the Go collector off up to a memory limit (less CPU, same output)', async () => {
    const u = unit('apps/web/clusters/prod', 0);
    const exec = fakeRunner(['kubectl']);
    await renderKubernetesUnit(u, makeInput(EXAMPLE_ROOT, await exampleConfig(), [u], exec));
    expect(exec.calls[0]?.options?.env).toEqual({ GOGC: 'off', GOMEMLIMIT: '512MiB' });
    const small = makeInput(EXAMPLE_ROOT, await exampleConfig(), [u], exec);
    await renderKubernetesUnit(u, { ...small, settings: { ...small.settings, toolMemoryMiB: 128 } });
    expect(exec.calls[1]?.options?.env).toEqual({ GOGC: 'off', GOMEMLIMIT: '128MiB' });
  });
});

describe('--enable-helm', () => {
  const cases: [string, boolean | undefined, boolean | undefined, boolean][] = [
    ['not asked for', undefined, undefined, false],
    ['asked for and allowed', true, true, true],
    ['asked for but the policy forbids it', true, false, false],
    ['allowed but not asked for', false, true, false]
  ];
  for (const [name, enableHelm, allowHelm, expected] of cases) {
    it(`is ${expected ? '' : 'not '}passed when ${name}`, async () => {
      const u = unit('apps/web/clusters/prod', 0);
      const exec = fakeRunner(['kubectl']);
      const config = {
        kubernetes: [{ match: 'apps/{app}/clusters/{cluster}', output: 'x/{app}', ...(enableHelm === undefined ? {} : { kustomize: { enableHelm } }) }],
        ...(allowHelm === undefined ? {} : { policy: { allowHelm } })
      };
      await renderKubernetesUnit(u, makeInput(EXAMPLE_ROOT, config, [u], exec));
      expect(exec.calls).toHaveLength(1);
      const args = exec.calls[0]!.args;
      expect(exec.calls[0]!.command).toBe('kubectl');
      expect(args[0]).toBe('kustomize');
      expect(args.includes('--enable-helm')).toBe(expected);
      for (const forbidden of ['--load-restrictor', 'LoadRestrictionsNone', '--enable-alpha-plugins', '--enable-exec']) {
        expect(args).not.toContain(forbidden);
      }
    });
  }
});

describe('--helm-command', () => {
  it('names the helm found on PATH, and the helm variables are passed to kustomize only with --enable-helm', async () => {
    const u = unit('apps/web/clusters/prod', 0);
    const config = (enableHelm: boolean) => ({ kubernetes: [{ match: 'apps/{app}/clusters/{cluster}', output: 'x/{app}', kustomize: { enableHelm } }] });
    const exec = fakeRunner(['kubectl', 'helm']);
    await renderKubernetesUnit(u, makeInput(EXAMPLE_ROOT, config(true), [u], exec));
    await renderKubernetesUnit(u, makeInput(EXAMPLE_ROOT, config(false), [u], exec));
    expect(exec.calls[0]!.args.slice(0, 3)).toEqual(['kustomize', '--enable-helm', '--helm-command=/usr/bin/helm']);
    expect(exec.calls[0]!.options?.passEnv).toEqual(HELM_ENV);
    expect(exec.calls[1]!.args.some((a) => a.startsWith('--helm') || a === '--enable-helm')).toBe(false);
    expect(exec.calls[1]!.options?.passEnv).toBeUndefined();
  });
});

describe('tool versions', () => {
  it('are not asked by the renderer: the pipeline asks them once per run, for the input digests', async () => {
    const u = unit('apps/web/clusters/prod', 0);
    const out = { exitCode: 0, stdout: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n', stderr: '' };
    const exec = fakeRunner(['kubectl'], out);
    const r = await renderKubernetesUnit(u, makeInput(EXAMPLE_ROOT, await exampleConfig(), [u], exec));
    expect(r.status).toBe('rendered');
    expect(exec.calls).toHaveLength(1);
    expect(exec.versionCalls).toEqual([]);
  });
});
