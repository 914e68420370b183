/** Test helpers: an in-memory dry tree, settings, units and render input. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { DirEntry, FileReader } from '../../../src/ports.js';
import { silentLogger } from '../../../src/ports.js';
import type { PreviousWet, RenderInput } from '../../../src/render/renderer.js';
import type { RendererName, Unit } from '../../../src/dry/unit.js';
import { hydrateConfig } from '../../../src/settings/schema/config.js';
import type { Settings } from '../../../src/settings/settings.js';
import type { WetIndex } from '../../../src/formats/wet-index.js';

export const ROOT = '/repo';

/** A FileReader over `{ 'repo/relative/path': content }`. */
export function memoryFiles(files: Record<string, string>): FileReader {
  const abs = new Map(Object.entries(files).map(([p, c]) => [`${ROOT}/${p}`, c]));
  const isDir = (p: string): boolean => [...abs.keys()].some((k) => k.startsWith(`${p}/`));
  return {
    async readFile(p) {
      const c = abs.get(p);
      if (c === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return c;
    },
    async readFileBytes(p) {
      return new TextEncoder().encode(await this.readFile(p));
    },
    async readDir(p) {
      const names = new Map<string, DirEntry['kind']>();
      for (const k of abs.keys()) {
        if (!k.startsWith(`${p}/`)) continue;
        const rest = k.slice(p.length + 1);
        const slash = rest.indexOf('/');
        if (slash === -1) names.set(rest, 'file');
        else names.set(rest.slice(0, slash), 'directory');
      }
      return [...names].map(([name, kind]) => ({ name, kind }));
    },
    async lstat(p) {
      const c = abs.get(p);
      if (c !== undefined) return { kind: 'file', size: c.length };
      return isDir(p) ? { kind: 'directory', size: 0 } : undefined;
    },
    async realpath(p) {
      return p;
    }
  };
}

export function settingsFrom(config: unknown): Settings {
  return {
    repoRoot: ROOT,
    configPath: 'hydrate.yaml',
    config: hydrateConfig.parse(config),
    only: [],
    full: true,
    concurrency: 1,
    toolMemoryMiB: 512
  };
}

export function unit(renderer: RendererName, dir: string, coordinates: Record<string, string>, entry = 0): Unit {
  return { id: `${renderer}:${dir}`, renderer, entry, dir, coordinates, output: dir };
}

export const emptyPrevious: PreviousWet = { index: undefined, readFile: async () => undefined };

/** A previous wet tree holding the given files, all owned by one terraform unit. */
export function previousWet(files: Record<string, string>, dir = 'tfworkspaces/x'): PreviousWet {
  const index: WetIndex = {
    version: 1,
    generator: 'test',
    units: {
      [`terraform:${dir}`]: { renderer: 'terraform', dir, coordinates: {}, output: dir, paths: Object.keys(files).sort(), digest: '' }
    }
  };
  return { index, readFile: async (p) => files[p] };
}

export function renderInput(
  settings: Settings,
  units: Unit[],
  files: FileReader,
  previous: PreviousWet = emptyPrevious
): RenderInput {
  return {
    units,
    settings,
    repoRoot: ROOT,
    files,
    exec: {
      run: async () => {
        throw new Error('no process may run in these tests');
      },
      which: async () => undefined
    },
    logger: silentLogger,
    previous
  };
}

/** The example dry repository (examples/dry): its config and the files under the given dirs. */
export function exampleRepo(dirs: string[]): { settings: Settings; files: Record<string, string> } {
  const base = path.resolve(process.cwd(), 'examples/dry');
  const settings = settingsFrom(parse(readFileSync(path.join(base, 'hydrate.yaml'), 'utf8')));
  const files: Record<string, string> = {};
  for (const dir of dirs) {
    const names = readdirSync(path.join(base, dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
    for (const n of names) files[`${dir}/${n}`] = readFileSync(path.join(base, dir, n), 'utf8');
  }
  return { settings, files };
}
