/**
 * YAML 1.1 fidelity: what Hydrate writes means the same to YAML 1.1 readers (the `yaml` package
 * with `version: '1.1'`, kubectl's go-yaml) as to YAML 1.2 readers, and Hydrate reads Kubernetes
 * YAML as kubectl does. kubectl is the oracle for go-yaml: `kubectl label --local -f FILE x=y -o json`
 * reads a file and prints the JSON kubectl would send, without a cluster (for a kind it does not
 * know, without type checks).
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parse, parseAllDocuments } from 'yaml';
import { parseCanonicalYaml, parseYamlDocuments, toCanonicalYaml } from '../../src/resources/yaml.js';
import { goYamlNumber } from '../../src/resources/yaml11.js';
import { KUBECTLS, tool } from '../helpers/tools.js';
import { AWKWARD } from '../helpers/yaml-corpus.js';
import { kubectlReads } from '../helpers/kubectl.js';

/** The corpus as an object: each string as a value and as a key, and values of the other types. */
function corpusObject(): Record<string, unknown> {
  return {
    apiVersion: 'example.com/v1',
    kind: 'Corpus',
    metadata: { name: 'corpus', annotations: Object.fromEntries(AWKWARD.map((s, i) => [`a${i}`, s])) },
    keys: Object.fromEntries(AWKWARD.map((s, i) => [s, `k${i}`])),
    list: AWKWARD,
    typed: { int: 420, neg: -1, float: 1.5, big: 1e21, small: 1e-7, t: true, f: false, nil: null, empty: {}, none: [] }
  };
}

