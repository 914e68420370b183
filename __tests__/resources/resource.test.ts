import { describe, expect, it } from '@jest/globals';
import { apiGroupOf, checkIdentities, compareIdentity, identityKey, mustIdentity, versionOf } from '../../src/resources/resource.js';
import { parseYamlDocuments, toCanonicalYaml } from '../../src/resources/yaml.js';

describe('apiVersion', () => {
  it('splits into group and version; the core group is empty', () => {
    expect([apiGroupOf('apps/v1'), versionOf('apps/v1')]).toEqual(['apps', 'v1']);
    expect([apiGroupOf('v1'), versionOf('v1')]).toEqual(['', 'v1']);
    expect([apiGroupOf('external-secrets.io/v1alpha1'), versionOf('external-secrets.io/v1alpha1')]).toEqual(['external-secrets.io', 'v1alpha1']);
  });
});

describe('resource identity', () => {
  it('orders by group, kind, namespace, name without locale', () => {
    const ids = [
      { group: 'apps', kind: 'Deployment', namespace: 'b', name: 'x' },
      { group: '', kind: 'Service', namespace: 'a', name: 'Z' },
      { group: '', kind: 'Service', namespace: 'a', name: 'a' },
      { group: 'apps', kind: 'Deployment', namespace: 'a', name: 'y' }
    ];
    const sorted = [...ids].sort(compareIdentity).map(identityKey);
    expect(sorted).toEqual(['/Service/a/Z', '/Service/a/a', 'apps/Deployment/a/y', 'apps/Deployment/b/x']);
  });

  it('reports missing fields and duplicates with unit and file', () => {
    const d = checkIdentities([
      { unit: 'kubernetes:a', source: { file: 'a/x.yaml', line: 1 }, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } } },
      { unit: 'kubernetes:a', source: { file: 'a/y.yaml', line: 4 }, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } } },
      { unit: 'kubernetes:a', source: { file: 'a/z.yaml', line: 7 }, object: { apiVersion: 'v1', metadata: {} } }
    ]);
    expect(d.map((x) => `${x.file}:${x.line} ${x.message}`)).toEqual([
      'a/y.yaml:4 duplicate object ConfigMap cm in one unit (first at a/x.yaml:1)',
      'a/z.yaml:7 document has no kind, metadata.name; every rendered document needs apiVersion, kind and metadata.name'
    ]);
    expect(mustIdentity({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'n' } })).toEqual({
      group: 'apps', kind: 'Deployment', namespace: 'n', name: 'w'
    });
  });
});

describe('yaml', () => {
  it('reports parse errors with line and column', () => {
    const r = parseYamlDocuments('a: 1\nb: [\n', 'dir/f.yaml', 'kubernetes:dir');
    expect(r.documents).toEqual([]);
    expect(r.diagnostics[0]).toMatchObject({ file: 'dir/f.yaml', unit: 'kubernetes:dir', severity: 'error' });
    expect(r.diagnostics[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('rejects duplicate keys and caps alias expansion', () => {
    expect(parseYamlDocuments('a: 1\na: 2\n', 'f.yaml').diagnostics[0]).toMatchObject({ line: 2, col: 1 });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    const r = parseYamlDocuments(bomb.join('\n') + '\n', 'bomb.yaml');
    expect(r.documents).toEqual([]);
    expect(r.diagnostics[0]!.message).toMatch(/alias/i);
  });

  it('rejects deeply nested documents with a clear message instead of crashing', () => {
    const flow = '['.repeat(5000) + ']'.repeat(5000);
    const block = Array.from({ length: 300 }, (_, i) => ' '.repeat(i) + 'a:').join('\n') + ' 1\n';
    for (const text of [flow, block]) {
      const r = parseYamlDocuments(text, 'deep.yaml');
      expect(r.documents).toEqual([]);
      expect(r.diagnostics[0]).toMatchObject({ file: 'deep.yaml', severity: 'error', message: 'invalid YAML: nesting is too deep (more than 256 levels)' });
    }
    expect(parseYamlDocuments('a:\n  b:\n    c: 1\n', 'ok.yaml').diagnostics).toEqual([]);
  });

  it('returns nothing for a text without documents (empty, or comments only)', () => {
    for (const text of ['', '# only a comment\n', '\n\n']) expect(parseYamlDocuments(text, 'f.yaml')).toEqual({ documents: [], diagnostics: [] });
  });

  it('keeps document start lines for multi-document streams', () => {
    const r = parseYamlDocuments('a: 1\n---\n# c\nb: 2\n---\n', 'f.yaml');
    expect(r.documents.map((d) => [d.value, d.line])).toEqual([[{ a: 1 }, 1], [{ b: 2 }, 4], [null, 5]]);
  });

  it('writes canonical YAML: 2-space indent, no folding, trailing newline', () => {
    const long = 'x'.repeat(200) + ' ' + 'y'.repeat(50);
    const out = toCanonicalYaml({ a: { b: [1, { c: long }] }, s: 'yes', n: '010', e: '' });
    // `yes` and the key `n` are YAML 1.1 bools: quoted so that kubectl reads the strings.
    expect(out).toBe(`a:\n  b:\n    - 1\n    - c: ${long}\ns: "yes"\n"n": "010"\ne: ""\n`);
  });
});
