import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseCanonicalYaml, parseYamlDocuments, toCanonicalYaml } from '../../src/resources/yaml.js';

/** The fast path answers only when it agrees with the full parser. */
function agrees(text: string): boolean {
  const fast = parseCanonicalYaml(text);
  if (fast === undefined) return false;
  const full = parseYamlDocuments(text, 'x.yaml');
  expect(full.diagnostics).toEqual([]);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(full.documents.map((d) => d.value)));
  return true;
}

describe('parseCanonicalYaml', () => {
  it('reads the canonical form as the full parser does', () => {
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web', version: '1.0', port: '8080', on: 'true' } },
      spec: {
        replicas: 3,
        paused: false,
        selector: {},
        template: {
          spec: {
            containers: [
              { name: 'web', image: 'registry.example.com/web:1.2.3', args: ['--port=8080', '-v', "it's", 'say "hi"'], ports: [{ containerPort: 8080 }] }
            ],
            volumes: [],
            tolerations: null
          }
        }
      }
    };
    expect(agrees(toCanonicalYaml(obj))).toBe(true);
    expect(agrees(`${toCanonicalYaml(obj)}---\n${toCanonicalYaml({ kind: 'Service', metadata: { name: 'x' } })}`)).toBe(true);
  });

  it.each([
    ['a comment', 'kind: A # c\n'],
    ['a block scalar', 'kind: A\ndata:\n  x: |\n    one\n'],
    ['an anchor', 'kind: &k A\n'],
    ['a tag', 'kind: !t A\n'],
    ['a flow mapping', 'kind: {a: 1}\n'],
    ['a float', 'v: 1.5\n'],
    ['yes-like booleans', 'v: True\n'],
    ['a tilde null', 'v: ~\n'],
    ['a large integer', 'v: 12345678901234567890\n'],
    ['a hex integer', 'v: 0x1F\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a merge key', '<<: 1\n'],
    ['__proto__', '__proto__: 1\n'],
    ['a double-quoted escape', 'v: "a\\nb"\n'],
    ['non-ASCII text', 'v: é\n'],
    ['a tab', 'v:\ta\n'],
    ['CRLF line ends', 'v: a\r\n'],
    ['a sequence not indented below its key', 'v:\n- a\n'],
    ['a multi-line plain scalar', 'v: a\n  b\n'],
    ['a blank line', 'a: 1\n\nb: 2\n'],
    ['an empty document', 'a: 1\n---\n'],
    ['no final newline', 'a: 1'],
    ['a top-level sequence', '- a\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n']
  ])('leaves %s to the full parser', (_what, text) => {
    expect(parseCanonicalYaml(text)).toBeUndefined();
  });

  it('never disagrees with the full parser on edited canonical text', () => {
    const base = toCanonicalYaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', annotations: { a: 'x:y', b: '"q"' } },
      data: { k: 'v', n: '1', list: ['a', { b: 'c' }] }
    });
    const inserts = ['#', ' #', ':', ': ', ' ', '-', '- ', '"', "'", '&', '*', '!', '|', '>', '{', '[', ',', '?', '\\', '%', '~', '\n', '\n  ', '0', '.', 'e'];
    for (let pos = 0; pos < base.length; pos++) {
      for (const ins of inserts) {
        for (const text of [base.slice(0, pos) + ins + base.slice(pos), base.slice(0, pos) + ins + base.slice(pos + 1)]) {
          const fast = parseCanonicalYaml(text);
          if (fast === undefined) continue;
          const full = parseYamlDocuments(text, 'x.yaml');
          expect(full.diagnostics).toEqual([]);
          expect(JSON.stringify(fast)).toBe(JSON.stringify(full.documents.map((d) => d.value)));
        }
      }
    }
  });
});

describe('parseCanonicalYaml, property', () => {
  // Scalars a Kubernetes object holds, with the strings most likely to fool a line reader.
  const tricky = fc.constantFrom(
    '', ' ', 'a b', 'a: b', 'a:b', 'a #b', 'a#b', '#a', '- a', '-a', '-', '?', ':', '[a]', '{a}', "'", '"', "it's", 'say "hi"',
    'true', 'True', 'false', 'null', 'Null', '~', 'yes', 'no', 'on', 'off', '0', '1', '-1', '+1', '007', '0o17', '0x1F', '1e3', '1.5', '.5',
    '.inf', '-.Inf', '.nan', '2001-12-14', '12:30', 'a\nb', 'a\n', '\tx', 'é', '€', '*a', '&a', '!a', '%a', '@a', '`a', '|', '>', 'a,b', '\\'
  );
  const scalar = fc.oneof(
    tricky,
    fc.string({ maxLength: 12 }),
    fc.integer({ min: -1e6, max: 1e16 }),
    fc.double({ noNaN: false }),
    fc.boolean(),
    fc.constant(null)
  );
  const key = fc.oneof(tricky, fc.string({ minLength: 1, maxLength: 10 }));
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
    list: fc.array(tie('tree'), { maxLength: 4 }),
    map: fc.dictionary(key, tie('tree'), { maxKeys: 5 })
  }));
  const doc = fc.dictionary(key, tree, { minKeys: 1, maxKeys: 6 });

  it('answers with the full parser\'s values, or not at all, for any canonical document stream', () => {
    let answered = 0;
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), (docs) => {
        const text = docs.map((d) => toCanonicalYaml(d)).join('---\n');
        const fast = parseCanonicalYaml(text);
        if (fast === undefined) return;
        answered++;
        const full = parseYamlDocuments(text, 'x.yaml');
        expect(full.diagnostics).toEqual([]);
        expect(fast).toEqual(full.documents.map((d) => d.value));
      }),
      { numRuns: 2000 }
    );
    // Not vacuous: the fast path answers for a good share of these streams (most hold a scalar it leaves to the full parser).
    expect(answered).toBeGreaterThan(50);
  });
});
