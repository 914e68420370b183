/**
 * The registry maps each renderer's name to its renderer, and a renderer's specifics reach the
 * input digest only through the Renderer interface: a renderer that runs no tool has no tool
 * versions in its units' digests, and one that reports no closure is digested over its folder.
 */
import { describe, expect, it } from '@jest/globals';
import { RENDERER_NAMES } from '../../src/settings/schema/renderers.js';
import { defaultRenderers, rendererFor } from '../../src/render/registry.js';
import { unitClosure, unitInputDigest } from '../../src/pipeline/incremental.js';
import { memoryFiles, settingsFrom, unit } from './terraform/fixtures.js';

const config = {
  kubernetes: [{ match: 'apps/{app}', output: 'wet/{app}' }],
  terraform: [{ match: 'tf/{stack}', output: 'wet-tf/{stack}' }]
};

describe('the renderer registry', () => {
  it('has one renderer per name, under that name', () => {
    expect(defaultRenderers().map((r) => r.name)).toEqual([...RENDERER_NAMES]);
    for (const name of RENDERER_NAMES) {
      expect(rendererFor(name).name).toBe(name);
      expect(rendererFor(name)).toBe(rendererFor(name));
    }
  });

  it('only the kubernetes renderer runs tools and reports its own closure', () => {
    expect(RENDERER_NAMES.filter((n) => rendererFor(n).toolVersions !== undefined)).toEqual(['kubernetes']);
    expect(RENDERER_NAMES.filter((n) => rendererFor(n).closure !== undefined)).toEqual(['kubernetes']);
  });
});

describe('the input digest asks the unit\'s renderer', () => {
  const settings = settingsFrom(config);
  const files = memoryFiles({ 'tf/db/claim.yaml': 'kind: TFWorkspaceClaim\n', 'apps/web/kustomization.yaml': 'resources: [cm.yaml]\n', 'apps/web/cm.yaml': 'kind: ConfigMap\n' });

  it('a renderer without tools: its units\' digests do not change with the tool versions', async () => {
    const tf = unit('terraform', 'tf/db', { stack: 'db' });
    expect((await unitInputDigest(tf, settings, files, 'helm v3')).digest).toBe((await unitInputDigest(tf, settings, files, 'helm v4')).digest);
    const k = unit('kubernetes', 'apps/web', { app: 'web' });
    expect((await unitInputDigest(k, settings, files, 'helm v3')).digest).not.toBe((await unitInputDigest(k, settings, files, 'helm v4')).digest);
  });

  it('a renderer without a closure of its own: its unit reads its folder; the kubernetes renderer walks the kustomization', async () => {
    expect(await unitClosure(unit('terraform', 'tf/db', { stack: 'db' }), settings, files)).toEqual({ paths: ['tf/db'], volatile: false });
    const k = await unitClosure(unit('kubernetes', 'apps/web', { app: 'web' }), settings, files);
    expect(k.paths).toEqual(expect.arrayContaining(['apps/web']));
    expect(k.volatile).toBe(false);
  });
});
