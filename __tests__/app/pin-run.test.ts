import { describe, expect, it } from '@jest/globals';
import { humanReviewers, pinNote } from '../../src/app/pin-run.js';
import type { PinPlan } from '../../src/dry/pins/plan.js';

const plan: PinPlan = {
  edits: [],
  changes: [
    { unit: 'kubernetes:apps/web/envs/prod', image: 'ghcr.io/acme/web', file: 'apps/web/envs/prod/kustomization.yaml', from: '1.0.0', to: '1.1.0' },
    { unit: 'kubernetes:apps/api/envs/prod', image: 'ghcr.io/acme/api', file: 'apps/api/envs/prod/kustomization.yaml', to: '2.0.0' }
  ],
  notes: ['kubernetes:apps/cache/envs/prod: no unit matches env=staging with app=cache']
};

describe('what the pull requests say about a pin change', () => {
  it('an image update names its sender repository and images, then each unit\'s change', () => {
    const note = pinNote({ kind: 'images', update: { images: [{ name: 'ghcr.io/acme/web', tag: '1.1.0', units: ['x'] }], reviewers: [], repository: 'acme/web' } }, { ...plan, notes: [] });
    expect(note.split('\n')).toEqual([
      '**Image update from acme/web:** `ghcr.io/acme/web` 1.1.0.',
      '',
      '- `kubernetes:apps/web/envs/prod`: `ghcr.io/acme/web` 1.0.0 → 1.1.0 (`apps/web/envs/prod/kustomization.yaml`)',
      '- `kubernetes:apps/api/envs/prod`: `ghcr.io/acme/api` (not pinned) → 2.0.0 (`apps/api/envs/prod/kustomization.yaml`)'
    ]);
  });

  it('a promotion lists every change, from → to per unit, and what was not promoted', () => {
    const note = pinNote({ kind: 'promote', from: { env: 'staging' }, to: { env: 'prod' } }, plan);
    expect(note).toContain('**Promotion env=staging → env=prod:**');
    expect(note).toContain('`ghcr.io/acme/web` 1.0.0 → 1.1.0');
    expect(note).toContain('**Not changed:**\n- kubernetes:apps/cache/envs/prod: no unit matches env=staging with app=cache');
  });

  it('reviewers: the payload\'s, without bot accounts or repeats', () => {
    expect(humanReviewers({ images: [], reviewers: ['alice', 'renovate[bot]', 'acme/platform', 'alice', 'Web-CI[BOT]'] })).toEqual(['alice', 'acme/platform']);
    expect(humanReviewers(undefined)).toEqual([]);
    // The dispatcher (the event's sender) is asked too, unless it is a bot or already listed.
    expect(humanReviewers({ images: [], reviewers: ['alice'] }, 'bob')).toEqual(['alice', 'bob']);
    expect(humanReviewers({ images: [], reviewers: ['alice'] }, 'alice')).toEqual(['alice']);
    expect(humanReviewers({ images: [], reviewers: [] }, 'web-ci[bot]')).toEqual([]);
  });
});
