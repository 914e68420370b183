/**
 * A kept unit's wet files are not read: its index entry says what Hydrate wrote, and the file
 * stays as the wet tree holds it. What the kept files promised before still holds: a hand edit
 * stays (and the index keeps Hydrate's hash), a deleted or replaced file makes the unit render
 * again or the run refuse, and the output equals a full render's.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { applyWetPlan, readWetDir } from '../../src/adapters/wet-dir.js';
import { hydrate, type HydrateOutcome } from '../../src/pipeline/hydrate.js';
import type { PreviousWet } from '../../src/render/renderer.js';
import { silentLogger } from '../../src/ports.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { INDEX_PATH } from '../../src/formats/wet-index.js';
import { configMap, PLAIN_APPS_CONFIG, put, readTree } from './dry-fixture.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-kept-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const CONFIG = PLAIN_APPS_CONFIG;
const cm = configMap;

async function dryTree(root: string, apps: string[]): Promise<void> {
  await put(root, 'hydrate.yaml', CONFIG);
  for (const app of apps) for (let i = 0; i < 2; i++) await put(root, `apps/${app}/cm-${i}.yaml`, cm(`${app}-${i}`));
}

/** Renders `dry` onto `out`, recording every wet path the pipeline reads from the previous tree. */
async function render(dry: string, out: string, opts: { full?: boolean } = {}): Promise<{ outcome: HydrateOutcome; reads: string[] }> {
  const { settings, configText } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml'), concurrency: 1, ...(opts.full ? { full: true } : {}) });
  await mkdir(out, { recursive: true });
  const wet = await readWetDir(out);
  const reads: string[] = [];
  const previous: PreviousWet = { ...wet, readFile: (p) => (reads.push(p), wet.readFile(p)) };
  const outcome = await hydrate({ settings, configText, previous, ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger } });
  if (outcome.ok) await applyWetPlan(out, outcome.plan!);
  return { outcome, reads };
}

const statusOf = (o: HydrateOutcome, id: string): string | undefined => o.units.find((u) => u.id === id)?.status;
const recordedHash = async (out: string, id: string, p: string): Promise<string | undefined> =>
  (JSON.parse(await readFile(path.join(out, INDEX_PATH), 'utf8')) as { units: Record<string, { hashes?: Record<string, string> }> }).units[id]?.hashes?.[p];

