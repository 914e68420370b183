/**
 * Sharding end to end, through the CLI's render command over real kustomize and real files:
 * rendering shards 1..n against the previous wet tree and merging them gives byte for byte the
 * tree a single render gives, whatever the edits and even when the wet tree moved in between;
 * a merge that cannot trust its shard files fails and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { cp, mkdtemp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderCommand, type RenderCommand } from '../../src/cli.js';
import { readShardFiles, writeShardFile } from '../../src/adapters/shard-files.js';
import { HydrateError, type Diagnostic } from '../../src/diagnostics.js';
import type { HydrateOutcome } from '../../src/pipeline/hydrate.js';
import { silentLogger } from '../../src/ports.js';
import { shardFileSchema } from '../../src/formats/shard-file.js';
import { addApp, appsOf, generateKubernetesDry, KUBERNETES_CONFIG, put, readTree } from './dry-fixture.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const EXAMPLES = path.join(ROOT, 'examples', 'dry');
const DRY_COMMIT = '0123456789abcdef0123456789abcdef01234567';

// The kubernetes entries of incremental.test.ts, plus the example repository's terraform and
// secrets entries (their units render in the merge job, not in the shards).
const CONFIG = (plainOut: string): string => `version: 1
${KUBERNETES_CONFIG(plainOut)}terraform:
  - match: tfworkspaces/{platform}/{tenant}/{env}
    output: tfworkspaces/{platform}/{tenant}/{env}
    namespace: firestartr
    policy: apply
    syncPeriod: 24h
    resourceTypes:
      aws-rds:
        backend: aws-backend-shared
        providers: [aws-provider-shared]
      aws-vpc:
        backend: aws-backend-shared
        providers: [aws-provider-shared]
      aws-elasticache:
        backend: aws-backend-shared
        providers: [aws-provider-shared]
secrets:
  - match: secrets/{tenant}/{env}
    output: secrets/{tenant}/{env}
    namespace: shop
    refreshInterval: 1h
`;

/** Two overlays over a shared base (with a component and a generator), a plain dir, a terraform and a secrets claim unit. */
async function generateDry(root: string): Promise<void> {
  await generateKubernetesDry(root, CONFIG('plain'));
  await cp(path.join(EXAMPLES, 'tfworkspaces/aws/shop/prod'), path.join(root, 'tfworkspaces/aws/shop/prod'), { recursive: true });
  await cp(path.join(EXAMPLES, 'secrets/shop/prod'), path.join(root, 'secrets/shop/prod'), { recursive: true });
}

type Edit =
  | { kind: 'overlay' | 'generator' | 'rename' | 'delete'; pick: number }
  | { kind: 'base' | 'component' | 'plain' | 'config' | 'add' | 'claim'; pick: number };

let counter = 0;
async function applyEdit(dry: string, edit: Edit): Promise<void> {
  counter++;
  const apps = await appsOf(dry);
  const app = apps.length > 0 ? apps[edit.pick % apps.length] : undefined;
  const append = async (rel: string, text: string): Promise<void> => {
    const p = path.join(dry, rel);
    await writeFile(p, (await readFile(p, 'utf8')) + text);
  };
  switch (edit.kind) {
    case 'overlay':
      if (!app) return;
      await writeFile(
        path.join(dry, `apps/${app}/clusters/prod/replicas.yaml`),
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${counter + 2}\n`
      );
      return;
    case 'generator':
      if (!app) return;
      await append(`apps/${app}/clusters/prod/settings.properties`, `k${counter}=v\n`);
      return;
    case 'base':
      await writeFile(
        path.join(dry, 'bases/web/deployment.yaml'),
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:${counter}\n`
      );
      return;
    case 'component':
      await append('components/monitor/monitor.yaml', `  k${counter}: "x"\n`);
      return;
    case 'plain':
      await append('plain/dev/cm.yaml', `  k${counter}: "x"\n`);
      return;
    case 'config': {
      const text = await readFile(path.join(dry, 'hydrate.yaml'), 'utf8');
      await writeFile(path.join(dry, 'hydrate.yaml'), CONFIG(text.includes('output: plain/') ? 'flat' : 'plain'));
      return;
    }
    case 'add':
      await addApp(dry, `n${counter}`);
      return;
    case 'rename':
      if (!app) return;
      await rename(path.join(dry, 'apps', app), path.join(dry, 'apps', `r${counter}`));
      return;
    case 'delete':
      if (!app) return;
      await rm(path.join(dry, 'apps', app), { recursive: true });
      return;
    case 'claim': {
      const p = 'tfworkspaces/aws/shop/prod/network.yaml';
      const text = await readFile(path.join(dry, p), 'utf8');
      await writeFile(path.join(dry, p), text.replace(/cidr: 10\.\d+\.0\.0\/16/, `cidr: 10.${counter % 250}.0.0/16`));
      return;
    }
  }
}

