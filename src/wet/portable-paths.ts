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

const PLAIN_SEGMENT = /^[A-Za-z0-9_.-]*[A-Za-z0-9_-]$/;

/** Why one path segment cannot be checked out on Windows or macOS, or undefined. */
export function segmentProblem(segment: string): string | undefined {
  // Letters, digits, `_`, `-` and inner dots: only a device name (3 or 4 characters before the first dot) is a problem.
  if (PLAIN_SEGMENT.test(segment)) {
    const dot = segment.indexOf('.');
    const stem = dot === -1 ? segment : segment.slice(0, dot);
    return (stem.length === 3 || stem.length === 4) && RESERVED_NAME.test(stem) ? `"${stem}" is a reserved device name on Windows` : undefined;
  }
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

/** A folder (or the file) of a path, as far as `checkPortablePaths` looked at it. */
interface Level {
  /** Its prefix collides with another path's: the deeper ones were not keyed. */
  collides: boolean;
  /** The first segment down to it that cannot be checked out, and why. */
  bad: readonly [string, string] | undefined;
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
  // In sorted order the paths of a folder come together: what was found for the folders of the
  // previous path (the first bad segment down to each, whether one collides) holds for this one.
  let prev = '';
  let levels: Level[] = [];
  for (const p of [...paths].sort()) {
    let common = 0;
    const most = Math.min(p.length, prev.length);
    while (common < most && p.charCodeAt(common) === prev.charCodeAt(common)) common++;
    const mine: Level[] = [];
    let bad: Level['bad'];
    let stopped = false;
    let collision: string | undefined;
    let reusing = true;
    for (let start = 0, i = 0; ; i++) {
      const slash = p.indexOf('/', start);
      const end = slash === -1 ? p.length : slash;
      const cached = levels[i];
      if (reusing && cached !== undefined && end <= common && (end === prev.length || prev.charCodeAt(end) === 47)) {
        bad = cached.bad;
        stopped ||= cached.collides;
        mine.push(cached);
      } else {
        reusing = false;
        if (bad === undefined) {
          const segment = p.slice(start, end);
          const problem = segmentProblem(segment);
          if (problem !== undefined) bad = [segment, problem];
        }
        let collides = false;
        if (!stopped) {
          const prefix = p.slice(0, end);
          const key = portableKey(prefix);
          const first = seen.get(key);
          if (first === undefined) seen.set(key, prefix);
          else if (first !== prefix) {
            // One error per colliding folder or file, at the shallowest level where the paths meet.
            collides = stopped = true;
            if (!reported.has(key)) {
              reported.add(key);
              collision = first;
            }
          }
        }
        mine.push({ collides, bad });
      }
      if (slash === -1) break;
      start = slash + 1;
    }
    if (bad) error(p, `wet path of ${whose(p)} cannot be checked out on Windows or macOS: segment ${JSON.stringify(bad[0])}: ${bad[1]}; rename the object or the output folder`);
    if (collision !== undefined) {
      error(
        p,
        `wet path of ${whose(p)} and ${JSON.stringify(collision)} differ only in letter case or Unicode normalisation (NFC/NFD): on Windows and macOS they are the same path; rename one of them`
      );
    }
    prev = p;
    levels = mine;
  }
  return out;
}
