/** Shared helpers for the Kubernetes renderer tests. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { createFileReader } from '../../../src/adapters/files.js';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import type { ProcessResult, ProcessRunner, RunOptions } from '../../../src/ports.js';
import { silentLogger } from '../../../src/ports.js';
import type { RenderInput } from '../../../src/render/renderer.js';
import { hydrateConfig } from '../../../src/settings/schema/config.js';
import type { Unit } from '../../../src/dry/unit.js';

export const EXAMPLE_ROOT = resolve(process.cwd(), 'examples/dry');

export function unit(dir: string, entry: number): Unit {
  return { id: `kubernetes:${dir}`, renderer: 'kubernetes', entry, dir, coordinates: {}, output: dir };
}

export function makeInput(repoRoot: string, config: unknown, units: Unit[], exec: ProcessRunner = createProcessRunner()): RenderInput {
  return {
    units,
    settings: {
      repoRoot,
      configPath: 'hydrate.yaml',
      config: hydrateConfig.parse(typeof config === 'string' ? parse(config) : config),
      only: [],
      full: false,
      concurrency: 1,
      toolMemoryMiB: 512
    },
    repoRoot,
    files: createFileReader(),
    exec,
    logger: silentLogger,
    previous: { index: undefined, readFile: async () => undefined }
  };
}

export interface Call {
  command: string;
  args: readonly string[];
  options?: RunOptions;
}

/**
 * A ProcessRunner that finds only `onPath` and answers every run with `result`. Tool version
 * queries (`<tool> version …`) are recorded in `versionCalls`, every other run in `calls`.
 */
export function fakeRunner(
  onPath: string[],
  result: ProcessResult = { exitCode: 0, stdout: '', stderr: '' }
): ProcessRunner & { calls: Call[]; versionCalls: Call[] } {
  const calls: Call[] = [];
  const versionCalls: Call[] = [];
  return {
    calls,
    versionCalls,
    async run(command, args, options) {
      if (args[0] === 'version') {
        versionCalls.push({ command, args });
        return { exitCode: 0, stdout: `${command} v-test`, stderr: '' };
      }
      calls.push({ command, args, ...(options ? { options } : {}) });
      return result;
    },
    async which(command) {
      return onPath.includes(command) ? `/usr/bin/${command}` : undefined;
    }
  };
}

/** Creates a temporary repo from a map of relative path → content; returns its root and a cleanup. */
export async function tempRepo(files: Record<string, string>): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'hydrate-k8s-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  }
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}
