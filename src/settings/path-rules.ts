/**
 * What a path or glob that hydrate.yaml (or `--only`) names may look like: relative, inside the
 * repository, never `.git`, outputs never where git, GitHub or Hydrate's index read. Pure: where
 * a path leads once symlinks are resolved is checked by src/dry/path-safety.ts when a unit reads it.
 */
import { isAbsolute } from 'node:path';

const SAFE_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** The wet tree's index folder (`.hydrate/index.json`), which no unit may write into. */
export const WET_INDEX_DIR = '.hydrate';

/** The `extraArtifacts` setting as a folder path: a leading `./` and trailing `/` dropped. */
export function extraArtifactsFolder(setting: string): string {
  return setting.replace(/^(\.\/+)+/, '').replace(/\/+$/, '');
}

/** True for `.git` in any letter case: git's own folder (or a worktree's `.git` file). */
export function isGitSegment(segment: string): boolean {
  return segment.toLowerCase() === '.git';
}

/** True when some `/`-separated segment of `p` is `.git` (any case). */
export function hasGitSegment(p: string): boolean {
  return p.split('/').some(isGitSegment);
}

/**
 * Why a repo-relative POSIX path is unsafe, or undefined when it is fine. `what` names the
 * path in the message, e.g. `unit directory`.
 */
export function checkRelativePath(p: string, what: string): string | undefined {
  if (p === '') return `${what} is empty`;
  if (p.includes('\\')) return `${what} "${p}" contains a backslash: use \`/\` as separator`;
  if (p.startsWith('/') || isAbsolute(p)) return `${what} "${p}" is absolute: it must be relative to the repository root`;
  if (p === '.') return `${what} "${p}" is the repository root itself`;
  for (const segment of p.split('/')) {
    if (segment === '') return `${what} "${p}" has an empty path segment`;
    if (segment === '..') return `${what} "${p}" contains \`..\`: it must stay inside the repository`;
    if (segment === '.') return `${what} "${p}" contains a \`.\` segment: write the path without it`;
    if (isGitSegment(segment)) return `${what} "${p}" names \`${segment}\`: git's own folder is never read or written`;
    if (!SAFE_SEGMENT.test(segment)) {
      return `${what} "${p}" has segment ${JSON.stringify(segment)} with characters outside [A-Za-z0-9._-]: rename it`;
    }
  }
  return undefined;
}

/**
 * Why a unit's output folder (after its template is filled) may not be written, or undefined.
 * Besides checkRelativePath: not under `.github/` or any other top-level `.git*` name (workflows,
 * `.gitattributes`, `.gitmodules`), and not the index folder `.hydrate` (any letter case).
 */
export function checkOutputPath(p: string, what = 'output path'): string | undefined {
  const bad = checkRelativePath(p, what);
  if (bad) return bad;
  const first = p.split('/')[0]!.toLowerCase();
  if (first.startsWith('.git')) return `${what} "${p}" is under \`${p.split('/')[0]}\`: git and GitHub read that folder (workflows, attributes); choose another output`;
  if (first === WET_INDEX_DIR) return `${what} "${p}" is under \`${p.split('/')[0]}\`, Hydrate's own index folder: choose another output`;
  return undefined;
}

export const MAX_GLOB_LENGTH = 256;
export const MAX_STARS_PER_SEGMENT = 2;

/** Why a glob is refused, or undefined. `what` names it in the message, e.g. `--only`. */
export function globProblem(pattern: string, what: string): string | undefined {
  const shown = pattern.length > 60 ? `${JSON.stringify(pattern.slice(0, 60))}…` : JSON.stringify(pattern);
  if (pattern.length > MAX_GLOB_LENGTH) {
    return `${what} pattern ${shown} is ${pattern.length} characters long: at most ${MAX_GLOB_LENGTH} are accepted`;
  }
  for (const segment of pattern.split('/')) {
    if (segment === '**' || segment === '!**') continue;
    const stars = [...segment].filter((c) => c === '*').length;
    if (stars > MAX_STARS_PER_SEGMENT) {
      return `${what} pattern ${shown} has ${stars} \`*\` in the path segment ${JSON.stringify(segment)}: at most ${MAX_STARS_PER_SEGMENT} per segment are accepted (such patterns can take minutes to match); split it into several patterns`;
    }
  }
  return undefined;
}
