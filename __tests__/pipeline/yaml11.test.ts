/**
 * YAML 1.1 fidelity through the whole pipeline: dry YAML is read as kubectl reads it, the wet
 * files and the PR comment mean the same to YAML 1.1 readers (the `yaml` package in 1.1 mode,
 * real kubectl), and wet files written unquoted by an earlier version are rewritten.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { hydrate, type HydrateOutcome } from '../../src/pipeline/hydrate.js';
import { unitInputDigest } from '../../src/pipeline/incremental.js';
import { renderToolVersions } from '../../src/render/kubernetes/tool-versions.js';
import type { PreviousWet } from '../../src/render/renderer.js';
import { buildComment } from '../../src/report/comment.js';
import { parseCanonicalYaml, parseYamlDocuments } from '../../src/resources/yaml.js';
import { silentLogger } from '../../src/ports.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import type { WetIndex } from '../../src/formats/wet-index.js';
import { KUBECTLS, tool } from '../helpers/tools.js';
import { AWKWARD } from '../helpers/yaml-corpus.js';
import { kubectlReads } from '../helpers/kubectl.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const emptyWet: PreviousWet = { index: undefined, readFile: async () => undefined };
const CONFIG = 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: "{app}"\n    type: plain\n';

function repo(files: Record<string, string | Uint8Array>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'hydrate-yaml11-'));
  for (const [rel, content] of Object.entries({ 'hydrate.yaml': CONFIG, ...files })) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
  return root;
}

async function run(root: string, previous: PreviousWet = emptyWet, configFile = path.join(root, 'hydrate.yaml'), only?: string[]): Promise<HydrateOutcome> {
  const { settings, configText } = await loadSettings({ configFile, ...(only ? { only } : {}) });
  return hydrate({ settings, configText, previous, ports: { files: createFileReader(), exec: createProcessRunner(), logger: silentLogger } });
}

/** kubectl's reading of a YAML file (objects as JSON), without a cluster. */
function yamlFiles(outcome: HydrateOutcome): { path: string; content: string }[] {
  return outcome.layout!.files.filter((f) => /\.ya?ml$/.test(f.path));
}

/** The objects Hydrate rendered, by wet file path order. */
function renderedObjects(outcome: HydrateOutcome): unknown[] {
  return outcome.results.flatMap((r) => r.resources.map((x) => x.object));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/**
 * Every object rendered is in a wet YAML file read with YAML 1.1 rules, by the yaml package and
 * by Hydrate's own reader (other YAML files are extra artifacts, copied verbatim).
 */
function expectWetMeansRendered(outcome: HydrateOutcome): void {
  const key = (o: unknown): string => JSON.stringify(sortKeys(o));
  const read = new Set(yamlFiles(outcome).flatMap((f) => parseAllDocuments(f.content, { version: '1.1' }).map((d) => key(d.toJS()))));
  const asHydrateReads = new Set(yamlFiles(outcome).flatMap((f) => parseYamlDocuments(f.content, f.path).documents.map((d) => key(d.value))));
  const rendered = renderedObjects(outcome);
  expect(rendered.length).toBeGreaterThan(0);
  for (const o of rendered) {
    expect([read.has(key(o)), asHydrateReads.has(key(o))]).toEqual([true, true]);
  }
  // The line-based reader, when it answers, agrees with the writer.
  for (const f of yamlFiles(outcome)) {
    const fast = parseCanonicalYaml(f.content);
    if (fast !== undefined) expect(fast.map(key)).toEqual(parseYamlDocuments(f.content, f.path).documents.map((d) => key(d.value)));
  }
}

const corpus = {
  apiVersion: 'example.com/v1',
  kind: 'Corpus',
  metadata: { name: 'corpus', annotations: Object.fromEntries(AWKWARD.map((s, i) => [`a${i}`, s])) },
  keys: Object.fromEntries(AWKWARD.map((s, i) => [s, `k${i}`])),
  list: AWKWARD,
  typed: { int: 420, float: 1.5, t: true, nil: null }
};
const ingress = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', annotations: { 'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on', 'example.com/when': '12:30:00' } },
  spec: { rules: [{ host: 'example.com' }] }
};

