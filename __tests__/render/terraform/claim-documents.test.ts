import { describe, it, expect } from '@jest/globals';
import { readClaimDocuments } from '../../../src/render/claim-documents.js';

describe('readClaimDocuments', () => {
  it('returns nothing for a text without documents (empty, or comments only)', () => {
    for (const text of ['', '# only a comment\n']) expect(readClaimDocuments(text, 'u/c.yaml', 'terraform:u')).toEqual({ documents: [], diagnostics: [] });
  });

  it('rejects deeply nested documents at the document, as parseYamlDocuments does', () => {
    const block = Array.from({ length: 300 }, (_, i) => ' '.repeat(i) + 'a:').join('\n') + ' 1\n';
    const flow = 'kind: X\nspec: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n';
    for (const text of [block, flow]) {
      const r = readClaimDocuments(text, 'u/c.yaml', 'terraform:u');
      expect(r.documents).toEqual([]);
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ severity: 'error', unit: 'terraform:u', file: 'u/c.yaml', message: 'invalid YAML: nesting is too deep (more than 256 levels)' })
      ]);
    }
    expect(readClaimDocuments(block, 'u/c.yaml', 'terraform:u').diagnostics[0]).toMatchObject({ line: 1, col: 1 });
    expect(readClaimDocuments('a:\n  b:\n    c: 1\n', 'u/c.yaml', 'terraform:u').diagnostics).toEqual([]);
  });

  it('caps alias expansion', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    const r = readClaimDocuments(bomb.join('\n') + '\n', 'u/c.yaml', 'terraform:u');
    expect(r.documents).toEqual([]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.message).toMatch(/^invalid YAML: .*alias/i);
  });
});
