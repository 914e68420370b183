/**
 * What a run may do, decided from the event alone (pure): the effective mode, whether writes are
 * allowed, which dry PR to comment on, and whether the run must refuse to render.
 */
import { HydrateError, type Diagnostic } from '../diagnostics.js';
import { parseImageUpdate } from '../dry/pins/payload.js';
import { parseSelector } from '../dry/pins/plan.js';
import type { ActionInputs, Mode } from './action-inputs.js';
import type { PinRequest } from './pins.js';

interface PlanCommon {
  /** Dry-repo PR to post the rendered diff on. */
  dryPullNumber?: number;
  /** Scheduled re-hydration: a difference from the wet branch is drift. */
  drift: boolean;
  /** Set when the run must stop before rendering. */
  refuse?: string;
  notices: string[];
  /** Pins to change in the dry tree (an image update sent by dispatch, or a promotion) before rendering. */
  pins?: PinRequest;
}

/** A read-only plan is always a check: nothing is committed whatever the mode input says. */
export type EventPlan = PlanCommon &
  (
    | {
        mode: 'check';
        /** No write calls and no push (fork PRs: the token is read-only). */
        readOnly: boolean;
      }
    | { mode: Exclude<Mode, 'check'>; readOnly: false }
  );

/** The commit checked out in the workspace: its SHA and its parents' (two or more for a merge). */
export interface CheckoutHead {
  sha: string;
  parents: string[];
  /**
   * Set when the workspace's tracked files are not the trusted commit's tree (`git status` shows
   * changes, or `git diff <GITHUB_SHA>` does): what differs, for the message. A job that checks
   * out the base and then `git checkout <pr-sha> -- .` holds the PR's files under a base HEAD.
   */
  differs?: string;
}

const OPT_IN = 'set allow-pull-request-target-head: true if you trust every PR author';

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

/**
 * Under `pull_request_target` (a write token), the checkout must not be the PR head nor GitHub's
 * merge of it (`refs/pull/N/merge`, whose parents include the head). A checkout whose HEAD could
 * not be read (`checkout` undefined) is refused too: nothing shows that it is not the PR head.
 */
function pullRequestTargetRefusal(headSha: unknown, checkout: CheckoutHead | undefined): string | undefined {
  if (checkout === undefined) {
    return `refusing to render under pull_request_target: the HEAD of the checkout could not be read (is the workspace a git checkout?), so it may hold the untrusted pull request head while this event runs with a write token. Check out the base branch, use the pull_request event, or ${OPT_IN}.`;
  }
  if (typeof headSha !== 'string' || headSha === '') {
    return `refusing to render under pull_request_target: the event names no pull request head commit to compare the checkout with. Use the pull_request event, or ${OPT_IN}.`;
  }
  if (checkout.sha === headSha || checkout.parents.includes(headSha)) {
    return `refusing to render the pull request head under pull_request_target: the checkout holds untrusted code from the PR${checkout.sha === headSha ? '' : ' (merged into the base)'} and this event runs with a write token. Check out the base branch, use the pull_request event, or ${OPT_IN}.`;
  }
  if (checkout.differs !== undefined) {
    return `refusing to render under pull_request_target: the workspace's tracked files differ from the base commit (${checkout.differs}), so they may hold files from the untrusted pull request (e.g. after \`git checkout <pr-sha> -- .\`) while this event runs with a write token. Render a clean checkout of the base, use the pull_request event, or ${OPT_IN}.`;
  }
  return undefined;
}

type PinInputs = Partial<Pick<ActionInputs, 'dispatchEventType' | 'payload' | 'promote'>>;

/**
 * The pins a writing run changes first: a promotion (`mode: promote`), an image update in a
 * `repository_dispatch` of the configured type (its `client_payload`) or in a `workflow_dispatch`'s
 * `payload` input. Every problem of the payload or the selectors is thrown together.
 */
/** Who sent the event (`sender.login`): the dispatcher of an image update. */
function dispatcherOf(payload: Record<string, unknown>): { dispatcher?: string } {
  const login = rec(payload['sender'])?.['login'];
  return typeof login === 'string' && login !== '' ? { dispatcher: login } : {};
}