const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('overlay', 'generator', 'base', 'component', 'plain', 'config', 'add', 'rename', 'delete', 'claim' as const),
  pick: fc.nat({ max: 7 })
}) as fc.Arbitrary<Edit>;

// renderCommand prints its report on stdout and errors on stderr: keep the test output readable.
beforeAll(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterAll(() => {
  jest.restoreAllMocks();
});

interface Run {
  exitCode: number;
  outcome: HydrateOutcome;
}

async function cli(dry: string, out: string, extra: Partial<RenderCommand> = {}): Promise<Run> {
  return renderCommand(
    // Edits may delete most units at once: the deletion guard is not what this suite checks.
    { config: path.join(dry, 'hydrate.yaml'), out, only: [], full: false, json: false, dryCommit: DRY_COMMIT, allowMassDeletion: true, ...extra },
    silentLogger
  );
}

const errorsOf = (o: HydrateOutcome): Diagnostic[] => o.diagnostics.filter((d) => d.severity === 'error');

/** Runs shards 1..n, each reading `previous` as the wet tree; checks they wrote nothing there. */
async function renderShards(dry: string, previous: string, n: number, shardDir: string, expectOk = true): Promise<Run[]> {
  const before = await readTree(previous);
  const runs: Run[] = [];
  for (let i = 1; i <= n; i++) {
    const r = await cli(dry, previous, { shard: `${i}/${n}`, shardDir });
    if (expectOk) {
      expect(errorsOf(r.outcome)).toEqual([]);
      expect(r.exitCode).toBe(0);
    }
    expect(r.outcome.shard?.shard).toEqual({ index: i, count: n });
    expect(r.outcome.plan).toBeUndefined();
    runs.push(r);
  }
  expect(await readTree(previous)).toEqual(before);
  return runs;
}

async function copyDir(from: string, to: string): Promise<void> {
  await mkdir(from, { recursive: true });
  await cp(from, to, { recursive: true });
}

/** The comparable part of a unit report (the merge and a single render must agree on it). */
const reportOf = (o: HydrateOutcome): unknown => o.units.map((u) => ({ ...u }));

let tmp: string;
let template: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-shards-'));
  template = path.join(tmp, 'template');
  await generateDry(template);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let seq = 0;
const fresh = (name: string): string => path.join(tmp, `${name}-${++seq}`);

describe('sharded then merged', () => {
  it('equals a single render and a full render, after any sequence of edits (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(editArb, { minLength: 1, maxLength: 3 }), async (n, edits) => {
        const dry = fresh('dry');
        await cp(template, dry, { recursive: true });
        let wet = fresh('wet');
        await mkdir(wet, { recursive: true });
        // Step 0 renders into an empty tree (the shards render everything); then each edit.
        for (const edit of [undefined, ...edits]) {
          if (edit) await applyEdit(dry, edit);
          const shardDir = fresh('shards');
          const shards = await renderShards(dry, wet, n, shardDir);
          // Every kubernetes unit went to exactly one shard; nothing else did.
          const dealt = shards.flatMap((s) => s.outcome.shard!.assigned);
          expect(new Set(dealt).size).toBe(dealt.length);
          const single = fresh('single');
          await copyDir(wet, single);
          const one = await cli(dry, single);
          expect(errorsOf(one.outcome)).toEqual([]);
          expect([...dealt].sort()).toEqual(one.outcome.units.filter((u) => u.renderer === 'kubernetes').map((u) => u.id).sort());

          const merged = fresh('merged');
          await copyDir(wet, merged);
          const m = await cli(dry, merged, { shard: 'merge', shardDir });
          expect(errorsOf(m.outcome)).toEqual([]);
          expect(m.exitCode).toBe(0);
          const full = fresh('full');
          const f = await cli(dry, full, { full: true });
          expect(errorsOf(f.outcome)).toEqual([]);

          const tree = await readTree(single);
          expect(tree.has('.hydrate/index.json')).toBe(true);
          expect(await readTree(merged)).toEqual(tree);
          expect(await readTree(full)).toEqual(tree);
          expect(reportOf(m.outcome)).toEqual(reportOf(one.outcome));
          expect(m.outcome.plan!.writes.map((w) => w.path)).toEqual(one.outcome.plan!.writes.map((w) => w.path));
          expect(m.outcome.plan!.deletes).toEqual(one.outcome.plan!.deletes);
          await rm(full, { recursive: true, force: true });
          await rm(shardDir, { recursive: true, force: true });
          wet = merged;
        }
      }),
      { numRuns: 4 }
    );
  }, 120_000);

  it('equals a single render when the wet tree moved between the shards and the merge', async () => {
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const w0 = fresh('w0');
    expect((await cli(dry, w0)).exitCode).toBe(0);
    await applyEdit(dry, { kind: 'overlay', pick: 0 }); // apps/a
    await applyEdit(dry, { kind: 'plain', pick: 0 });
    await applyEdit(dry, { kind: 'claim', pick: 0 });
    // w1: the same dry tree rendered onto w0; every unit is unchanged against it.
    const w1 = fresh('w1');
    await copyDir(w0, w1);
    const one = await cli(dry, w1);
    expect(errorsOf(one.outcome)).toEqual([]);
    const status = new Map(one.outcome.units.map((u) => [u.id, u.status]));
    expect(status.get('kubernetes:apps/a/clusters/prod')).toBe('rendered');
    expect(status.get('kubernetes:plain/dev')).toBe('rendered');
    expect(status.get('kubernetes:apps/b/clusters/prod')).toBe('reused');
    const expected = await readTree(w1);

    for (const n of [1, 2, 3]) {
      // Shards against w1 (they keep everything), merge onto w0 (which is behind: leftovers render here).
      const kept = fresh('shards');
      const shards = await renderShards(dry, w1, n, kept);
      for (const s of shards) {
        expect(s.outcome.shard!.units.length).toBeGreaterThan(0);
        expect(s.outcome.shard!.units.every((u) => u.status === 'reused')).toBe(true);
      }
      const onto0 = fresh('onto0');
      await copyDir(w0, onto0);
      const m0 = await cli(dry, onto0, { shard: 'merge', shardDir: kept });
      expect(errorsOf(m0.outcome)).toEqual([]);
      expect(await readTree(onto0)).toEqual(expected);
      expect(reportOf(m0.outcome)).toEqual(reportOf(one.outcome));

      // Shards against w0 (they render a and plain), merge onto w1 (which already has them).
      const rendered = fresh('shards');
      await renderShards(dry, w0, n, rendered);
      const onto1 = fresh('onto1');
      await copyDir(w1, onto1);
      const m1 = await cli(dry, onto1, { shard: 'merge', shardDir: rendered });
      expect(errorsOf(m1.outcome)).toEqual([]);
      expect(await readTree(onto1)).toEqual(expected);
      expect(m1.outcome.plan!.writes).toEqual([]);
      expect(m1.outcome.plan!.deletes).toEqual([]);
    }
  }, 60_000);

  it('a unit the shards kept whose dry files changed since renders in the merge from the merge\'s tree', async () => {
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const w0 = fresh('w0');
    expect((await cli(dry, w0)).exitCode).toBe(0);
    const shardDir = fresh('shards');
    await renderShards(dry, w0, 2, shardDir);
    await applyEdit(dry, { kind: 'generator', pick: 1 }); // apps/b, kept by its shard
    const single = fresh('single');
    await copyDir(w0, single);
    expect((await cli(dry, single)).exitCode).toBe(0);
    const merged = fresh('merged');
    await copyDir(w0, merged);
    const m = await cli(dry, merged, { shard: 'merge', shardDir });
    expect(errorsOf(m.outcome)).toEqual([]);
    expect(await readTree(merged)).toEqual(await readTree(single));
    expect(m.outcome.units.find((u) => u.id === 'kubernetes:apps/b/clusters/prod')!.status).toBe('rendered');
  }, 30_000);
});

