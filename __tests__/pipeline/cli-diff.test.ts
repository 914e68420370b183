/**
 * `hydrate diff` as users run it: any two trees of YAML files, with or without a wet index,
 * matched by object identity; exit 1 on differences unless --exit-zero; --ignore for noise.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';


const cli = runCli;

let tmp: string;

async function tree(name: string, files: Record<string, unknown[] | string>): Promise<string> {
  const dir = path.join(tmp, name);
  for (const [p, docs] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await writeFile(path.join(dir, p), typeof docs === 'string' ? docs : docs.map((d) => stringify(d)).join('---\n'));
  }
  return dir;
}

function deployment(image: string, annotations: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'web', labels: { 'helm.sh/chart': 'api-1.0.0' } },
    spec: { template: { metadata: { annotations }, spec: { containers: [{ name: 'log', image: 'fluent:2' }, { name: 'web', image }] } } }
  };
}
const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'web' }, data: { a: '1' } };
const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'web' }, spec: { ports: [{ port: 80 }] } };

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-cli-diff-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('hydrate diff', () => {
  it('diffs two trees without a wet index by object identity, wherever the files are, and exits 1', async () => {
    const base = await tree('a', { 'web/deployment.yaml': [deployment('nginx:1.25')], 'web/cm.yml': [cm] });
    // The same ConfigMap moved into one file with the Deployment; a Service added elsewhere.
    const head = await tree('b', { 'web/all.yaml': [deployment('nginx:1.27'), cm], 'svc/service.yaml': [svc], 'README.md': 'not yaml' });
    const r = await cli(['diff', '--base', base, '--head', head]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('No changes.');
    expect(r.stdout).toContain('~ Deployment.apps web/api');
    expect(r.stdout).toContain('spec.template.spec.containers[name=web].image: nginx:1.25 → nginx:1.27');
    expect(r.stdout).toContain('svc: +1 ~0 -0');
    expect(r.stdout).toContain('+ Service web/api');
    expect(r.stdout).not.toContain('ConfigMap');
    expect(r.stdout).toContain('! images changed: nginx:1.25 → nginx:1.27 (1)');
    expect((await cli(['diff', '--base', base, '--head', head, '--exit-zero'])).code).toBe(0);
  });

  it('says "No changes." and exits 0 for equal objects in different files and formatting', async () => {
    const base = await tree('c', { 'x.yaml': [deployment('nginx:1.25'), cm] });
    const head = await tree('d', { 'one/d.yaml': `# a comment\n${stringify(deployment('nginx:1.25'), { indent: 4 })}`, 'two/cm.yaml': [cm] });
    const r = await cli(['diff', '--base', base, '--head', head]);
    expect(r.stdout).toBe('No changes.\n');
    expect(r.code).toBe(0);
  });

  it('names units from the wet index when there is one', async () => {
    const index = {
      version: 1,
      generator: 'test',
      units: { 'kubernetes:apps/web': { renderer: 'kubernetes', dir: 'apps/web', coordinates: {}, output: 'web', paths: ['web/deployment.yaml'], digest: 'd' } }
    };
    const base = await tree('e', { 'web/deployment.yaml': [deployment('nginx:1.25')], '.hydrate/index.json': JSON.stringify(index) });
    const head = await tree('f', { 'web/deployment.yaml': [deployment('nginx:1.26')], '.hydrate/index.json': JSON.stringify(index) });
    const r = await cli(['diff', '--base', base, '--head', head, '--format', 'json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { units: { unit: string; changed: number }[] };
    expect(json.units.map((u) => [u.unit, u.changed])).toEqual([['kubernetes:apps/web', 1]]);
  });

  it('hides --ignore paths from the field summary, keeps them in the diff, and lists a unit of noise in one line', async () => {
    const base = await tree('g', { 'web/d.yaml': [deployment('nginx:1.25', { 'checksum/config': 'aaa' })], 'db/d.yaml': [{ ...cm, metadata: { ...cm.metadata, namespace: 'db', annotations: { 'checksum/secret': '1' } } }] });
    const head = await tree('h', {
      'web/d.yaml': [{ ...deployment('nginx:1.27', { 'checksum/config': 'bbb' }), metadata: { name: 'api', namespace: 'web', labels: { 'helm.sh/chart': 'api-1.1.0' } } }],
      'db/d.yaml': [{ ...cm, metadata: { ...cm.metadata, namespace: 'db', annotations: { 'checksum/secret': '2' } } }]
    });
    const ignore = ['--ignore', '**.annotations["checksum/*"]', '--ignore', 'metadata.labels["helm.sh/chart"]'];
    const plain = await cli(['diff', '--base', base, '--head', head]);
    expect(plain.stdout).toContain('spec.template.metadata.annotations["checksum/config"]: aaa → bbb');
    expect(plain.stdout).toContain('metadata.labels["helm.sh/chart"]: api-1.0.0 → api-1.1.0');
    const quiet = await cli(['diff', '--base', base, '--head', head, ...ignore]);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).not.toContain('checksum/config"]:');
    expect(quiet.stdout).not.toContain('helm.sh/chart"]:');
    expect(quiet.stdout).toContain('~ Deployment.apps web/api (2 ignored fields)');
    expect(quiet.stdout).toContain('spec.template.spec.containers[name=web].image: nginx:1.25 → nginx:1.27');
    expect(quiet.stdout).toContain('db: +0 ~1 -0\n  ~ 1 object changed only in ignored fields: ConfigMap db/settings\n');
    const md = await cli(['diff', '--base', base, '--head', head, ...ignore, '--format', 'markdown']);
    expect(md.stdout).toContain('_1 object changed only in ignored fields:_ <code>ConfigMap db/settings</code>');
    // Kept in the unified diff of the object that changed otherwise.
    expect(md.stdout).toContain('+        checksum/config: bbb');
    expect(md.stdout).not.toContain('+    checksum/secret: "2"');
  });
});
