import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSources } from '../../src/dry/sources.js';
import { parse } from 'yaml';
import { buildSettings, parseConfig } from '../../src/settings/load-config.js';
import { hydrateConfig } from '../../src/settings/schema/config.js';
import { nodeFileReader } from './fs-reader.js';

let base: string;
let repo: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'hydrate-sources-'));
  repo = join(base, 'repo');
  await mkdir(repo);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function settingsWith(sources: string[]): ReturnType<typeof buildSettings> {
  const yaml = ['sources:', ...sources, ''].join('\n');
  return buildSettings({ repoRoot: repo, configPath: 'ci/hydrate.yaml', config: parseConfig(yaml, 'ci/hydrate.yaml') });
}

describe('checkSources', () => {
  it('passes when every source is a directory inside the repo', async () => {
    await mkdir(join(repo, 'vendor/charts'), { recursive: true });
    await symlink('vendor/charts', join(repo, 'charts-link'));
    const s = settingsWith(['  - name: charts', '    path: vendor/charts', '  - name: linked', '    path: ./charts-link/']);
    expect(await checkSources(s, nodeFileReader())).toEqual([]);
  });

  it('reports a missing source with a checkout hint', async () => {
    const s = settingsWith(['  - name: charts', '    path: vendor/charts']);
    expect(await checkSources(s, nodeFileReader())).toEqual([
      {
        severity: 'error',
        file: 'ci/hydrate.yaml',
        message: 'source "charts" not found at vendor/charts: check it out there before running hydrate (see sources in ci/hydrate.yaml)'
      }
    ]);
  });

  it('names the repository to check out when known', async () => {
    const s = settingsWith(['  - name: charts', '    path: vendor/charts', '    repository: acme/charts']);
    const [d] = await checkSources(s, nodeFileReader());
    expect(d!.message).toContain('check acme/charts out there');
  });

  it('rejects a source that is a symlink into .git', async () => {
    await mkdir(join(repo, '.git'));
    await symlink('.git', join(repo, 'vendor-link'));
    const s = settingsWith(['  - name: sneaky', '    path: vendor-link']);
    const diags = await checkSources(s, nodeFileReader());
    expect(diags.map((d) => d.message)).toEqual([expect.stringMatching(/^source "sneaky" at vendor-link: its path "vendor-link" resolves to \.git, inside a `\.git` folder/)]);
  });

  it('rejects a file, an escaping path and a symlink out of the repository', async () => {
    // The config loader refuses `../outside` already (see load-config.test.ts); this is the check at run time.
    await writeFile(join(repo, 'afile'), 'x');
    await mkdir(join(base, 'outside'));
    await symlink(join(base, 'outside'), join(repo, 'out-link'));
    const yaml = [
      'sources:',
      '  - name: file',
      '    path: afile',
      '  - name: up',
      '    path: ../outside',
      '  - name: link',
      '    path: out-link'
    ].join('\n');
    const s = buildSettings({ repoRoot: repo, configPath: 'ci/hydrate.yaml', config: hydrateConfig.parse(parse(yaml)) });
    const diags = await checkSources(s, nodeFileReader());
    expect(diags.map((d) => d.message)).toEqual([
      expect.stringMatching(/^source "file" at afile is not a directory/),
      expect.stringMatching(/^path of source "up" "\.\.\/outside" contains `\.\.`/),
      expect.stringMatching(/^source "link" at out-link: .*outside the repository/)
    ]);
    expect(diags.every((d) => d.severity === 'error' && d.file === 'ci/hydrate.yaml')).toBe(true);
  });
});
