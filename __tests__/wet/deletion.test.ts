/**
 * Nothing deleted by accident: config mistakes that would prune what Hydrate rendered, a tampered
 * index, an interrupted write, and two configs sharing one wet tree. Runs the pipeline over real
 * plain-manifest dry trees and the wet tree on disk, as the CLI does.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { applyWetPlan, nodeWetFs, readWetDir, type WetFs } from '../../src/adapters/wet-dir.js';
import { HydrateError, type Diagnostic } from '../../src/diagnostics.js';
import { hydrate, type HydrateOutcome } from '../../src/pipeline/hydrate.js';
import { silentLogger } from '../../src/ports.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { INDEX_PATH, PENDING_PATH } from '../../src/formats/wet-index.js';
import { configMap, PLAIN_APPS_CONFIG, put, readTree } from '../incremental/dry-fixture.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-deletion-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const CONFIG = PLAIN_APPS_CONFIG;
const cm = configMap;

/** A dry tree with plain manifest units apps/<app>, each holding `count` ConfigMaps. */
async function dryTree(root: string, apps: Record<string, number>, config = CONFIG): Promise<void> {
  await put(root, 'hydrate.yaml', config);
  for (const [app, count] of Object.entries(apps)) {
    for (let i = 0; i < count; i++) await put(root, `apps/${app}/cm-${i}.yaml`, cm(`${app}-${i}`));
  }
}

interface Run {
  outcome: HydrateOutcome;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

async function render(
  dry: string,
  out: string,
  opts: { allowMassDeletion?: boolean; repository?: string; fs?: WetFs; full?: boolean } = {}
): Promise<Run> {
  const { settings, configText } = await loadSettings({
    configFile: path.join(dry, 'hydrate.yaml'),
    concurrency: 1,
    ...(opts.full ? { full: true } : {}),
    ...(opts.allowMassDeletion ? { allowMassDeletion: true } : {}),
    ...(opts.repository ? { repository: opts.repository } : {})
  });
  await mkdir(out, { recursive: true });
  const outcome = await hydrate({
    settings,
    configText,
    previous: await readWetDir(out),
    ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger }
  });
  if (outcome.ok) await applyWetPlan(out, outcome.plan!, opts.fs);
  return {
    outcome,
    errors: outcome.diagnostics.filter((d) => d.severity === 'error'),
    warnings: outcome.diagnostics.filter((d) => d.severity === 'warning')
  };
}

