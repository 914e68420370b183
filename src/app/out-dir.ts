/**
 * Where a render may write: a wet directory given on the command line must not be the
 * repository, hold it, or overlap a unit, a source, what a unit reads, or `.git`.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../diagnostics.js';
import { discoverUnits } from '../dry/discover.js';
import { checkOutDir, outInsideRepo } from '../dry/out-dir.js';
import { unitClosure } from '../pipeline/incremental.js';
import type { FileReader } from '../ports.js';
import type { Settings } from '../settings/settings.js';

/** The path with symlinks resolved as far as it exists (the rest appended as written). */
function resolveExisting(p: string): string {
  const rest: string[] = [];
  let dir = p;
  for (;;) {
    try {
      return path.join(realpathSync.native(dir), ...rest.reverse());
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return p;
      rest.push(path.basename(dir));
      dir = up;
    }
  }
}

/** Exit 2 before anything is written when --out is the repository, holds it, or overlaps a unit, a source or .git. */
export async function refuseOutDir(outDir: string, shown: string, settings: Settings, files: FileReader): Promise<void> {
  const out = resolveExisting(outDir).split(path.sep).join('/');
  const repoRoot = resolveExisting(settings.repoRoot).split(path.sep).join('/');
  // The units, and what they read beyond their folders (kustomize bases, local charts): only
  // worked out when the wet tree would sit inside the repository (outside, they cannot overlap it).
  const inside = outInsideRepo(out, repoRoot);
  const { units } = inside ? await discoverUnits(settings, files) : { units: [] };
  const closurePaths = inside ? (await Promise.all(units.map((u) => unitClosure(u, settings, files)))).flatMap((c) => c.paths) : [];
  const problem = checkOutDir(out, shown, {
    repoRoot,
    unitDirs: units.map((u) => u.dir),
    sourceDirs: settings.config.sources.map((s) => s.path),
    closurePaths
  });
  if (problem) throw new ConfigError(problem);
}