function pinRequest(inputs: PinInputs & Pick<ActionInputs, 'event'>, notices: string[]): PinRequest | undefined {
  const { name, payload } = inputs.event;
  if (inputs.promote) {
    const problems: Diagnostic[] = [];
    const selector = (text: string, input: string): Record<string, string> => {
      try {
        return parseSelector(text);
      } catch (e) {
        const found = e instanceof HydrateError ? e.diagnostics : [{ severity: 'error' as const, message: (e as Error).message }];
        problems.push(...found.map((d) => ({ ...d, message: `input ${input}: ${d.message}` })));
        return {};
      }
    };
    const from = selector(inputs.promote.from, 'promote-from');
    const to = selector(inputs.promote.to, 'promote-to');
    if (problems.length > 0) throw new HydrateError(problems, 2);
    return { kind: 'promote', from, to };
  }
  const type = inputs.dispatchEventType ?? 'hydrate-images';
  if (name === 'repository_dispatch') {
    const action = typeof payload['action'] === 'string' ? payload['action'] : '';
    if (action !== type) {
      notices.push(`repository_dispatch of type "${action}" is not dispatch-event-type "${type}": no image update; rendering as on push`);
      return undefined;
    }
    return { kind: 'images', update: parseImageUpdate(payload['client_payload'] ?? {}, 'client_payload'), ...dispatcherOf(payload) };
  }
  if (name === 'workflow_dispatch' && inputs.payload) {
    let json: unknown;
    try {
      json = JSON.parse(inputs.payload) as unknown;
    } catch (e) {
      throw new HydrateError({ severity: 'error', file: 'payload', message: `input payload is not JSON: ${(e as Error).message}` }, 2);
    }
    return { kind: 'images', update: parseImageUpdate(json, 'payload'), ...dispatcherOf(payload) };
  }
  return undefined;
}

/** `checkout` is read only for `pull_request_target` (undefined when it could not be read). */
export function planForEvent(
  inputs: Pick<ActionInputs, 'mode' | 'event' | 'dryRepository' | 'allowPullRequestTargetHead'> & PinInputs,
  checkout?: CheckoutHead
): EventPlan {
  const { name, payload } = inputs.event;
  const pr = rec(payload['pull_request']);
  const notices: string[] = [];
  if (name === 'pull_request' || name === 'pull_request_target') {
    const number = typeof pr?.['number'] === 'number' ? (pr['number'] as number) : undefined;
    const headRepo = rec(rec(pr?.['head'])?.['repo'])?.['full_name'];
    const baseFull = `${inputs.dryRepository.owner}/${inputs.dryRepository.repo}`;
    // A head repository that is gone (`head.repo: null`, a deleted fork) or unnamed is a fork:
    // only a named head repository equal to the base repository is not.
    const fromFork = headRepo !== baseFull;
    const headSha = rec(pr?.['head'])?.['sha'];
    const refuse = name === 'pull_request_target' && !inputs.allowPullRequestTargetHead ? pullRequestTargetRefusal(headSha, checkout) : undefined;
    if (refuse) return { mode: 'check', readOnly: true, drift: false, notices, refuse };
    if (inputs.mode !== 'check') notices.push(`${name}: rendering only (check mode); the wet branch is updated when the change is merged`);
    if (fromFork && name === 'pull_request') {
      notices.push('pull request from a fork: the token is read-only, so the diff goes to the job summary and no comment is posted');
      return { mode: 'check', readOnly: true, drift: false, notices, ...(number !== undefined ? { dryPullNumber: number } : {}) };
    }
    return { mode: 'check', readOnly: false, drift: false, notices, ...(number !== undefined ? { dryPullNumber: number } : {}) };
  }
  // A merge queue's commit is not merged yet: it is rendered and diffed (a failed render fails the
  // queue's check), never pushed; the wet branch is updated by the push that follows the merge.
  if (name === 'merge_group') {
    if (inputs.mode !== 'check') notices.push('merge_group: rendering only (check mode); the wet branch is updated when the queued change is merged');
    return { mode: 'check', readOnly: false, drift: false, notices };
  }
  const pins = pinRequest(inputs, notices);
  if (pins && inputs.mode === 'check') {
    notices.push(`check mode: the ${pins.kind === 'promote' ? 'promotion' : 'image update'} is not committed; rendering the checkout as it is`);
    return { mode: 'check', readOnly: false, drift: false, notices };
  }
  return { mode: inputs.mode, readOnly: false, drift: name === 'schedule', notices, ...(pins ? { pins } : {}) };
}
