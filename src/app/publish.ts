/**
 * The publish use case: open the wet branch (read only, or to write the render onto it or onto
 * the pull-request branch) in a private working directory, render there as the run mode says, and
 * commit and push unless read only. Returns the last render (a push that lost a race renders again
 * onto the new tip) together with what was published.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { HydrateError } from '../diagnostics.js';
import { checkoutWetBranch, publishGroups, publishWetBranch, type GroupPublishResult, type PublishResult } from '../publish/wet-branch.js';
import type { ChangedUnit } from '../wet/groups.js';
import { renderRun, type RenderResult, type RenderRun } from './render-run.js';

export interface PublishRun {
  remoteUrl: string;
  token?: string;
  wetBranch: string;
  /** Where the render is committed: the wet branch (push), the pull-request branch, or nowhere (read only). */
  target: { kind: 'read-only' } | { kind: 'write'; branch: string; restart: boolean };
  /** Parent of the private working directory (removed afterwards). */
  tempDir: string;
  author: { name: string; email: string };
  message: string;
  trailers: Record<string, string>;
  render: RenderRun;
  /** Pull-request mode: a wet branch that does not exist is first created as one empty root commit with this message. */
  startWet?: { message: string };
}

export interface PublishOutcome extends RenderResult {
  published: PublishResult;
}

export async function publishRender(run: PublishRun): Promise<PublishOutcome> {
  const renders: RenderResult[] = [];
  const workDir = await mkdtemp(path.join(run.tempDir, 'hydrate-wet-'));
  try {
    const published = await publishWetBranch({
      remoteUrl: run.remoteUrl,
      ...(run.token ? { token: run.token } : {}),
      wetBranch: run.wetBranch,
      targetBranch: run.target.kind === 'write' ? run.target.branch : run.wetBranch,
      workDir,
      author: run.author,
      message: run.message,
      trailers: run.trailers,
      restartTarget: run.target.kind === 'write' && run.target.restart,
      ...(run.startWet ? { startWet: run.startWet } : {}),
      dryRun: run.target.kind === 'read-only',
      render: async (dir) => {
        const result = await renderRun(dir, run.render);
        renders.push(result);
        return result.applied;
      }
    });
    const last = renders.at(-1);
    if (!last) throw new HydrateError('nothing was rendered');
    return { ...last, published };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * A render that is never committed (a shard part): onto a read-only checkout of the wet branch's
 * tip, in a private working directory removed afterwards.
 */
export async function renderOnWetTip(run: Pick<PublishRun, 'remoteUrl' | 'token' | 'wetBranch' | 'tempDir' | 'render'>): Promise<RenderResult> {
  const workDir = await mkdtemp(path.join(run.tempDir, 'hydrate-wet-'));
  try {
    const checkout = await checkoutWetBranch({ remoteUrl: run.remoteUrl, ...(run.token ? { token: run.token } : {}), wetBranch: run.wetBranch, workDir });
    return await renderRun(checkout.dir, run.render);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

export interface GroupedPublishRun extends Omit<PublishRun, 'target'> {
  /** The branch of the group a changed unit belongs to. */
  branchOf: (unit: ChangedUnit) => string;
  /** Group branches whose pull request is open (updated in place). */
  inPlace: ReadonlySet<string>;
}

export interface GroupedPublishOutcome extends RenderResult {
  published: GroupPublishResult;
}

/** Pull-request mode with `group-by`: render once onto the wet tip, then one branch per group of changed units. */
export async function publishGroupedRender(run: GroupedPublishRun): Promise<GroupedPublishOutcome> {
  let last: RenderResult | undefined;
  const workDir = await mkdtemp(path.join(run.tempDir, 'hydrate-wet-'));
  try {
    const published = await publishGroups({
      remoteUrl: run.remoteUrl,
      ...(run.token ? { token: run.token } : {}),
      wetBranch: run.wetBranch,
      workDir,
      author: run.author,
      message: run.message,
      trailers: run.trailers,
      branchOf: run.branchOf,
      ...(run.startWet ? { startWet: run.startWet } : {}),
      inPlace: run.inPlace,
      render: async (dir) => {
        last = await renderRun(dir, run.render);
        return last.applied;
      }
    });
    if (!last) throw new HydrateError('nothing was rendered');
    return { ...last, published };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The commit message from its template: `{dry-repository}`, `{dry-sha}` and `{dry-sha-short}` filled in. */
export function wetCommitMessage(template: string, dryRepository: string, drySha: string): string {
  return template
    .replaceAll('{dry-repository}', dryRepository)
    .replaceAll('{dry-sha-short}', drySha.slice(0, 7))
    .replaceAll('{dry-sha}', drySha);
}
