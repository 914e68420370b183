/**
 * The base of a dry pull request, checked out beside the workspace: the commit the pull request's
 * own effect is measured from. For GitHub's merge checkout (`refs/pull/N/merge`: two parents, the
 * second the pull request head) it is the first parent, the target branch the change is merged
 * into; for a checkout of the head it is the merge base of the head with the target's base commit. Missing history is fetched
 * (shallow checkouts). The checkout is a detached `git worktree`, removed by `dispose`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { GitClient } from './git.js';

export interface BaseCheckout {
  sha: string;
  dir: string;
  dispose(): Promise<void>;
}

/** `pull_request.<side>.sha` of a pull_request event payload, if any. */
export function pullRequestSha(payload: Record<string, unknown>, side: 'base' | 'head'): string | undefined {
  const pr = payload['pull_request'];
  const ref = typeof pr === 'object' && pr !== null ? (pr as Record<string, unknown>)[side] : undefined;
  const sha = typeof ref === 'object' && ref !== null ? (ref as Record<string, unknown>)['sha'] : undefined;
  return typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

/**
 * Finds and checks out the base commit. Throws (with a message for the reader) when it cannot.
 */
export async function checkoutPullRequestBase(
  workspace: string,
  pull: { base?: string | undefined; head?: string | undefined },
  tempDir: string
): Promise<BaseCheckout> {
  const targetSha = pull.base;
  const git = new GitClient();
  const checkout = git.userCheckout(workspace);
  let dir: string | undefined;
  try {
    const head = await checkout.headParents();
    if (!head.ok) throw new Error(`cannot read the checked-out commit: ${head.stderr.trim()}`);
    const parents = head.parents;
    let sha: string | undefined;
    // GitHub's merge commit has the target branch first and the pull request head second; a head
    // that is itself a merge (main merged into the branch) is measured from the merge base.
    if (parents.length >= 2 && (pull.head !== undefined ? parents[1] === pull.head : targetSha === undefined)) {
      sha = parents[0]!;
      if (!(await checkout.hasCommit(sha))) await checkout.fetchCommit(sha, 'depth-1');
    } else {
      if (!targetSha) throw new Error('the event names no base commit of the pull request');
      if (!(await checkout.hasCommit(targetSha))) await checkout.fetchCommit(targetSha, 'history');
      let mb = await checkout.mergeBase('HEAD', targetSha);
      if (mb === undefined && (await checkout.isShallow())) {
        await checkout.fetchCommit(targetSha, 'unshallow');
        mb = await checkout.mergeBase('HEAD', targetSha);
      }
      if (mb === undefined) throw new Error(`no merge base of HEAD and ${targetSha.slice(0, 7)} (check out with fetch-depth: 0)`);
      sha = mb;
    }
    if (!(await checkout.hasCommit(sha))) throw new Error(`the base commit ${sha.slice(0, 7)} is not available (check out with fetch-depth: 0)`);
    dir = await mkdtemp(path.join(tempDir, 'hydrate-base-'));
    const add = await checkout.addWorktree(dir, sha);
    if (!add.ok) throw new Error(`cannot check out the base commit ${sha.slice(0, 7)}: ${add.stderr.trim()}`);
    const worktree = dir;
    return {
      sha,
      dir: worktree,
      dispose: async () => {
        await checkout.removeWorktree(worktree);
        await rm(worktree, { recursive: true, force: true });
        await checkout.pruneWorktrees();
        git.dispose();
      }
    };
  } catch (e) {
    if (dir) await rm(dir, { recursive: true, force: true });
    git.dispose();
    throw e;
  }
}
