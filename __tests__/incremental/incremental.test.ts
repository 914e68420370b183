/**
 * Incremental hydration renders onto the previous wet tree exactly what a full render into an
 * empty directory gives, after any sequence of dry edits, and it really keeps unchanged units.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { cp, mkdtemp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { applyWetPlan, readWetDir } from '../../src/adapters/wet-dir.js';
import { hydrate, type UnitReport } from '../../src/pipeline/hydrate.js';
import { unitInputDigest } from '../../src/pipeline/incremental.js';
import { silentLogger } from '../../src/ports.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { addApp, appsOf, generateKubernetesDry, KUBERNETES_CONFIG, put, readTree } from './dry-fixture.js';

const CONFIG = (plainOut: string): string => `version: 1\n${KUBERNETES_CONFIG(plainOut)}`;

const generateDry = (root: string): Promise<void> => generateKubernetesDry(root, CONFIG('plain'));

async function render(dry: string, out: string, full: boolean): Promise<UnitReport[]> {
  // Edits may delete most units at once: the deletion guard is not what this suite checks.
  const { settings, configText } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml'), full, concurrency: 2, allowMassDeletion: true });
  await mkdir(out, { recursive: true });
  const previous = await readWetDir(out);
  const outcome = await hydrate({
    settings,
    configText,
    previous,
    ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger }
  });
  expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  await applyWetPlan(out, outcome.plan!);
  return outcome.units;
}

type Edit =
  | { kind: 'overlay' | 'generator' | 'rename' | 'delete'; pick: number }
  | { kind: 'base' | 'component' | 'plain' | 'config' | 'add'; pick: number };

let counter = 0;
/** Applies an edit; returns the ids of the units it cannot affect (they must be reused). */
async function applyEdit(dry: string, edit: Edit): Promise<string[]> {
  counter++;
  const apps = await appsOf(dry);
  const appId = (a: string): string => `kubernetes:apps/${a}/clusters/prod`;
  const plainId = 'kubernetes:plain/dev';
  const app = apps.length > 0 ? apps[edit.pick % apps.length] : undefined;
  const others = (except?: string): string[] => apps.filter((a) => a !== except).map(appId);
  const append = async (rel: string, text: string): Promise<void> => {
    const p = path.join(dry, rel);
    await writeFile(p, (await readFile(p, 'utf8')) + text);
  };
  switch (edit.kind) {
    case 'overlay':
      if (!app) return [plainId];
      await writeFile(
        path.join(dry, `apps/${app}/clusters/prod/replicas.yaml`),
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${counter + 2}\n`
      );
      return [plainId, ...others(app)];
    case 'generator':
      if (!app) return [plainId];
      await append(`apps/${app}/clusters/prod/settings.properties`, `k${counter}=v\n`);
      return [plainId, ...others(app)];
    case 'base':
      await writeFile(
        path.join(dry, 'bases/web/deployment.yaml'),
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:${counter}\n`
      );
      return [plainId];
    case 'component':
      await append('components/monitor/monitor.yaml', `  k${counter}: "x"\n`);
      return [plainId];
    case 'plain':
      await append('plain/dev/cm.yaml', `  k${counter}: "x"\n`);
      return others();
    case 'config': {
      const text = await readFile(path.join(dry, 'hydrate.yaml'), 'utf8');
      await writeFile(path.join(dry, 'hydrate.yaml'), CONFIG(text.includes('output: plain/') ? 'flat' : 'plain'));
      return others();
    }
    case 'add':
      await addApp(dry, `n${counter}`);
      return [plainId, ...others()];
    case 'rename':
      if (!app) return [plainId];
      await rename(path.join(dry, 'apps', app), path.join(dry, 'apps', `r${counter}`));
      return [plainId, ...others(app)];
    case 'delete':
      if (!app) return [plainId];
      await rm(path.join(dry, 'apps', app), { recursive: true });
      return [plainId, ...others(app)];
  }
}

const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('overlay', 'generator', 'base', 'component', 'plain', 'config', 'add', 'rename', 'delete' as const),
  pick: fc.nat({ max: 7 })
}) as fc.Arbitrary<Edit>;

