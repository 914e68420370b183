/**
 * Match patterns and output templates.
 *
 * A pattern is a repo-relative POSIX path whose segments are literals, `*` (any one segment) or
 * contain one `{name}` capture, optionally with literal text around it (`{env}.d`, `tf-{stack}`).
 * A pattern matches a path with the same number of segments, segment by segment.
 * An output template uses the same `{name}` placeholders and is filled from the captures.
 * The grammar (what a pattern may hold): src/settings/patterns.ts.
 */
import { patternProblems, tokenize, type PatternProblem } from '../settings/patterns.js';

export { PATTERN_CHARSET, patternProblems, placeholders, type PatternProblem } from '../settings/patterns.js';

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