describe('a merge that cannot trust its shard files fails and writes nothing', () => {
  it('a dry file edited after the shards ran: "from other inputs", naming the unit', async () => {
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const w0 = fresh('w0');
    expect((await cli(dry, w0)).exitCode).toBe(0);
    await applyEdit(dry, { kind: 'overlay', pick: 0 }); // apps/a changes: its shard renders it
    const shardDir = fresh('shards');
    await renderShards(dry, w0, 2, shardDir);
    await applyEdit(dry, { kind: 'generator', pick: 0 }); // apps/a changes again
    const before = await readTree(w0);
    const m = await cli(dry, w0, { shard: 'merge', shardDir });
    expect(m.exitCode).toBe(1);
    expect(m.outcome.ok).toBe(false);
    const errors = errorsOf(m.outcome);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.unit).toBe('kubernetes:apps/a/clusters/prod');
    expect(errors[0]!.message).toMatch(/shard \d\/2 rendered unit kubernetes:apps\/a\/clusters\/prod from other inputs than this job sees/);
    expect(errors[0]!.message).toContain(shardDir);
    expect(m.outcome.plan).toBeUndefined();
    expect(await readTree(w0)).toEqual(before);
  }, 30_000);

  it('a forged shard file (the right input digest, a changed object) is refused by the merge\'s own render; nothing is written', async () => {
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const w0 = fresh('w0');
    expect((await cli(dry, w0)).exitCode).toBe(0);
    await applyEdit(dry, { kind: 'base', pick: 0 }); // every overlay changes: the shards render them
    await applyEdit(dry, { kind: 'base', pick: 0 });
    const shardDir = fresh('shards');
    const runs = await renderShards(dry, w0, 2, shardDir);
    // Forge: the digest stays, one object of one unit changes (an image, and a ClusterRoleBinding added).
    const file = path.join(shardDir, 'hydrate-shard-1-of-2.json');
    const data = shardFileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    const victim = data.units.find((u) => u.status === 'rendered' && u.resources.some((r) => 'object' in r && r.object['kind'] === 'Deployment'))!;
    expect(victim).toBeDefined();
    const deployment = victim.resources.find((r) => 'object' in r && r.object['kind'] === 'Deployment') as { object: Record<string, unknown> };
    deployment.object = JSON.parse(JSON.stringify(deployment.object).replace(/web:\d+/, 'evil:latest')) as Record<string, unknown>;
    victim.resources.push({
      object: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'pwn' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:authenticated', apiGroup: 'rbac.authorization.k8s.io' }] },
      source: { file: 'x' }
    });
    await writeShardFile(shardDir, data);
    expect(runs).toHaveLength(2);
    const before = await readTree(w0);
    // Default sample size (3) with every unit of both shards as candidates: check the forged unit by asking for all.
    const m = await cli(dry, w0, { shard: 'merge', shardDir, shardVerify: 50 });
    expect(m.exitCode).toBe(1);
    const errors = errorsOf(m.outcome);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.unit).toBe(victim.id);
    expect(errors[0]!.message).toMatch(/^shard 1\/2's result for unit .* differs from this job's own render of it \(the shard has \d+ object\(s\), this job's render \d+\).*nothing is published/);
    expect(m.outcome.plan).toBeUndefined();
    expect(await readTree(w0)).toEqual(before);
    // The same forgery without the added object: the changed image is named.
    victim.resources.pop();
    await writeShardFile(shardDir, data);
    const again = await cli(dry, w0, { shard: 'merge', shardDir, shardVerify: 50 });
    expect(errorsOf(again.outcome).map((d) => d.message)).toEqual([expect.stringMatching(/object #\d+ \(Deployment [a-z-]*web\) differs/)]);
    expect(await readTree(w0)).toEqual(before);
  }, 60_000);

  it('shard files of another workflow run are refused', async () => {
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const out = fresh('out');
    const shardDir = fresh('shards');
    for (const i of [1, 2]) expect((await cli(dry, out, { shard: `${i}/2`, shardDir, runId: i === 1 ? '1001' : '1002' })).exitCode).toBe(0);
    expect(JSON.parse(await readFile(path.join(shardDir, 'hydrate-shard-1-of-2.json'), 'utf8'))).toMatchObject({ runId: '1001' });
    const m = await cli(dry, out, { shard: 'merge', shardDir, runId: '1002' });
    expect(m.exitCode).toBe(1);
    expect(errorsOf(m.outcome).map((d) => d.message)).toEqual([
      expect.stringMatching(/^shard 1\/2 was rendered by workflow run 1001, this merge is run 1002: a merge takes shard files of its own run only/)
    ]);
    // Same run: accepted.
    expect((await cli(dry, out, { shard: '1/2', shardDir, runId: '1002' })).exitCode).toBe(0);
    expect((await cli(dry, out, { shard: 'merge', shardDir, runId: '1002' })).exitCode).toBe(0);
  }, 60_000);

  it('a missing shard file', async () => {
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const out = fresh('out');
    const shardDir = fresh('shards');
    await renderShards(dry, out, 3, shardDir);
    await rm(path.join(shardDir, 'hydrate-shard-2-of-3.json'));
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'unowned.txt'), 'x\n');
    const before = await readTree(out);
    const m = await cli(dry, out, { shard: 'merge', shardDir });
    expect(m.exitCode).toBe(1);
    expect(errorsOf(m.outcome).map((d) => d.message)).toEqual([expect.stringContaining('shard 2/3 is missing')]);
    expect(await readTree(out)).toEqual(before);
  }, 30_000);

  it('a unit added after the shards ran', async () => {
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const out = fresh('out');
    const shardDir = fresh('shards');
    await renderShards(dry, out, 1, shardDir);
    await applyEdit(dry, { kind: 'add', pick: 0 });
    const m = await cli(dry, out, { shard: 'merge', shardDir });
    expect(m.exitCode).toBe(1);
    expect(errorsOf(m.outcome).map((d) => d.message)).toEqual([
      expect.stringMatching(/shard 1\/1 was dealt other units than this job deals it \(dealt here but not there: kubernetes:apps\/n\d+\/clusters\/prod\)/)
    ]);
    expect(await readTree(out)).toEqual(new Map());
  }, 30_000);

  it('broken units in two shards: each shard saves its file, the merge reports both errors and writes nothing', async () => {
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const out = fresh('out');
    expect((await cli(dry, out)).exitCode).toBe(0);
    await put(dry, 'apps/a/clusters/prod/kustomization.yaml', 'resources:\n  - ../../../../bases/web\n  - missing-a.yaml\n');
    await put(dry, 'apps/b/clusters/prod/kustomization.yaml', 'resources: [\n');
    const broken = ['kubernetes:apps/a/clusters/prod', 'kubernetes:apps/b/clusters/prod'];

    // A single render: the errors the merge must report (kubectl's log prefix holds a time and a pid).
    const single = fresh('single');
    await copyDir(out, single);
    const one = await cli(dry, single);
    expect(one.exitCode).toBe(1);
    const stable = (ds: Diagnostic[]): Diagnostic[] => ds.map((d) => ({ ...d, message: d.message.replace(/[EWI]\d{4} [\d:.]+\s+\d+ /g, '') }));
    const expected = stable(errorsOf(one.outcome));
    expect([...new Set(expected.map((d) => d.unit))].sort()).toEqual(broken);
    expect(expected.map((d) => d.message).join('\n')).toContain('missing-a.yaml');

    // Three kubernetes units, three shards: a and b land in different shards.
    const shardDir = fresh('shards');
    const shards = await renderShards(dry, out, 3, shardDir, false);
    const owner = (id: string): number => shards.findIndex((s) => s.outcome.shard!.assigned.includes(id));
    expect(owner(broken[0]!)).not.toBe(owner(broken[1]!));
    for (const [k, s] of shards.entries()) {
      const mine = broken.filter((id) => owner(id) === k);
      expect(s.outcome.ok).toBe(mine.length === 0);
      expect(s.exitCode).toBe(mine.length === 0 ? 0 : 1);
      expect([...new Set(errorsOf(s.outcome).map((d) => d.unit))].sort()).toEqual(mine);
    }
    const files = (await readShardFiles(shardDir)).map((s) => s.data.shard.index).sort();
    expect(files).toEqual([1, 2, 3]);

    const before = await readTree(out);
    const m = await cli(dry, out, { shard: 'merge', shardDir });
    expect(m.exitCode).toBe(1);
    // Exactly the errors the shards reported, together; the same as a single render's.
    const fromShards = shards.flatMap((s) => errorsOf(s.outcome));
    expect(errorsOf(m.outcome)).toEqual(expect.arrayContaining(fromShards));
    expect(errorsOf(m.outcome)).toHaveLength(fromShards.length);
    expect(stable(errorsOf(m.outcome))).toEqual(expected);
    expect(m.outcome.plan).toBeUndefined();
    expect(await readTree(out)).toEqual(before);
  }, 30_000);

  it('a plaintext Secret: the shard fails without saving its value, the merge fails with the policy error', async () => {
    const canary = 'canary-d2c1f9a0b7';
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const out = fresh('out');
    expect((await cli(dry, out)).exitCode).toBe(0);
    await put(dry, 'plain/dev/secret.yaml', `apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\n  namespace: dev\nstringData:\n  password: ${canary}\n`);
    const plain = 'kubernetes:plain/dev';

    const single = fresh('single');
    await copyDir(out, single);
    const one = await cli(dry, single);
    expect(one.exitCode).toBe(1);
    const expected = errorsOf(one.outcome);
    expect(expected).toEqual([expect.objectContaining({ unit: plain, message: expect.stringContaining('plaintext Secret dev/leaked') })]);

    for (const n of [1, 2]) {
      const shardDir = fresh('shards');
      const shards = await renderShards(dry, out, n, shardDir, false);
      expect(shards.filter((s) => s.outcome.shard!.assigned.includes(plain))).toHaveLength(1);
      for (const s of shards) {
        const mine = s.outcome.shard!.assigned.includes(plain);
        expect(s.outcome.ok).toBe(!mine);
        if (mine) expect(errorsOf(s.outcome)).toEqual(expected);
      }
      const files = await readdir(shardDir);
      expect(files).toHaveLength(n);
      for (const f of files) expect(await readFile(path.join(shardDir, f), 'utf8')).not.toContain(canary);

      const before = await readTree(out);
      const m = await cli(dry, out, { shard: 'merge', shardDir });
      expect(m.exitCode).toBe(1);
      // The same error, in the same words and at the same file:line, as a single render gives.
      expect(errorsOf(m.outcome)).toEqual(expected);
      expect(m.outcome.plan).toBeUndefined();
      expect(m.outcome.units.find((u) => u.id === plain)!.status).toBe('failed');
      expect(JSON.stringify(m.outcome.diagnostics)).not.toContain(canary);
      expect(await readTree(out)).toEqual(before);
    }
  }, 30_000);
});

describe('readShardFiles', () => {
  async function someShards(n: number): Promise<{ dry: string; shardDir: string }> {
    const dry = fresh('dry');
    await cp(template, dry, { recursive: true });
    const shardDir = fresh('shards');
    await renderShards(dry, fresh('out'), n, shardDir);
    return { dry, shardDir };
  }

  it('a corrupt file and a file failing the schema: one error each, naming the file; the merge writes nothing', async () => {
    const { dry, shardDir } = await someShards(2);
    const corrupt = path.join(shardDir, 'hydrate-shard-1-of-2.json');
    const text = await readFile(corrupt, 'utf8');
    await writeFile(corrupt, text.slice(0, Math.floor(text.length / 2)));
    const wrong = path.join(shardDir, 'hydrate-shard-2-of-2.json');
    const data = JSON.parse(await readFile(wrong, 'utf8')) as Record<string, unknown>;
    await writeFile(wrong, JSON.stringify({ ...data, format: 'hydrate-shard/v0' }));

    let error: unknown;
    try {
      await readShardFiles(shardDir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HydrateError);
    const messages = (error as HydrateError).diagnostics.map((d) => d.message);
    expect(messages).toHaveLength(2);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^shard file ${corrupt.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON`)),
        expect.stringMatching(new RegExp(`^shard file ${wrong.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a Hydrate shard file \\(format:`))
      ])
    );

    const out = fresh('out');
    await mkdir(out);
    await writeFile(path.join(out, 'keep.txt'), 'x\n');
    await expect(cli(dry, out, { shard: 'merge', shardDir })).rejects.toBeInstanceOf(HydrateError);
    expect(await readTree(out)).toEqual(new Map([['keep.txt', 'x\n']]));
  }, 30_000);

  it('a missing shard directory is an error', async () => {
    await expect(readShardFiles(path.join(tmp, 'no-such-dir'))).rejects.toThrow(/shard directory .*no-such-dir does not exist/);
  });

  it('finds the files in sub-folders, as actions/download-artifact lays them out, and ignores other files', async () => {
    const { dry, shardDir } = await someShards(3);
    const downloaded = fresh('download');
    for (const f of await readdir(shardDir)) {
      const i = /^hydrate-shard-(\d+)-of-3\.json$/.exec(f)![1];
      await put(downloaded, `hydrate-shard-${i}/${f}`, await readFile(path.join(shardDir, f), 'utf8'));
    }
    await put(downloaded, 'hydrate-shard-1/notes.json', '{not json');
    await put(downloaded, 'hydrate-shard-9-of-9.json.tmp', 'partial');
    const found = await readShardFiles(downloaded);
    expect(found.map((s) => path.relative(downloaded, s.file))).toEqual([1, 2, 3].map((i) => `hydrate-shard-${i}/hydrate-shard-${i}-of-3.json`));
    for (const s of found) expect(shardFileSchema.parse(JSON.parse(await readFile(s.file, 'utf8')))).toEqual(s.data);

    const single = fresh('single');
    expect((await cli(dry, single)).exitCode).toBe(0);
    const merged = fresh('merged');
    const m = await cli(dry, merged, { shard: 'merge', shardDir: downloaded });
    expect(errorsOf(m.outcome)).toEqual([]);
    expect(await readTree(merged)).toEqual(await readTree(single));
  }, 30_000);

  it('writeShardFile replaces the file atomically and leaves no temporary file', async () => {
    const { shardDir } = await someShards(1);
    const [loaded] = await readShardFiles(shardDir);
    const again = await writeShardFile(shardDir, { ...loaded!.data, units: [] });
    expect(again).toBe(loaded!.file);
    expect(await readdir(shardDir)).toEqual(['hydrate-shard-1-of-1.json']);
    expect((await readShardFiles(shardDir))[0]!.data.units).toEqual([]);
  }, 30_000);
});