describe('the wet tree means the same to YAML 1.1 readers', () => {
  // JSON is YAML: every string of the dry file is quoted, so it is a string to every reader.
  const root = repo({ 'apps/corpus/corpus.yaml': JSON.stringify(corpus), 'apps/corpus/ingress.yaml': JSON.stringify(ingress) });
  let outcome: HydrateOutcome;

  it('renders the corpus of awkward strings into files that the yaml package reads back as rendered (1.1 mode)', async () => {
    outcome = await run(root);
    expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(sortKeys(renderedObjects(outcome))).toEqual(sortKeys([corpus, ingress]));
    expectWetMeansRendered(outcome);
  });

  it.each(KUBECTLS)('and that %s reads as the objects rendered (an Ingress annotation "on" stays a string)', (name) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hydrate-wet-'));
    for (const f of yamlFiles(outcome)) {
      const file = path.join(dir, path.basename(f.path));
      writeFileSync(file, f.content);
      const expected = renderedObjects(outcome).find((o) => path.basename(f.path).startsWith(`${(o as { kind: string }).kind}.`));
      expect(sortKeys(kubectlReads(tool(name).bin, file))).toEqual([sortKeys(expected)]);
    }
  });

  it("writes a PR comment whose YAML means, with YAML 1.1 rules, what was rendered", async () => {
    const body = buildComment(outcome.diff, { marker: 'm', title: 'Hydrate' });
    const blocks = [...body.matchAll(/```diff\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(0);
    const added = blocks.map((b) =>
      b
        .split('\n')
        .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
        .map((l) => l.slice(1))
        .join('\n')
    );
    const objects = added.map((t) => parse(t, { version: '1.1' }) as unknown);
    const key = (o: unknown): string => JSON.stringify(sortKeys(o));
    expect(objects.map(key).sort()).toEqual([corpus, ingress].map(key).sort());
  });
});

describe('dry YAML is read as kubectl reads it', () => {
  const manifest = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: web',
    '  annotations:',
    '    at: 12:30:00',
    '    when: 2001-12-14',
    'spec:',
    '  containers: [{name: web, image: nginx}]',
    '  volumes:',
    '    - name: a',
    '      secret: {secretName: s, defaultMode: 0644}',
    '    - name: b',
    '      configMap: {name: c, items: [{key: k, path: p, mode: 0400}]}',
    ''
  ].join('\n');

  it.each(KUBECTLS)('a plain manifest: `0644` is 420, `0400` is 256 in the wet tree, as %s reads the dry file', async (name) => {
    const root = repo({ 'apps/web/pod.yaml': manifest });
    const outcome = await run(root);
    expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const [wet] = yamlFiles(outcome);
    const wetObject = parse(wet!.content, { version: '1.1' }) as { spec: { volumes: { secret?: { defaultMode: number }; configMap?: { items: { mode: number }[] } }[] } };
    expect(wetObject.spec.volumes[0]!.secret!.defaultMode).toBe(420);
    expect(wetObject.spec.volumes[1]!.configMap!.items[0]!.mode).toBe(256);
    expect(wetObject).toMatchObject({ metadata: { annotations: { at: '12:30:00', when: '2001-12-14' } } });
    expect([wetObject]).toEqual(kubectlReads(tool(name).bin, path.join(root, 'apps/web/pod.yaml')));
  });

  it('kustomize output is read as kustomize wrote it: it quotes the strings it read, and writes numbers as numbers', async () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    plain: on\n    quoted: "on"\n    mode: "0644"\ndata:\n  a: "1:20"\n';
    const pod = manifest;
    const root = repo({
      'hydrate.yaml': 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: "{app}"\n',
      'apps/k/kustomization.yaml': 'resources: [cm.yaml, pod.yaml]\n',
      'apps/k/cm.yaml': cm,
      'apps/k/pod.yaml': pod,
      'apps/p/cm.yaml': cm
    });
    const outcome = await run(root);
    expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const byUnit = (id: string): Record<string, unknown>[] => outcome.results.find((r) => r.unit.id === id)!.resources.map((r) => r.object);
    // kustomize (go-yaml v3) reads a plain `on` as the string; kubectl applying the plain file reads true.
    expect(byUnit('kubernetes:apps/k').find((o) => o['kind'] === 'ConfigMap')).toMatchObject({ metadata: { annotations: { plain: 'on', quoted: 'on', mode: '0644' } }, data: { a: '1:20' } });
    expect(byUnit('kubernetes:apps/p')[0]).toMatchObject({ metadata: { annotations: { plain: true, quoted: 'on', mode: '0644' } }, data: { a: '1:20' } });
    expect(byUnit('kubernetes:apps/k').find((o) => o['kind'] === 'Pod')).toMatchObject({ spec: { volumes: [{ secret: { defaultMode: 420 } }, { configMap: { items: [{ mode: 256 }] } }] } });
    expectWetMeansRendered(outcome);
  });

  it('a Secret whose data comes through a merge key is seen, and stopped, by the policy gate', async () => {
    const secret = [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: db',
      '  annotations: &values',
      '    password: aHVudGVyMg==',
      '<<: {data: *values}',
      ''
    ].join('\n');
    const root = repo({ 'apps/db/secret.yaml': secret });
    const outcome = await run(root);
    expect(outcome.layout).toBeUndefined();
    const errors = outcome.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.message).join('\n')).toMatch(/plaintext Secret/);
    expect(JSON.stringify([outcome.diagnostics, outcome.diff, outcome.units])).not.toContain('aHVudGVyMg==');
  });

  it('a dry file that is not UTF-8 is an error naming the file and the byte offset', async () => {
    const bytes = Buffer.concat([Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: "caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]);
    const root = repo({ 'apps/bad/cm.yaml': bytes });
    const outcome = await run(root);
    expect(outcome.layout).toBeUndefined();
    const messages = outcome.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    const offset = bytes.indexOf(0xe9);
    expect(offset).toBe(65);
    expect(messages).toEqual([expect.stringMatching(new RegExp(`apps/bad/cm\\.yaml is not valid UTF-8 \\(invalid byte at offset ${offset}\\)`))]);
  });
});

describe('wet files written unquoted by an earlier version', () => {
  it('are rendered again once, and the diff shows the type fix', async () => {
    const root = repo({ 'apps/web/ingress.yaml': JSON.stringify(ingress) });
    const first = await run(root);
    const files = new Map(first.layout!.files.map((f) => [f.path, f.content]));
    const [wetPath] = yamlFiles(first).map((f) => f.path);
    const quoted = files.get(wetPath!)!;
    expect(quoted).toContain('auth-tls-verify-client: "on"');
    // What the earlier version wrote: the same object, the strings unquoted, and its digest.
    const unquoted = quoted.replace('"on"', 'on').replace('"12:30:00"', '12:30:00');
    const oldFiles = new Map(files).set(wetPath!, unquoted);
    const { settings } = await loadSettings({ configFile: path.join(root, 'hydrate.yaml') });
    const unit = first.results[0]!.unit;
    const tools = await renderToolVersions(createProcessRunner());
    const oldDigest = (await unitInputDigest(unit, settings, createFileReader(), tools, undefined, 1)).digest;
    const newDigest = (await unitInputDigest(unit, settings, createFileReader(), tools)).digest;
    expect(newDigest).toBe(first.layout!.index.units[unit.id]!.digest);
    expect(oldDigest).not.toBe(newDigest);
    const withDigest = (digest: string): PreviousWet => {
      const index = JSON.parse(JSON.stringify(first.layout!.index)) as WetIndex;
      index.units[unit.id]!.digest = digest;
      return { index, readFile: async (p) => oldFiles.get(p) };
    };

    const next = await run(root, withDigest(oldDigest));
    expect(next.units.map((u) => u.status)).toEqual(['rendered']);
    expect(next.layout!.files.find((f) => f.path === wetPath)!.content).toBe(quoted);
    const change = next.diff.units.flatMap((u) => u.resources)[0]!;
    expect(change.kind).toBe('changed');
    expect(change.unified).toContain('-    nginx.ingress.kubernetes.io/auth-tls-verify-client: on');
    expect(change.unified).toContain('+    nginx.ingress.kubernetes.io/auth-tls-verify-client: "on"');
    expect(change.fields).toContainEqual(expect.objectContaining({ from: 'true', to: 'on' }));

    // Without the format in the digest, the unit would have been kept with its unquoted file.
    const kept = await run(root, withDigest(newDigest));
    expect(kept.units.map((u) => u.status)).toEqual(['reused']);
  });
});

describe('the bundled example', () => {
  it('is written so that YAML 1.1 readers read what was rendered', async () => {
    const outcome = await run(ROOT, emptyWet, path.join(ROOT, 'examples/dry/hydrate.yaml'), ['!kubernetes/platform/web/*']);
    expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(yamlFiles(outcome).length).toBeGreaterThan(10);
    expectWetMeansRendered(outcome);
  });
});
