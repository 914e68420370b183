/**
 * Units from Flux Kustomizations in incremental and sharded runs, through the CLI's render
 * command over real kustomize: after each edit (a manifest of a path, a component, a ConfigMap
 * that postBuild substitutes from, the Kustomization object itself, a sub-kustomization of a
 * generated path) an incremental run gives byte for byte the tree a full run gives, and renders
 * again exactly the units whose inputs changed; shards merged give the single render's tree.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderCommand, type RenderCommand } from '../../src/cli.js';
import type { HydrateOutcome } from '../../src/pipeline/hydrate.js';
import { silentLogger } from '../../src/ports.js';
import { FLUX_REPO } from '../fixtures/flux-repo.js';
import { put, readTree } from './dry-fixture.js';

const DRY_COMMIT = '0123456789abcdef0123456789abcdef01234567';
const APPS = 'kubernetes:clusters/production/apps.yaml#flux-system/apps';
const CANARY = 'kubernetes:clusters/production/apps.yaml#flux-system/apps-canary';
const SECRET = 'kubernetes:clusters/production/apps.yaml#flux-system/apps-secret';
const FLUX_SYSTEM = 'kubernetes:clusters/production/flux-system/gotk-sync.yaml#flux-system/flux-system';
const INFRA = 'kubernetes:clusters/production/infra.yaml#flux-system/infra';
const STAGING = 'kubernetes:clusters/staging/apps.yaml#flux-system/apps';

beforeAll(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterAll(() => {
  jest.restoreAllMocks();
});

async function cli(dry: string, out: string, extra: Partial<RenderCommand> = {}): Promise<HydrateOutcome> {
  const r = await renderCommand({ config: path.join(dry, 'hydrate.yaml'), out, only: [], full: false, json: false, dryCommit: DRY_COMMIT, ...extra }, silentLogger);
  expect(r.outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(r.exitCode).toBe(0);
  return r.outcome;
}

const rendered = (o: HydrateOutcome): string[] => o.units.filter((u) => u.status === 'rendered').map((u) => u.id).sort();

let tmp: string;
let dry: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-flux-inc-'));
  dry = path.join(tmp, 'dry');
  for (const [rel, content] of Object.entries(FLUX_REPO)) await put(dry, rel, content);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('Flux units, incremental and sharded', () => {
  it('an incremental run after each edit equals a full run and renders only the units the edit reaches', async () => {
    const wet = path.join(tmp, 'wet');
    const first = await cli(dry, wet);
    expect(rendered(first)).toEqual([APPS, CANARY, SECRET, FLUX_SYSTEM, INFRA, STAGING].sort());
    const again = await cli(dry, wet);
    expect(again.units.every((u) => u.status === 'reused')).toBe(true);

    // A consumer's reading of what was written: the namespace Flux deploys to is there.
    const tree = await readTree(wet);
    const objects = [...tree.entries()].filter(([p]) => p.startsWith('production/apps/') && p.endsWith('.yml')).map(([, t]) => parseAllDocuments(t, { version: '1.1' })[0]!.toJS() as { metadata: { namespace?: string } });
    expect(objects.length).toBeGreaterThan(3);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['web']));

    const edits: [string, (t: string) => string, string[]][] = [
      ['components/debug/cm.yaml', (t) => t.replace('verbose', 'quiet'), [APPS]],
      ['apps/web/service.yaml', (t) => t.replace('port: 80', 'port: 8080'), [APPS, CANARY, STAGING]],
      // substituteFrom reads the ConfigMaps below the entry's path; the flux-system unit builds that folder.
      ['clusters/production/vars.yaml', (t) => t.replace('CLUSTER: production', 'CLUSTER: prod-eu'), [APPS, SECRET, FLUX_SYSTEM]],
      ['clusters/staging/vars.yaml', (t) => t.replace('MULTI: m', 'MULTI: mm'), [STAGING]],
      ['clusters/production/infra.yaml', (t) => t.replace('team: platform', 'team: infra'), [APPS, SECRET, FLUX_SYSTEM, INFRA]],
      ['infra/sub/cm.yaml', (t) => t.replace('"3"', '"4"'), [INFRA]]
    ];
    for (const [file, edit, want] of edits) {
      const before = FLUX_REPO[file] !== undefined ? (await readTree(dry)).get(file)! : '';
      await put(dry, file, edit(before));
      const inc = await cli(dry, wet);
      expect([file, rendered(inc)]).toEqual([file, want.sort()]);
      const full = path.join(tmp, `full-${file.replace(/\W/g, '-')}`);
      await cli(dry, full, { full: true });
      expect(await readTree(wet)).toEqual(await readTree(full));
    }
    const data = parseAllDocuments((await readTree(wet)).get('production/apps/ConfigMap.prod-settings-v1.yml')!, { version: '1.1' })[0]!.toJS() as { data: Record<string, string> };
    expect(data.data['cluster']).toBe('prod-eu');
  }, 180_000);

  it('shards merged give the tree of a single render', async () => {
    const single = path.join(tmp, 'single');
    const one = await cli(dry, single, { full: true });
    const previous = path.join(tmp, 'empty-prev');
    const shardDir = path.join(tmp, 'shards');
    const dealt: string[] = [];
    for (const i of [1, 2]) {
      const part = await cli(dry, previous, { shard: `${i}/2`, shardDir });
      dealt.push(...part.shard!.assigned);
    }
    expect(dealt.sort()).toEqual(one.units.map((u) => u.id).sort());
    const merged = path.join(tmp, 'merged');
    await cli(dry, merged, { shard: 'merge', shardDir });
    expect(await readTree(merged)).toEqual(await readTree(single));
  }, 180_000);
});
