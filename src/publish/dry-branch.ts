/**
 * Committing a pin change to the dry repository: the edited files on top of the commit the run
 * checked out, pushed with a lease either onto the checked-out branch itself (`push`) or onto a
 * branch of its own for a dry pull request. Done in a private repository (never the user's
 * checkout), through the `Git` verbs (the caller's client holds the token, never on argv).
 *
 * The edits were planned on the checked-out commit, so that commit is the only base: when the
 * branch has moved since, nothing is pushed and the run says so (planning again on the new tip is
 * a new run's job, which keeps the commit exactly what the plan said).
 */
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError, HydrateError } from '../diagnostics.js';
import type { Git, GitWorkTree } from '../ports.js';
import { checkWetPath } from '../formats/wet-index.js';
import { commitMessage, HYDRATE_VERSION_TRAILER } from './wet-branch.js';

/** One file's change (repository-relative path, whole text before and after). */
export interface DryFileEdit {
  path: string;
  before: string;
  after: string;
}

export interface DryCommitRequest {
  /** The dry repository, e.g. `${GITHUB_SERVER_URL}/${owner}/${repo}.git`, or a repository path. */
  remoteUrl: string;
  /** Git for `remoteUrl` (with its token: the composition root builds it). */
  git: Git;
  /** The checked-out branch and the commit the edits were planned on. */
  base: { branch: string; commit: string };
  /** Where the commit goes: `base.branch` (push) or a branch of its own (a dry pull request). */
  targetBranch: string;
  edits: readonly DryFileEdit[];
  /** Commit subject and body (trailers are added). */
  message: string;
  trailers: Record<string, string>;
  author: { name: string; email: string };
  /** An empty directory owned by the tool. */
  workDir: string;
}

export interface DryCommitResult {
  /** Something was pushed. */
  pushed: boolean;
  /** The commit holding the edits (pushed now, or already the target's tip); absent when nothing changes. */
  commit?: string;
  /** The push created the target branch. */
  created: boolean;
}

/** A repository-relative path that stays inside the repository and out of `.git`. */
function checkEditPath(p: string): void {
  if (checkWetPath(p) !== undefined || p.split('/')[0]!.toLowerCase() === '.git') {
    throw new HydrateError({ severity: 'error', file: p, message: 'a pin edit names a path outside the repository; nothing was committed' });
  }
}

/**
 * The base commit's tree may hold symlinks (checked out as links, or as small files holding the
 * target when git does not make links): an edit is never written through one, nor below a file.
 */
