/**
 * What a run may do, decided from the event alone (pure): the effective mode, whether writes are
 * allowed, which dry PR to comment on, and whether the run must refuse to render.
 */
import type { ActionInputs, Mode } from './inputs.js';

export interface EventPlan {
  mode: Mode;
  /** No write calls and no push (fork PRs: the token is read-only). */
  readOnly: boolean;
  /** Dry-repo PR to post the rendered diff on. */
  dryPullNumber?: number;
  /** Scheduled re-hydration: a difference from the wet branch is drift. */
  drift: boolean;
  /** Set when the run must stop before rendering. */
  refuse?: string;
  notices: string[];
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

export function planForEvent(inputs: Pick<ActionInputs, 'mode' | 'event' | 'dryRepository' | 'allowPullRequestTargetHead' | 'drySha'>, headShaOfCheckout?: string): EventPlan {
  const { name, payload } = inputs.event;
  const pr = rec(payload['pull_request']);
  const notices: string[] = [];
  if (name === 'pull_request' || name === 'pull_request_target') {
    const number = typeof pr?.['number'] === 'number' ? (pr['number'] as number) : undefined;
    const headRepo = rec(rec(pr?.['head'])?.['repo'])?.['full_name'];
    const baseFull = `${inputs.dryRepository.owner}/${inputs.dryRepository.repo}`;
    const fromFork = typeof headRepo === 'string' && headRepo !== baseFull;
    const headSha = rec(pr?.['head'])?.['sha'];
    if (name === 'pull_request_target' && !inputs.allowPullRequestTargetHead && typeof headSha === 'string' && headShaOfCheckout === headSha) {
      return {
        mode: 'check',
        readOnly: true,
        drift: false,
        notices,
        refuse:
          'refusing to render the pull request head under pull_request_target: the checkout holds untrusted code from the PR and this event runs with a write token. Check out the base branch, use the pull_request event, or set allow-pull-request-target-head: true if you trust every PR author.'
      };
    }
    if (inputs.mode !== 'check') notices.push(`${name}: rendering only (check mode); the wet branch is updated when the change is merged`);
    if (fromFork && name === 'pull_request') {
      notices.push('pull request from a fork: the token is read-only, so the diff goes to the job summary and no comment is posted');
      return { mode: 'check', readOnly: true, drift: false, notices, ...(number !== undefined ? { dryPullNumber: number } : {}) };
    }
    return { mode: 'check', readOnly: false, drift: false, notices, ...(number !== undefined ? { dryPullNumber: number } : {}) };
  }
  return { mode: inputs.mode, readOnly: false, drift: name === 'schedule', notices };
}
