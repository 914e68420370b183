/**
 * A plain unit reads files below its directory and builds sub-directories that hold a
 * kustomization: an incremental run must see an edit to any of them (a nested manifest, or a
 * base outside the unit that a sub-kustomization uses) exactly as a full render does. A kept
 * unit reports the objects it holds, not zero.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { applyWetPlan, readWetDir } from '../../src/adapters/wet-dir.js';
import { hydrate, type UnitReport } from '../../src/pipeline/hydrate.js';
import { silentLogger } from '../../src/ports.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { put, readTree } from './dry-fixture.js';

async function render(dry: string, out: string, full: boolean): Promise<UnitReport[]> {
  const { settings, configText } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml'), full, concurrency: 1 });
  await mkdir(out, { recursive: true });
  const outcome = await hydrate({ settings, configText, previous: await readWetDir(out), ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger } });
  expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  await applyWetPlan(out, outcome.plan!);
  return outcome.units;
}

const cm = (name: string, v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  v: "${v}"\n`;

describe('incremental plain units', () => {
  it('an edit to a nested file, or to a base a sub-kustomization uses, renders as a full run does', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-plain-nested-'));
    const dry = path.join(tmp, 'dry');
    const wet = path.join(tmp, 'wet');
    try {
      await put(dry, 'hydrate.yaml', 'version: 1\nkubernetes:\n  - match: plain/{env}\n    output: "{env}"\n');
      await put(dry, 'plain/dev/top.yaml', cm('top', '1'));
      await put(dry, 'plain/dev/a/b/nested.yaml', cm('nested', '1'));
      await put(dry, 'plain/dev/overlay/kustomization.yaml', 'resources: [../../../shared]\nnameSuffix: -k\n');
      await put(dry, 'shared/kustomization.yaml', 'resources: [cm.yaml]\n');
      await put(dry, 'shared/cm.yaml', cm('shared', '1'));

      const first = await render(dry, wet, false);
      expect(first.map((u) => [u.id, u.status, u.resources])).toEqual([['kubernetes:plain/dev', 'rendered', 3]]);
      // Kept from the earlier run: the real count, not 0.
      const kept = await render(dry, wet, false);
      expect(kept.map((u) => [u.status, u.resources])).toEqual([['reused', 3]]);

      for (const [file, content] of [
        ['plain/dev/a/b/nested.yaml', cm('nested', '2')],
        ['shared/cm.yaml', cm('shared', '2')]
      ] as const) {
        await put(dry, file, content);
        const incremental = await render(dry, wet, false);
        expect(incremental.map((u) => u.status)).toEqual(['rendered']);
        const full = path.join(tmp, `full-${file.replace(/\W/g, '-')}`);
        await render(dry, full, true);
        const tree = await readTree(wet);
        expect(tree).toEqual(await readTree(full));
        expect([...tree.values()].join('\n')).toContain('v: "2"');
      }
      const tree = await readTree(wet);
      expect(tree.get('dev/ConfigMap.nested.yml')).toBe(cm('nested', '2'));
      expect(tree.get('dev/ConfigMap.shared-k.yml')).toBe('apiVersion: v1\ndata:\n  v: "2"\nkind: ConfigMap\nmetadata:\n  name: shared-k\n');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
