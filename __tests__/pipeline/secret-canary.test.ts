/**
 * The secrets gate and redaction see the objects Kubernetes will read: a Secret inside a List
 * (in a plain manifest or an extra artifact), in a JSON artifact, or in an artifact that does not
 * parse never reaches the wet tree unless allowed, and its values never reach any output: the
 * `--json` report, the text diff, the markdown diff, the PR comment or the job summary.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { applyWetPlan, readWetDir } from '../../src/adapters/wet-dir.js';
import { formatDiagnostic } from '../../src/diagnostics.js';
import { hydrate, type HydrateOutcome } from '../../src/pipeline/hydrate.js';
import { silentLogger } from '../../src/ports.js';
import { buildComment } from '../../src/report/comment.js';
import { renderReport } from '../../src/report/json-report.js';
import { buildMarkdown } from '../../src/report/markdown.js';
import { buildJobSummary } from '../../src/report/summary.js';
import { formatDiffText } from '../../src/report/text.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { put, readTree } from '../incremental/dry-fixture.js';

const CANARY_1 = 'canary-VALUE-one-7f3a91';
const CANARY_2 = 'canary-VALUE-two-c0ffee';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-canary-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function run(dry: string, wet: string): Promise<HydrateOutcome> {
  const { settings, configText } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml'), full: false, concurrency: 1 });
  await mkdir(wet, { recursive: true });
  const outcome = await hydrate({ settings, configText, previous: await readWetDir(wet), ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger } });
  if (outcome.ok) await applyWetPlan(wet, outcome.plan!);
  return outcome;
}

/** Every text a run shows anyone. */
function outputs(outcome: HydrateOutcome): string {
  const ctx = { marker: 'm', title: 't', failures: outcome.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ unit: d.unit ?? '', message: d.message })), units: outcome.units.map((u) => ({ id: u.id, status: u.status, resources: u.resources, errors: u.errors.length })), errors: outcome.diagnostics.map(formatDiagnostic) };
  return [
    JSON.stringify(renderReport(outcome, 'out')),
    formatDiffText(outcome.diff),
    buildComment(outcome.diff, ctx),
    buildJobSummary(outcome.diff, ctx),
    buildMarkdown(outcome.diff, ctx, { maxChars: 1e9, maxBytes: 1e9 }, () => ''),
    outcome.diagnostics.map(formatDiagnostic).join('\n')
  ].join('\n');
}

const secret = (name: string, value: string, indent: string): string =>
  ['apiVersion: v1', 'kind: Secret', 'metadata:', `  name: ${name}`, 'data:', `  password: ${b64(value)}`, 'stringData:', `  token: ${value}`].join(`\n${indent}`);

const list = (value: string): string => `apiVersion: v1\nkind: List\nmetadata:\n  name: bundle\nitems:\n  - ${secret('in-list', value, '    ')}\n`;

describe('a Secret the engines would read', () => {
  it.each([
    ['inside kind: List in a plain manifest', 'apps/a/list.yaml', (v: string) => list(v), /plaintext Secret in-list .*from apps\/a\/list\.yaml/],
    ['inside a SecretList', 'apps/a/secrets.yaml', (v: string) => `apiVersion: v1\nkind: SecretList\nitems:\n  - ${secret('in-secret-list', v, '    ')}\n`, /plaintext Secret in-secret-list/],
    ['inside kind: List in an extra artifact', 'apps/a/extra_artifacts/list.yaml', (v: string) => list(v), /plaintext Secret in-list .*artifact list\.yaml, in a list/],
    ['in a .json extra artifact', 'apps/a/extra_artifacts/s.json', (v: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'json' }, data: { p: b64(v) } }), /plaintext Secret json/],
    ['in an extra artifact that does not parse', 'apps/a/extra_artifacts/broken.yaml', (v: string) => `${secret('broken', v, '')}\n  bad: [\n`, /extra artifact broken\.yaml cannot be parsed/]
  ])('%s is refused, nothing is written, and its value is in no output', async (_what, file, content, message) => {
    const dry = path.join(tmp, `dry-${file.replace(/\W/g, '-')}`);
    const wet = path.join(tmp, `wet-${file.replace(/\W/g, '-')}`);
    await put(dry, 'hydrate.yaml', 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: "{app}"\n');
    await put(dry, 'apps/a/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n');
    await put(dry, file, content(CANARY_1));
    const outcome = await run(dry, wet);
    expect(outcome.ok).toBe(false);
    const errors = outcome.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.message)).toEqual([expect.stringMatching(message)]);
    expect(errors[0]!.file).toBe(file);
    expect((await readTree(wet)).size).toBe(0);
    const shown = outputs(outcome);
    expect(shown).not.toContain(CANARY_1);
    expect(shown).not.toContain(b64(CANARY_1));
  });

  it('an allowed Secret inside a List artifact is written, and redacted in every diff output when it changes', async () => {
    const dry = path.join(tmp, 'dry-allowed');
    const wet = path.join(tmp, 'wet-allowed');
    const config = 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: "{app}"\npolicy:\n  allowSecrets:\n    - {name: in-list, reason: test fixture}\n';
    await put(dry, 'hydrate.yaml', config);
    await put(dry, 'apps/a/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n');
    await put(dry, 'apps/a/extra_artifacts/list.yaml', list(CANARY_1));
    const first = await run(dry, wet);
    expect(first.ok).toBe(true);
    // Written verbatim (an artifact), and Kubernetes reads a Secret holding the value from it.
    const written = (await readTree(wet)).get('a/list.yaml')!;
    const items = (parseAllDocuments(written, { version: '1.1' })[0]!.toJS() as { items: { kind: string; stringData: { token: string } }[] }).items;
    expect(items[0]!.stringData.token).toBe(CANARY_1);
    let shown = outputs(first);
    expect(shown).toContain('in-list');
    expect(shown).not.toContain(CANARY_1);
    expect(shown).not.toContain(b64(CANARY_1));

    await put(dry, 'apps/a/extra_artifacts/list.yaml', list(CANARY_2));
    const second = await run(dry, wet);
    expect(second.ok).toBe(true);
    const change = second.diff.units.flatMap((u) => u.resources).find((r) => r.id.name === 'in-list')!;
    expect(change.kind).toBe('changed');
    expect(change.fields.map((f) => f.path).sort()).toEqual(['data.password', 'stringData.token']);
    shown = outputs(second);
    for (const v of [CANARY_1, CANARY_2]) {
      expect(shown).not.toContain(v);
      expect(shown).not.toContain(b64(v));
    }
    expect(shown).toContain('<redacted (changed)>');
  });
});