describe('config mistakes do not prune what was rendered', () => {
  it('an entry whose match selects no directory is a config error with its line (exit 2); nothing is written', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 2, b: 2 });
    expect((await render(dry, out)).errors).toEqual([]);
    const before = await readTree(out);
    await writeFile(path.join(dry, 'hydrate.yaml'), CONFIG.replace('apps/{app}', 'aps/{app}'));
    const r = await render(dry, out);
    expect(r.outcome.ok).toBe(false);
    expect(r.outcome.exitCode).toBe(2);
    expect(r.errors).toEqual([
      expect.objectContaining({ file: 'hydrate.yaml', line: 3, col: 12, message: expect.stringMatching(/^kubernetes\[0\]\.match "aps\/\{app\}" matches no directory/) })
    ]);
    expect(await readTree(out)).toEqual(before);
  });

  it('allowEmpty lets an entry match nothing (a warning)', async () => {
    const dry = path.join(tmp, 'dry');
    await dryTree(dry, { a: 1 }, `${CONFIG}  - match: later/{x}\n    output: later/{x}\n    allowEmpty: true\n`);
    const r = await render(dry, path.join(tmp, 'out'));
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((d) => d.message)).toEqual([expect.stringMatching(/kubernetes\[1\]\.match "later\/\{x\}" matches no directory/)]);
  });

  it.each([
    ['an empty file', ''],
    ['version only', 'version: 1\n'],
    ['empty lists', 'version: 1\nkubernetes: []\nterraform: []\nsecrets: []\n']
  ])('a config without entries (%s) while the index owns units is an error (exit 2); allowed, it prunes', async (_name, text) => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1, b: 1 });
    await render(dry, out);
    const before = await readTree(out);
    await writeFile(path.join(dry, 'hydrate.yaml'), text);
    const r = await render(dry, out);
    expect(r.outcome.exitCode).toBe(2);
    expect(r.errors.map((d) => d.message)).toEqual([expect.stringMatching(/has no kubernetes, terraform or secrets entries, but the wet tree holds 2 unit\(s\).*--allow-mass-deletion/)]);
    expect(await readTree(out)).toEqual(before);
    const allowed = await render(dry, out, { allowMassDeletion: true });
    expect(allowed.errors).toEqual([]);
    expect([...(await readTree(out)).keys()]).toEqual([INDEX_PATH]);
  });

  it('a unit whose directory is still there but now renders nothing is an error, unless allowed', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 2, b: 2, c: 2, d: 2 });
    await render(dry, out);
    const before = await readTree(out);
    // The unit's manifests emptied (a bad edit, a generator gone): the directory stays.
    for (const f of ['cm-0.yaml', 'cm-1.yaml']) await writeFile(path.join(dry, 'apps/a', f), '# nothing here\n');
    const r = await render(dry, out);
    expect(r.errors).toEqual([
      expect.objectContaining({ unit: 'kubernetes:apps/a', message: expect.stringMatching(/rendered no objects, where the wet tree holds 2 file\(s\) it rendered before.*allowEmpty: true on kubernetes\[0\]/) })
    ]);
    expect(r.outcome.exitCode).toBe(1);
    expect(await readTree(out)).toEqual(before);

    await writeFile(path.join(dry, 'hydrate.yaml'), `${CONFIG}    allowEmpty: true\n`);
    expect((await render(dry, out)).errors).toEqual([]);
    expect([...(await readTree(out)).keys()].filter((p) => p.startsWith('wet/a/'))).toEqual(['wet/a/.gitattributes']);
  });

  it('--allow-mass-deletion also lets a unit render nothing', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1, b: 1, c: 1 });
    await render(dry, out);
    await writeFile(path.join(dry, 'apps/a/cm-0.yaml'), '');
    expect((await render(dry, out)).errors).toHaveLength(1);
    expect((await render(dry, out, { allowMassDeletion: true })).errors).toEqual([]);
  });

  it('deleting unit directories is fine up to half of the owned files; more, or all, needs allow-mass-deletion', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 3, b: 3, c: 3, d: 3 });
    await render(dry, out);
    // 3 of 12 files: fine.
    await rm(path.join(dry, 'apps/d'), { recursive: true });
    expect((await render(dry, out)).errors).toEqual([]);
    expect([...(await readTree(out)).keys()].some((p) => p.startsWith('wet/d/'))).toBe(false);
    const before = await readTree(out);
    // 6 of 9: more than half.
    await rm(path.join(dry, 'apps/b'), { recursive: true });
    await rm(path.join(dry, 'apps/c'), { recursive: true });
    const r = await render(dry, out);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.message).toMatch(/^this run would delete 6 of the 9 files hydrate owns in the wet tree \(67 %, more than 50 %\): unit kubernetes:apps\/b \(3 file\(s\)\); unit kubernetes:apps\/c \(3 file\(s\)\);/);
    expect(r.errors[0]!.message).toContain('--allow-mass-deletion');
    expect(await readTree(out)).toEqual(before);
    const allowed = await render(dry, out, { allowMassDeletion: true });
    expect(allowed.errors).toEqual([]);
    expect([...(await readTree(out)).keys()].filter((p) => p.startsWith('wet/'))).toEqual(['wet/a/.gitattributes', 'wet/a/ConfigMap.a-0.yml', 'wet/a/ConfigMap.a-1.yml', 'wet/a/ConfigMap.a-2.yml']);
  });

  it('deleting all owned files is refused even when it is one file', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1 });
    await render(dry, out);
    await rm(path.join(dry, 'apps/a'), { recursive: true });
    await mkdir(path.join(dry, 'apps/other'), { recursive: true }); // the entry still matches a directory
    await writeFile(path.join(dry, 'apps/other/README.md'), 'no manifests\n');
    const r = await render(dry, out);
    expect(r.errors.map((d) => d.message)).toEqual([expect.stringMatching(/delete 1 of the 1 files .*all of them/)]);
  });
});