/** What kubectl (go-yaml v2 through sigs.k8s.io/yaml) makes of the objects of a YAML file. */
/** JSON with keys sorted, to compare objects whatever the key order. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
  }
  return v;
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'hydrate-yaml11-'));
}

describe('canonical YAML means the same to YAML 1.1 and 1.2 readers', () => {
  const obj = corpusObject();
  const text = toCanonicalYaml(obj);

  it('writes the corpus so that the yaml package reads the same objects in 1.1 and in 1.2 mode', () => {
    expect(parse(text, { version: '1.1' })).toEqual(obj);
    expect(parse(text, { version: '1.2' })).toEqual(obj);
    // 1.1 with merge keys on, as go-yaml reads it: `<<` is quoted, so nothing is merged.
    expect(parse(text, { version: '1.1', merge: true })).toEqual(obj);
  });

  it('quotes exactly the strings a reader would take for something else', () => {
    const plain = (s: string): boolean => toCanonicalYaml({ v: s }) === `v: ${s}\n`;
    for (const s of ['on', 'Off', 'yes', 'N', '0644', '1:20', '2001-12-14', '1_000', '0x1F', '0X1F', '.inf', '1e3', '~', 'null', '<<', '=']) {
      expect([s, plain(s)]).toEqual([s, false]);
    }
    for (const s of ['hello', 'v1', '1.2.3', 'x86_64', 'abc:def']) expect([s, plain(s)]).toEqual([s, true]);
    // keys too
    expect(toCanonicalYaml({ on: 'x', y: 'z' })).toBe('"on": x\n"y": z\n');
  });

  it("reads the written corpus back with Hydrate's own readers (full and line-based) as written", () => {
    const full = parseYamlDocuments(text, 'corpus.yaml');
    expect(full.diagnostics).toEqual([]);
    expect(full.documents.map((d) => d.value)).toEqual([obj]);
    // The line-based reader leaves floats and negative numbers to the full parser; it reads all the rest.
    const { typed: _typed, ...rest } = obj;
    expect(parseCanonicalYaml(toCanonicalYaml(rest))).toEqual([rest]);
    expect(parseCanonicalYaml(toCanonicalYaml({ ...rest, typed: { int: 420, t: true, f: false, nil: null, empty: {}, none: [] } }))).toEqual([
      { ...rest, typed: { int: 420, t: true, f: false, nil: null, empty: {}, none: [] } }
    ]);
  });

  it('the line-based reader never answers differently from the full reader on a plain scalar', () => {
    for (const s of [...AWKWARD.filter((x) => x !== '' && !x.includes(' ')), '12', 'true', 'null', 'hello']) {
      const doc = `v: ${s}\n`;
      const fast = parseCanonicalYaml(doc);
      const full = parseYamlDocuments(doc, 'x.yaml').documents.map((d) => d.value);
      if (fast !== undefined) expect([s, fast]).toEqual([s, full]);
    }
  });

  it('any string over the characters of numbers, bools and dates is read back as itself by YAML 1.1, 1.2 and kubectl rules', () => {
    const chars = [...'0123456789._+-:eExXoObBaAfFnNyYsStTlLuU~<= '];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 8 }), fc.boolean(), (cs, asKey) => {
        const s = cs.join('');
        const o = asKey ? { [s]: 'v' } : { v: s };
        const t = toCanonicalYaml(o);
        expect(parse(t, { version: '1.1' })).toEqual(o);
        expect(parse(t, { version: '1.2' })).toEqual(o);
        expect(parseYamlDocuments(t, 'x.yaml').documents[0]?.value).toEqual(o);
        const fast = parseCanonicalYaml(t);
        if (fast !== undefined) expect(fast).toEqual([o]);
      }),
      { numRuns: 3000 }
    );
  });

  it('every string of up to 3 characters over the characters of numbers, bools and dates is written so that YAML 1.1, 1.2 and kubectl rules read it back', () => {
    const alphabet = [...'01789._+-:eExXoObBnNyYaf~<=Tl'];
    const strings = [''];
    for (let len = 1; len <= 3; len++) {
      for (const prefix of strings.filter((x) => x.length === len - 1)) for (const c of alphabet) strings.push(prefix + c);
    }
    expect(strings.length).toBeGreaterThan(25_000);
    const wrong: string[] = [];
    for (const str of strings) {
      const text = toCanonicalYaml({ v: str });
      const back = [parse(text, { version: '1.1' }), parse(text, { version: '1.2' }), parseYamlDocuments(text, 'x.yaml').documents[0]?.value];
      if (back.some((b) => (b as { v?: unknown } | undefined)?.v !== str)) wrong.push(str);
    }
    expect(wrong).toEqual([]);
  });

  describe.each(KUBECTLS)('kubectl %s', (name) => {
    it('reads the written corpus as the objects written', () => {
      const dir = tempDir();
      const file = path.join(dir, 'corpus.yaml');
      writeFileSync(file, text);
      expect(sorted(kubectlReads(tool(name).bin, file))).toEqual([sorted(obj)]);
    });
  });
});

/**
 * Text go-yaml and the `yaml` package part ways on when it is written as the `yaml` package
 * writes it: characters go-yaml refuses raw (DEL, C1 controls, U+FFFE, U+FFFF: the whole file is
 * refused) or takes for line breaks (NEL, LS, PS); block scalars of blank lines holding spaces
 * (written without an indentation indicator, so every reader drops the spaces) or with a tab
 * before the first other character (go-yaml refuses it); and long double-quoted multi-line
 * strings with a line of spaces (folded with a stray backslash).
 */
const UNSAFE_TEXT = [
  'a\u007fb', '\u0080', 'x\u0085y', '\u009f', 'a\u2028b', '\u2029', 'a\ufffe', '\uffff\n',
  ' \n', '\n \t\n', '  \n\n', '\t\n', '\tb\n', '\t\nfoo', '\n\tfoo\n',
  'a line long enough to be folded when quoted\n \nlast\n ', '#!/bin/sh\n\techo "a tab first"\n\n  \n'
];

/** A string over the characters YAML writers and readers treat specially, of up to 60 pieces. */
const textArb = fc.oneof(
  fc.array(
    fc.constantFrom(
      '\u007f', '\u0085', '\u0090', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff', '\u0000', '\u0001', '\u001b', '\t', '\n', '\n', '\r', ' ', ' ',
      '#', ':', '- ', ': ', ' #', '?', ',', '[', '{', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '\\', '~', '<<', '=', 'e5', '0', '.', '+', 'y', 'é', 'e\u0301', '\ud83d\ude00', 'ab'
    ),
    { minLength: 1, maxLength: 60 }
  ).map((a) => a.join('')),
  fc.array(fc.constantFrom(' ', '\t', '\n', 'a'), { minLength: 1, maxLength: 8 }).map((a) => a.join('')),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 })
);

