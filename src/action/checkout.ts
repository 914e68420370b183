/**
 * What the workspace holds, for the pull_request_target guard: the checked-out commit, its
 * parents, and whether the tracked files are that trusted commit's tree. git runs with the
 * runner's own configuration (the one actions/checkout used, so line endings and symlinks are
 * read as they were written) but never with a token, and takes no lock on the index.
 */
import { execFile } from 'node:child_process';
import type { CheckoutHead } from '../app/event-plan.js';

interface Run {
  code: number;
  stdout: string;
}

function git(workspace: string, args: readonly string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'XDG_CONFIG_HOME', 'SystemRoot', 'TMPDIR', 'TEMP', 'TMP'] as const) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, { LANG: 'C', LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' });
  // `safe.directory` lets git read a workspace owned by another user (a container job).
  const argv = ['-c', `safe.directory=${workspace}`, ...args];
  return new Promise((resolve) => {
    execFile('git', argv, { cwd: workspace, env, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 128) : 0;
      resolve({ code, stdout: stdout ?? '' });
    });
  });
}

function listed(paths: readonly string[]): string {
  return paths.length <= 3 ? paths.join(', ') : `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`;
}

/**
 * The workspace's HEAD and its parents, or undefined when git cannot tell. With `base` (the
 * commit the event says is trusted, GITHUB_SHA), `differs` says how the tracked files differ
 * from it: uncommitted changes to tracked files, or a tree other than the base commit's.
 * Untracked files are not looked at (extra sources are often checked out inside the workspace).
 */
export async function readCheckout(workspace: string, base?: string): Promise<CheckoutHead | undefined> {
  const head = await git(workspace, ['rev-list', '--parents', '-n', '1', 'HEAD']);
  const [sha, ...parents] = head.stdout.trim().split(/\s+/);
  if (head.code !== 0 || !sha) return undefined;
  if (base === undefined) return { sha, parents };
  const status = await git(workspace, ['status', '--porcelain', '--untracked-files=no', '--no-renames']);
  if (status.code !== 0) return { sha, parents, differs: 'git status failed' };
  const changed = status.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.slice(3));
  if (changed.length > 0) return { sha, parents, differs: `uncommitted changes to tracked files: ${listed(changed)}` };
  if (!/^[0-9a-f]{40,64}$/i.test(base)) return { sha, parents, differs: 'the event names no base commit to compare with' };
  // The working tree against the base commit's tree (tracked paths, staged or not).
  const diff = await git(workspace, ['diff', '--name-only', '--no-renames', base, '--']);
  if (diff.code !== 0) return { sha, parents, differs: `the base commit ${base.slice(0, 12)} cannot be read in the checkout` };
  const paths = diff.stdout.split('\n').filter((l) => l !== '');
  if (paths.length > 0) return { sha, parents, differs: `files differ from the base commit ${base.slice(0, 12)}: ${listed(paths)}` };
  return { sha, parents };
}
