import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HydrateError } from '../../src/diagnostics.js';
import { applyWetPlan, readWetDir } from '../../src/adapters/wet-dir.js';
import { layoutWet } from '../../src/wet/layout.js';
import { planWetUpdate, type WetPlan } from '../../src/wet/plan.js';
import { INDEX_PATH } from '../../src/formats/wet-index.js';
import { meta, obj, settingsWith, unitResult } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hydrate-wet-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(path: string, content: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
}

async function exists(path: string): Promise<boolean> {
  return lstat(join(dir, path)).then(
    () => true,
    () => false
  );
}

async function listTree(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, prefix), { withFileTypes: true })) {
    const p = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listTree(root, p)));
    else out.push(p);
  }
  return out.sort();
}

const settings = settingsWith({ generatedAttributes: true });

async function sync(results: Parameters<typeof layoutWet>[0]): Promise<WetPlan> {
  const prev = await readWetDir(dir);
  const plan = await planWetUpdate(prev.index, prev.readFile, layoutWet(results, settings, meta));
  await applyWetPlan(dir, plan);
  return plan;
}

describe('readWetDir', () => {
  it('opens a missing or empty tree with no index', async () => {
    const wet = await readWetDir(join(dir, 'nope'));
    expect(wet.index).toBeUndefined();
    expect(await wet.readFile('a.yml')).toBeUndefined();
    expect((await wet.snapshot()).files.size).toBe(0);
  });

  it('throws a HydrateError for an invalid index', async () => {
    await put(INDEX_PATH, '{"version": 7}');
    await expect(readWetDir(dir)).rejects.toBeInstanceOf(HydrateError);
  });
});

