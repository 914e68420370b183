/**
 * Where the CLI may write its wet tree (`--out`): never the dry repository itself or a folder
 * holding it, never inside a `.git` folder, a unit's directory or an extra source (the next run
 * would read its own output as dry input, or prune what it reads). A folder of the repository
 * apart from those (the default `out/wet`) is fine. Pure: the caller resolves the paths.
 */
import { posix } from 'node:path';
import { hasGitSegment, isWithin } from './path-safety.js';

export interface OutDirContext {
  /** The dry repository root, resolved (symlinks followed), absolute POSIX. */
  repoRoot: string;
  /** Repository-relative directories of the units (all of them, selected or not). */
  unitDirs: readonly string[];
  /** Repository-relative paths of the config's extra sources. */
  sourceDirs: readonly string[];
  /** Repository-relative paths the units read besides their directories (kustomize bases, charts), when known. */
  closurePaths?: readonly string[];
}

/** True when `out` lies inside the repository (the caller then computes `closurePaths`). */
export function outInsideRepo(out: string, repoRoot: string): boolean {
  return out !== repoRoot && isWithin(repoRoot, out);
}

/** Why `out` (absolute, resolved as far as it exists) may not be the wet tree, or undefined. */
export function checkOutDir(out: string, shown: string, ctx: OutDirContext): string | undefined {
  const root = ctx.repoRoot;
  if (out === root) return `--out ${shown} is the dry repository itself: write the wet tree to a folder of its own (e.g. out/wet)`;
  if (isWithin(out, root)) return `--out ${shown} contains the dry repository ${root}: write the wet tree to a folder of its own`;
  if (!isWithin(root, out)) return undefined;
  const rel = out.slice(root.length + 1);
  if (hasGitSegment(rel)) return `--out ${shown} is inside a \`.git\` folder: write the wet tree to a folder of its own`;
  for (const dir of ctx.unitDirs) {
    if (isWithin(dir, rel) || isWithin(rel, dir)) {
      return `--out ${shown} overlaps the unit directory ${dir}: the next run would read the wet tree as dry input; write it outside the units`;
    }
  }
  for (const src of ctx.sourceDirs) {
    const s = posix.normalize(src.replace(/^\.\/+/, '').replace(/\/+$/, ''));
    if (isWithin(s, rel) || isWithin(rel, s)) return `--out ${shown} overlaps the source ${s}: write the wet tree to a folder of its own`;
  }
  for (const p of ctx.closurePaths ?? []) {
    if (p !== '' && (isWithin(p, rel) || isWithin(rel, p))) {
      return `--out ${shown} overlaps ${p}, which units read: the next run would read the wet tree as dry input; write it elsewhere`;
    }
  }
  return undefined;
}
