/**
 * Time limits (`policy.timeouts`): a unit whose tool hangs is stopped at the per-unit limit, and a
 * run stops at its limit, each with an error naming the limit; nothing is written. Through the
 * CLI, with a kustomize on PATH that hangs for some units.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const CLI = path.join(ROOT, 'src', 'cli.ts');
const LOADER = path.join(ROOT, 'scripts', 'ts-register.mjs');

let tmp: string;
let bin: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-limits-'));
  bin = path.join(tmp, 'bin');
  await mkdir(bin);
  // A kustomize that hangs for directories named slow-*, and renders a ConfigMap otherwise.
  await writeFile(
    path.join(bin, 'kustomize'),
    '#!/bin/sh\nif [ "$1" = version ]; then echo v5.0.0-fake; exit 0; fi\nfor a; do dir=$a; done\ncase "$dir" in */slow-*) exec sleep 60;; esac\nn=$(basename "$dir")\nprintf "apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: %s\\n" "$n"\n'
  );
  await chmod(path.join(bin, 'kustomize'), 0o755);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function render(timeouts: string, apps: string[], concurrency = 2): Promise<{ code: number; out: string; ms: number; outDir: string }> {
  const root = await mkdtemp(path.join(tmp, 'dry-'));
  await writeFile(
    path.join(root, 'hydrate.yaml'),
    `version: 1\nkubernetes:\n  - match: apps/{app}\n    output: apps/{app}\npolicy:\n  concurrency: ${concurrency}\n  timeouts: ${timeouts}\n`
  );
  for (const a of apps) {
    await mkdir(path.join(root, 'apps', a), { recursive: true });
    await writeFile(path.join(root, 'apps', a, 'kustomization.yaml'), 'resources: []\n');
  }
  const outDir = path.join(root, 'out');
  const started = Date.now();
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}` };
  try {
    const r = await run(process.execPath, ['--import', LOADER, CLI, 'render', '--config', path.join(root, 'hydrate.yaml'), '--out', outDir], { cwd: ROOT, env });
    return { code: 0, out: r.stdout + r.stderr, ms: Date.now() - started, outDir };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr, ms: Date.now() - started, outDir };
  }
}

describe('time limits', () => {
  it('a unit whose tool hangs is stopped at the per-unit limit, with an error naming it; nothing is written', async () => {
    const r = await render('{unitSeconds: 2}', ['fast', 'slow-one']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('error [kubernetes:apps/slow-one]: unit kubernetes:apps/slow-one took longer than the per-unit time limit of 2 s and was stopped: make it lighter or raise policy.timeouts.unitSeconds');
    expect(r.out).not.toMatch(/error \[kubernetes:apps\/fast\]/);
    expect(r.ms).toBeLessThan(20_000);
    expect(await readdir(r.outDir)).toEqual([]);
  }, 60_000);

  it('a run stops at its limit: the unit running is stopped, the others never start', async () => {
    const r = await render('{unitSeconds: 100, runSeconds: 2}', ['slow-a', 'slow-b', 'slow-c'], 1);
    expect(r.code).toBe(1);
    for (const u of ['slow-a', 'slow-b', 'slow-c']) {
      expect(r.out).toContain(`error [kubernetes:apps/${u}]: unit kubernetes:apps/${u} was stopped (or never started): the run reached its time limit of 2 s; raise policy.timeouts.runSeconds`);
    }
    expect(r.ms).toBeLessThan(20_000);
  }, 60_000);

  it('units within their limits render as before', async () => {
    const r = await render('{unitSeconds: 30, runSeconds: 60}', ['a', 'b']);
    expect(r.out).not.toContain('error');
    expect(r.code).toBe(0);
  }, 60_000);
});

describe('a runner bounded by a deadline', () => {
  it('keeps the work directories of the runner it bounds (helm and kustomize build in them)', async () => {
    const { runnerUntil } = await import('../../src/pipeline/time-limits.js');
    const { createProcessRunner } = await import('../../src/adapters/exec.js');
    const { readFile } = await import('node:fs/promises');
    const limited = runnerUntil(createProcessRunner(), Date.now() + 60_000);
    expect(limited.workDir).toBeDefined();
    const work = await limited.workDir!([], [{ path: 'k/kustomization.yaml', content: 'resources: []\n' }]);
    try {
      expect(await readFile(path.join(work.path, 'k/kustomization.yaml'), 'utf8')).toBe('resources: []\n');
    } finally {
      await work.remove();
    }
  });
});
