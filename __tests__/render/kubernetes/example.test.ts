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

  it('renders every unit; only the Helm release fails when helm is absent; the same output twice', async () => {
    const helmOnPath = (await createProcessRunner().which('helm')) !== undefined;
    const input = await exampleInput();
    const first = await createKubernetesRenderer().render(input);
    const second = await createKubernetesRenderer().render(input);
    const status = Object.fromEntries(first.map((r) => [r.unit.id, r.status]));
    expect(status).toEqual({
      'kubernetes:apps/cache/clusters/prod': 'rendered',
      'kubernetes:apps/web/clusters/prod': 'rendered',
      'kubernetes:apps/web/clusters/staging': 'rendered',
      'kubernetes:kubernetes/platform/ops/namespaces': 'rendered',
      'kubernetes:kubernetes/platform/web/prod': helmOnPath ? 'rendered' : 'failed'
    });
    expect(second).toEqual(first);
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
