/**
 * Names from the dry tree reach the CLI's text output, CI logs and file names. Through the real
 * CLI: an object name holding a workflow command and an ANSI escape, a unit directory holding a
 * newline, and two units whose outputs differ only in case are errors naming the unit and the
 * object, and no output line can be read as a workflow command or carries a control character.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';

const run = promisify(execFile);

const cli = runCli;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-names-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function expectInert(out: string): void {
  // eslint-disable-next-line no-control-regex
  expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  for (const line of out.split('\n')) expect(line.trimStart()).not.toMatch(/^(::|##\[)/);
}

async function dry(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmp, 'dry-'));
  await writeFile(path.join(root, 'hydrate.yaml'), 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: apps/{app}\n    type: plain\n');
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
  return root;
}

describe('hostile names', () => {
  it('an object name with a workflow command and an ANSI escape: an error naming unit and object, printed inert', async () => {
    const root = await dry({
      'apps/evil/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "x\\n::warning::pwned\\e[31m"\n',
      'apps/ok/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n'
    });
    const out = path.join(tmp, 'out1');
    for (const json of [false, true]) {
      const r = await cli(['render', '--config', path.join(root, 'hydrate.yaml'), '--out', out, ...(json ? ['--json'] : [])]);
      expect(r.code).toBe(1);
      expect(r.out).toContain('kubernetes:apps/evil');
      expect(r.out).toContain('apps/evil/cm.yaml');
      expect(r.out).toMatch(/object \\?"ConfigMap\\?" .*x\\+n::warning::pwned\\+(x1b|u001b)\[31m.*control character/);
      expectInert(r.out);
    }
  }, 60_000);

  it('a unit directory holding a newline and a workflow command is printed inert', async () => {
    const root = await dry({ 'apps/a\n::add-mask::zz/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' });
    const r = await cli(['render', '--config', path.join(root, 'hydrate.yaml'), '--out', path.join(tmp, 'out2')]);
    expect(r.out).toContain('a\\n::add-mask::zz');
    expectInert(r.out);
  }, 60_000);

  it('two objects whose file names differ only in Unicode normalisation: an error naming unit and objects, nothing written', async () => {
    const root = await dry({
      'apps/cr/widgets.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: "caf\u00e9"\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: "cafe\u0301"\n'
    });
    const out = path.join(tmp, 'out3');
    const r = await cli(['render', '--config', path.join(root, 'hydrate.yaml'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error \[kubernetes:apps\/cr\]: wet path of "apps\/cr\/Widget\.caf(e\u0301|\u00e9)\.yml" and "apps\/cr\/Widget\.caf(e\u0301|\u00e9)\.yml" differ only in letter case or Unicode normalisation/);
    await expect(run('ls', [path.join(out, 'apps')])).rejects.toBeDefined();
  }, 60_000);

  it('an RBAC name with characters Windows reserves is written under a %-encoded file name, the object unchanged', async () => {
    const root = await dry({ 'apps/rbac/role.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: "system:team:view"\n' });
    const out = path.join(tmp, 'out4');
    const r = await cli(['render', '--config', path.join(root, 'hydrate.yaml'), '--out', out]);
    expect(r.code).toBe(0);
    expect((await readdir(path.join(out, 'apps', 'rbac'))).filter((f) => f.endsWith('.yml'))).toEqual(['ClusterRole.system%3Ateam%3Aview.yml']);
    const written = parse(await readFile(path.join(out, 'apps', 'rbac', 'ClusterRole.system%3Ateam%3Aview.yml'), 'utf8'), { version: '1.1' }) as { metadata: { name: string } };
    expect(written.metadata.name).toBe('system:team:view');
  }, 60_000);
});