/** A test name that shows every character outside printable ASCII as an escape. */
const shown = (s: string): string => JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

describe('any text is written so that YAML 1.1, 1.2 and go-yaml readers read it back', () => {
  const backAsWritten = (s: string): void => {
    const o = { v: s, l: [s], k: { [s]: 'x' } };
    const text = toCanonicalYaml(o);
    expect([s, parse(text, { version: '1.1' })]).toEqual([s, o]);
    expect([s, parse(text, { version: '1.2' })]).toEqual([s, o]);
    expect([s, parseYamlDocuments(text, 'x.yaml').documents[0]?.value]).toEqual([s, o]);
  };

  it.each(UNSAFE_TEXT.map((s) => [shown(s), s]))('%s, with the yaml package and Hydrate\'s reader', (_, s) => backAsWritten(s));

  it('any string (property)', () => {
    fc.assert(fc.property(textArb, backAsWritten), { numRuns: 500 });
  });

  describe.each(KUBECTLS)('kubectl %s', (name) => {
    /** The strings as values, keys and list items of one object, read back by kubectl. */
    const kubectlReadsBack = (strings: readonly string[]): void => {
      const obj = {
        apiVersion: 'example.com/v1',
        kind: 'Text',
        metadata: { name: 'text' },
        values: Object.fromEntries(strings.map((s, i) => [`v${i}`, s])),
        keys: Object.fromEntries(strings.map((s, i) => [s, `k${i}`])),
        list: strings
      };
      const file = path.join(tempDir(), 'text.yaml');
      writeFileSync(file, toCanonicalYaml(obj));
      expect(sorted(kubectlReads(tool(name).bin, file))).toEqual([sorted(obj)]);
    };

    it('reads the strings go-yaml refuses raw, takes for line breaks or misreads in a block scalar as written', () => {
      kubectlReadsBack(UNSAFE_TEXT);
    });

    it('reads any strings as written (property)', () => {
      fc.assert(fc.property(fc.uniqueArray(textArb, { minLength: 1, maxLength: 100 }), kubectlReadsBack), { numRuns: 15 });
    });
  });
});