describe('a tampered index deletes nothing hydrate did not write', () => {
  async function tamper(out: string, edit: (index: { units: Record<string, { paths: string[]; hashes?: Record<string, string>; output: string }> }) => void): Promise<void> {
    const file = path.join(out, INDEX_PATH);
    const index = JSON.parse(await readFile(file, 'utf8')) as Parameters<typeof edit>[0];
    edit(index);
    await writeFile(file, JSON.stringify(index));
  }

  it('never deletes root files, .github/ or .git*, nor a file whose content is not what hydrate wrote', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1, b: 1, c: 1 });
    await render(dry, out);
    const mine = {
      'README.md': '# wet\n',
      '.github/workflows/ci.yml': 'on: push\n',
      '.gitignore': '*.tmp\n',
      'docs/notes.md': 'notes\n'
    };
    for (const [p, c] of Object.entries(mine)) await put(out, p, c);
    await tamper(out, (index) => {
      const u = index.units['kubernetes:apps/a']!;
      u.paths.push(...Object.keys(mine));
      // A hash the attacker made up: not the file's content.
      u.hashes!['docs/notes.md'] = '0'.repeat(64);
    });
    const r = await render(dry, out, { full: true });
    expect(r.errors).toEqual([]);
    const after = await readTree(out);
    for (const [p, c] of Object.entries(mine)) expect(after.get(p)).toBe(c);
    expect(r.warnings.map((d) => d.file).sort()).toEqual(['.github/workflows/ci.yml', '.gitignore', 'README.md', 'docs/notes.md']);
    // Nor does the diff (the PR comment) claim they were removed.
    for (const p of Object.keys(mine)) expect(JSON.stringify(r.outcome.diff)).not.toContain(p);
    // The next index owns only what the unit renders.
    const index = parse(after.get(INDEX_PATH)!) as { units: Record<string, { paths: string[] }> };
    expect(index.units['kubernetes:apps/a']!.paths).toEqual(['wet/a/.gitattributes', 'wet/a/ConfigMap.a-0.yml']);
  });

  it('deletes an owned file outside the unit folder when its content is what hydrate wrote', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1, b: 1, c: 1 });
    await render(dry, out);
    // The unit moved (output changed); its old file keeps the hash hydrate recorded.
    await tamper(out, (index) => {
      const u = index.units['kubernetes:apps/a']!;
      u.output = 'elsewhere/a';
    });
    const r = await render(dry, out, { full: true });
    expect(r.errors).toEqual([]);
    expect(r.outcome.plan!.writes.map((w) => w.path)).toContain(INDEX_PATH);
    expect(r.warnings).toEqual([]);
  });

  it('an index of an older version (no hashes) still prunes gone units, with the never-owned rules, and gains hashes', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1, b: 1, c: 1 });
    await render(dry, out);
    await put(out, 'README.md', 'readme\n');
    await tamper(out, (index) => {
      for (const u of Object.values(index.units)) delete u.hashes;
      index.units['kubernetes:apps/c']!.paths.push('README.md');
    });
    await rm(path.join(dry, 'apps/c'), { recursive: true });
    const r = await render(dry, out);
    expect(r.errors).toEqual([]);
    const after = await readTree(out);
    expect([...after.keys()].filter((p) => p.startsWith('wet/c/'))).toEqual([]);
    expect(after.get('README.md')).toBe('readme\n');
    const index = JSON.parse(after.get(INDEX_PATH)!) as { units: Record<string, { hashes?: Record<string, string> }> };
    expect(Object.keys(index.units['kubernetes:apps/a']!.hashes ?? {})).toEqual(['wet/a/.gitattributes', 'wet/a/ConfigMap.a-0.yml']);
  });

  it('keeps recording what hydrate wrote for a kept unit whose file was edited by hand', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1, b: 1 });
    await render(dry, out);
    const hashOf = async (): Promise<string> =>
      (JSON.parse(await readFile(path.join(out, INDEX_PATH), 'utf8')) as { units: Record<string, { hashes: Record<string, string> }> }).units['kubernetes:apps/a']!.hashes['wet/a/ConfigMap.a-0.yml']!;
    const written = await hashOf();
    await writeFile(path.join(out, 'wet/a/ConfigMap.a-0.yml'), 'edited by hand\n');
    await writeFile(path.join(dry, 'apps/b/cm-0.yaml'), cm('b-0', 'changed'));
    const r = await render(dry, out);
    expect(r.outcome.units.find((u) => u.id === 'kubernetes:apps/a')!.status).toBe('reused');
    expect(await hashOf()).toBe(written);
  });

  it('an index naming a unit `constructor` or `__proto__` is read as data', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1, b: 1, c: 1 });
    await render(dry, out);
    await tamper(out, (index) => {
      const entry = { renderer: 'kubernetes', dir: 'x', coordinates: {}, output: 'x', paths: [], digest: 'd' };
      (index.units as Record<string, unknown>)['constructor'] = entry;
      (index.units as Record<string, unknown>)['toString'] = entry;
    });
    const r = await render(dry, out);
    expect(r.errors).toEqual([]);
    expect(Object.keys((JSON.parse((await readTree(out)).get(INDEX_PATH)!) as { units: object }).units)).toEqual(['kubernetes:apps/a', 'kubernetes:apps/b', 'kubernetes:apps/c']);
  });

  it('refuses an index listing too many paths quickly, saying how to recover', async () => {
    const out = path.join(tmp, 'out');
    const paths = Array.from({ length: 1_000_000 }, (_, i) => `wet/x/ConfigMap.c${i}.yml`);
    await put(out, INDEX_PATH, JSON.stringify({ version: 1, generator: 'g', units: { 'kubernetes:x': { renderer: 'kubernetes', dir: 'x', coordinates: {}, output: 'wet/x', paths, digest: 'd' } } }));
    const started = Date.now();
    const caught = await readWetDir(out).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(caught).toBeInstanceOf(HydrateError);
    expect((caught as HydrateError).message).toMatch(/lists 1000000 paths, more than the 200000 hydrate accepts; restore it from an earlier commit .*git checkout <commit> -- \.hydrate\/index\.json/);
  });
});

