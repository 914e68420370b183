import { describe, it, expect } from '@jest/globals';
import { parse } from 'yaml';
import * as z from 'zod';
import { ConfigError } from '../../src/diagnostics.js';
import { parseConfig } from '../../src/settings/load-config.js';
import { parsePositioned } from '../../src/render/kubernetes/yaml-positions.js';
import { readClaimDocuments } from '../../src/render/claim-documents.js';
import { parseYamlDocuments } from '../../src/resources/yaml.js';
import { parseYaml11 } from '../../src/dry/engines/flux.js';
import { locateZodIssues, MAX_YAML_CHARS, NESTING_TOO_DEEP, readYamlDocument, TOO_LARGE, zodIssueDiagnostics } from '../../src/resources/yaml-positions.js';

/** A mapping `a: {a: {... 300 levels}}`, in block style. */
function deep(levels: number, key = 'a'): string {
  let out = '';
  for (let i = 0; i < levels; i++) out += `${'  '.repeat(i)}${key}:\n`;
  return `${out}${'  '.repeat(levels)}x: 1\n`;
}

function configErrors(text: string): string[] {
  try {
    parseConfig(text, 'hydrate.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('one YAML reader, one set of limits', () => {
  it('rejects nesting deeper than the limit with the same message in manifests, claims, release files and hydrate.yaml', () => {
    const text = deep(300);
    // An independent reader takes the text as valid YAML: only Hydrate's limit refuses it.
    expect(parse(text)).toBeTruthy();
    const expected = `invalid YAML: ${NESTING_TOO_DEEP}`;
    expect(parseYamlDocuments(text, 'm.yaml').diagnostics.map((d) => d.message)).toEqual([expected]);
    expect(readClaimDocuments(text, 'c.yaml', 'terraform:u').diagnostics.map((d) => d.message)).toEqual([expected]);
    expect(parsePositioned(text).errors.map((e) => `invalid YAML: ${e.message}`)).toEqual([expected]);
    expect(configErrors(`sources: []\nx:\n${deep(300).replace(/^/gm, '  ')}`)).toEqual([`hydrate.yaml:1:1 ${expected}`]);
  });

  it('reads Flux objects files under the same limits: an alias bomb or deep nesting is a diagnostic, not a crash', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    const r = parseYaml11(`${bomb.join('\n')}\n---\nkind: Kustomization\n`, 'flux/ks.yaml');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ severity: 'error', file: 'flux/ks.yaml', line: 1 });
    expect(r.errors[0]!.message).toMatch(/^invalid YAML: .*alias/i);
    expect(r.docs.map((d) => d.object)).toEqual([{ kind: 'Kustomization' }]);
    expect(parseYaml11(deep(300), 'flux/deep.yaml').errors.map((e) => e.message)).toEqual([`invalid YAML: ${NESTING_TOO_DEEP}`]);
  });

  it('accepts nesting at the limit everywhere', () => {
    const text = deep(250);
    expect(parseYamlDocuments(text, 'm.yaml').diagnostics).toEqual([]);
    expect(parsePositioned(text).errors).toEqual([]);
  });

  it('refuses a text larger than the size limit before parsing it', () => {
    const text = `a: "${'x'.repeat(MAX_YAML_CHARS)}"\n`;
    expect(parseYamlDocuments(text, 'm.yaml').diagnostics).toEqual([{ severity: 'error', file: 'm.yaml', line: 1, col: 1, message: `invalid YAML: ${TOO_LARGE}` }]);
    expect(parsePositioned(text).errors).toEqual([{ line: 1, col: 1, message: TOO_LARGE }]);
  });

  it('reports duplicate keys of hydrate.yaml once each, at the repeated key, as everywhere else', () => {
    expect(configErrors('sources: []\nkubernetes: []\nsources: []\n')).toEqual(['hydrate.yaml:3:1 invalid YAML: Map keys must be unique']);
  });

  it('reads a block scalar that ends the text without a line break as Go does: no final newline to keep', () => {
    const cm = (tail: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: ${tail}`;
    const data = (text: string): unknown => (parseYamlDocuments(text, 'cm.yaml').documents[0]!.value as { data: unknown }).data;
    // kubectl kustomize, Argo CD and Flux (go-yaml) read `x\ny`: clip keeps a line break only when there is one.
    expect(data(cm('|\n    x\n    y'))).toEqual({ a: 'x\ny' });
    expect(data(cm('>\n    x\n    y'))).toEqual({ a: 'x y' });
    expect(data(cm('|+\n    x\n    y'))).toEqual({ a: 'x\ny' });
    // With the line break, or before another document, the break is kept; strip never keeps it.
    expect(data(cm('|\n    x\n    y\n'))).toEqual({ a: 'x\ny\n' });
    expect(data(cm('|\n    x\n    y\n---\nb: 1'))).toEqual({ a: 'x\ny\n' });
    expect(data(cm('|-\n    x\n    y'))).toEqual({ a: 'x\ny' });
    expect(readYamlDocument('a: |\n  x', '1.1').document.value).toEqual({ a: 'x' });
  });

  it('reads 1.1 and 1.2 as asked: `on` is true for Kubernetes files, a string for hydrate.yaml', () => {
    expect(readYamlDocument('k: on\n', '1.1').document.value).toEqual({ k: true });
    expect(readYamlDocument('k: on\n', '1.2').document.value).toEqual({ k: 'on' });
  });
});

describe('zodIssueDiagnostics', () => {
  it('puts each issue at its node, and an unknown key at the key itself', () => {
    const text = 'spec:\n  size: big\n  colour: red\n';
    const { document } = readYamlDocument(text, '1.1');
    const schema = z.strictObject({ spec: z.strictObject({ size: z.number() }) });
    const r = schema.safeParse(document.value);
    expect(r.success).toBe(false);
    const out = zodIssueDiagnostics(r.error!, document, { file: 'f.yaml', unit: 'u' }, (field) => `bad ${field}`);
    expect(out.map((d) => `${d.unit} ${d.file}:${d.line}:${d.col} ${d.message}`).sort()).toEqual(['u f.yaml:2:9 bad spec.size', 'u f.yaml:3:3 bad spec.colour']);
  });
});

describe('locateZodIssues', () => {
  it('locates issues of a value validated inside the document (a list item of a release or patch file)', () => {
    const parsed = parsePositioned('- target: {kind: A}\n- target: {kind: B}\n  extra: 1\n  patch: 7\n');
    const item = z.strictObject({ target: z.object({ kind: z.string() }), patch: z.string() });
    const r = item.safeParse((parsed.value as unknown[])[1]);
    expect(r.success).toBe(false);
    const located = locateZodIssues(r.error!, parsed, [1]).map(({ path, key, position }) => ({ path, key, ...position }));
    expect(located).toEqual(
      expect.arrayContaining([
        { path: ['patch'], key: undefined, line: 4, col: 10 },
        { path: [], key: 'extra', line: 3, col: 3 }
      ])
    );
  });
});
