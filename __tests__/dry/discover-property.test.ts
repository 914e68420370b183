import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverUnits } from '../../src/dry/discover.js';
import { buildSettings, parseConfig } from '../../src/settings/load-config.js';
import { cmp } from '../../src/resources/resource.js';
import { nodeFileReader } from './fs-reader.js';

/** All directory prefixes of the given paths. */
function allDirs(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('/'));
  }
  return [...out];
}

/**
 * The oracle, written apart from src/dry/match.ts: `{name}` captures one segment, `*` matches one,
 * everything else is literal. Returns the captures, or undefined when `dir` does not match.
 */
function oracle(pattern: string, dir: string): Record<string, string> | undefined {
  const names: string[] = [];
  const source = pattern
    .split('/')
    .map((seg) =>
      seg
        .split(/(\{\w+\}|\*)/)
        .map((part) => {
          if (part === '*') return '[^/]+';
          const m = /^\{(\w+)\}$/.exec(part);
          if (m) {
            names.push(m[1]!);
            return '([^/]+)';
          }
          return part.replace(/[.+?^$()[\]\\|]/g, '\\$&');
        })
        .join('')
    )
    .join('/');
  const m = new RegExp(`^${source}$`).exec(dir);
  return m ? Object.fromEntries(names.map((n, i) => [n, m[i + 1]!])) : undefined;
}

describe('discoverUnits (property)', () => {
  it('finds exactly the directories the pattern matches, in id order', async () => {
    const name = fc.constantFrom('a', 'b', 'x', 'env', 'prod', 'k.d');
    const tree = fc.array(fc.array(name, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')), { minLength: 1, maxLength: 12 });
    const pattern = fc.constantFrom('{p}/x/{q}', '*/{p}', 'a/{p}/{q}', '{p}', 'a/*/{q}.d', '{p}/{q}/{r}');
    let runsWithUnits = 0;
    await fc.assert(
      fc.asyncProperty(tree, pattern, async (paths, match) => {
        const repo = await mkdtemp(join(tmpdir(), 'hydrate-prop-'));
        try {
          for (const p of paths) await mkdir(join(repo, p), { recursive: true });
          const names = [...match.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
          const output = `out/${names.map((n) => `{${n}}`).join('/')}/${match.replace(/[{}*]/g, '_')}`;
          const yaml = `kubernetes:\n  - match: "${match}"\n    output: "${output}"\n`;
          const settings = buildSettings({ repoRoot: repo, configPath: 'hydrate.yaml', config: parseConfig(yaml, 'hydrate.yaml') });
          const { units, diagnostics, configErrors } = await discoverUnits(settings, nodeFileReader());
          const matched = allDirs(paths)
            .filter((d) => oracle(match, d) !== undefined)
            .sort(cmp)
            .map((d) => {
              const captures = oracle(match, d)!;
              return { id: `kubernetes:${d}`, output: output.replace(/\{(\w+)\}/g, (_, n: string) => captures[n]!) };
            });
          // `*` is not captured, so two dirs may render to one output: both are left out, with a
          // config error per shared output.
          const count = new Map<string, number>();
          for (const m of matched) count.set(m.output, (count.get(m.output) ?? 0) + 1);
          const collisions = [...count.values()].filter((n) => n > 1).length;
          const expected = matched.filter((m) => count.get(m.output) === 1);
          // An entry matching nothing is an error too (it would prune what the entry rendered before).
          expect(diagnostics.filter((d) => d.severity === 'error')).toHaveLength(matched.length === 0 ? 1 : 0);
          expect(configErrors).toHaveLength(collisions);
          expect(units.map((u) => ({ id: u.id, output: u.output }))).toEqual(expected);
          if (expected.length > 0) runsWithUnits++;
        } finally {
          await rm(repo, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 }
    );
    // Not vacuous: many runs find units.
    expect(runsWithUnits).toBeGreaterThanOrEqual(10);
  });
});
