/**
 * The grammar of match patterns and output templates, as hydrate.yaml writes them: what a
 * pattern may hold and where it is malformed. Matching paths against them: src/dry/match.ts.
 *
 * A pattern is a repo-relative POSIX path whose segments are literals, `*` (any one segment) or
 * contain one `{name}` capture, optionally with literal text around it (`{env}.d`, `tf-{stack}`).
 * An output template uses the same `{name}` placeholders and is filled from the captures.
 */

/** Characters allowed in a match pattern or output template. */
export const PATTERN_CHARSET = /^[A-Za-z0-9._{}*/-]*$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface PatternProblem {
  message: string;
  /** 0-based offset in the pattern text the problem points at. */
  offset: number;
}

export interface Token {
  kind: 'text' | 'star' | 'capture';
  value: string;
  offset: number;
}

/** Splits one segment into literal text, `*` and `{name}` tokens; reports malformed braces. */
export function tokenize(segment: string, base: number, problems: PatternProblem[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let text = '';
  let textStart = 0;
  const flush = (): void => {
    if (text) tokens.push({ kind: 'text', value: text, offset: base + textStart });
    text = '';
  };
  while (i < segment.length) {
    const ch = segment[i]!;
    if (ch === '{') {
      const close = segment.indexOf('}', i + 1);
      if (close === -1) {
        problems.push({ message: 'unclosed `{`: write captures as `{name}`', offset: base + i });
        return tokens;
      }
      const name = segment.slice(i + 1, close);
      if (!NAME.test(name)) {
        problems.push({
          message: `\`{${name}}\` is not a valid capture name: use letters, digits and \`_\`, starting with a letter`,
          offset: base + i
        });
      }
      flush();
      tokens.push({ kind: 'capture', value: name, offset: base + i });
      i = close + 1;
      textStart = i;
      continue;
    }
    if (ch === '}') {
      problems.push({ message: 'unmatched `}`', offset: base + i });
      i++;
      continue;
    }
    if (ch === '*') {
      flush();
      tokens.push({ kind: 'star', value: '*', offset: base + i });
      i++;
      textStart = i;
      continue;
    }
    if (!text) textStart = i;
    text += ch;
    i++;
  }
  flush();
  return tokens;
}

/**
 * Problems with a pattern's syntax (empty list when it is well-formed). Checks: relative, no
 * `..` or `.` segments, no empty segments, allowed characters, well-formed `{name}` captures,
 * at most one capture per segment, no name captured twice.
 * With `template: true` the text is an output template: `*` is not allowed.
 */
export function patternProblems(pattern: string, options: { template?: boolean } = {}): PatternProblem[] {
  const problems: PatternProblem[] = [];
  const what = options.template ? 'output' : 'match';
  if (pattern === '') return [{ message: `${what} must not be empty`, offset: 0 }];
  if (pattern.startsWith('/')) {
    problems.push({ message: `${what} must be relative to the repository root: remove the leading \`/\``, offset: 0 });
  }
  const bad = [...pattern].findIndex((c) => !PATTERN_CHARSET.test(c));
  if (bad !== -1) {
    problems.push({
      message: `${what} contains ${JSON.stringify(pattern[bad])}: only letters, digits and \`._-/{}*\` are allowed`,
      offset: bad
    });
  }
  if (bad !== -1) return problems;
  const seen = new Set<string>();
  const lead = pattern.length - pattern.replace(/^\/+/, '').length;
  let offset = lead;
  for (const segment of pattern.slice(lead).split('/')) {
    if (segment === '') {
      problems.push({ message: `${what} has an empty path segment (\`//\` or a trailing \`/\`)`, offset });
    } else if (segment === '..' || segment === '.') {
      problems.push({ message: `${what} must not contain \`${segment}\` segments`, offset });
    } else {
      const tokens = tokenize(segment, offset, problems);
      const captures = tokens.filter((t) => t.kind === 'capture');
      if (captures.length > 1) {
        problems.push({
          message: `segment "${segment}" has ${captures.length} captures: a segment may hold at most one \`{name}\``,
          offset: captures[1]!.offset
        });
      }
      if (options.template) {
        const star = tokens.find((t) => t.kind === 'star');
        if (star) {
          problems.push({ message: 'output must not contain `*`: use `{name}` placeholders captured by match', offset: star.offset });
        }
      } else {
        for (const c of captures) {
          if (seen.has(c.value)) {
            problems.push({ message: `\`{${c.value}}\` is captured twice in match: give each capture its own name`, offset: c.offset });
          }
          seen.add(c.value);
        }
      }
    }
    offset += segment.length + 1;
  }
  return problems;
}

/** The `{name}` placeholders of a pattern or template, with their offsets, in order. */
export function placeholders(text: string): { name: string; offset: number }[] {
  const out: { name: string; offset: number }[] = [];
  const re = /\{([^{}/]*)\}/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push({ name: m[1]!, offset: m.index });
  return out;
}
