import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import { createFileReader } from '../../../src/adapters/files.js';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { discoverUnits } from '../../../src/dry/discover.js';
import { silentLogger } from '../../../src/ports.js';
import { createKubernetesRenderer, renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import type { RenderInput } from '../../../src/render/renderer.js';
import { loadSettings } from '../../../src/settings/load-settings.js';
import { unitInputDigest } from '../../../src/pipeline/incremental.js';
import { EXAMPLE_ROOT, fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';
import { HELMS, pathOf, pathWith, tool } from '../../helpers/tools.js';

async function exampleInput(exec = createProcessRunner()): Promise<RenderInput> {
  const { settings } = await loadSettings({ configFile: join(EXAMPLE_ROOT, 'hydrate.yaml') });
  const files = createFileReader();
  const { units, diagnostics } = await discoverUnits(settings, files);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return {
    units: units.filter((u) => u.renderer === 'kubernetes'),
    settings,
    repoRoot: EXAMPLE_ROOT,
    files,
    exec,
    logger: silentLogger,
    previous: { index: undefined, readFile: async () => undefined }
  };
}

describe('the example dry repository', () => {
  it('discovers the expected Kubernetes units with their outputs', async () => {
    const input = await exampleInput();
    expect(input.units.map((u) => [u.id, u.entry, u.output])).toEqual([
      ['kubernetes:apps/cache/clusters/prod', 0, 'clusters/prod/cache'],
      ['kubernetes:apps/web/clusters/prod', 0, 'clusters/prod/web'],
      ['kubernetes:apps/web/clusters/staging', 0, 'clusters/staging/web'],
      ['kubernetes:kubernetes/platform/ops/namespaces', 1, 'kubernetes/platform/ops/namespaces'],
      ['kubernetes:kubernetes/platform/web/prod', 2, 'kubernetes/platform/web/prod']
    ]);
  });

  it.each(HELMS)('renders every unit, the Helm release with the real %s; the same output twice', async (name) => {
    const helm = tool(name);
    const exec = createProcessRunner({ PATH: pathWith(helm), ...(process.env.HOME ? { HOME: process.env.HOME } : {}) });
    expect(await exec.which('helm')).toBe(helm.bin);
    const input = await exampleInput(exec);
    const first = await createKubernetesRenderer().render(input);
    const second = await createKubernetesRenderer().render(input);
    expect(first.flatMap((r) => r.diagnostics)).toEqual([]);
    const status = Object.fromEntries(first.map((r) => [r.unit.id, r.status]));
    expect(status).toEqual({
      'kubernetes:apps/cache/clusters/prod': 'rendered',
      'kubernetes:apps/web/clusters/prod': 'rendered',
      'kubernetes:apps/web/clusters/staging': 'rendered',
      'kubernetes:kubernetes/platform/ops/namespaces': 'rendered',
      'kubernetes:kubernetes/platform/web/prod': 'rendered'
    });
    expect(first.find((r) => r.unit.id === 'kubernetes:kubernetes/platform/web/prod')!.resources.map((r) => r.object['kind']).sort()).toEqual(['Deployment', 'Service']);
    expect(second).toEqual(first);
  });

  it('without helm only the Helm release fails, naming its release file', async () => {
    const kubectl = tool('kubectl-1.32');
    const input = await exampleInput(createProcessRunner({ PATH: pathOf(kubectl) }));
    const results = await createKubernetesRenderer().render(input);
    const failed = results.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.unit.id)).toEqual(['kubernetes:kubernetes/platform/web/prod']);
    expect(failed[0]!.diagnostics[0]!.message).toBe('helm not found: install helm to render Helm release kubernetes/platform/web/prod.yaml');
  });

  it('an allowed, pinned remote kustomize base is left to kustomize, and the input digest marks the unit volatile', async () => {
    const repo = await tempRepo({
      'o/kustomization.yaml': 'resources:\n  - https://github.com/example/manifests//base?ref=v1.0.0\n'
    });
    try {
      const exec = fakeRunner(['kubectl']);
      const cfg = { kubernetes: [{ match: 'o', output: 'o', kustomize: { allowRemote: true } }] };
      const r = await renderKubernetesUnit(unit('o', 0), makeInput(repo.root, cfg, [], exec));
      expect(exec.calls).toHaveLength(1);
      expect(r.status).toBe('rendered');
      const settings = makeInput(repo.root, cfg, [], exec).settings;
      const input = await unitInputDigest(unit('o', 0), settings, createFileReader(), 'kubectl v1');
      expect(input.volatile).toBe(true);
      expect(input.reason).toContain('https://github.com/example/manifests//base?ref=v1.0.0');
    } finally {
      await repo.cleanup();
    }
  });
});
