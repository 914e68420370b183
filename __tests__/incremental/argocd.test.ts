/**
 * Units of a `from: argocd` entry: after each dry edit, an incremental render onto the previous
 * wet tree equals a full render into an empty folder, and units the edit cannot affect are kept.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { applyWetPlan, readWetDir } from '../../src/adapters/wet-dir.js';
import { hydrate, type UnitReport } from '../../src/pipeline/hydrate.js';
import { silentLogger } from '../../src/ports.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { renderCommand } from '../../src/cli.js';
import { put, readTree } from './dry-fixture.js';

const APPS = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web}
spec:
  source: {repoURL: ., path: apps/web, kustomize: {namePrefix: p-, images: ["nginx:1.27"]}}
  destination: {namespace: web}
`;
const APPSET = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: tenants}
spec:
  generators: [{git: {repoURL: ., directories: [{path: "tenants/*"}]}}]
  template:
    metadata: {name: "tenant-{{path.basename}}"}
    spec: {source: {repoURL: ., path: "{{path}}", directory: {recurse: true}}, destination: {namespace: "{{path.basename}}"}}
`;
const cm = (name: string, v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {v: "${v}"}\n`;

async function generate(root: string): Promise<void> {
  await put(root, 'hydrate.yaml', 'version: 1\nkubernetes:\n  - from: argocd\n    path: argocd\n    output: "clusters/{namespace}/{name}"\n');
  await put(root, 'argocd/web.yaml', APPS);
  await put(root, 'argocd/tenants.yaml', APPSET);
  await put(root, 'apps/web/kustomization.yaml', 'resources: [d.yaml]\n');
  await put(root, 'apps/web/d.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: c, image: nginx}]}}}\n');
  for (const t of ['a', 'b']) await put(root, `tenants/${t}/cm.yaml`, cm(`cm-${t}`, '0'));
}

async function render(dry: string, out: string, full: boolean): Promise<UnitReport[]> {
  const { settings, configText } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml'), full, concurrency: 1 });
  await mkdir(out, { recursive: true });
  const outcome = await hydrate({ settings, configText, previous: await readWetDir(out), ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger } });
  expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  await applyWetPlan(out, outcome.plan!);
  return outcome.units;
}

describe('incremental runs of Argo CD units', () => {
  // The render command prints its report.
  beforeAll(() => {
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });

  it('equal a full render after every edit, and keep the units an edit cannot affect', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-argocd-inc-'));
    try {
      const dry = path.join(tmp, 'dry');
      const wet = path.join(tmp, 'wet');
      await generate(dry);
      await render(dry, wet, false);
      const edits: { apply: () => Promise<void>; kept: string[] }[] = [
        // The Application's kustomize options change: only it re-renders.
        { apply: () => writeFile(path.join(dry, 'argocd/web.yaml'), APPS.replace('p-', 'q-')), kept: ['kubernetes:argocd#tenant-a', 'kubernetes:argocd#tenant-b'] },
        // A file of one generated Application's source.
        { apply: () => put(dry, 'tenants/a/sub/more.yaml', cm('more', '1')), kept: ['kubernetes:argocd#web', 'kubernetes:argocd#tenant-b'] },
        // A new directory the git generator matches: a new unit.
        { apply: () => put(dry, 'tenants/c/cm.yaml', cm('cm-c', '2')), kept: ['kubernetes:argocd#web', 'kubernetes:argocd#tenant-a', 'kubernetes:argocd#tenant-b'] },
        // The ApplicationSet's template: every unit it generates.
        { apply: () => writeFile(path.join(dry, 'argocd/tenants.yaml'), APPSET.replace('recurse: true', 'recurse: false')), kept: ['kubernetes:argocd#web'] },
        // The base image: the kustomize unit.
        { apply: async () => writeFile(path.join(dry, 'apps/web/d.yaml'), (await readFile(path.join(dry, 'apps/web/d.yaml'), 'utf8')).replace('image: nginx', 'image: httpd')), kept: ['kubernetes:argocd#tenant-a', 'kubernetes:argocd#tenant-b', 'kubernetes:argocd#tenant-c'] }
      ];
      for (const [i, e] of edits.entries()) {
        await e.apply();
        const units = await render(dry, wet, false);
        for (const id of e.kept) expect([i, id, units.find((u) => u.id === id)?.status]).toEqual([i, id, 'reused']);
        const fresh = path.join(tmp, `full-${i}`);
        await render(dry, fresh, true);
        expect(await readTree(wet)).toEqual(await readTree(fresh));
      }
      // The edits did reach the wet tree.
      const tree = await readTree(wet);
      expect([...tree.keys()].some((k) => k.startsWith('clusters/web/web/Deployment.q-web'))).toBe(true);
      expect([...tree.keys()].some((k) => k.startsWith('clusters/c/tenant-c/'))).toBe(true);
      expect([...tree.keys()].some((k) => k.includes('more'))).toBe(false);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('with emit: emitted Applications are kept unless their Application changes, incremental and sharded runs equal a full render', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-argocd-emit-'));
    try {
      const dry = path.join(tmp, 'dry');
      const wet = path.join(tmp, 'wet');
      await generate(dry);
      await put(dry, 'hydrate.yaml', 'version: 1\nkubernetes:\n  - from: argocd\n    path: argocd\n    output: "clusters/{namespace}/{name}"\n    emit: {output: "_deploy/{name}", repoURL: "https://example.com/wet.git", targetRevision: deployment}\n');
      await render(dry, wet, false);
      const edits: { apply: () => Promise<void>; kept: string[]; rendered: string[] }[] = [
        // A source file: the unit renders again, what deploys it does not change.
        { apply: () => put(dry, 'tenants/a/sub/more.yaml', cm('more', '1')), kept: ['kubernetes:argocd#tenant-a#emit', 'kubernetes:argocd#web#emit'], rendered: ['kubernetes:argocd#tenant-a'] },
        // The Application: the unit and its emitted object.
        { apply: () => writeFile(path.join(dry, 'argocd/web.yaml'), APPS.replace('{namespace: web}', '{namespace: web, server: "https://other"}')), kept: ['kubernetes:argocd#tenant-a#emit'], rendered: ['kubernetes:argocd#web#emit'] }
      ];
      for (const [i, e] of edits.entries()) {
        await e.apply();
        const units = await render(dry, wet, false);
        for (const id of e.kept) expect([i, id, units.find((u) => u.id === id)?.status]).toEqual([i, id, 'reused']);
        for (const id of e.rendered) expect([i, id, units.find((u) => u.id === id)?.status]).toEqual([i, id, 'rendered']);
        const fresh = path.join(tmp, `full-${i}`);
        await render(dry, fresh, true);
        expect(await readTree(wet)).toEqual(await readTree(fresh));
      }
      const tree = await readTree(wet);
      expect([...tree.entries()].find(([k]) => k.startsWith('_deploy/web/') && k.endsWith('.yml'))?.[1]).toContain('server: https://other');
      // Sharded: the merge equals the single render.
      const base = { config: path.join(dry, 'hydrate.yaml'), only: [], full: false, json: false, dryCommit: '0123456789abcdef0123456789abcdef01234567' };
      const sharded = path.join(tmp, 'sharded');
      const shardDir = path.join(tmp, 'shards');
      await mkdir(sharded);
      for (const i of [1, 2]) expect((await renderCommand({ ...base, out: sharded, shard: `${i}/2`, shardDir }, silentLogger)).exitCode).toBe(0);
      expect((await renderCommand({ ...base, out: sharded, shard: 'merge', shardDir }, silentLogger)).exitCode).toBe(0);
      const single = path.join(tmp, 'single');
      expect((await renderCommand({ ...base, out: single }, silentLogger)).exitCode).toBe(0);
      expect(await readTree(sharded)).toEqual(await readTree(single));
      expect([...(await readTree(single)).keys()].filter((k) => k.startsWith('_deploy/') && k.endsWith('.yml'))).toHaveLength(3);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('shard runs and their merge give the tree a single render gives', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-argocd-shard-'));
    try {
      const dry = path.join(tmp, 'dry');
      await generate(dry);
      await put(dry, 'tenants/c/cm.yaml', cm('cm-c', '2'));
      const base = { config: path.join(dry, 'hydrate.yaml'), only: [], full: false, json: false, dryCommit: '0123456789abcdef0123456789abcdef01234567' };
      const single = path.join(tmp, 'single');
      expect((await renderCommand({ ...base, out: single }, silentLogger)).exitCode).toBe(0);
      const sharded = path.join(tmp, 'sharded');
      const shardDir = path.join(tmp, 'shards');
      await mkdir(sharded);
      const rendered: string[] = [];
      for (const i of [1, 2]) {
        const run = await renderCommand({ ...base, out: sharded, shard: `${i}/2`, shardDir }, silentLogger);
        expect(run.exitCode).toBe(0);
        rendered.push(...run.outcome.units.filter((u) => u.status === 'rendered').map((u) => u.id));
      }
      // Every Argo CD unit is rendered by exactly one shard.
      expect(rendered.sort()).toEqual(['kubernetes:argocd#tenant-a', 'kubernetes:argocd#tenant-b', 'kubernetes:argocd#tenant-c', 'kubernetes:argocd#web']);
      expect((await renderCommand({ ...base, out: sharded, shard: 'merge', shardDir }, silentLogger)).exitCode).toBe(0);
      expect(await readTree(sharded)).toEqual(await readTree(single));
      expect([...(await readTree(single)).keys()].filter((k) => k.endsWith('.yml')).length).toBe(4);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
