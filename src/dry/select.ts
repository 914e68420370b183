/**
 * The `only` filter (`--only`, action input `only`): globs over unit dirs or ids; a leading `!`
 * excludes. Units it leaves out keep their previous wet output.
 */
import picomatch from 'picomatch';
import type { Diagnostic } from '../diagnostics.js';
import type { Unit } from './unit.js';

export interface Selection {
  selected: Unit[];
  skipped: Unit[];
  /** A warning when the filter selects none of the units (most likely a typo). */
  diagnostics: Diagnostic[];
}

export function selectUnits(units: readonly Unit[], only: readonly string[]): Selection {
  if (only.length === 0) return { selected: [...units], skipped: [], diagnostics: [] };
  const include = only.filter((p) => !p.startsWith('!'));
  const exclude = only.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const inc = include.length > 0 ? picomatch(include, { dot: true }) : () => true;
  const exc = exclude.length > 0 ? picomatch(exclude, { dot: true }) : () => false;
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