describe('Kubernetes YAML is read as kubectl reads it', () => {
  // Plain (unquoted) scalars: numbers as Go parses them, 1.1 bools, no sexagesimal, no timestamps.
  // Infinity and NaN are refused by kubectl's JSON conversion: they are checked separately below.
  const SPECIAL_FLOAT = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
  const plainScalars = AWKWARD.filter((s) => s !== '' && s !== '-' && s !== '<<' && !s.includes(' ') && !SPECIAL_FLOAT.test(s));

  it.each(KUBECTLS)('plain scalars as values and as keys, with %s as the oracle', (name) => {
    const lines = ['apiVersion: example.com/v1', 'kind: Plain', 'metadata:', '  name: plain', 'values:'];
    plainScalars.forEach((s, i) => lines.push(`  v${i}: ${s}`));
    lines.push('keys:');
    // Keys read as integers, one per number (`1_000` and `1__000` are one key). A float key is
    // named by Go with FormatFloat(f, 'g', -1, 32) (`685230.1`), by Hydrate with String: not compared.
    const seen = new Set<number>();
    const keyed = plainScalars.filter((s) => {
      const n = goYamlNumber(s);
      if (n === undefined || !Number.isSafeInteger(n) || seen.has(n)) return false;
      seen.add(n);
      return true;
    });
    expect(keyed.length).toBeGreaterThan(10);
    keyed.forEach((s, i) => lines.push(`  ${s}: k${i}`));
    const text = `${lines.join('\n')}\n`;
    const dir = tempDir();
    const file = path.join(dir, 'plain.yaml');
    writeFileSync(file, text);
    const expected = kubectlReads(tool(name).bin, file);
    const parsed = parseYamlDocuments(text, 'plain.yaml');
    expect(parsed.diagnostics).toEqual([]);
    expect(sorted(parsed.documents.map((d) => d.value))).toEqual(sorted(expected));
  });

  it.each(KUBECTLS)('refuses a file holding a control character raw, as %s does, at its line and column', (name) => {
    const head = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n';
    const file = path.join(tempDir(), 'c.yaml');
    const reads = (text: string): unknown => {
      writeFileSync(file, text);
      try {
        return kubectlReads(tool(name).bin, file);
      } catch (e) {
        return String((e as { stderr?: unknown }).stderr);
      }
    };
    for (const c of ['\u0001', '\u0008', '\u000b', '\u000c', '\u001b', '\u007f', '\u0080', '\u009f', '\ufffe', '\uffff']) {
      const code = c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      const message = `invalid YAML: control character U+${code} is not allowed raw (kubectl refuses the file); write it escaped in a double-quoted string ("\\u${code.toLowerCase()}")`;
      expect([code, reads(`${head}data:\n  v: x${c}y\n`)]).toEqual([code, expect.stringContaining('control characters are not allowed')]);
      for (const [text, line, col] of [
        [`${head}data:\n  v: x${c}y\n`, 6, 7],
        [`${head}data:\n  v: "x${c}"\n`, 6, 8],
        [`# ${c}\n${head}`, 1, 3],
        [`${head}data:\n  v: |\n    x${c}\n`, 7, 6]
      ] as const) {
        const r = parseYamlDocuments(text, 'c.yaml');
        expect([code, r.documents, r.diagnostics]).toEqual([code, [], [{ severity: 'error', file: 'c.yaml', line, col, message }]]);
      }
    }
    // Tab, a BOM, and controls written as escapes are read, by both.
    const text = `${head}data:\n  v: "x\\x01\\u007f\\uffff"\n  t: "a\tb"\n  b: "\ufeff"\n`;
    const read = parseYamlDocuments(text, 'c.yaml');
    expect(read.diagnostics).toEqual([]);
    expect(read.documents.map((d) => (d.value as { data: unknown }).data)).toEqual([{ v: 'x\u0001\u007f\uffff', t: 'a\tb', b: '\ufeff' }]);
    expect(reads(text)).toEqual(read.documents.map((d) => d.value));
  });

  it.each(KUBECTLS)('explicit tags as %s reads them: !!int and !!float as numbers, !!str as the string', (name) => {
    const text = 'apiVersion: example.com/v1\nkind: Tagged\nmetadata: {name: t}\nspec: {a: !!float 1, b: !!int 0644, c: !!str 0644, d: !!float 1.5}\n';
    const dir = tempDir();
    writeFileSync(path.join(dir, 'tagged.yaml'), text);
    expect(parseYamlDocuments(text, 'tagged.yaml').documents.map((d) => d.value)).toEqual(kubectlReads(tool(name).bin, path.join(dir, 'tagged.yaml')));
    expect(parseYamlDocuments('a: !!int abc\n', 'x.yaml').diagnostics.map((d) => d.message)).toEqual(['invalid YAML: cannot decode "abc" as an !!int']);
  });

  it('reads .inf and .nan as numbers (kubectl refuses them as JSON)', () => {
    const v = parseYamlDocuments('a: .inf\nb: -.Inf\nc: .NaN\n', 'x.yaml').documents[0]!.value as Record<string, number>;
    expect(v['a']).toBe(Infinity);
    expect(v['b']).toBe(-Infinity);
    expect(Number.isNaN(v['c'])).toBe(true);
  });

  it('reads file modes as octal, 1.1 bools as bools and resolves merge keys', () => {
    const text = [
      'kind: Pod',
      'spec:',
      '  volumes:',
      '    - secret: {defaultMode: 0644}',
      '    - configMap: {items: [{key: a, mode: 0400}]}',
      '  x: &x {enabled: yes, debug: off, port: 8_080}',
      '  w:',
      '    <<: *x',
      '    debug: on',
      '  when: 2001-12-14',
      '  at: 12:30:00',
      ''
    ].join('\n');
    expect(parseYamlDocuments(text, 'x.yaml').documents[0]!.value).toEqual({
      kind: 'Pod',
      spec: {
        volumes: [{ secret: { defaultMode: 420 } }, { configMap: { items: [{ key: 'a', mode: 256 }] } }],
        x: { enabled: true, debug: false, port: 8080 },
        w: { enabled: true, debug: true, port: 8080 },
        when: '2001-12-14',
        at: '12:30:00'
      }
    });
  });

  it('what it reads, it writes back so that kubectl reads the same', () => {
    const dry = 'apiVersion: example.com/v1\nkind: T\nmetadata: {name: t}\nspec: {mode: 0644, a: "on", b: on, c: "0644", d: 1:20, e: "1_000"}\n';
    const value = parseYamlDocuments(dry, 'dry.yaml').documents[0]!.value;
    const dir = tempDir();
    writeFileSync(path.join(dir, 'dry.yaml'), dry);
    writeFileSync(path.join(dir, 'wet.yaml'), toCanonicalYaml(value));
    const bin = tool('kubectl-1.32').bin;
    expect(kubectlReads(bin, path.join(dir, 'wet.yaml'))).toEqual(kubectlReads(bin, path.join(dir, 'dry.yaml')));
    expect(value).toMatchObject({ spec: { mode: 420, a: 'on', b: true, c: '0644', d: '1:20', e: '1_000' } });
  });
});