async function refuseSymlinks(root: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  let at = root;
  for (const [i, part] of parts.entries()) {
    at = join(at, part);
    const st = await lstat(at).catch(() => undefined);
    if (st === undefined) return;
    if (st.isSymbolicLink() || (i < parts.length - 1 && !st.isDirectory())) {
      throw new HydrateError({ severity: 'error', file: rel, message: `a pin edit would be written through a symlink (or below a file) at ${parts.slice(0, i + 1).join('/')} in the dry repository; nothing was committed` });
    }
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function commitDryEdits(req: DryCommitRequest): Promise<DryCommitResult> {
  for (const e of req.edits) checkEditPath(e.path);
  if (req.remoteUrl.startsWith('-') || req.remoteUrl.trim() === '') throw new ConfigError(`invalid remote ${JSON.stringify(req.remoteUrl)}`);
  const git = req.git;
  for (const branch of new Set([req.base.branch, req.targetBranch])) {
    if (!(await git.isValidBranchName(branch))) throw new ConfigError(`invalid branch name ${JSON.stringify(branch)}`);
  }
  const repo = await git.initWorkTree(req.workDir);
  const branches = [...new Set([req.base.branch, req.targetBranch])];
  const listed = await repo.listHeads(req.remoteUrl, branches);
  if (!listed.ok) throw new HydrateError(`cannot read ${branches.join(', ')} from the dry repository: ${listed.stderr.trim()}`);
  const baseTip = listed.heads.get(req.base.branch);
  if (baseTip !== req.base.commit) {
    throw new HydrateError(
      baseTip === undefined
        ? `the dry branch ${req.base.branch} does not exist on the remote; nothing was committed`
        : `the dry branch ${req.base.branch} moved since this run checked it out (${req.base.commit.slice(0, 12)} → ${baseTip.slice(0, 12)}); nothing was committed: run again on the new tip`
    );
  }
  const present = branches.filter((b) => listed.heads.has(b));
  const fetched = await repo.fetchTips(req.remoteUrl, present);
  if (!fetched.ok) throw new HydrateError(`cannot fetch ${present.join(', ')} from the dry repository: ${fetched.stderr.trim()}`);
  const targetTip = req.targetBranch === req.base.branch ? baseTip : listed.heads.has(req.targetBranch) ? await repo.tipOf(req.targetBranch) : undefined;
  if (targetTip !== undefined && targetTip !== baseTip) await assertOnlyOurCommits(repo, req.targetBranch, targetTip, baseTip);

  await mkdir(repo.tree, { recursive: true });
  await repo.readTree(baseTip);
  for (const e of req.edits) {
    const file = join(repo.tree, ...e.path.split('/'));
    await refuseSymlinks(repo.tree, e.path);
    const now = await readText(file);
    if ((now ?? '') !== e.before) {
      throw new HydrateError({ severity: 'error', file: e.path, message: `differs in ${req.base.branch} at ${baseTip.slice(0, 12)} from the file the pins were planned on (uncommitted changes in the workspace?); nothing was committed` });
    }
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, e.after);
  }
  await repo.stageAll();
  const tree = await repo.writeTree();
  if (tree === (await repo.treeOf(baseTip))) return { pushed: false, created: false };
  // The same change already waits on its branch (the same dispatch again): nothing to push.
  if (targetTip !== undefined && targetTip !== baseTip && tree === (await repo.treeOf(targetTip)) && (await repo.isAncestor(baseTip, targetTip))) {
    return { pushed: false, commit: targetTip, created: false };
  }
  const commit = await repo.commitTree(tree, [baseTip], commitMessage(req.message, req.trailers), req.author);
  const push = await repo.pushWithLease(req.remoteUrl, commit, req.targetBranch, targetTip);
  if (!push.ok) {
    const declined = /\[remote rejected\][^\n]*\(([^)\n]*)\)/.exec(push.output);
    throw new HydrateError(
      declined
        ? `the dry repository refused the push to ${req.targetBranch} (${declined[1]}); check branch protection rules and the token's permissions (contents: write), or use dry-commit: pull-request`
        : `pushing ${req.targetBranch} to the dry repository failed (another run moved it?): ${push.output.trim()}`
    );
  }
  return { pushed: true, commit, created: targetTip === undefined };
}

/** A dry pull-request branch holds only Hydrate's commits on top of the base: anything else is somebody's work. */
async function assertOnlyOurCommits(repo: GitWorkTree, branch: string, tip: string, base: string): Promise<void> {
  for (const c of await repo.log(tip, base, HYDRATE_VERSION_TRAILER)) {
    if (!c.trailer.trim()) {
      throw new HydrateError(
        `branch ${branch} has commits that hydrate did not make (${c.sha.slice(0, 12)} by ${c.author}: ${c.subject}); hydrate will not overwrite them. Merge its pull request, or delete the branch.`
      );
    }
  }
}

/** A branch name from free text: `hydrate/images/ghcr.io-acme-web-1.2.3`. */
export function dryBranchName(prefix: string, parts: readonly string[]): string {
  const slug = parts
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .replace(/\.lock$/i, '-lock')
    .slice(0, 100)
    .replace(/[-.]+$/g, '');
  return `${prefix}/${slug || 'update'}`;
}
