import { describe, it, expect } from '@jest/globals';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';

/** What a failing tool printed on stdout: rendered output, possibly Secret data. */
const CANARY = 'c2VjcmV0LWNhbmFyeS0xMjM0';
const failing = { exitCode: 1, stdout: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  p: ${CANARY}\n`, stderr: '' };

describe('a tool that fails with no error output', () => {
  const cfg = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}' }] };

  it('kustomize: the diagnostic says so and never quotes its stdout', async () => {
    const repo = await tempRepo({ 'k/c/t/prod/kustomization.yaml': 'resources: []\n' });
    try {
      const exec = fakeRunner(['kustomize'], failing);
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.status).toBe('failed');
      expect(exec.calls).toHaveLength(1);
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ severity: 'error', message: 'kustomize build failed (exit 1) with no error output' })
      ]);
      expect(JSON.stringify(r)).not.toContain(CANARY);
    } finally {
      await repo.cleanup();
    }
  });

  it('helm: the diagnostic says so and never quotes its stdout', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: ../../../charts/x\nversion: 0.1.0\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n'
    });
    try {
      const exec = fakeRunner(['helm'], failing);
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.status).toBe('failed');
      expect(exec.calls).toHaveLength(1);
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ severity: 'error', file: 'k/c/t/prod.yaml', message: 'helm template failed (exit 1) with no error output' })
      ]);
      expect(JSON.stringify(r)).not.toContain(CANARY);
    } finally {
      await repo.cleanup();
    }
  });

  it('stderr, when there is some, is still the message', async () => {
    const repo = await tempRepo({ 'k/c/t/prod/kustomization.yaml': 'resources: []\n' });
    try {
      const exec = fakeRunner(['kustomize'], { ...failing, stderr: 'Error: accumulating resources\n' });
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.diagnostics.map((d) => d.message)).toEqual(['kustomize build failed (exit 1): Error: accumulating resources']);
      expect(JSON.stringify(r)).not.toContain(CANARY);
    } finally {
      await repo.cleanup();
    }
  });
});
