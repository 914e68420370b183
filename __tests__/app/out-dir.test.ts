/**
 * refuseOutDir: a wet directory outside the repository cannot overlap anything in it, so the
 * check decides without reading the dry tree; inside it, units and what they read are worked out.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { refuseOutDir } from '../../src/app/out-dir.js';
import { ConfigError } from '../../src/diagnostics.js';
import type { FileReader } from '../../src/ports.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { put } from '../incremental/dry-fixture.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-outdir-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function countingReader(): { files: FileReader; calls: string[] } {
  const inner = createFileReader();
  const calls: string[] = [];
  const files: FileReader = {
    readFile: (p) => (calls.push(p), inner.readFile(p)),
    readFileBytes: (p) => (calls.push(p), inner.readFileBytes(p)),
    readDir: (p) => (calls.push(p), inner.readDir(p)),
    lstat: (p) => (calls.push(p), inner.lstat(p)),
    realpath: (p) => (calls.push(p), inner.realpath(p))
  };
  return { files, calls };
}

describe('refuseOutDir', () => {
  async function settingsOf(dry: string) {
    await put(dry, 'hydrate.yaml', 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: wet/{app}\n');
    await put(dry, 'apps/web/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n');
    return (await loadSettings({ configFile: path.join(dry, 'hydrate.yaml') })).settings;
  }

  it('accepts a folder beside the repository without reading the dry tree', async () => {
    const dry = path.join(tmp, 'dry');
    const settings = await settingsOf(dry);
    const { files, calls } = countingReader();
    await refuseOutDir(path.join(tmp, 'wet'), 'wet', settings, files);
    expect(calls).toEqual([]);
  });

  it('still refuses a folder inside a unit, and the repository itself', async () => {
    const dry = path.join(tmp, 'dry');
    const settings = await settingsOf(dry);
    await expect(refuseOutDir(path.join(dry, 'apps/web/out'), 'apps/web/out', settings, createFileReader())).rejects.toThrow(ConfigError);
    await expect(refuseOutDir(path.join(dry, 'apps/web/out'), 'apps/web/out', settings, createFileReader())).rejects.toThrow(/overlaps the unit directory apps\/web/);
    await expect(refuseOutDir(dry, '.', settings, createFileReader())).rejects.toThrow(/is the dry repository itself/);
    await expect(refuseOutDir(path.join(dry, 'out/wet'), 'out/wet', settings, createFileReader())).resolves.toBeUndefined();
  });
});
