/**
 * The `only` filter (`--only`, action input `only`): globs over unit dirs or ids; a leading `!`
 * excludes. Units it leaves out keep their previous wet output.
 *
 * Globs are compiled to regular expressions (picomatch), which backtrack: extglobs (`*(a|b)`)
 * and many `*` in one path segment can keep a match busy for minutes. So extglobs are off
 * (`GLOB_OPTIONS`), a pattern is at most MAX_GLOB_LENGTH characters and holds at most
 * MAX_STARS_PER_SEGMENT `*` per path segment (a `**` segment aside); `globProblem` says why a
 * pattern is refused. The config's `exclude` globs follow the same rules.
 */
import picomatch from 'picomatch';
import type { Diagnostic } from '../diagnostics.js';
import type { Unit } from './unit.js';
import { globProblem } from '../settings/path-rules.js';

export { globProblem, MAX_GLOB_LENGTH, MAX_STARS_PER_SEGMENT } from '../settings/path-rules.js';

export const GLOB_OPTIONS = { dot: true, noextglob: true } as const;

export interface Selection {
  selected: Unit[];
  skipped: Unit[];
  /** A warning when the filter selects none of the units (most likely a typo); an error per refused pattern. */
  diagnostics: Diagnostic[];
}

export function selectUnits(units: readonly Unit[], only: readonly string[]): Selection {
  if (only.length === 0) return { selected: [...units], skipped: [], diagnostics: [] };
  const refused = only.map((p) => globProblem(p, '--only')).filter((m): m is string => m !== undefined);
  if (refused.length > 0) {
    return { selected: [], skipped: [...units], diagnostics: refused.map((message) => ({ severity: 'error', message })) };
  }
  const include = only.filter((p) => !p.startsWith('!'));
  const exclude = only.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const inc = include.length > 0 ? picomatch(include, GLOB_OPTIONS) : () => true;
  const exc = exclude.length > 0 ? picomatch(exclude, GLOB_OPTIONS) : () => false;
  const selected: Unit[] = [];
  const skipped: Unit[] = [];
  for (const u of units) {
    const hit = (inc(u.dir) || inc(u.id)) && !(exc(u.dir) || exc(u.id));
    (hit ? selected : skipped).push(u);
  }
  const diagnostics: Diagnostic[] =
    selected.length === 0 && units.length > 0
      ? [
          {
            severity: 'warning',
            message: `--only ${only.join(', ')} selects none of the ${units.length} units: give unit dirs or ids (e.g. ${units[0]!.id})`
          }
        ]
      : [];
  return { selected, skipped, diagnostics };
}
