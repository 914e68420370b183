/**
 * Match patterns and output templates.
 *
 * A pattern is a repo-relative POSIX path whose segments are literals, `*` (any one segment) or
 * contain one `{name}` capture, optionally with literal text around it (`{env}.d`, `tf-{stack}`).
 * A pattern matches a path with the same number of segments, segment by segment.
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

export interface CompiledSegment {
  /** The segment text as written. */
  source: string;
  /** True when the segment is a plain literal (no capture, no `*`). */
  literal: boolean;
  /** Capture name when the segment has one. */
  name?: string;
  regex: RegExp;
}

export interface CompiledPattern {
  source: string;
  segments: CompiledSegment[];
  /** Capture names in order of appearance. */
  names: string[];
  /** The leading literal segments joined with `/` ('' when the first segment is not literal). */
  literalPrefix: string;
}

export class PatternError extends Error {
  readonly problems: PatternProblem[];
  constructor(pattern: string, problems: PatternProblem[]) {
    super(`invalid pattern "${pattern}": ${problems.map((p) => p.message).join('; ')}`);
    this.name = 'PatternError';
    this.problems = problems;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Token {
  kind: 'text' | 'star' | 'capture';
  value: string;
  offset: number;
}

/** Splits one segment into literal text, `*` and `{name}` tokens; reports malformed braces. */
function tokenize(segment: string, base: number, problems: PatternProblem[]): Token[] {
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

const cache = new Map<string, CompiledPattern>();

/** Compiles a pattern; throws `PatternError` when it is malformed. */
export function compilePattern(pattern: string): CompiledPattern {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const problems = patternProblems(pattern);
  if (problems.length > 0) throw new PatternError(pattern, problems);
  const segments: CompiledSegment[] = [];
  const names: string[] = [];
  for (const segment of pattern.split('/')) {
    const tokens = tokenize(segment, 0, []);
    let re = '';
    let name: string | undefined;
    for (const t of tokens) {
      if (t.kind === 'text') re += escapeRegex(t.value);
      else if (t.kind === 'star') re += tokens.length === 1 ? '[^/]+' : '[^/]*';
      else {
        re += '([^/]+)';
        name = t.value;
        names.push(t.value);
      }
    }
    const literal = tokens.every((t) => t.kind === 'text');
    segments.push({ source: segment, literal, ...(name !== undefined ? { name } : {}), regex: new RegExp(`^${re}$`) });
  }
  const prefix: string[] = [];
  for (const s of segments) {
    if (!s.literal) break;
    prefix.push(s.source);
  }
  const compiled: CompiledPattern = { source: pattern, segments, names, literalPrefix: prefix.join('/') };
  cache.set(pattern, compiled);
  return compiled;
}

/** Matches one path segment against the pattern's segment at `index`; captures or undefined. */
export function matchSegment(pattern: CompiledPattern, index: number, segment: string): Record<string, string> | undefined {
  const s = pattern.segments[index];
  if (!s) return undefined;
  const m = s.regex.exec(segment);
  if (!m) return undefined;
  return s.name !== undefined ? { [s.name]: m[1]! } : {};
}

/**
 * Matches a repo-relative POSIX path (no leading `./`, no trailing `/`) against a pattern.
 * Returns the captured coordinates, or undefined when the path does not match.
 */
export function matchPath(pattern: string | CompiledPattern, path: string): Record<string, string> | undefined {
  const p = typeof pattern === 'string' ? compilePattern(pattern) : pattern;
  const parts = path.split('/');
  if (parts.length !== p.segments.length) return undefined;
  const coords: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const got = matchSegment(p, i, parts[i]!);
    if (!got) return undefined;
    Object.assign(coords, got);
  }
  return coords;
}

/** Fills an output template's `{name}` placeholders; throws when a name has no value. */
export function renderTemplate(output: string, coords: Readonly<Record<string, string>>): string {
  return output.replace(/\{([^{}/]*)\}/g, (_m, name: string) => {
    const v = Object.prototype.hasOwnProperty.call(coords, name) ? coords[name] : undefined;
    if (v === undefined) {
      throw new Error(`output "${output}" uses {${name}}, which match does not capture`);
    }
    return v;
  });
}
