import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { rewritePlaceholders } from '../../../src/render/terraform/placeholders.js';

describe('placeholders', () => {
  it('leaves every string without "${{" unchanged (Vault, Flux and plain text)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom('<path:kv/data/app#key>', '${VAR}', '$${VAR}', '{{ .Values.x }}', '${ {x}}')),
        (s) => {
          fc.pre(!s.includes('${{'));
          const r = rewritePlaceholders({ a: s, b: [s, { c: s }] }, []);
          expect(r.value).toEqual({ a: s, b: [s, { c: s }] });
          expect(r.placeholders).toEqual([]);
          expect(r.problems).toEqual([]);
        }
      )
    );
  });

  it('rewrites embedded placeholders and keeps the surrounding text', () => {
    const r = rewritePlaceholders(
      { url: 'postgres://u:${{ secret:app.pw }}@${{tfworkspace:db:outputs.host}}:5432', n: 3 },
      ['values']
    );
    expect(r.value).toEqual({
      url: 'postgres://u:${{ references.secret-app-pw }}@${{ references.tfworkspace-db-host }}:5432',
      n: 3
    });
    expect(r.placeholders.map((p) => [p.kind, p.claim, p.path])).toEqual([
      ['secret', 'app', ['values', 'url']],
      ['tfworkspace', 'db', ['values', 'url']]
    ]);
  });

  it('reports unknown kinds and unterminated placeholders', () => {
    const r = rewritePlaceholders({ a: '${{ env:HOME }}', b: ['x ${{ secret:app.pw'] }, []);
    expect(r.problems).toEqual([
      { path: ['a'], text: '${{ env:HOME }}' },
      { path: ['b', 0], text: '${{ secret:app.pw' }
    ]);
  });
});