describe('applyWetPlan', () => {
  it('writes, prunes, cleans up emptied folders and leaves other files alone', async () => {
    await put('README.md', '# wet\n');
    await put('.github/workflows/ci.yml', 'on: push\n');
    await put('keep/empty-owner/.keep', '');
    await sync([
      unitResult('apps/web', 'clusters/prod/web', [obj('ConfigMap', 'a', 'n'), obj('ConfigMap', 'b', 'n')]),
      unitResult('apps/old', 'clusters/prod/old/deep', [obj('Service', 's', 'n')])
    ]);
    expect(await listTree(dir)).toEqual([
      '.github/workflows/ci.yml',
      INDEX_PATH,
      'README.md',
      'clusters/prod/old/deep/.gitattributes',
      'clusters/prod/old/deep/Service.s.yml',
      'clusters/prod/web/.gitattributes',
      'clusters/prod/web/ConfigMap.a.yml',
      'clusters/prod/web/ConfigMap.b.yml',
      'keep/empty-owner/.keep'
    ]);
    const mode = (await stat(join(dir, 'clusters/prod/web/ConfigMap.a.yml'))).mode & 0o777;
    expect(mode).toBe(0o644);
    expect(await readFile(join(dir, 'clusters/prod/web/ConfigMap.a.yml'), 'utf8')).toBe('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: "n"\n');

    await put('clusters/prod/web/NOTES.md', 'mine\n');
    const plan = await sync([unitResult('apps/web', 'clusters/prod/web', [obj('ConfigMap', 'a', 'n')])]);
    expect(plan.deletes).toEqual(['clusters/prod/old/deep/.gitattributes', 'clusters/prod/old/deep/Service.s.yml', 'clusters/prod/web/ConfigMap.b.yml']);
    expect(await listTree(dir)).toEqual([
      '.github/workflows/ci.yml',
      INDEX_PATH,
      'README.md',
      'clusters/prod/web/.gitattributes',
      'clusters/prod/web/ConfigMap.a.yml',
      'clusters/prod/web/NOTES.md',
      'keep/empty-owner/.keep'
    ]);
    expect(await exists('clusters/prod/old')).toBe(false);
    expect(await exists('clusters/prod')).toBe(true);

    const again = await sync([unitResult('apps/web', 'clusters/prod/web', [obj('ConfigMap', 'a', 'n')])]);
    expect(again.writes).toEqual([]);
    expect(again.deletes).toEqual([]);
  });

  it('creates a missing wet folder, root-level files included', async () => {
    const target = join(dir, 'fresh');
    await applyWetPlan(target, { writes: [{ path: 'a.yml', content: 'a\n' }], deletes: [], unchanged: [], diagnostics: [] });
    expect(await readFile(join(target, 'a.yml'), 'utf8')).toBe('a\n');
  });

  it('leaves no temporary files behind, also when moving one into place fails', async () => {
    await sync([unitResult('u', 'out', [obj('ConfigMap', 'a')])]);
    expect((await listTree(dir)).filter((p) => p.includes('.tmp'))).toEqual([]);
    // A folder where the file goes: the rename fails after the temporary file was written.
    await put('other/ConfigMap.b.yml/keep', 'x');
    const plan: WetPlan = { writes: [{ path: 'other/ConfigMap.b.yml', content: 'b\n' }], deletes: [], unchanged: [], diagnostics: [] };
    await expect(applyWetPlan(dir, plan)).rejects.toThrow(/EISDIR/);
    expect(await readdir(join(dir, 'other'))).toEqual(['ConfigMap.b.yml']);
  });

  it('refuses to write through a symlinked folder and changes nothing', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'hydrate-outside-'));
    try {
      await put('doomed.yml', 'x');
      await symlink(outside, join(dir, 'out'));
      const plan: WetPlan = { writes: [{ path: 'out/ConfigMap.a.yml', content: 'a\n' }], deletes: ['doomed.yml'], unchanged: [], diagnostics: [] };
      await expect(applyWetPlan(dir, plan)).rejects.toThrow(/out is a symlink/);
      expect(await readdir(outside)).toEqual([]);
      expect(await exists('doomed.yml')).toBe(true);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses to replace or delete a file that is a symlink', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'hydrate-outside-'));
    try {
      await writeFile(join(outside, 'target'), 'precious');
      await symlink(join(outside, 'target'), join(dir, 'link.yml'));
      await expect(applyWetPlan(dir, { writes: [{ path: 'link.yml', content: 'x' }], deletes: [], unchanged: [], diagnostics: [] })).rejects.toThrow(HydrateError);
      await expect(applyWetPlan(dir, { writes: [], deletes: ['link.yml'], unchanged: [], diagnostics: [] })).rejects.toThrow(HydrateError);
      expect(await readFile(join(outside, 'target'), 'utf8')).toBe('precious');
      expect(await exists('link.yml')).toBe(true);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses a plan with errors and unsafe paths', async () => {
    await expect(
      applyWetPlan(dir, { writes: [{ path: 'a.yml', content: 'x' }], deletes: [], unchanged: [], diagnostics: [{ severity: 'error', message: 'nope' }] })
    ).rejects.toThrow(/nope/);
    await expect(applyWetPlan(dir, { writes: [{ path: '../escape.yml', content: 'x' }], deletes: [], unchanged: [], diagnostics: [] })).rejects.toThrow(HydrateError);
    expect(await listTree(dir)).toEqual([]);
  });

  it('replaces an owned file by a folder of the same name', async () => {
    await sync([unitResult('u', 'out', [], { artifacts: [{ path: 'thing', content: 'file\n', source: 'u/thing' }] })]);
    await sync([unitResult('u', 'out', [], { artifacts: [{ path: 'thing/inner.txt', content: 'nested\n', source: 'u/inner' }] })]);
    expect(await readFile(join(dir, 'out/thing/inner.txt'), 'utf8')).toBe('nested\n');
  });

  it('snapshot reads the owned files', async () => {
    await put('README.md', 'x');
    await sync([unitResult('u', 'out', [obj('ConfigMap', 'a')])]);
    const snap = await (await readWetDir(dir)).snapshot();
    expect([...snap.files.keys()]).toEqual([INDEX_PATH, 'out/.gitattributes', 'out/ConfigMap.a.yml']);
    expect(snap.index?.units['kubernetes:u']?.paths).toEqual(['out/.gitattributes', 'out/ConfigMap.a.yml']);
  });
});
