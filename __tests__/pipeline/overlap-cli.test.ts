/**
 * Two config entries that match one directory are a config error: exit 2, naming both entries
 * with their lines and how to write the exception that was probably meant. And a unit kept from
 * an earlier run reports its object count in the text and `--json` output.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { put, readTree } from '../incremental/dry-fixture.js';
import { runCli } from '../helpers/cli.js';


const cli = runCli;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-overlap-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('hydrate render', () => {
  it('exits 2 when two entries match one directory, with the line of each and the exclude to write', async () => {
    const dry = path.join(tmp, 'dry');
    const out = path.join(tmp, 'out');
    await put(dry, 'hydrate.yaml', [
      'version: 1',
      'kubernetes:',
      '  - match: k/{cluster}/{tenant}/{env}',
      '    output: k/{cluster}/{tenant}/{env}',
      '  # the web tenant is special',
      '  - match: k/{cluster}/web/{env}',
      '    output: web/{cluster}/{env}',
      ''
    ].join('\n'));
    await put(dry, 'k/c1/web/prod/cm.yaml', cm('a'));
    await put(dry, 'k/c1/api/prod/cm.yaml', cm('b'));
    const r = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('hydrate.yaml:3:12');
    expect(r.stderr).toContain('kubernetes[0] "k/{cluster}/{tenant}/{env}" (hydrate.yaml:3) and kubernetes[1] "k/{cluster}/web/{env}" (hydrate.yaml:6) both match k/c1/web/prod');
    expect(r.stderr).toContain('add `exclude: ["k/*/web/*"]` to kubernetes[0]');
    expect((await readTree(out)).size).toBe(0);

    // Written as the message says, the config renders each directory once.
    await put(dry, 'hydrate.yaml', [
      'version: 1',
      'kubernetes:',
      '  - match: k/{cluster}/{tenant}/{env}',
      '    output: k/{cluster}/{tenant}/{env}',
      '    exclude: ["k/*/web/*"]',
      '  - match: k/{cluster}/web/{env}',
      '    output: web/{cluster}/{env}',
      ''
    ].join('\n'));
    const ok = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', out]);
    expect(ok.code).toBe(0);
    expect([...(await readTree(out)).keys()].filter((p) => p.endsWith('.yml')).sort()).toEqual(['k/c1/api/prod/ConfigMap.b.yml', 'web/c1/prod/ConfigMap.a.yml']);

    // Run again: both units are kept, and say how many objects they hold.
    const text = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', out]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('reused   kubernetes:k/c1/web/prod  (1 resources)');
    const json = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', out, '--json']);
    const report = JSON.parse(json.stdout) as { units: { id: string; status: string; resources: number }[] };
    expect(report.units.map((u) => [u.id, u.status, u.resources])).toEqual([
      ['kubernetes:k/c1/api/prod', 'reused', 1],
      ['kubernetes:k/c1/web/prod', 'reused', 1]
    ]);
  }, 60_000);
});
