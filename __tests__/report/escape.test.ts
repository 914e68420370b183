import { describe, expect, it } from '@jest/globals';
import { escapeLine, escapeText } from '../../src/report/escape.js';
import { escapeText as escapeMarkdown } from '../../src/report/markdown.js';
import { formatDiffText } from '../../src/report/text.js';
import { diffWet } from '../../src/diff/wet-diff.js';

const HOSTILE = 'web\n::warning::pwned\x1b[31mred\x07\u2028x\u202eevil';

describe('escaping control characters in text output', () => {
  it('escapeLine shows every control character, newlines included', () => {
    expect(escapeLine(HOSTILE)).toBe('web\\n::warning::pwned\\x1b[31mred\\x07\\u2028x\\u202eevil');
    expect(escapeLine('plain-name.v2 ü')).toBe('plain-name.v2 ü');
  });

  it('escapeText keeps lines but no line can be a workflow command or move the cursor', () => {
    const out = escapeText(`error: bad\n::add-mask::x\n  ::warning::y\r\n##[group]z\n\x1b[2Jtail\tok`);
    expect(out.split('\n')).toEqual(['error: bad', '\\::add-mask::x', '\\  ::warning::y', '\\##[group]z', '\\x1b[2Jtail\tok']);
    for (const line of out.split('\n')) expect(line.trimStart()).not.toMatch(/^(::|##\[)/);
    expect(out).not.toContain('\x1b');
  });

  it('markdown text shows control characters as escapes', () => {
    expect(escapeMarkdown('a\x1b[31mb\nc')).toBe('a\\\\x1b\\[31mb ↵ c');
  });

  it('the terminal diff escapes names, kinds and values', () => {
    const index = (paths: string[]) => ({
      version: 1,
      generator: 'hydrate test',
      units: { 'kubernetes:apps/x': { renderer: 'kubernetes', dir: 'apps/x', output: 'apps/x', coordinates: {}, digest: 'd', paths } }
    });
    const file = 'apps/x/ConfigMap.x.yml';
    const yaml = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${JSON.stringify(HOSTILE)}\ndata:\n  k: ${JSON.stringify(v)}\n`;
    const report = diffWet(
      { index: index([file]) as never, files: new Map([[file, yaml('a')]]) },
      { index: index([file]) as never, files: new Map([[file, yaml('b\x1b[0m\n::error::x')]]) }
    );
    const text = formatDiffText(report);
    expect(text).not.toContain('\x1b');
    for (const line of text.split('\n')) expect(line.trimStart()).not.toMatch(/^::/);
    expect(text).toContain('web↵::warning::pwned\\x1b[31m');
  });
});
