/**
 * Wet paths every platform can check out. Linux takes any name, but a wet branch is also cloned
 * on Windows and macOS (reviewers, tools): there a name with a reserved character, a reserved
 * device name, a trailing dot or space fails or silently changes, and two paths that differ only
 * in case or Unicode normalisation (NFC/NFD) become one file. Pure.
 */
import type { Diagnostic } from '../diagnostics.js';

const RESERVED_CHARS = /[<>:"|?*\\]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Windows device names, reserved whatever the extension (`NUL.yml`, `con.tar.gz`). */
const RESERVED_NAME = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)$/i;

/** Why one path segment cannot be checked out on Windows or macOS, or undefined. */
export function segmentProblem(segment: string): string | undefined {
  const reserved = RESERVED_CHARS.exec(segment);
  if (reserved) return `"${reserved[0]}" is reserved on Windows`;
  if (CONTROL.test(segment)) return 'it holds a control character';
  const stem = segment.split('.')[0]!;
  if (RESERVED_NAME.test(stem.trimEnd())) return `"${stem}" is a reserved device name on Windows`;
  if (/[. ]$/.test(segment)) return 'Windows drops a trailing dot or space';
  return undefined;
}

/** The key under which case-insensitive, normalisation-insensitive file systems see a path. */
export function portableKey(p: string): string {
  // ASCII is its own normal form, and upper- then lower-casing it is lower-casing it.
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(p)) return p.toLowerCase();
  return p.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * Errors for wet paths that Windows or macOS cannot check out, or that would become one path
 * there; `unitOf` names the unit that writes a path (a per-resource path names its object:
 * `<Kind>.<name>.yml`).
 */
export function checkPortablePaths(paths: readonly string[], unitOf: (path: string) => string | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const whose = (p: string): string => JSON.stringify(p);
  const error = (p: string, message: string): void => {
    const unit = unitOf(p);
    out.push({ severity: 'error', ...(unit ? { unit } : {}), message });
  };
  // Every path and every folder above it, under its portable key.
  const seen = new Map<string, string>();
  const reported = new Set<string>();
  // Thousands of paths share their folders: each segment is judged, and each prefix keyed, once.
  const problems = new Map<string, string | undefined>();
  const problemOf = (segment: string): string | undefined => {
    if (problems.has(segment)) return problems.get(segment);
    const problem = segmentProblem(segment);
    problems.set(segment, problem);
    return problem;
  };
  const keys = new Map<string, string>();
  const keyOf = (prefix: string): string => {
    let key = keys.get(prefix);
    if (key === undefined) keys.set(prefix, (key = portableKey(prefix)));
    return key;
  };
  for (const p of [...paths].sort()) {
    const segments = p.split('/');
    const bad = segments.map((s) => [s, problemOf(s)] as const).find(([, problem]) => problem !== undefined);
    if (bad) error(p, `wet path of ${whose(p)} cannot be checked out on Windows or macOS: segment ${JSON.stringify(bad[0])}: ${bad[1]}; rename the object or the output folder`);
    let prefix = '';
    for (let i = 1; i <= segments.length; i++) {
      prefix = i === 1 ? segments[0]! : `${prefix}/${segments[i - 1]!}`;
      const key = keyOf(prefix);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, prefix);
      else if (first !== prefix) {
        // One error per colliding folder or file, at the shallowest level where the paths meet.
        if (!reported.has(key)) {
          reported.add(key);
          error(
            p,
            `wet path of ${whose(p)} and ${JSON.stringify(first)} differ only in letter case or Unicode normalisation (NFC/NFD): on Windows and macOS they are the same path; rename one of them`
          );
        }
        break;
      }
    }
  }
  return out;
}