describe('large mappings and duplicate keys', () => {
  it('finds a duplicate key at the end of a 50,000-key mapping, naming its line', () => {
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: big', 'data:'];
    for (let i = 0; i < 50_000; i++) lines.push(`  key${i}: v`);
    lines.push('  key7: again');
    const text = `${lines.join('\n')}\n`;
    const r = parseYamlDocuments(text, 'big.yaml', 'apps/big');
    expect(r.documents).toEqual([]);
    expect(r.diagnostics).toEqual([
      { severity: 'error', unit: 'apps/big', file: 'big.yaml', line: lines.length, col: 3, message: 'invalid YAML: Map keys must be unique' }
    ]);
  });

  it('parses a 50,000-key mapping without duplicates completely', () => {
    const lines = ['kind: ConfigMap', 'data:'];
    for (let i = 0; i < 50_000; i++) lines.push(`  key${i}: v${i}`);
    const r = parseYamlDocuments(`${lines.join('\n')}\n`, 'big.yaml');
    expect(r.diagnostics).toEqual([]);
    const data = (r.documents[0]!.value as { data: Record<string, string> }).data;
    expect(Object.keys(data).length).toBe(50_000);
    expect(data['key49999']).toBe('v49999');
  });

  it.each([
    ['the same plain key', 'a: 1\nb: 2\na: 3\n', 3],
    ['a quoted and a plain key', 'a: 1\n"a": 2\n', 2],
    ['two spellings of one YAML 1.1 bool', 'on: 1\nyes: 2\n', 2],
    ['a number and its string', '1: a\n"1": b\n', 2],
    ['in a nested flow mapping', 'x:\n  - {a: 1, b: 2, a: 3}\n', 2]
  ])('refuses %s', (_, text, line) => {
    const r = parseYamlDocuments(text, 'd.yaml');
    expect(r.diagnostics.map((d) => [d.line, d.message])).toEqual([[line, 'invalid YAML: Map keys must be unique']]);
  });

  it('lets merge keys repeat and explicit keys override merged ones', () => {
    const r = parseYamlDocuments('a: &a {x: 1}\nb: &b {q: 2}\nc:\n  <<: *a\n  <<: *b\n  x: 3\n', 'd.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.documents[0]!.value).toEqual({ a: { x: 1 }, b: { q: 2 }, c: { x: 3, q: 2 } });
    // `y` is a YAML 1.1 bool: as a key it is "true", as kubectl reads it.
    expect(parseYamlDocuments('y: 1\n', 'd.yaml').documents[0]!.value).toEqual({ true: 1 });
  });

  it('agrees with the yaml package on which documents hold duplicates', () => {
    for (const text of ['a: 1\nb: {c: 1, d: 2}\n', 'a: [ {b: 1}, {b: 2} ]\n', 'a: {b: 1, b: 1}\n', '- a: 1\n  a: 2\n']) {
      const theirs = parseAllDocuments(text, { uniqueKeys: true })[0]!.errors.length > 0;
      expect([text, parseYamlDocuments(text, 'x.yaml').diagnostics.length > 0]).toEqual([text, theirs]);
    }
  });
});
