import { describe, expect, it } from '@jest/globals';
import { planForEvent, type CheckoutHead } from '../../src/app/event-plan.js';
import type { ActionInputs } from '../../src/action/inputs.js';
import type { HydrateError } from '../../src/diagnostics.js';

const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const MERGE = 'c'.repeat(40);

function inputs(name: string, payload: Record<string, unknown>, allow = false): Pick<ActionInputs, 'mode' | 'event' | 'dryRepository' | 'allowPullRequestTargetHead'> {
  return { mode: 'pull-request', event: { name, payload }, dryRepository: { owner: 'acme', repo: 'platform' }, allowPullRequestTargetHead: allow };
}

function prPayload(headSha: unknown = HEAD, headRepo = 'someone/platform'): Record<string, unknown> {
  return { pull_request: { number: 6, head: { sha: headSha, ref: 'feature', repo: { full_name: headRepo } }, base: { ref: 'main' } } };
}

describe('planForEvent under pull_request_target', () => {
  const target = (checkout: CheckoutHead | undefined, payload = prPayload(), allow = false) =>
    planForEvent(inputs('pull_request_target', payload, allow), checkout);

  it('refuses a checkout of the PR head', () => {
    const plan = target({ sha: HEAD, parents: [BASE] });
    expect(plan.refuse).toMatch(/^refusing to render the pull request head under pull_request_target/);
    expect(plan.readOnly).toBe(true);
  });

  it('refuses a checkout of the PR merge commit (refs/pull/N/merge), whose parents include the head', () => {
    const plan = target({ sha: MERGE, parents: [BASE, HEAD] });
    expect(plan.refuse).toMatch(/^refusing to render the pull request head under pull_request_target/);
    expect(plan.refuse).toContain('merged into the base');
  });

  it('refuses when the checkout HEAD cannot be read, and says how to opt in', () => {
    const plan = target(undefined);
    expect(plan.refuse).toMatch(/HEAD of the checkout could not be read/);
    expect(plan.refuse).toContain('allow-pull-request-target-head: true');
  });

  it('refuses when the event names no head commit', () => {
    expect(target({ sha: BASE, parents: [] }, prPayload(null)).refuse).toMatch(/no pull request head commit/);
  });

  it('renders a checkout of the base branch (check mode, comment on the PR)', () => {
    const plan = target({ sha: BASE, parents: [MERGE] });
    expect(plan.refuse).toBeUndefined();
    expect(plan).toMatchObject({ mode: 'check', readOnly: false, dryPullNumber: 6 });
  });

  it('refuses a base checkout whose tracked files differ from the base commit (git checkout <pr-sha> -- .)', () => {
    const plan = target({ sha: BASE, parents: [], differs: 'files differ from the base commit bbbbbbbbbbbb: hydrate.yaml' });
    expect(plan.refuse).toMatch(/^refusing to render under pull_request_target: the workspace's tracked files differ from the base commit \(files differ .*hydrate\.yaml\)/);
    expect(plan.refuse).toContain('allow-pull-request-target-head: true');
    expect(target({ sha: BASE, parents: [], differs: 'x' }, prPayload(), true).refuse).toBeUndefined();
  });

  it('renders anything when opted in, even an unreadable checkout', () => {
    expect(target({ sha: HEAD, parents: [] }, prPayload(), true).refuse).toBeUndefined();
    expect(target(undefined, prPayload(), true).refuse).toBeUndefined();
  });
});

describe('planForEvent for other events', () => {
  it('never needs the checkout for pull_request (a fork PR is read-only)', () => {
    const plan = planForEvent(inputs('pull_request', prPayload()), undefined);
    expect(plan).toMatchObject({ mode: 'check', readOnly: true, dryPullNumber: 6 });
    expect(plan.refuse).toBeUndefined();
    expect(planForEvent(inputs('pull_request', prPayload(HEAD, 'acme/platform'))).readOnly).toBe(false);
  });

  it('treats a pull request whose head repository is gone (a deleted fork: head.repo null) as a fork', () => {
    const payload = { pull_request: { number: 8, head: { sha: HEAD, ref: 'feature', repo: null }, base: { ref: 'main' } } };
    expect(planForEvent(inputs('pull_request', payload))).toMatchObject({ mode: 'check', readOnly: true, dryPullNumber: 8 });
  });

  it('keeps the mode for push and marks schedule as drift', () => {
    expect(planForEvent(inputs('push', {}))).toMatchObject({ mode: 'pull-request', readOnly: false, drift: false });
    expect(planForEvent(inputs('schedule', {}))).toMatchObject({ mode: 'pull-request', drift: true });
  });

  it('renders a merge queue commit like check (never pushes, comments on no pull request), whatever the mode', () => {
    const payload = { merge_group: { head_sha: HEAD, base_sha: BASE, head_ref: 'refs/heads/gh-readonly-queue/main/pr-6-' + BASE } };
    for (const mode of ['pull-request', 'push', 'check'] as const) {
      const plan = planForEvent({ ...inputs('merge_group', payload), mode });
      expect(plan).toMatchObject({ mode: 'check', readOnly: false, drift: false });
      expect(plan.dryPullNumber).toBeUndefined();
      expect(plan.refuse).toBeUndefined();
      expect(plan.notices.length).toBe(mode === 'check' ? 0 : 1);
    }
  });

  it('runs repository_dispatch and workflow_dispatch with the mode input, as push', () => {
    expect(planForEvent({ ...inputs('repository_dispatch', { action: 'render' }), mode: 'push' })).toMatchObject({ mode: 'push', readOnly: false, drift: false });
    expect(planForEvent(inputs('workflow_dispatch', {}))).toMatchObject({ mode: 'pull-request', drift: false });
  });
});

describe('planForEvent: image updates and promotion', () => {
  const update = { images: [{ name: 'ghcr.io/acme/web', tag: '1.2.3', coordinates: { env: 'dev' } }], reviewers: ['alice'], repository: 'acme/web' };
  const dispatch = (action: string, clientPayload: unknown, more: Record<string, unknown> = {}) =>
    planForEvent({ ...inputs('repository_dispatch', { action, client_payload: clientPayload }), dispatchEventType: 'hydrate-images', ...more });
  const problems = (fn: () => unknown): string[] => {
    try {
      fn();
    } catch (e) {
      return (e as HydrateError).diagnostics.map((d) => `${d.file ?? ''}: ${d.message}`);
    }
    throw new Error('accepted');
  };

  it('reads the client_payload of a repository_dispatch of the configured type as an image update', () => {
    const plan = dispatch('hydrate-images', update);
    expect(plan).toMatchObject({ mode: 'pull-request', pins: { kind: 'images', update: { images: [{ name: 'ghcr.io/acme/web', tag: '1.2.3' }], reviewers: ['alice'], repository: 'acme/web' } } });
    expect(plan.notices).toEqual([]);
    // Another configured type.
    expect(planForEvent({ ...inputs('repository_dispatch', { action: 'web-built', client_payload: update }), dispatchEventType: 'web-built' }).pins?.kind).toBe('images');
  });

  it('names the dispatcher: the event sender who sent the image update', () => {
    const sent = planForEvent({ ...inputs('repository_dispatch', { action: 'hydrate-images', client_payload: update, sender: { login: 'bob' } }), dispatchEventType: 'hydrate-images' });
    expect(sent.pins).toMatchObject({ kind: 'images', dispatcher: 'bob' });
    expect(dispatch('hydrate-images', update).pins).not.toHaveProperty('dispatcher');
  });

  it('renders another dispatch type as on push, with a notice, without reading its payload', () => {
    const plan = dispatch('render', { anything: true });
    expect(plan.pins).toBeUndefined();
    expect(plan.mode).toBe('pull-request');
    expect(plan.notices).toEqual(['repository_dispatch of type "render" is not dispatch-event-type "hydrate-images": no image update; rendering as on push']);
  });

  it('lists every problem of a malformed payload at once', () => {
    const found = problems(() =>
      dispatch('hydrate-images', { images: [{ name: 'ghcr.io/acme/my web', tag: '1', digest: 'sha256:' + 'a'.repeat(64), units: ['x'] }, { name: 'ghcr.io/acme/api' }], extra: 1 })
    );
    expect(found.length).toBeGreaterThanOrEqual(4);
    expect(found.every((f) => f.startsWith('client_payload: '))).toBe(true);
    const text = found.join('\n');
    expect(text).toMatch(/unknown field "extra"/);
    expect(text).toMatch(/images\[0\]\.name/);
    expect(text).toMatch(/images\[0\]: gives both tag and digest/);
    expect(text).toMatch(/images\[1\]: gives neither tag nor digest/);
  });

  it('reads the payload input of a workflow_dispatch; text that is not JSON is an error naming the input', () => {
    const plan = planForEvent({ ...inputs('workflow_dispatch', { inputs: {} }), payload: JSON.stringify(update) });
    expect(plan.pins).toMatchObject({ kind: 'images', update: { repository: 'acme/web' } });
    expect(planForEvent(inputs('workflow_dispatch', {})).pins).toBeUndefined();
    expect(problems(() => planForEvent({ ...inputs('workflow_dispatch', {}), payload: '{images: [' }))[0]).toMatch(/^payload: input payload is not JSON/);
  });

  it('a promotion: both selectors parsed, every bad one reported', () => {
    expect(planForEvent({ ...inputs('workflow_dispatch', {}), promote: { from: 'env=staging', to: 'env=prod,cluster=a' } }).pins).toEqual({
      kind: 'promote',
      from: { env: 'staging' },
      to: { env: 'prod', cluster: 'a' }
    });
    const found = problems(() => planForEvent({ ...inputs('schedule', {}), promote: { from: 'staging', to: 'env=' } }));
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/input promote-from: .*"staging"/);
    expect(found[1]).toMatch(/input promote-to: .*"env="/);
  });

  it('check mode commits no pins: it renders the checkout as it is, with a notice', () => {
    const plan = planForEvent({ ...inputs('repository_dispatch', { action: 'hydrate-images', client_payload: update }), mode: 'check' });
    expect(plan.pins).toBeUndefined();
    expect(plan.mode).toBe('check');
    expect(plan.notices).toEqual(['check mode: the image update is not committed; rendering the checkout as it is']);
  });
});