describe('incremental hydration', () => {
  it('renders onto the previous tree exactly what a full render gives, and reuses untouched units', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-incr-'));
    const template = path.join(tmp, 'template');
    await generateDry(template);
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(editArb, { minLength: 1, maxLength: 3 }), async (edits) => {
          run++;
          const dry = path.join(tmp, `dry-${run}`);
          const wet = path.join(tmp, `wet-${run}`);
          await cp(template, dry, { recursive: true });
          await render(dry, wet, false);
          // Nothing changed: every unit is kept.
          const again = await render(dry, wet, false);
          expect(again.map((u) => u.status)).toEqual(again.map(() => 'reused'));
          for (const [i, edit] of edits.entries()) {
            const untouched = await applyEdit(dry, edit);
            const reports = await render(dry, wet, false);
            const full = path.join(tmp, `full-${run}-${i}`);
            await render(dry, full, true);
            expect(await readTree(wet)).toEqual(await readTree(full));
            const status = new Map(reports.map((u) => [u.id, u.status]));
            for (const id of untouched) expect([id, status.get(id)]).toEqual([id, 'reused']);
            await rm(full, { recursive: true, force: true });
          }
        }),
        { numRuns: 5 }
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 120_000);

  it('the input digest follows the closure: a base edit changes it, an unrelated file does not', async () => {
    const dry = await mkdtemp(path.join(os.tmpdir(), 'hydrate-digest-'));
    try {
      await generateDry(dry);
      const { settings } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml') });
      const unit = {
        id: 'kubernetes:apps/a/clusters/prod',
        renderer: 'kubernetes' as const,
        entry: 0,
        dir: 'apps/a/clusters/prod',
        coordinates: { app: 'a', cluster: 'prod' },
        output: 'clusters/prod/a'
      };
      const files = createFileReader();
      const d0 = await unitInputDigest(unit, settings, files, 'kubectl v1');
      expect(d0.volatile).toBe(false);
      await put(dry, 'unrelated/readme.md', 'hello\n');
      await put(dry, 'apps/b/clusters/prod/settings.properties', 'changed=1\n');
      expect((await unitInputDigest(unit, settings, files, 'kubectl v1')).digest).toBe(d0.digest);
      expect((await unitInputDigest(unit, settings, files, 'kubectl v2')).digest).not.toBe(d0.digest);
      await put(dry, 'components/monitor/monitor.yaml', 'changed: true\n');
      const d1 = await unitInputDigest(unit, settings, files, 'kubectl v1');
      expect(d1.digest).not.toBe(d0.digest);
      await put(dry, 'bases/web/extra.yaml', 'new: file\n');
      expect((await unitInputDigest(unit, settings, files, 'kubectl v1')).digest).not.toBe(d1.digest);
      await put(dry, 'apps/a/clusters/prod/kustomization.yaml', 'resources:\n  - https://example.com/x.yaml\n');
      const remote = await unitInputDigest(unit, settings, files, 'kubectl v1');
      expect(remote.volatile).toBe(true);
      expect(remote.reason).toContain('https://example.com/x.yaml');
    } finally {
      await rm(dry, { recursive: true, force: true });
    }
  });
});

