import { describe, it, expect } from '@jest/globals';
import { ConfigError, ExitCode, formatDiagnostic, type Diagnostic } from '../../src/diagnostics.js';
import { buildSettings, parseConfig } from '../../src/settings/load-config.js';

function errorsOf(text: string, file = 'hydrate.yaml'): Diagnostic[] {
  try {
    parseConfig(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).exitCode).toBe(ExitCode.usage);
    return (e as ConfigError).diagnostics;
  }
  throw new Error('expected a ConfigError');
}

function where(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}`;
}

describe('parseConfig', () => {
  it('accepts a valid config and fills defaults', () => {
    const config = parseConfig(
      ['kubernetes:', '  - match: apps/{app}/clusters/{cluster}', '    output: clusters/{cluster}/{app}', ''].join('\n'),
      'hydrate.yaml'
    );
    expect(config.version).toBe(1);
    expect(config.order).toEqual(['kubernetes', 'terraform', 'secrets']);
    expect(config.kubernetes[0]).toMatchObject({ match: 'apps/{app}/clusters/{cluster}', type: 'auto', exclude: [] });
    expect(config.terraform).toEqual([]);
    expect(config.wet.layout).toBe('per-resource');
  });

  it('treats an empty file as a config with no entries', () => {
    const config = parseConfig('', 'hydrate.yaml');
    expect(config.kubernetes).toEqual([]);
  });

  it('lists every schema and semantic problem, each at file:line:col', () => {
    const text = [
      'version: 1', // 1
      'order: [kubernetes, kubernetes]', // 2
      'sources:', // 3
      '  - name: lib', // 4
      '    path: vendor/lib', // 5
      '  - name: lib', // 6
      '    path: vendor/other', // 7
      'kubernetes:', // 8
      '  - match: apps/{app}/clusters/{app}', // 9
      '    output: "clusters/{cluster}/{app}"', // 10
      '    typo: 1', // 11
      '  - output: x', // 12
      'terraform:', // 13
      '  - match: /abs/../x', // 14
      '    output: tf/{env}', // 15
      '    policy: nope', // 16
      ''
    ].join('\n');
    const diags = errorsOf(text, 'conf/hydrate.yaml');
    expect(diags.every((d) => d.severity === 'error' && d.file === 'conf/hydrate.yaml')).toBe(true);
    const byLoc = diags.map((d) => `${where(d)} ${d.message}`);
    const expectAt = (loc: string, fragment: string): void => {
      expect(byLoc.filter((l) => l.startsWith(`conf/hydrate.yaml:${loc} `) && l.includes(fragment))).toHaveLength(1);
    };
    expectAt('2:21', 'renderer "kubernetes" is listed more than once');
    expectAt('6:11', 'duplicate source name "lib" (first at line 4)');
    expectAt('9:32', '`{app}` is captured twice in match');
    expectAt('10:23', 'uses {cluster}, which match "apps/{app}/clusters/{app}" does not capture');
    expectAt('11:5', 'unknown key "typo"');
    expectAt('12:5', 'kubernetes[1]: missing required key "match"');
    expectAt('14:12', 'must be relative to the repository root');
    expectAt('14:17', 'must not contain `..` segments');
    expectAt('15:16', 'uses {env}');
    expectAt('16:13', 'terraform[0].policy');
    expect(diags).toHaveLength(10);
    // Sorted by position.
    const lines = diags.map((d) => d.line ?? 0);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });

  it('reports each unknown key at the key itself, one diagnostic per key', () => {
    const text = ['kubernetes:', '  - match: a/{x}', '    output: "{x}"', '    typo: 1', '    other: 2', 'extra: true', ''].join('\n');
    expect(errorsOf(text).map((d) => `${where(d)} ${d.message}`)).toEqual([
      'hydrate.yaml:4:5 kubernetes[0]: unknown key "typo": check the spelling (see schema/hydrate.schema.json)',
      'hydrate.yaml:5:5 kubernetes[0]: unknown key "other": check the spelling (see schema/hydrate.schema.json)',
      'hydrate.yaml:6:1 (top level): unknown key "extra": check the spelling (see schema/hydrate.schema.json)'
    ]);
  });

  it('rejects unsafe characters in match and output', () => {
    const diags = errorsOf(['secrets:', '  - match: "sec rets/{x}"', '    output: out\\{x}', ''].join('\n'));
    expect(diags.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      '2:16 secrets[0].match "sec rets/{x}": match contains " ": only letters, digits and `._-/{}*` are allowed',
      '3:16 secrets[0].output "out\\{x}": output contains "\\\\": only letters, digits and `._-/{}*` are allowed'
    ]);
  });

  it('refuses outputs under .github, .git or the index folder, and unsafe paths joined onto units, each at its line', () => {
    const diags = errorsOf(
      [
        'sources:',
        '  - {name: up, path: ../../elsewhere}', // 2
        'kubernetes:',
        '  - match: apps/{app}',
        '    output: .github/workflows', // 5
        '  - match: b/{app}',
        '    output: x/.git/{app}', // 7
        '  - match: c/{app}',
        '    output: .hydrate/{app}', // 9
        '    extraArtifacts: ../../.git', // 10
        '  - match: d/{app}',
        '    output: d/{app}',
        '    extraArtifacts: /etc', // 13
        '    helm: {releaseFile: "{dir}/.git/config"}', // 14
        '  - match: e/{app}',
        '    output: .GitHub/{app}', // 16
        '    extraArtifacts: ./.git/../.git', // 17
        ''
      ].join('\n')
    );
    const got = diags.map((d) => `${d.line} ${d.message}`);
    expect(got).toEqual([
      expect.stringMatching(/^2 sources\[0\]\.path "\.\.\/\.\.\/elsewhere" contains `\.\.`/),
      expect.stringMatching(/^5 kubernetes\[0\]\.output "\.github\/workflows" is under `\.github`/),
      expect.stringMatching(/^7 kubernetes\[1\]\.output "x\/\.git\/\{app\}" names `\.git`/),
      expect.stringMatching(/^9 kubernetes\[2\]\.output "\.hydrate\/\{app\}" is under `\.hydrate`, Hydrate's own index folder/),
      expect.stringMatching(/^10 kubernetes\[2\]\.extraArtifacts "\.\.\/\.\.\/\.git" contains `\.\.`/),
      expect.stringMatching(/^13 kubernetes\[3\]\.extraArtifacts "\/etc" is absolute/),
      expect.stringMatching(/^14 kubernetes\[3\]\.helm\.releaseFile "\{dir\}\/\.git\/config" names `\.git`/),
      expect.stringMatching(/^16 kubernetes\[4\]\.output "\.GitHub\/\{app\}" is under `\.GitHub`/),
      expect.stringMatching(/^17 kubernetes\[4\]\.extraArtifacts "\.git\/\.\.\/\.git" names `\.git`/)
    ]);
  });

  it('accepts the default extra artifacts folder and a nested one', () => {
    expect(() => parseConfig('kubernetes:\n  - {match: "a/{x}", output: "o/{x}", extraArtifacts: files/extra/}\n', 'hydrate.yaml')).not.toThrow();
    expect(() => parseConfig('kubernetes:\n  - {match: "a/{x}", output: "o/{x}", extraArtifacts: ./files}\n', 'hydrate.yaml')).not.toThrow();
  });

  it('rejects `*` in an output template', () => {
    const diags = errorsOf(['kubernetes:', '  - match: apps/*/{c}', '    output: out/*/{c}', ''].join('\n'));
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ line: 3, col: 17 });
    expect(diags[0]!.message).toContain('output must not contain `*`');
  });

  it('points at a wrong type value and at the parent map for a missing key in nested objects', () => {
    const text = [
      'policy:', // 1
      '  concurrency: many', // 2
      'terraform:', // 3
      '  - match: tf/{env}', // 4
      '    output: tf/{env}', // 5
      '    resourceTypes:', // 6
      '      github:', // 7
      '        backend: be', // 8
      ''
    ].join('\n');
    const diags = errorsOf(text);
    expect(diags.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      expect.stringMatching(/^2:16 policy\.concurrency: .*number/),
      '8:9 terraform[0].resourceTypes.github: missing required key "providers"'
    ]);
  });

  it('reports YAML syntax errors and duplicate keys at file:line:col', () => {
    const diags = errorsOf('kubernetes:\n  - match: a/{x}\n    match: b/{x}\n    output: o/{x}\n');
    expect(diags).toHaveLength(1);
    expect(diags[0]!.message).toMatch(/invalid YAML: .*unique/i);
    expect(diags[0]).toMatchObject({ file: 'hydrate.yaml', line: 3, col: 5 });

    const bad = errorsOf('order: [kubernetes\nkubernetes: []\n');
    expect(bad.length).toBeGreaterThan(0);
    expect(bad[0]!.line).toBeGreaterThanOrEqual(1);
    expect(formatDiagnostic(bad[0]!)).toMatch(/^hydrate\.yaml:\d+:\d+: error: invalid YAML/);
  });

  it('requires override conditions to use captured coordinates', () => {
    const text = [
      'terraform:', // 1
      '  - match: tf/{tenant}/{env}', // 2
      '    output: tf/{tenant}/{env}', // 3
      '    overrides:', // 4
      '      - when: { env: prod, region: eu }', // 5
      '        resourceTypes: {}', // 6
      ''
    ].join('\n');
    const diags = errorsOf(text);
    expect(diags.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      '5:28 terraform[0].overrides[0].when uses "region", which match "tf/{tenant}/{env}" does not capture: use one of tenant, env'
    ]);
  });

  it('reports a non-mapping top level at 1:1', () => {
    const diags = errorsOf('- a\n- b\n');
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ line: 1, col: 1 });
  });
});

describe('buildSettings', () => {
  const config = parseConfig('policy:\n  concurrency: 5\n', 'hydrate.yaml');
  const none = parseConfig('', 'hydrate.yaml');

  it('takes concurrency from the argument, then the config, then the cores, then 2', () => {
    expect(buildSettings({ repoRoot: '/r', configPath: 'hydrate.yaml', config, concurrency: 3, cores: 8 }).concurrency).toBe(3);
    expect(buildSettings({ repoRoot: '/r', configPath: 'hydrate.yaml', config, cores: 8 }).concurrency).toBe(5);
    expect(buildSettings({ repoRoot: '/r', configPath: 'hydrate.yaml', config: none, cores: 8 }).concurrency).toBe(8);
    expect(buildSettings({ repoRoot: '/r', configPath: 'hydrate.yaml', config: none }).concurrency).toBe(2);
  });

  it('bounds each tool process\'s heap by half the memory shared among the workers, within 64–512 MiB', () => {
    const GiB = 2 ** 30;
    const mib = (memoryBytes: number | undefined, concurrency: number): number =>
      buildSettings({ repoRoot: '/r', configPath: 'h.yaml', config: none, concurrency, ...(memoryBytes !== undefined ? { memoryBytes } : {}) }).toolMemoryMiB;
    expect(mib(16 * GiB, 4)).toBe(512); // a GitHub-hosted 4-core runner
    expect(mib(2 * GiB, 4)).toBe(256);
    expect(mib(2 * GiB, 8)).toBe(128);
    expect(mib(1 * GiB, 64)).toBe(64);
    expect(mib(undefined, 4)).toBe(512);
  });

  it('defaults only and full', () => {
    const s = buildSettings({ repoRoot: '/r', configPath: 'hydrate.yaml', config: none });
    expect(s).toMatchObject({ repoRoot: '/r', configPath: 'hydrate.yaml', only: [], full: false });
    const t = buildSettings({ repoRoot: '/r', configPath: 'h.yaml', config: none, only: ['apps/**'], full: true });
    expect(t).toMatchObject({ only: ['apps/**'], full: true });
  });

  it('rejects a non-positive concurrency', () => {
    expect(() => buildSettings({ repoRoot: '/r', configPath: 'h.yaml', config: none, concurrency: 0 })).toThrow(ConfigError);
  });
});