describe('an interrupted write', () => {
  /** A file system that dies (every later call fails, as after a kill) after `n` file writes. */
  function dyingFs(n: number): WetFs & { dead: boolean } {
    let writes = 0;
    const fs: WetFs & { dead: boolean } = { ...nodeWetFs, dead: false };
    const guard = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
      if (fs.dead) throw Object.assign(new Error('killed'), { code: 'EKILLED' });
      return f(...a);
    };
    for (const k of ['chmod', 'rename', 'unlink', 'mkdir', 'rmdir', 'readdir'] as const) (fs as unknown as Record<string, unknown>)[k] = guard(nodeWetFs[k] as (...a: unknown[]) => Promise<unknown>);
    fs.writeFile = async (p, d, o) => {
      if (fs.dead) throw Object.assign(new Error('killed'), { code: 'EKILLED' });
      await nodeWetFs.writeFile(p, d, o);
      if (++writes >= n) fs.dead = true;
    };
    return fs;
  }

  it('is detected by the next run, which leaves the tree equal to a clean full render', async () => {
    const dry = path.join(tmp, 'dry');
    await dryTree(dry, { a: 2, b: 2, c: 2, d: 2 });
    const clean = path.join(tmp, 'clean');
    const first = path.join(tmp, 'first');
    await render(dry, first);
    // The next commit: a unit changed, one removed, one added.
    await writeFile(path.join(dry, 'apps/a/cm-0.yaml'), cm('a-0', 'changed'));
    await rm(path.join(dry, 'apps/b'), { recursive: true });
    await put(dry, 'apps/e/cm-0.yaml', cm('e-0'));
    await render(dry, clean);
    const expected = await readTree(clean);
    // Die after 1, 2, … file writes, until a run has fewer writes than that and completes.
    let crashes = 0;
    for (let n = 1; ; n++) {
      const out = path.join(tmp, `crash-${n}`);
      await mkdir(out);
      for (const [p, c] of await readTree(first)) await put(out, p, c);
      const crashed = await render(dry, out, { fs: dyingFs(n) }).then(
        () => undefined,
        (e: unknown) => e
      );
      if (crashed === undefined) break;
      crashes++;
      // Killed while the pending index itself was written, nothing was changed yet; after that, the tree is marked.
      const marked = (await readTree(out)).has(PENDING_PATH);
      expect(marked).toBe(n > 1);
      const again = await render(dry, out);
      expect(again.errors).toEqual([]);
      expect(again.warnings.map((d) => d.message)).toEqual(marked ? [expect.stringMatching(/last update of the wet tree was interrupted/)] : []);
      const tree = await readTree(out);
      // The temporary file the kill left behind is gone too.
      expect([...tree.keys()].filter((p) => p.endsWith('.tmp'))).toEqual([]);
      expect(tree).toEqual(expected);
      await rm(out, { recursive: true });
    }
    // Killed after writing the pending index, the changed file, the 2 new files, and the index (before the pending one goes).
    expect(crashes).toBe(5);
  });

  it('writes the index last and removes the pending copy', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1 });
    const order: string[] = [];
    const fs: WetFs = { ...nodeWetFs, rename: async (a, b) => (order.push(path.relative(out, b)), nodeWetFs.rename(a, b)) };
    await render(dry, out, { fs });
    expect(order[0]).toBe(PENDING_PATH);
    expect(order[order.length - 1]).toBe(INDEX_PATH);
    expect((await readTree(out)).has(PENDING_PATH)).toBe(false);
  });

  it('removes temporary files a killed run left, and only Hydrate\'s own', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1, b: 1 });
    await render(dry, out);
    await put(out, 'wet/a/.ConfigMap.a-0.yml.hydrate-2147483646-deadbeef.tmp', 'half');
    await put(out, 'wet/a/.other.tmp', 'not ours');
    await writeFile(path.join(dry, 'apps/a/cm-0.yaml'), cm('a-0', 'new'));
    expect((await render(dry, out)).errors).toEqual([]);
    expect((await readdir(path.join(out, 'wet/a'))).sort()).toEqual(['.gitattributes', '.other.tmp', 'ConfigMap.a-0.yml']);

    // With nothing to change, .hydrate/ is still cleaned; a running process's file is left to it.
    const live = `.index.json.hydrate-${process.ppid}-0badcafe.tmp`;
    await put(out, `.hydrate/.pending.json.hydrate-2147483646-00c0ffee.tmp`, '{');
    await put(out, `.hydrate/${live}`, '{');
    const idle = await render(dry, out);
    expect(idle.outcome.plan!.writes).toEqual([]);
    expect((await readdir(path.join(out, '.hydrate'))).sort()).toEqual([live, 'index.json']);
  });

  it.each([
    ['ENOSPC', 'no space left on the device'],
    ['EROFS', 'the file system is read-only']
  ])('%s is a clear error naming the wet tree, not a stack trace', async (code, words) => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await dryTree(dry, { a: 1 });
    const fs: WetFs = { ...nodeWetFs, writeFile: async () => Promise.reject(Object.assign(new Error(`${code}: raw`), { code })) };
    const caught = await render(dry, out, { fs }).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(caught).toBeInstanceOf(HydrateError);
    expect((caught as HydrateError).message).toContain(`cannot write the wet tree ${out}: ${words} (${code}) at ${PENDING_PATH}`);
  });
});