describe('a rendered unit writing where a kept unit writes', () => {
  it('is the collision a full render reports, not a silent overwrite', async () => {
    const dry = await mkdtemp(path.join(os.tmpdir(), 'hydrate-clash-'));
    const out = await mkdtemp(path.join(os.tmpdir(), 'hydrate-clash-wet-'));
    try {
      // Two entries whose outputs differ only in case: a case-insensitive checkout would merge them.
      await put(dry, 'hydrate.yaml', 'version: 1\nkubernetes:\n  - match: lower/{env}\n    output: clusters/{env}\n  - match: upper/{env}\n    output: Clusters/{env}\n    allowEmpty: true\n');
      const cm = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  v: "${v}"\n`;
      await put(dry, 'lower/prod/cm.yaml', cm('1'));
      await render(dry, out, false);
      const before = await readTree(out);

      // The second unit appears; the first is unchanged and would be kept.
      await put(dry, 'upper/prod/cm.yaml', cm('2'));
      const run = async (full: boolean) => {
        const { settings, configText } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml'), full });
        return hydrate({ settings, configText, previous: await readWetDir(out), ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger } });
      };
      const full = await run(true);
      const incremental = await run(false);
      expect(incremental.units.find((u) => u.id === 'kubernetes:lower/prod')!.status).toBe('reused');
      // The same pairs of colliding paths (the object file and the .gitattributes), nothing written.
      const clashes = (outcome: typeof full): string[] => {
        expect(outcome.ok).toBe(false);
        expect(outcome.plan).toBeUndefined();
        return outcome.diagnostics
          .filter((d) => d.severity === 'error')
          .map((d) => {
            const m = /(\S+), which differs from (\S+) only in case/.exec(d.message);
            expect(m).not.toBeNull();
            return [m![1]!, m![2]!].sort().join(' ~ ');
          })
          .sort();
      };
      expect(clashes(full)).toEqual(['Clusters/prod/.gitattributes ~ clusters/prod/.gitattributes', 'Clusters/prod/ConfigMap.settings.yml ~ clusters/prod/ConfigMap.settings.yml']);
      expect(clashes(incremental)).toEqual(clashes(full));
      expect(await readTree(out)).toEqual(before);
    } finally {
      await rm(dry, { recursive: true, force: true });
      await rm(out, { recursive: true, force: true });
    }
  });

  it('also when one is a file where the other needs a folder, either way round', async () => {
    const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
    for (const [first, second] of [
      ['apps/a/cm.yaml', 'other/ConfigMap.b.yml/cm.yaml'],
      ['other/ConfigMap.b.yml/cm.yaml', 'apps/a/cm.yaml']
    ] as const) {
      const dry = await mkdtemp(path.join(os.tmpdir(), 'hydrate-clash-'));
      const out = await mkdtemp(path.join(os.tmpdir(), 'hydrate-clash-wet-'));
      try {
        // apps/a writes k/a/ConfigMap.b.yml; other/ConfigMap.b.yml writes into the folder k/a/ConfigMap.b.yml/.
        await put(dry, 'hydrate.yaml', 'version: 1\nkubernetes:\n  - match: apps/{x}\n    output: k/{x}\n    allowEmpty: true\n  - match: other/{x}\n    output: k/a/{x}\n    allowEmpty: true\n');
        await put(dry, first, cm(first.startsWith('apps') ? 'b' : 'x'));
        await render(dry, out, false);
        const before = await readTree(out);
        await put(dry, second, cm(second.startsWith('apps') ? 'b' : 'x'));
        const run = async (full: boolean) => {
          const { settings, configText } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml'), full });
          return hydrate({ settings, configText, previous: await readWetDir(out), ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger } });
        };
        for (const outcome of [await run(true), await run(false)]) {
          expect(outcome.ok).toBe(false);
          expect(outcome.plan).toBeUndefined();
          expect(outcome.diagnostics.map((d) => d.message).join('\n')).toMatch(/but k\/a\/ConfigMap\.b\.yml is a file/);
        }
        expect(await readTree(out)).toEqual(before);
      } finally {
        await rm(dry, { recursive: true, force: true });
        await rm(out, { recursive: true, force: true });
      }
    }
  });
});

describe('a unit directory that is a symlink', () => {
  it('is digested by what it leads to: editing a file behind the link changes the digest', async () => {
    const dry = await mkdtemp(path.join(os.tmpdir(), 'hydrate-link-'));
    try {
      await put(dry, 'hydrate.yaml', 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: k/{app}\n');
      await put(dry, 'shared/web/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  v: "1"\n');
      await mkdir(path.join(dry, 'apps'), { recursive: true });
      await symlink('../shared/web', path.join(dry, 'apps/web'));
      const { settings } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml') });
      const unit = { id: 'kubernetes:apps/web', renderer: 'kubernetes' as const, entry: 0, dir: 'apps/web', coordinates: { app: 'web' }, output: 'k/web' };
      const before = await unitInputDigest(unit, settings, createFileReader(), 'kubectl v1');
      await put(dry, 'shared/web/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  v: "2"\n');
      expect((await unitInputDigest(unit, settings, createFileReader(), 'kubectl v1')).digest).not.toBe(before.digest);
      await put(dry, 'shared/web/more.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n');
      const added = await unitInputDigest(unit, settings, createFileReader(), 'kubectl v1');
      expect(added.digest).not.toBe(before.digest);
      // A loop through links ends.
      await symlink('..', path.join(dry, 'shared/web/loop'));
      await expect(unitInputDigest(unit, settings, createFileReader(), 'kubectl v1')).resolves.toMatchObject({ volatile: false });
    } finally {
      await rm(dry, { recursive: true, force: true });
    }
  });
});


describe('an `only` filter that selects nothing', () => {
  it('warns in the run\'s diagnostics and keeps every unit', async () => {
    const dry = await mkdtemp(path.join(os.tmpdir(), 'hydrate-only-'));
    try {
      await generateDry(dry);
      const { settings, configText } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml'), only: ['aps/**'] });
      const outcome = await hydrate({
        settings,
        configText,
        previous: await readWetDir(path.join(dry, 'no-wet')),
        ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger }
      });
      expect(outcome.ok).toBe(true);
      expect(outcome.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringContaining('--only aps/** selects none of the 3 units') })]);
      expect(outcome.units.every((u) => u.status === 'skipped')).toBe(true);
    } finally {
      await rm(dry, { recursive: true, force: true });
    }
  });
});

describe('the config in every input digest', () => {
  it('covers what shapes the output (wet layout) but not what shapes only the PR (label coordinates) or the run (workers)', async () => {
    const dry = await mkdtemp(path.join(os.tmpdir(), 'hydrate-global-'));
    try {
      await generateDry(dry);
      const unit = { id: 'kubernetes:plain/dev', renderer: 'kubernetes' as const, entry: 1, dir: 'plain/dev', coordinates: { env: 'dev' }, output: 'plain/dev' };
      const digestWith = async (extra: string): Promise<string> => {
        await put(dry, 'hydrate.yaml', `${CONFIG('plain')}${extra}`);
        const { settings } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml') });
        return (await unitInputDigest(unit, settings, createFileReader(), 'kubectl v1')).digest;
      };
      const plain = await digestWith('');
      expect(await digestWith('wet:\n  labelCoordinates: [env]\n')).toBe(plain);
      expect(await digestWith('policy:\n  concurrency: 7\n')).toBe(plain);
      expect(await digestWith('wet:\n  layout: per-unit\n')).not.toBe(plain);
    } finally {
      await rm(dry, { recursive: true, force: true });
    }
  });
});
