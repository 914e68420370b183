/**
 * `--only` and `exclude` globs cannot keep a run busy: extglobs are off, and patterns with too
 * many `*` in one segment or too long are refused with a clear error (exit 2 at settings).
 */
import { describe, it, expect } from '@jest/globals';
import { ConfigError, ExitCode } from '../../src/diagnostics.js';
import { globProblem, MAX_GLOB_LENGTH, selectUnits } from '../../src/dry/select.js';
import type { Unit } from '../../src/dry/unit.js';
import { buildSettings, parseConfig } from '../../src/settings/load-config.js';

const unit = (dir: string): Unit => ({ id: `kubernetes:${dir}`, renderer: 'kubernetes', entry: 0, dir, coordinates: {}, output: dir });
const units = [unit('apps/web/prod'), unit('apps/api/prod'), unit('a'.repeat(40))];

// Backtracks for minutes in picomatch's regular expression on a name of many `a`s.
const CATASTROPHIC = '*(a*)*(a*)*(a*)*(a*)*(a*)*(a*)*(a*)*(a*)*(a*)*(a*)*(a*)*(a*)b';

describe('--only globs', () => {
  it('refuses a catastrophic extglob with an error instead of matching it', () => {
    const r = selectUnits(units, [CATASTROPHIC]);
    expect(r.selected).toEqual([]);
    expect(r.diagnostics).toEqual([
      { severity: 'error', message: expect.stringMatching(/has 24 `\*` in the path segment .*at most 2 per segment/) }
    ]);
  });

  it('refuses many stars in one segment even without extglob syntax', () => {
    expect(globProblem('*a*a*a*b', '--only')).toMatch(/has 4 `\*`/);
    expect(globProblem('apps/*/*-prod*', '--only')).toBeUndefined();
    expect(globProblem('apps/**/prod', '--only')).toBeUndefined();
  });

  it('refuses a pattern longer than the limit, naming the limit', () => {
    const long = `apps/${'x'.repeat(MAX_GLOB_LENGTH)}`;
    expect(selectUnits(units, [long]).diagnostics[0]!.message).toMatch(new RegExp(`is ${long.length} characters long: at most ${MAX_GLOB_LENGTH}`));
  });

  it('compiles globs without extglobs: `@(apps)` is not an alternative', () => {
    expect(selectUnits(units, ['@(apps)/web/**']).selected).toEqual([]);
    expect(selectUnits(units, ['{apps,x}/web/**']).selected.map((u) => u.dir)).toEqual(['apps/web/prod']);
  });

  it('buildSettings refuses such a pattern with exit 2, before any run', () => {
    let caught: unknown;
    try {
      buildSettings({ repoRoot: '/r', configPath: 'hydrate.yaml', config: parseConfig('', 'hydrate.yaml'), only: ['apps/**', CATASTROPHIC] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).exitCode).toBe(ExitCode.usage);
    expect((caught as ConfigError).diagnostics).toHaveLength(1);
    expect((caught as ConfigError).diagnostics[0]!.message).toMatch(/^only pattern/);
  });

  it('the config refuses such an exclude glob at its line', () => {
    let caught: unknown;
    try {
      parseConfig(`kubernetes:\n  - match: "apps/{a}"\n    output: "{a}"\n    exclude:\n      - ok/**\n      - "${CATASTROPHIC}"\n`, 'hydrate.yaml');
    } catch (e) {
      caught = e;
    }
    expect((caught as ConfigError).diagnostics).toEqual([
      expect.objectContaining({ line: 6, message: expect.stringMatching(/^kubernetes\[0\]\.exclude\[1\] pattern/) })
    ]);
  });
});
