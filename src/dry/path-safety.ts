/**
 * Path safety: repo-relative paths that come from the dry tree or the config end up in wet
 * paths, unit ids and commands, so they are held to a small, safe character set and must stay
 * inside the repository (also through symlinks).
 */
import { isAbsolute } from 'node:path';
import type { FileReader } from '../ports.js';

const SAFE_SEGMENT = /^[A-Za-z0-9._-]+$/;

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
    if (!SAFE_SEGMENT.test(segment)) {
      return `${what} "${p}" has segment ${JSON.stringify(segment)} with characters outside [A-Za-z0-9._-]: rename it`;
    }
  }
  return undefined;
}

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
