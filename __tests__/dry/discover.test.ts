import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryPositions } from '../../src/settings/load-config.js';
import { discoverUnits } from '../../src/dry/discover.js';
import { formatDiagnostic } from '../../src/diagnostics.js';
import { selectUnits } from '../../src/dry/select.js';
import { buildSettings, entryLocations, parseConfig } from '../../src/settings/load-config.js';
import type { Settings } from '../../src/settings/settings.js';
import { nodeFileReader } from './fs-reader.js';

let base: string;
let repo: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'hydrate-discover-'));
  repo = join(base, 'repo');
  await mkdir(repo);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function dirs(...paths: string[]): Promise<void> {
  for (const p of paths) await mkdir(join(repo, p), { recursive: true });
}

function settings(yaml: string, extra: { only?: string[] } = {}): Settings {
  return buildSettings({ repoRoot: repo, configPath: 'hydrate.yaml', config: parseConfig(yaml, 'hydrate.yaml'), locations: entryLocations(yaml), ...extra });
}

const errors = (d: { severity: string; message: string }[]): string[] =>
  d.filter((x) => x.severity === 'error').map((x) => x.message);

describe('discoverUnits', () => {
  it('finds units for nested patterns, sorted by id, with coordinates and outputs', async () => {
    await dirs(
      'apps/web/clusters/prod',
      'apps/web/clusters/dev',
      'apps/api/clusters/prod',
      'apps/api/notes',
      'kubernetes/eu/acme/dev',
      'kubernetes/eu/acme/prod'
    );
    await writeFile(join(repo, 'apps/web/clusters/README.md'), 'not a dir');
    const s = settings(
      [
        'kubernetes:',
        '  - match: apps/{app}/clusters/{cluster}',
        '    output: clusters/{cluster}/apps/{app}',
        '  - match: kubernetes/{cluster}/{tenant}/{env}',
        '    output: kubernetes/{cluster}/{tenant}/{env}',
        ''
      ].join('\n')
    );
    const { units, diagnostics } = await discoverUnits(s, nodeFileReader());
    expect(diagnostics).toEqual([]);
    expect(units.map((u) => u.id)).toEqual([
      'kubernetes:apps/api/clusters/prod',
      'kubernetes:apps/web/clusters/dev',
      'kubernetes:apps/web/clusters/prod',
      'kubernetes:kubernetes/eu/acme/dev',
      'kubernetes:kubernetes/eu/acme/prod'
    ]);
    expect(units[0]).toEqual({
      id: 'kubernetes:apps/api/clusters/prod',
      renderer: 'kubernetes',
      entry: 0,
      dir: 'apps/api/clusters/prod',
      coordinates: { app: 'api', cluster: 'prod' },
      output: 'clusters/prod/apps/api'
    });
    expect(units[3]).toMatchObject({ entry: 1, coordinates: { cluster: 'eu', tenant: 'acme', env: 'dev' } });
  });

  it('walks only from the literal prefix and skips .git and node_modules', async () => {
    await dirs('apps/web/x', 'other/deep/tree/here', 'node_modules/a/x', '.git/a/x', 'b/c/x');
    const files = nodeFileReader();
    const prefixOnly = nodeFileReader();
    const one = settings(['secrets:', '  - match: apps/{app}/x', '    output: s/{app}', ''].join('\n'));
    expect((await discoverUnits(one, prefixOnly)).units.map((u) => u.id)).toEqual(['secrets:apps/web/x']);
    expect(prefixOnly.readDirCalls.map((p) => p.slice(repo.length))).toEqual(['/apps', '/apps/web']);

    const s = settings(
      ['secrets:', '  - match: apps/{app}/x', '    output: s/{app}', 'terraform:', '  - match: "*/{d}/x"', '    output: o/{d}', ''].join('\n')
    );
    const { units, diagnostics } = await discoverUnits(s, files);
    expect(diagnostics).toEqual([]);
    expect(units.map((u) => u.id)).toEqual(['secrets:apps/web/x', 'terraform:apps/web/x', 'terraform:b/c/x']);
    // The walk stops at the pattern's depth.
    expect(files.readDirCalls.some((p) => p.includes('other/deep/tree'))).toBe(false);
    expect(files.readDirCalls.some((p) => p.includes('node_modules') || p.includes('.git'))).toBe(false);
  });

  it('matches `*` segments and mixed segments, and applies exclude globs', async () => {
    await dirs('tf/acme/net.d', 'tf/acme/db.d', 'tf/legacy/net.d', 'tf/acme/skip');
    const s = settings(
      ['terraform:', '  - match: tf/*/{stack}.d', '    output: "tf/{stack}"', '    exclude: ["tf/legacy/**"]', ''].join('\n')
    );
    const { units, diagnostics } = await discoverUnits(s, nodeFileReader());
    expect(errors(diagnostics)).toEqual([]);
    expect(units.map((u) => [u.dir, u.output])).toEqual([
      ['tf/acme/db.d', 'tf/db'],
      ['tf/acme/net.d', 'tf/net']
    ]);
  });

  it('filters with only, by dir glob or by id, after checking the whole tree', async () => {
    await dirs('apps/web/prod', 'apps/web/dev', 'apps/api/prod');
    const yaml = ['kubernetes:', '  - match: apps/{app}/{env}', '    output: out/{app}/{env}', ''].join('\n');
    const { units } = await discoverUnits(settings(yaml), nodeFileReader());
    const byDir = selectUnits(units, ['apps/web/**']);
    expect(byDir.selected.map((u) => u.dir)).toEqual(['apps/web/dev', 'apps/web/prod']);
    const byId = selectUnits(units, ['kubernetes:apps/api/prod']);
    expect(byId.selected.map((u) => u.dir)).toEqual(['apps/api/prod']);
    const none = selectUnits(units, ['nothing/**']);
    expect(none.selected).toEqual([]);
    expect(none.diagnostics.map((d) => d.severity)).toEqual(['warning']);
    // Exclusions: everything but api.
    expect(selectUnits(units, ['!apps/api/**']).selected.map((u) => u.dir)).toEqual(['apps/web/dev', 'apps/web/prod']);
  });

  it('reports two units with the same output, naming both dirs, across renderers too', async () => {
    await dirs('apps/web/prod', 'apps/web/dev', 'tf/web/prod');
    const text = [
        'kubernetes:',
        '  - match: apps/{app}/{env}',
        '    output: out/{app}',
        'terraform:',
        '  - match: tf/{app}/{env}',
        '    output: out/{app}/{env}',
        'secrets:',
        '  - match: apps/{app}/prod',
        '    output: out/{app}/prod',
        ''
      ].join('\n');
    const s = settings(text);
    const { units, configErrors } = await discoverUnits(s, nodeFileReader(), entryPositions(text, 'hydrate.yaml'));
    // Config errors (exit 2), located at the first entry's output, naming the other entry's line.
    const errs = configErrors.map(formatDiagnostic);
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/^hydrate\.yaml:3:13: error \[kubernetes:apps\/web\/dev\]: units apps\/web\/dev \(kubernetes\[0\], line 3\), apps\/web\/prod \(kubernetes\[0\], line 3\)/);
    expect(errs[0]).toContain('output out/web');
    expect(errs[1]).toMatch(/^hydrate\.yaml:9:13: error .*apps\/web\/prod \(secrets\[0\], line 9\), tf\/web\/prod \(terraform\[0\], line 6\)/);
    expect(units).toEqual([]);
  });

  it('warns when a unit lies inside a plain unit whose rule recurses, unless the outer one is a kustomization or does not recurse', async () => {
    await dirs('clusters/prod/apps/web', 'clusters/dev/apps/web');
    await writeFile(join(repo, 'clusters/dev/kustomization.yaml'), 'resources: []\n');
    const yaml = (plain: string): string =>
      ['kubernetes:', '  - match: clusters/{cluster}', '    output: c/{cluster}', plain, '  - match: clusters/{cluster}/apps/{app}', '    output: a/{cluster}/{app}', ''].join('\n');
    const warned = await discoverUnits(settings(yaml('')), nodeFileReader());
    expect(warned.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'warning',
        unit: 'kubernetes:clusters/prod',
        message: expect.stringContaining('units apps/web lie inside clusters/prod, whose plain rule recurses')
      })
    ]);
    const flat = await discoverUnits(settings(yaml('    plain: {recurse: false}')), nodeFileReader());
    expect(flat.diagnostics).toEqual([]);
  });

  it('reports a dir matched by two entries of the same renderer, but allows different renderers', async () => {
    await dirs('apps/web/prod');
    const s = settings(
      [
        'kubernetes:',
        '  - match: apps/{app}/{env}',
        '    output: a/{app}/{env}',
        '  - match: apps/web/{env}',
        '    output: b/{env}',
        'secrets:',
        '  - match: apps/{app}/{env}',
        '    output: s/{app}/{env}',
        ''
      ].join('\n')
    );
    const text = [
      'kubernetes:',
      '  - match: apps/{app}/{env}',
      '    output: a/{app}/{env}',
      '  - match: apps/web/{env}',
      '    output: b/{env}',
      'secrets:',
      '  - match: apps/{app}/{env}',
      '    output: s/{app}/{env}',
      ''
    ].join('\n');
    const { units, diagnostics, configErrors } = await discoverUnits(s, nodeFileReader(), entryPositions(text, 'hydrate.yaml'));
    expect(errors(diagnostics)).toEqual([]);
    // A config error (exit 2) at the first entry, naming both entries with their lines and the exclude that expresses the exception.
    expect(configErrors).toEqual([
      {
        severity: 'error',
        file: 'hydrate.yaml',
        line: 2,
        col: 12,
        message:
          'kubernetes[0] "apps/{app}/{env}" (hydrate.yaml:2) and kubernetes[1] "apps/web/{env}" (hydrate.yaml:4) both match apps/web/prod: a directory is rendered by one entry. For kubernetes[1] to render it, add `exclude: ["apps/web/*"]` to kubernetes[0]; to render it once with one entry\'s settings, remove or narrow the other entry\'s match'
      }
    ]);
    expect(units.map((u) => u.id)).toEqual(['secrets:apps/web/prod']);
  });

  it('rejects a unit dir with unsafe characters unless excluded', async () => {
    await dirs('apps/a b', 'apps/ok');
    const yaml = (exclude: string): string =>
      ['kubernetes:', '  - match: apps/{app}', '    output: o/{app}', `    exclude: [${exclude}]`, ''].join('\n');
    const { units, diagnostics } = await discoverUnits(settings(yaml('')), nodeFileReader());
    expect(units.map((u) => u.dir)).toEqual(['apps/ok']);
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', unit: 'kubernetes:apps/a b', file: 'apps/a b' })
    ]);
    expect(diagnostics[0]!.message).toContain('"a b"');
    const excluded = await discoverUnits(settings(yaml('"apps/a b"')), nodeFileReader());
    expect(excluded.diagnostics).toEqual([]);
  });

  it('rejects symlinked unit dirs that lead outside the repository, follows ones inside', async () => {
    await dirs('apps/real');
    await mkdir(join(base, 'elsewhere'));
    await symlink(join(base, 'elsewhere'), join(repo, 'apps/escape'));
    await symlink('real', join(repo, 'apps/alias'));
    await symlink(join(repo, 'missing'), join(repo, 'apps/broken'));
    const s = settings(['kubernetes:', '  - match: apps/{app}', '    output: o/{app}', ''].join('\n'));
    const { units, diagnostics } = await discoverUnits(s, nodeFileReader());
    expect(units.map((u) => u.dir)).toEqual(['apps/alias', 'apps/real']);
    expect(errors(diagnostics)).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', file: 'apps/escape' });
    expect(diagnostics[0]!.message).toMatch(/apps\/escape .*symlink that leads outside the repository/);
  });

  it('rejects a unit dir that is .git in another case, or a symlink into .git, and a captured output under .github', async () => {
    await dirs('.git/objects', 'apps/.GIT', 'apps/web', '.github/workflows');
    await symlink('../.git', join(repo, 'apps/gitlink'));
    const s = settings(['kubernetes:', '  - match: apps/{app}', '    output: o/{app}', '  - match: "{top}/workflows"', '    output: "{top}/workflows"', ''].join('\n'));
    const { units, diagnostics } = await discoverUnits(s, nodeFileReader());
    expect(units.map((u) => u.dir)).toEqual(['apps/web']);
    expect(errors(diagnostics)).toEqual([
      expect.stringMatching(/directory apps\/gitlink .*symlink that leads into a `\.git` folder/),
      expect.stringMatching(/unit directory "apps\/\.GIT" names `\.GIT`/),
      expect.stringMatching(/output path "\.github\/workflows" is under `\.github`/)
    ]);
  });

  it('rejects a literal prefix that is a symlink out of the repository', async () => {
    await mkdir(join(base, 'elsewhere/web'), { recursive: true });
    await symlink(join(base, 'elsewhere'), join(repo, 'apps'));
    const s = settings(['kubernetes:', '  - match: apps/{app}', '    output: o/{app}', ''].join('\n'));
    const { units, diagnostics } = await discoverUnits(s, nodeFileReader());
    expect(units).toEqual([]);
    expect(errors(diagnostics)).toEqual([
      expect.stringContaining('directory apps (matched by kubernetes[0] "apps/{app}")'),
      expect.stringContaining('kubernetes[0].match "apps/{app}" matches no directory')
    ]);
  });

  it('treats a fully literal pattern as one unit when the directory exists', async () => {
    await dirs('platform/base');
    await writeFile(join(repo, 'platform/file'), 'x');
    const s = settings(
      ['kubernetes:', '  - match: platform/base', '    output: platform', '  - match: platform/file', '    output: file', '    allowEmpty: true', ''].join('\n')
    );
    const { units, diagnostics } = await discoverUnits(s, nodeFileReader());
    expect(units).toEqual([
      { id: 'kubernetes:platform/base', renderer: 'kubernetes', entry: 0, dir: 'platform/base', coordinates: {}, output: 'platform' }
    ]);
    expect(diagnostics.map((d) => `${d.severity} ${d.message}`)).toEqual([
      'warning kubernetes[1].match "platform/file" matches no directory (looked under platform/file)'
    ]);
  });

  it('reports an entry that matches nothing as an error at its match (a typo would prune what it rendered)', async () => {
    const s = settings(['kubernetes:', '  - match: apps/{x}', '    output: o/{x}', '  - match: nowhere/{x}', '    output: o/{x}', ''].join('\n'));
    await dirs('apps/a');
    const { units, diagnostics } = await discoverUnits(s, nodeFileReader());
    expect(units.map((u) => u.id)).toEqual(['kubernetes:apps/a']);
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        file: 'hydrate.yaml',
        line: 4,
        col: 12,
        message: 'kubernetes[1].match "nowhere/{x}" matches no directory (looked under nowhere): fix the pattern, remove the entry, or set allowEmpty: true on it'
      }
    ]);
  });

  it('only warns about an entry that matches nothing when it allows it', async () => {
    const s = settings(['kubernetes:', '  - match: nowhere/{x}', '    output: o/{x}', '    allowEmpty: true', ''].join('\n'));
    const { diagnostics } = await discoverUnits(s, nodeFileReader());
    expect(diagnostics).toEqual([
      { severity: 'warning', file: 'hydrate.yaml', line: 2, col: 12, message: 'kubernetes[0].match "nowhere/{x}" matches no directory (looked under nowhere)' }
    ]);
  });
});
