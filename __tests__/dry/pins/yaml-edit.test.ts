/** Edits of YAML text in place: the value changes, every other byte stays; what a reader gets is the string asked for. */
import { describe, expect, it } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { setScalar } from '../../../src/dry/pins/yaml-edit.js';

const at = (text: string, doc = 0): unknown => (parseAllDocuments(text)[doc]!.toJS({}) as { a: { b: unknown } }).a.b;

describe('setScalar', () => {
  it.each([
    ['plain', 'a:\n  b: old   # keep\n  c: 1\n', 'a:\n  b: new   # keep\n  c: 1\n'],
    ['double-quoted', 'a:\n  b: "old"\n', 'a:\n  b: "new"\n'],
    ["single-quoted", "a:\n  b: 'old'\n", "a:\n  b: 'new'\n"],
    ['empty', 'a:\n  b:\n  c: 1\n', 'a:\n  b: new\n  c: 1\n'],
    ['empty with a comment', 'a:\n  b: # none\n', 'a:\n  b: new # none\n'],
    ['null', 'a:\n  b: ~\n', 'a:\n  b: new\n'],
    ['absent: added after the last key at its indent', 'a:\n  x: 1   # one\n\n# tail\n', 'a:\n  x: 1   # one\n  b: new\n\n# tail\n'],
    ['flow mapping', 'a: {x: 1, b: old}\n', 'a: {x: 1, b: new}\n'],
    ['flow mapping, absent', 'a: {x: 1}\n', 'a: {x: 1, b: new}\n'],
    ['CRLF line ends', 'a:\r\n  x: 1\r\n', 'a:\r\n  x: 1\r\n  b: new\r\n']
  ])('%s', (_what, before, after) => {
    const out = setScalar(before, 0, ['a', 'b'], 'new');
    expect(out).toBe(after);
    expect(at(out)).toBe('new');
  });

  it.each(['1.10', '010', 'yes', 'on', 'null', '1e3', '0x1F', '12:30', 'true', ''])('quotes %j, which plain would read as another type (YAML 1.1 or 1.2)', (value) => {
    const out = setScalar('a:\n  b: old\n', 0, ['a', 'b'], value);
    expect((parse(out) as { a: { b: unknown } }).a.b).toBe(value);
    expect((parse(out, { version: '1.1' }) as { a: { b: unknown } }).a.b).toBe(value);
  });

  it('removes a key with its line and comment, and nothing else', () => {
    expect(setScalar('a:\n  x: 1\n  b: old  # gone\n  c: 2\n', 0, ['a', 'b'], undefined)).toBe('a:\n  x: 1\n  c: 2\n');
    expect(setScalar('a:\n  x: 1\n', 0, ['a', 'b'], undefined)).toBe('a:\n  x: 1\n');
  });

  it('edits only the document asked for, the others byte for byte', () => {
    const text = '# one\na:\n  b: x\n---\n# two\na:\n  b: y   # here\n...\n';
    const out = setScalar(text, 1, ['a', 'b'], 'z');
    expect(out).toBe('# one\na:\n  b: x\n---\n# two\na:\n  b: z   # here\n...\n');
    expect(at(out, 0)).toBe('x');
    expect(at(out, 1)).toBe('z');
  });

  it('a value behind an alias is printed again by the Document API (one document)', () => {
    const out = setScalar('v: &v 1\na:\n  b: *v\n', 0, ['a', 'b'], '2');
    expect(parse(out)).toEqual({ v: 1, a: { b: '2' } });
  });

  it('an unchanged value leaves the text as it is', () => {
    const text = 'a:\n  b: "new"  # same\n';
    expect(setScalar(text, 0, ['a', 'b'], 'new')).toBe(text);
  });
});
