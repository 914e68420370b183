/**
 * What to change in the wet tree to get from the previous state to the next layout. Hydrate
 * only ever touches paths it owns: the previous index's paths (plus the index itself) may be
 * rewritten or deleted; any other file (README.md, .github/, another tool's output, even inside a
 * unit's folder) is left alone, and a next file that would overwrite one is refused.
 */
import type { Diagnostic } from '../diagnostics.js';
import { cmp } from '../resources/resource.js';
import { ownedPaths, type WetFile, type WetLayout } from './layout.js';
import type { WetIndex } from './wet-index.js';

export interface WetPlan {
  /** Files to create or replace, sorted by path. */
  writes: WetFile[];
  /** Owned paths that are no longer produced and exist in the previous tree, sorted. */
  deletes: string[];
  /** Next files whose content is already in place, sorted. */
  unchanged: string[];
  /** Errors that forbid applying the plan (refused overwrites), plus the layout's own. */
  diagnostics: Diagnostic[];
}

export async function planWetUpdate(
  previousIndex: WetIndex | undefined,
  readPrevious: (path: string) => Promise<string | undefined>,
  next: WetLayout
): Promise<WetPlan> {
  const owned = new Set(ownedPaths(previousIndex));
  const nextPaths = new Set(next.files.map((f) => f.path));
  const writes: WetFile[] = [];
  const unchanged: string[] = [];
  const diagnostics: Diagnostic[] = [...next.diagnostics];

  const previous = await Promise.all(next.files.map((f) => readPrevious(f.path)));
  next.files.forEach((file, i) => {
    const before = previous[i];
    if (before === undefined) {
      writes.push(file);
    } else if (!owned.has(file.path)) {
      diagnostics.push({
        severity: 'error',
        file: file.path,
        message: `refusing to overwrite ${file.path}: it exists in the wet tree but was not written by hydrate (move it, or delete it)`
      });
    } else if (before === file.content) {
      unchanged.push(file.path);
    } else {
      writes.push(file);
    }
  });

  const gone = [...owned].filter((p) => !nextPaths.has(p));
  const present = await Promise.all(gone.map((p) => readPrevious(p)));
  const deletes = gone.filter((_, i) => present[i] !== undefined);

  return {
    writes: writes.sort((a, b) => cmp(a.path, b.path)),
    deletes: deletes.sort(cmp),
    unchanged: unchanged.sort(cmp),
    diagnostics
  };
}

/** True when applying the plan would change nothing. */
export function isEmptyPlan(plan: WetPlan): boolean {
  return plan.writes.length === 0 && plan.deletes.length === 0;
}
