/**
 * A tool's error output can echo a Secret's value (kustomize prints the node it choked on). Error
 * text is redacted with the Secret values of the unit's inputs before anything shows it: checked
 * with real kustomize through the CLI's text and JSON output, and on the pipeline's outcome (which
 * the action turns into annotations, the job summary and the JSON report).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { redactValues, secretValues, REDACTED_VALUE } from '../../src/pipeline/input-secrets.js';
import { runCli } from '../helpers/cli.js';

const run = promisify(execFile);

const CANARY_PATCH = 'CANARY-patch-stringdata-7f3a9';
const CANARY_DATA = 'CANARY-data-decoded-51c2e';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

const cli = runCli;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-tool-secrets-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function dryWith(files: Record<string, string>): Promise<string> {
  const dry = await mkdtemp(path.join(tmp, 'dry-'));
  await writeFile(path.join(dry, 'hydrate.yaml'), 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: apps/{app}\n');
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dry, rel)), { recursive: true });
    await writeFile(path.join(dry, rel), text);
  }
  return dry;
}

describe('tool error output is redacted with the Secret values of the unit\'s inputs', () => {
  it('kustomize echoing a Secret value from a malformed patch: the value is in no output, the error still is', async () => {
    const dry = await dryWith({
      'apps/web/kustomization.yaml': 'resources: [secret.yaml]\npatches:\n  - path: patch.yaml\n',
      'apps/web/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: ${b64(CANARY_DATA)}\nstringData:\n  token: placeholder-token\n`,
      // A Secret patch whose value was put in a list by mistake: kustomize prints the list.
      'apps/web/patch.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  token: [${CANARY_PATCH}]\n`,
      'apps/db/kustomization.yaml': 'resources: [secret.yaml]\npatches:\n  - path: patch.yaml\n',
      'apps/db/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: ${b64(CANARY_DATA)}\n`,
      // The base64 value itself, echoed.
      'apps/db/patch.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: [${b64(CANARY_DATA)}]\n`
    });
    // The canaries really are echoed by kustomize (else this test proves nothing).
    const stderrOf = (dir: string): Promise<string> =>
      run('kubectl', ['kustomize', path.join(dry, dir)]).then(
        () => 'exit 0',
        (e: { stderr: string }) => e.stderr
      );
    expect(await stderrOf('apps/web')).toContain(CANARY_PATCH);
    expect(await stderrOf('apps/db')).toContain(b64(CANARY_DATA));

    const out = path.join(tmp, 'out-text');
    const text = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', out]);
    const json = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', out, '--json']);
    for (const r of [text, json]) {
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/wrong node kind/);
      expect(r.out).toContain(REDACTED_VALUE);
      for (const canary of [CANARY_PATCH, CANARY_DATA, b64(CANARY_DATA)]) expect(r.out).not.toContain(canary);
    }
    const report = JSON.parse(json.out.slice(0, json.out.lastIndexOf('}') + 1)) as { errors: { unit?: string; message: string }[] };
    expect(report.errors.map((e) => e.unit).sort()).toEqual(['kubernetes:apps/db', 'kubernetes:apps/web']);
  }, 60_000);
});

describe('secretValues', () => {
  it('finds data (as written and decoded), stringData, Secrets in a List, merge keys, and secretGenerator literals, env files and files', () => {
    const contents = new Map<string, string>([
      ['a/kustomization.yaml', 'secretGenerator:\n  - name: g\n    literals: [pw=literal-value-1, "q=\'quoted-value-2\'"]\n    envs: [sec.env]\n    files: [key=tls.key, raw.txt]\n'],
      ['a/sec.env', '# comment\nTOKEN=env-value-3\nEMPTY=\n'],
      ['a/tls.key', '-----BEGIN KEY-----\nkey-body-line-4\n-----END KEY-----\n'],
      ['a/raw.txt', 'raw-file-value-5'],
      ['a/list.yaml', `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: x}\n    data: {k: ${b64('decoded-value-6')}}\n`],
      ['a/merge.yaml', `base: &b {k: merged-value-7}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: m}\nstringData:\n  <<: {k: merged-value-8}\n`],
      ['a/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: not-a-secret-9}\n']
    ]);
    const values = secretValues(contents);
    for (const v of ['literal-value-1', 'quoted-value-2', 'env-value-3', 'key-body-line-4', 'raw-file-value-5', 'decoded-value-6', b64('decoded-value-6'), 'merged-value-8']) {
      expect([v, values.has(v)]).toEqual([v, true]);
    }
    expect(values.has('not-a-secret-9')).toBe(false);
    expect(values.has('merged-value-7')).toBe(false);
  });

  it('redacts every occurrence, longest first, also as a tool quotes it', () => {
    const values = secretValues(new Map([['s.yaml', 'kind: Secret\nstringData:\n  a: "two\\nlines \\"q\\""\n  b: abc\n']]));
    expect(redactValues('got "two\\nlines \\"q\\"" and two and lines "q"', values)).toBe(`got "${REDACTED_VALUE}" and two and ${REDACTED_VALUE}`);
    // Values shorter than four characters are left: they would mangle ordinary words.
    expect(redactValues('abc', values)).toBe('abc');
  });
});
