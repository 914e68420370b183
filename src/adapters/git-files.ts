/**
 * What git knows of the dry tree's files, read in a few calls through the ProcessRunner port:
 * the blob id of every tracked file (`git ls-files -s -o`), and which paths git does not vouch for
 * (modified, untracked, ignored, flagged, symlinks, submodules), whose ids are then read from
 * their content (src/pipeline/file-ids.ts). Undefined, with a debug line, whenever git cannot
 * answer safely: not a repository, git missing or refusing (`safe.directory`), a name git cannot
 * give as UTF-8, or a `filter` attribute (a clean filter is a program; git would run it to
 * compare contents).
 *
 * No configuration of the repository can run a program here: fsmonitor hooks are off, the global
 * attributes file is ignored, and the check for modified files runs only when no path has a filter.
 */
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger, ProcessRunner } from '../ports.js';
import type { GitListing } from '../ports.js';

const SAFE_CONFIG = [
  '-c', 'core.fsmonitor=false',
  '-c', 'core.untrackedCache=false',
  '-c', 'core.ignoreStat=false',
  '-c', 'core.autocrlf=false',
  '-c', 'core.attributesFile=/dev/null',
  '-c', 'core.quotePath=false'
];

/** Attributes that make the working-tree file differ from its blob (the path is then read). */
const CONTENT_ATTRIBUTES = new Set(['eol', 'crlf', 'ident', 'working-tree-encoding']);

/**
 * False only when no attribute can apply: the dry root is the top of its repository (a `.git`
 * folder), which has no `info/attributes`, and no `.gitattributes` file is listed.
 */
function mayHaveAttributes(repoRoot: string, paths: readonly string[]): boolean {
  try {
    if (!lstatSync(join(repoRoot, '.git')).isDirectory()) return true;
  } catch {
    return true;
  }
  if (existsSync(join(repoRoot, '.git', 'info', 'attributes'))) return true;
  return paths.some((p) => p === '.gitattributes' || p.endsWith('/.gitattributes'));
}

function split(stdout: string): string[] {
  const parts = stdout.split('\u0000');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export async function readGitListing(exec: ProcessRunner, repoRoot: string, logger: Logger): Promise<GitListing | undefined> {
  const git = async (args: string[], input?: string): Promise<string> => {
    const r = await exec.run('git', [...SAFE_CONFIG, ...args], {
      cwd: repoRoot,
      env: { GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' },
      timeoutMs: 60_000,
      ...(input !== undefined ? { input } : {})
    });
    if (r.exitCode !== 0) throw new Error(`git ${args[0]} exited with ${r.exitCode}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    return r.stdout;
  };
  try {
    // Tracked files with their blob ids, and (`?`) every other path: untracked and ignored files,
    // and folders holding nothing tracked (`dir/`), which are read from disk whole.
    const listed = await git(['ls-files', '-z', '-v', '-s', '-o', '--directory']);
    if (listed.includes('\ufffd')) throw new Error('a file name is not UTF-8');
    const clean = new Map<string, string>();
    const dirty = new Set<string>();
    const opaque = new Set<string>();
    for (const line of split(listed)) {
      if (line.startsWith('? ')) {
        const path = line.slice(2);
        if (path.endsWith('/')) opaque.add(path.slice(0, -1));
        else dirty.add(path);
        continue;
      }
      // `<tag> <mode> <blob> <stage>\t<path>`; tag H is a plain cached file (S: skip-worktree, lowercase: assume-unchanged).
      const tab = line.indexOf('\t');
      const tag = line[0];
      const mode = line.slice(2, 8);
      const blob = line.slice(9, tab - 2);
      const stage = line[tab - 1];
      const path = line.slice(tab + 1);
      if (tab < 51 || line[1] !== ' ' || line[8] !== ' ' || line[tab - 2] !== ' ' || !/^\d{6}$/.test(mode) || !/^[0-9a-f]+$/.test(blob)) {
        throw new Error(`unexpected ls-files line ${JSON.stringify(line.slice(0, 80))}`);
      }
      if (mode === '160000') opaque.add(path);
      else if (tag !== 'H' || stage !== '0' || mode === '120000' || blob.length !== 40) {
        clean.delete(path);
        dirty.add(path);
      } else if (!dirty.has(path)) clean.set(path, blob);
    }
    if (clean.size === 0) throw new Error('no tracked file below the dry root');

    const all = [...clean.keys(), ...dirty];
    const attrs = mayHaveAttributes(repoRoot, all) ? split(await git(['check-attr', '-a', '-z', '--stdin'], `${all.join('\u0000')}\u0000`)) : [];
    for (let i = 0; i + 2 < attrs.length; i += 3) {
      const [path, attr, value] = [attrs[i]!, attrs[i + 1]!, attrs[i + 2]!];
      if (value === 'unspecified' || value === 'unset') continue;
      if (attr === 'filter') throw new Error(`${path} has the filter attribute ${value}`);
      if (CONTENT_ATTRIBUTES.has(attr) && !(attr === 'eol' && value === 'lf')) {
        clean.delete(path);
        dirty.add(path);
      }
    }
    // Modified (and deleted) tracked files: their index blob is stale.
    for (const path of split(await git(['ls-files', '-m', '-z']))) {
      clean.delete(path);
      dirty.add(path);
    }
    for (const path of opaque) clean.delete(path);
    logger.debug(`hydrate: dry file ids from git: ${clean.size} clean, ${dirty.size} read from content, ${opaque.size} not tracked`);
    return { clean, dirty, opaque };
  } catch (e) {
    logger.debug(`hydrate: dry file ids from content (git: ${(e as Error).message})`);
    return undefined;
  }
}