describe('two configs rendering into one wet tree', () => {
  it('never prune or overwrite each other\'s units, and say so', async () => {
    const dryA = path.join(tmp, 'a');
    const dryB = path.join(tmp, 'b');
    const out = path.join(tmp, 'out');
    await dryTree(dryA, { one: 2, two: 2 });
    await dryTree(dryB, { three: 2 }, CONFIG.replace('output: wet/{app}', 'output: other/{app}'));
    expect((await render(dryA, out, { repository: 'acme/a' })).errors).toEqual([]);
    expect((await render(dryB, out, { repository: 'acme/b' })).errors).toEqual([]);
    const both = await readTree(out);
    expect([...both.keys()].filter((p) => !p.startsWith('.hydrate/'))).toEqual([
      'other/three/.gitattributes',
      'other/three/ConfigMap.three-0.yml',
      'other/three/ConfigMap.three-1.yml',
      'wet/one/.gitattributes',
      'wet/one/ConfigMap.one-0.yml',
      'wet/one/ConfigMap.one-1.yml',
      'wet/two/.gitattributes',
      'wet/two/ConfigMap.two-0.yml',
      'wet/two/ConfigMap.two-1.yml'
    ]);
    // A runs again, and again with a change: B's unit stays.
    await writeFile(path.join(dryA, 'apps/one/cm-0.yaml'), cm('one-0', 'x'));
    expect((await render(dryA, out, { repository: 'acme/a' })).errors).toEqual([]);
    const after = await readTree(out);
    expect(after.get('other/three/ConfigMap.three-0.yml')).toBe(both.get('other/three/ConfigMap.three-0.yml'));
    const index = JSON.parse(after.get(INDEX_PATH)!) as { units: Record<string, { owner: string }> };
    expect(Object.fromEntries(Object.entries(index.units).map(([id, u]) => [id, u.owner]))).toEqual({
      'kubernetes:apps/one': 'acme/a:hydrate.yaml',
      'kubernetes:apps/three': 'acme/b:hydrate.yaml',
      'kubernetes:apps/two': 'acme/a:hydrate.yaml'
    });

    // B gains a unit A already renders: refused, naming the owner; nothing changes.
    await put(dryB, 'apps/one/cm-0.yaml', cm('b-one'));
    const clash = await render(dryB, out, { repository: 'acme/b' });
    expect(clash.errors).toEqual([
      expect.objectContaining({ unit: 'kubernetes:apps/one', message: expect.stringMatching(/rendered into this wet tree by another config \(acme\/a:hydrate\.yaml\); this config \(acme\/b:hydrate\.yaml\) does not overwrite it/) })
    ]);
    expect(await readTree(out)).toEqual(after);
  });
});
