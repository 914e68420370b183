/**
 * `${{ ... }}` placeholders in a workspace claim's values:
 *   `${{ secret:<claim>.<key> }}`               a key of a SecretsClaim
 *   `${{ tfworkspace:<claim>:outputs.<name> }}` an output of another workspace
 * Each is replaced by `${{ references.<ref-name> }}` and listed in `spec.references`.
 * Anything else that starts with `${{` is an error; `${VAR}` and `<path:...>` pass through untouched.
 */
import type { PathKey } from '../claim-documents.js';

export type Placeholder =
  | { kind: 'secret'; claim: string; key: string; raw: string; path: PathKey[] }
  | { kind: 'tfworkspace'; claim: string; output: string; raw: string; path: PathKey[] };

export interface PlaceholderProblem {
  path: PathKey[];
  text: string;
}

const OPEN = '${{';
const SECRET = /^secret:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([A-Za-z0-9._-]+)$/;
const TFWORKSPACE = /^tfworkspace:([a-z0-9]([-a-z0-9]*[a-z0-9])?):outputs\.([A-Za-z0-9_-]+)$/;

/** Deterministic reference name: `secret-<claim>-<key>` / `tfworkspace-<claim>-<output>`, `[^A-Za-z0-9-]` → `_`. */
export function referenceName(p: Placeholder): string {
  const tail = p.kind === 'secret' ? `${p.claim}-${p.key}` : `${p.claim}-${p.output}`;
  return `${p.kind}-${tail}`.replace(/[^A-Za-z0-9-]/g, '_');
}

/**
 * Walks `values`, returning the rewritten copy, the placeholders found and the malformed ones.
 */
export function rewritePlaceholders(
  values: unknown,
  basePath: PathKey[]
): { value: unknown; placeholders: Placeholder[]; problems: PlaceholderProblem[] } {
  const placeholders: Placeholder[] = [];
  const problems: PlaceholderProblem[] = [];
  const walk = (v: unknown, path: PathKey[]): unknown => {
    if (typeof v === 'string') return rewriteString(v, path, placeholders, problems);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...path, k]);
      return out;
    }
    return v;
  };
  const value = walk(values, basePath);
  return { value, placeholders, problems };
}

function rewriteString(s: string, path: PathKey[], found: Placeholder[], problems: PlaceholderProblem[]): string {
  if (!s.includes(OPEN)) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const start = s.indexOf(OPEN, i);
    if (start === -1) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, start);
    const end = s.indexOf('}}', start + OPEN.length);
    if (end === -1) {
      problems.push({ path, text: s.slice(start) });
      out += s.slice(start);
      break;
    }
    const raw = s.slice(start, end + 2);
    const inner = s.slice(start + OPEN.length, end).trim();
    const sm = SECRET.exec(inner);
    const tm = TFWORKSPACE.exec(inner);
    let p: Placeholder | undefined;
    if (sm) p = { kind: 'secret', claim: sm[1]!, key: sm[3]!, raw, path };
    else if (tm) p = { kind: 'tfworkspace', claim: tm[1]!, output: tm[3]!, raw, path };
    if (p) {
      found.push(p);
      out += `\${{ references.${referenceName(p)} }}`;
    } else {
      problems.push({ path, text: raw });
      out += raw;
    }
    i = end + 2;
  }
  return out;
}
