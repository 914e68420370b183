import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { compilePattern, matchPath, PatternError, patternProblems, renderTemplate } from '../../src/dry/match.js';

describe('matchPath', () => {
  it('captures named segments', () => {
    expect(matchPath('kubernetes/{cluster}/{tenant}/{env}', 'kubernetes/prod/acme/dev')).toEqual({
      cluster: 'prod',
      tenant: 'acme',
      env: 'dev'
    });
    expect(matchPath('apps/{app}/clusters/{cluster}', 'apps/web/clusters/eu-1')).toEqual({ app: 'web', cluster: 'eu-1' });
  });

  it('requires literals and the same number of segments', () => {
    expect(matchPath('apps/{app}/clusters/{cluster}', 'apps/web/envs/eu-1')).toBeUndefined();
    expect(matchPath('apps/{app}/clusters/{cluster}', 'apps/web/clusters')).toBeUndefined();
    expect(matchPath('apps/{app}/clusters/{cluster}', 'apps/web/clusters/eu/x')).toBeUndefined();
    expect(matchPath('apps/{app}', 'Apps/web')).toBeUndefined();
  });

  it('matches `*` as one segment without capturing', () => {
    expect(matchPath('apps/*/{env}', 'apps/web/dev')).toEqual({ env: 'dev' });
    expect(matchPath('apps/*/{env}', 'apps/dev')).toBeUndefined();
  });

  it('supports literal text around a capture in one segment', () => {
    expect(matchPath('envs/{env}.d', 'envs/prod.d')).toEqual({ env: 'prod' });
    expect(matchPath('envs/{env}.d', 'envs/prod')).toBeUndefined();
    expect(matchPath('envs/{env}.d', 'envs/.d')).toBeUndefined();
    expect(matchPath('tf-{stack}/main', 'tf-net/main')).toEqual({ stack: 'net' });
  });

  it('treats regex characters in literals literally', () => {
    expect(matchPath('a.b/{x}', 'axb/1')).toBeUndefined();
    expect(matchPath('a.b/{x}', 'a.b/1')).toEqual({ x: '1' });
  });

  it('round-trips: a template over the match names reproduces the path', () => {
    const seg = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/);
    fc.assert(
      fc.property(seg, seg, seg, (a, b, c) => {
        const path = `k/${a}/${b}/x/${c}`;
        const coords = matchPath('k/{a}/{b}/x/{c}', path);
        expect(coords).toEqual({ a, b, c });
        expect(renderTemplate('k/{a}/{b}/x/{c}', coords!)).toBe(path);
      })
    );
  });
});

describe('compilePattern', () => {
  it('computes the literal prefix and the capture names', () => {
    const p = compilePattern('apps/base/{app}/clusters/{cluster}');
    expect(p.literalPrefix).toBe('apps/base');
    expect(p.names).toEqual(['app', 'cluster']);
    expect(compilePattern('{x}/y').literalPrefix).toBe('');
    expect(compilePattern('a/*/b').literalPrefix).toBe('a');
  });

  it('throws a PatternError for malformed patterns', () => {
    expect(() => compilePattern('a/{x')).toThrow(PatternError);
    expect(() => compilePattern('a/{x}{y}')).toThrow(/at most one/);
    expect(() => compilePattern('a/{1x}')).toThrow(/not a valid capture name/);
    expect(() => compilePattern('a//b')).toThrow(/empty path segment/);
  });
});

describe('patternProblems', () => {
  it('reports each problem with its offset', () => {
    expect(patternProblems('apps/{a}/x/{a}')).toEqual([{ message: expect.stringContaining('captured twice'), offset: 11 }]);
    expect(patternProblems('a/../b')).toEqual([{ message: expect.stringContaining('`..`'), offset: 2 }]);
    expect(patternProblems('/a/{x}').map((p) => p.offset)).toEqual([0]);
    expect(patternProblems('a/b c').map((p) => p.offset)).toEqual([3]);
    expect(patternProblems('a/./b')[0]!.message).toContain('`.`');
    expect(patternProblems('a/*', { template: true })[0]!.message).toContain('must not contain `*`');
    expect(patternProblems('apps/{app}/clusters/{cluster}')).toEqual([]);
  });
});

describe('renderTemplate', () => {
  it('fills placeholders, including repeated ones', () => {
    expect(renderTemplate('clusters/{cluster}/{app}', { app: 'web', cluster: 'prod' })).toBe('clusters/prod/web');
    expect(renderTemplate('{a}/{a}-x', { a: 'q' })).toBe('q/q-x');
    expect(renderTemplate('static/out', {})).toBe('static/out');
  });

  it('throws naming the placeholder when a coordinate is missing', () => {
    expect(() => renderTemplate('o/{env}', { app: 'x' })).toThrow(/\{env\}/);
    expect(() => renderTemplate('o/{toString}', {})).toThrow(/\{toString\}/);
  });
});