describe('kept units', () => {
  it('a run with nothing changed reads no wet file but the index, and writes nothing', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, ['a', 'b', 'c']);
    await render(dry, out);
    const before = await readTree(out);
    const { outcome, reads } = await render(dry, out);
    expect(outcome.units.map((u) => u.status)).toEqual(['reused', 'reused', 'reused']);
    expect(reads.filter((p) => p !== INDEX_PATH)).toEqual([]);
    expect(outcome.plan!.writes).toEqual([]);
    expect(outcome.plan!.deletes).toEqual([]);
    expect(outcome.plan!.unchanged).toContain('wet/a/ConfigMap.a-0.yml');
    expect(outcome.layout!.kept).toContain('wet/a/ConfigMap.a-0.yml');
    expect(await readTree(out)).toEqual(before);
  });

  it('with one unit changed, only that unit\'s files are read; the tree equals a full render', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, ['a', 'b', 'c']);
    await render(dry, out);
    await put(dry, 'apps/b/cm-1.yaml', cm('b-1', 'changed'));
    const { outcome, reads } = await render(dry, out);
    expect(statusOf(outcome, 'kubernetes:apps/b')).toBe('rendered');
    expect(reads.filter((p) => p.startsWith('wet/a/') || p.startsWith('wet/c/'))).toEqual([]);
    // The diff shows the change, and nothing of the kept units.
    expect(outcome.diff.units.map((u) => u.unit)).toEqual(['kubernetes:apps/b']);
    const incremental = await readTree(out);
    const fullOut = path.join(tmp, 'full');
    await render(dry, fullOut, { full: true });
    expect(incremental).toEqual(await readTree(fullOut));
    expect(parse(incremental.get('wet/b/ConfigMap.b-1.yml')!)).toMatchObject({ data: { k: 'changed' } });
  });

  it('a kept file edited by hand stays as edited, with the hash of what hydrate wrote; --full writes it again', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, ['a', 'b']);
    await render(dry, out);
    const file = 'wet/a/ConfigMap.a-0.yml';
    const written = await readFile(path.join(out, file), 'utf8');
    const hash = await recordedHash(out, 'kubernetes:apps/a', file);
    await writeFile(path.join(out, file), 'edited by hand\n');
    await put(dry, 'apps/b/cm-0.yaml', cm('b-0', 'changed'));
    const { outcome } = await render(dry, out);
    expect(statusOf(outcome, 'kubernetes:apps/a')).toBe('reused');
    expect(outcome.plan!.writes.map((w) => w.path)).not.toContain(file);
    expect(await readFile(path.join(out, file), 'utf8')).toBe('edited by hand\n');
    expect(await recordedHash(out, 'kubernetes:apps/a', file)).toBe(hash);
    await render(dry, out, { full: true });
    expect(await readFile(path.join(out, file), 'utf8')).toBe(written);
  });

  it('a kept file deleted by hand makes its unit render again, and the file is back', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, ['a', 'b']);
    await render(dry, out);
    const file = 'wet/a/ConfigMap.a-1.yml';
    const written = await readFile(path.join(out, file), 'utf8');
    await unlink(path.join(out, file));
    const { outcome } = await render(dry, out);
    expect(statusOf(outcome, 'kubernetes:apps/a')).toBe('rendered');
    expect(statusOf(outcome, 'kubernetes:apps/b')).toBe('reused');
    expect(await readFile(path.join(out, file), 'utf8')).toBe(written);
  });

  it('a kept file replaced by a symlink is refused, and nothing is written', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, ['a', 'b']);
    await render(dry, out);
    const file = 'wet/a/ConfigMap.a-1.yml';
    await writeFile(path.join(tmp, 'elsewhere.yml'), 'outside\n');
    await unlink(path.join(out, file));
    await symlink(path.join(tmp, 'elsewhere.yml'), path.join(out, file));
    await put(dry, 'apps/b/cm-0.yaml', cm('b-0', 'changed'));
    const before = await readFile(path.join(out, INDEX_PATH), 'utf8');
    await expect(render(dry, out)).rejects.toThrow(/ConfigMap\.a-1\.yml in the wet tree is not a regular file|is a symlink in the wet tree/);
    expect(await readFile(path.join(out, INDEX_PATH), 'utf8')).toBe(before);
    expect(await readFile(path.join(out, 'wet/b/ConfigMap.b-0.yml'), 'utf8')).not.toMatch(/changed/);
  });
  it('a kept file is still held to the portable-path rules, as when every file was laid out again', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, ['a', 'b']);
    await render(dry, out);
    // An index an older version wrote, owning a path Windows cannot check out.
    const index = JSON.parse(await readFile(path.join(out, INDEX_PATH), 'utf8')) as { units: Record<string, { paths: string[]; hashes: Record<string, string> }> };
    const a = index.units['kubernetes:apps/a']!;
    a.paths = a.paths.map((p) => (p === 'wet/a/ConfigMap.a-0.yml' ? 'wet/a/CON.yml' : p)).sort();
    a.hashes['wet/a/CON.yml'] = a.hashes['wet/a/ConfigMap.a-0.yml']!;
    delete a.hashes['wet/a/ConfigMap.a-0.yml'];
    await writeFile(path.join(out, INDEX_PATH), `${JSON.stringify(index, null, 2)}\n`);
    await writeFile(path.join(out, 'wet/a/CON.yml'), await readFile(path.join(out, 'wet/a/ConfigMap.a-0.yml')));
    await unlink(path.join(out, 'wet/a/ConfigMap.a-0.yml'));
    await put(dry, 'apps/b/cm-0.yaml', cm('b-0', 'changed'));
    const { outcome } = await render(dry, out);
    expect(statusOf(outcome, 'kubernetes:apps/a')).toBe('reused');
    expect(outcome.ok).toBe(false);
    expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      expect.objectContaining({ unit: 'kubernetes:apps/a', message: expect.stringMatching(/wet\/a\/CON\.yml.*"CON" is a reserved device name on Windows/) })
    ]);
  });
});
