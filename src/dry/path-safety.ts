/**
 * Path safety: repo-relative paths that come from the dry tree or the config end up in wet
 * paths, unit ids and commands, so they are held to a small, safe character set and must stay
 * inside the repository (also through symlinks). Git's own folder is never a path Hydrate reads
 * or writes: a `.git` segment, in any letter case (`.GIT` is `.git` on a case-insensitive
 * checkout), is refused wherever it appears, and so is a path that resolves into one.
 */
import { isAbsolute, posix } from 'node:path';
import type { FileReader } from '../ports.js';
import { checkRelativePath, hasGitSegment, isGitSegment } from '../settings/path-rules.js';

/** The rules a path the config names must follow, before it is resolved: src/settings/path-rules.ts. */
export {
  checkOutputPath,
  checkRelativePath,
  extraArtifactsFolder,
  hasGitSegment,
  isGitSegment,
  WET_INDEX_DIR
} from '../settings/path-rules.js';

/** True when `inner` is `root` or below it (both absolute, normalized). */
export function isWithin(root: string, inner: string): boolean {
  const r = root.endsWith('/') ? root.slice(0, -1) : root;
  return inner === r || inner.startsWith(`${r}/`) || r === '';
}

/**
 * Why `absPath` is not inside `repoRoot` once symlinks are resolved, or undefined when it is.
 * A path that does not exist is reported too.
 */
export async function checkInsideRepo(repoRoot: string, absPath: string, files: FileReader): Promise<string | undefined> {
  let root: string;
  try {
    root = await files.realpath(repoRoot);
  } catch {
    return `repository root ${repoRoot} does not exist`;
  }
  let real: string;
  try {
    real = await files.realpath(absPath);
  } catch {
    return `${absPath} does not exist (or is a broken symlink)`;
  }
  if (!isWithin(root, real)) {
    return `${absPath} resolves to ${real}, outside the repository ${root}: symlinks must not lead out of the repository`;
  }
  return undefined;
}

/** Like checkRelativePath for the shape that matters to containment only: relative, no `..`, no `.git`. */
function checkContainedPath(p: string, what: string): string | undefined {
  if (p === '') return `${what} is empty`;
  if (p.startsWith('/') || isAbsolute(p)) return `${what} "${p}" is absolute: it must be relative to the repository root`;
  for (const segment of p.split('/')) {
    if (segment === '..') return `${what} "${p}" contains \`..\`: it must stay inside the repository`;
    if (isGitSegment(segment)) return `${what} "${p}" names \`${segment}\`: git's own folder is never read or written`;
  }
  return undefined;
}

/** The nearest existing ancestor of `absPath` (itself when it exists), resolved; undefined when nothing resolves. */
async function realpathOfNearest(absPath: string, files: FileReader): Promise<string | undefined> {
  let p = absPath;
  for (;;) {
    try {
      return await files.realpath(p);
    } catch {
      const parent = posix.dirname(p);
      if (parent === p) return undefined;
      p = parent;
    }
  }
}

/**
 * Why a repo-relative path from the config or a dry file may not be read, or undefined when it
 * may: its text is unsafe (see checkRelativePath: no `..`, not absolute, no `.git` segment), or,
 * with symlinks resolved (a chain of links, and links in any parent folder, included), it lands
 * outside the repository or inside a `.git` folder. A path that does not exist is fine here
 * (callers say "not found" their own way); its nearest existing parent is checked instead.
 */
export async function checkRepoPath(
  repoRoot: string,
  rel: string,
  files: FileReader,
  what: string,
  options: { anyName?: boolean } = {}
): Promise<string | undefined> {
  // `anyName`: a path a tool reads (a kustomization's reference), not one Hydrate names things
  // after: any characters, but still no `..`, no absolute path and no `.git`.
  const bad = options.anyName ? checkContainedPath(rel, what) : checkRelativePath(rel, what);
  if (bad) return bad;
  let root: string;
  try {
    root = await files.realpath(repoRoot);
  } catch {
    return `repository root ${repoRoot} does not exist`;
  }
  const real = await realpathOfNearest(posix.join(repoRoot, rel), files);
  if (real === undefined) return undefined;
  if (!isWithin(root, real)) {
    return `${what} "${rel}" resolves to ${real}, outside the repository: symlinks must not lead out of the repository`;
  }
  const inside = real === root ? '' : real.slice(root.length + 1);
  if (hasGitSegment(inside)) {
    return `${what} "${rel}" resolves to ${inside}, inside a \`.git\` folder: git's own files are never read`;
  }
  return undefined;
}
