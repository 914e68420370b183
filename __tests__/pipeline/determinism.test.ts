/** The wet tree does not depend on the order in which the file system lists directories. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import path from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { hydrate } from '../../src/pipeline/hydrate.js';
import type { PreviousWet } from '../../src/render/renderer.js';
import type { FileReader } from '../../src/ports.js';
import { silentLogger } from '../../src/ports.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

const emptyWet: PreviousWet = {
  index: undefined,
  readFile: async () => undefined
};

function shuffled(reader: FileReader, seed: number): FileReader {
  let state = seed >>> 0 || 1;
  const rand = (): number => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
  return {
    ...reader,
    readDir: async (p) => {
      const entries = await reader.readDir(p);
      for (let i = entries.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [entries[i], entries[j]] = [entries[j]!, entries[i]!];
      }
      return entries;
    }
  };
}

async function render(files: FileReader, concurrency: number): Promise<string> {
  const { settings, configText } = await loadSettings({
    configFile: path.join(ROOT, 'examples/dry/hydrate.yaml'),
    only: ['!kubernetes/platform/web/*'],
    concurrency
  });
  const outcome = await hydrate({ settings, configText, previous: emptyWet, ports: { files, exec: createProcessRunner(), logger: silentLogger } });
  expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return outcome.layout!.files.map((f) => `== ${f.path}\n${f.content}`).join('');
}

describe('determinism', () => {
  it('gives the same bytes for any directory listing order and any worker count', async () => {
    const reference = await render(createFileReader(), 1);
    expect(reference.length).toBeGreaterThan(1000);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1, max: 4 }), async (seed, workers) => {
        expect(await render(shuffled(createFileReader(), seed), workers)).toBe(reference);
      }),
      { numRuns: 4 }
    );
  });
});
