/**
 * A branch per group: each group branch holds the wet tree plus only its units' files and index
 * entries; merging one never carries another's change; an open group is updated in place onto a
 * new wet tip; a new wet branch starts from one empty root commit.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishGroups, publishWetBranch, type GroupPublishRequest } from '../../src/publish/wet-branch.js';
import { serializeIndex, unitRecord, type WetIndex, type WetIndexUnit } from '../../src/formats/wet-index.js';
import { HydrateError } from '../../src/diagnostics.js';

const ENV = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C', GIT_AUTHOR_NAME: 'H', GIT_AUTHOR_EMAIL: 'h@example.com', GIT_COMMITTER_NAME: 'H', GIT_COMMITTER_EMAIL: 'h@example.com' };
let tmp: string;
let remote: string;
let n = 0;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...ENV, HOME: tmp }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\n$/, '');
}
const tip = (b: string): string | undefined => {
  try {
    return git(remote, 'rev-parse', '--verify', '-q', `refs/heads/${b}`);
  } catch {
    return undefined;
  }
};
const show = (ref: string, p: string): string => git(remote, 'show', `${ref}:${p}`);
const ls = (ref: string): string[] => git(remote, 'ls-tree', '-r', '--name-only', ref).split('\n').filter(Boolean);
function workDir(): string {
  const d = join(tmp, `work-${n++}`);
  mkdirSync(d);
  return d;
}

/** A wet tree of units `env` → replicas, with its index, as the pipeline writes it. */
function tree(units: Record<string, number>): Record<string, string> {
  const files: Record<string, string> = {};
  const entries: [string, WetIndexUnit][] = [];
  for (const [env, replicas] of Object.entries(units)) {
    const p = `clusters/${env}/web/Deployment.web.yml`;
    files[p] = `kind: Deployment\nspec:\n  replicas: ${replicas}\n`;
    entries.push([`kubernetes:apps/web/${env}`, { renderer: 'kubernetes', dir: `apps/web/${env}`, coordinates: { app: 'web', env }, output: `clusters/${env}/web`, paths: [p], digest: `d-${env}-${replicas}` }]);
  }
  const index: WetIndex = { version: 1, generator: 'hydrate test', units: unitRecord(entries) };
  files['.hydrate/index.json'] = serializeIndex(index);
  return files;
}

function render(content: Record<string, string>): (dir: string) => Promise<boolean> {
  return async (dir) => {
    rmSync(join(dir, 'clusters'), { recursive: true, force: true });
    for (const [p, c] of Object.entries(content)) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
    return true;
  };
}

const base = {
  wetBranch: 'deployment',
  author: { name: 'hydrate[bot]', email: 'hydrate@example.com' },
  message: 'hydrate: render',
  trailers: { 'Hydrate-Version': '0.1.0' },
  backoffMs: 1
};

function groupRequest(over: Partial<GroupPublishRequest> & Pick<GroupPublishRequest, 'render'>): GroupPublishRequest {
  return { ...base, remoteUrl: remote, workDir: workDir(), branchOf: (u) => `hydrate/deployment/env-${u.coordinates['env']}`, inPlace: new Set(), ...over };
}

async function pushWet(content: Record<string, string>): Promise<string> {
  const r = await publishWetBranch({ ...base, remoteUrl: remote, targetBranch: 'deployment', workDir: workDir(), render: render(content) });
  return r.commit ?? tip('deployment')!;
}

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hydrate-groups-'));
  remote = join(tmp, 'remote.git');
  git(tmp, 'init', '--quiet', '--bare', remote);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('publishGroups', () => {
  it('gives each group of changed units its own branch: the wet tree plus only that group', async () => {
    const wet = await pushWet(tree({ dev: 1, prod: 1, qa: 1 }));
    const r = await publishGroups(groupRequest({ render: render(tree({ dev: 2, prod: 3, qa: 1 })) }));
    expect(r.baseTip).toBe(wet);
    expect(r.groups.map((g) => [g.branch, g.units, g.created])).toEqual([
      ['hydrate/deployment/env-dev', ['kubernetes:apps/web/dev'], true],
      ['hydrate/deployment/env-prod', ['kubernetes:apps/web/prod'], true]
    ]);
    const dev = 'hydrate/deployment/env-dev';
    expect(show(dev, 'clusters/dev/web/Deployment.web.yml')).toContain('replicas: 2');
    expect(show(dev, 'clusters/prod/web/Deployment.web.yml')).toContain('replicas: 1');
    // The index of the dev branch: dev's new entry, prod's old one.
    const devIndex = JSON.parse(show(dev, '.hydrate/index.json')) as WetIndex;
    expect(devIndex.units['kubernetes:apps/web/dev']!.digest).toBe('d-dev-2');
    expect(devIndex.units['kubernetes:apps/web/prod']!.digest).toBe('d-prod-1');
    expect(git(remote, 'log', '-1', '--format=%P', dev)).toBe(wet);
    const prod = 'hydrate/deployment/env-prod';
    expect(show(prod, 'clusters/dev/web/Deployment.web.yml')).toContain('replicas: 1');
    expect(show(prod, 'clusters/prod/web/Deployment.web.yml')).toContain('replicas: 3');
    // The two groups together are the full render.
    expect(git(remote, 'diff', 'deployment', dev, '--name-only').split('\n')).toEqual(['.hydrate/index.json', 'clusters/dev/web/Deployment.web.yml']);
  });

  it('adds and removes a unit\'s files with its group only', async () => {
    await pushWet(tree({ dev: 1, prod: 1 }));
    const next = tree({ prod: 1, qa: 4 });
    const r = await publishGroups(groupRequest({ render: render(next) }));
    expect(r.groups.map((g) => g.branch)).toEqual(['hydrate/deployment/env-dev', 'hydrate/deployment/env-qa']);
    expect(ls('hydrate/deployment/env-dev')).toEqual(['.hydrate/index.json', 'clusters/prod/web/Deployment.web.yml']);
    expect(ls('hydrate/deployment/env-qa')).toEqual(['.hydrate/index.json', 'clusters/dev/web/Deployment.web.yml', 'clusters/prod/web/Deployment.web.yml', 'clusters/qa/web/Deployment.web.yml']);
    expect(Object.keys((JSON.parse(show('hydrate/deployment/env-dev', '.hydrate/index.json')) as WetIndex).units)).toEqual(['kubernetes:apps/web/prod']);
  });

  it('after one group merged, updates the other in place onto the new wet tip, holding only its own change', async () => {
    await pushWet(tree({ dev: 1, prod: 1 }));
    const first = await publishGroups(groupRequest({ render: render(tree({ dev: 2, prod: 3 })) }));
    const prodTip = first.groups[1]!.commit!;
    // dev's pull request merges (fast-forward).
    git(remote, 'update-ref', 'refs/heads/deployment', first.groups[0]!.commit!);
    const inPlace = new Set(['hydrate/deployment/env-prod']);
    const second = await publishGroups(groupRequest({ render: render(tree({ dev: 2, prod: 3 })), inPlace }));
    expect(second.groups.map((g) => g.branch)).toEqual(['hydrate/deployment/env-prod']);
    const newTip = tip('hydrate/deployment/env-prod')!;
    expect(git(remote, 'log', '-1', '--format=%P', newTip)).toBe(`${prodTip} ${tip('deployment')}`);
    expect(git(remote, 'diff', 'deployment', newTip, '--name-only').split('\n')).toEqual(['.hydrate/index.json', 'clusters/prod/web/Deployment.web.yml']);
    // Nothing new: nothing pushed.
    const third = await publishGroups(groupRequest({ render: render(tree({ dev: 2, prod: 3 })), inPlace }));
    expect(third.groups).toEqual([{ branch: 'hydrate/deployment/env-prod', units: ['kubernetes:apps/web/prod'], upToDate: true, created: false }]);
    expect(tip('hydrate/deployment/env-prod')).toBe(newTip);
  });

  it('starts a group branch afresh from the wet tip when its pull request is not open', async () => {
    await pushWet(tree({ dev: 1 }));
    await publishGroups(groupRequest({ render: render(tree({ dev: 2 })) }));
    const r = await publishGroups(groupRequest({ render: render(tree({ dev: 5 })) }));
    expect(r.groups[0]!.created).toBe(false);
    expect(git(remote, 'log', '-1', '--format=%P', 'hydrate/deployment/env-dev')).toBe(tip('deployment'));
  });

  it('refuses to update a group branch in place that holds a commit Hydrate did not make', async () => {
    await pushWet(tree({ dev: 1 }));
    await publishGroups(groupRequest({ render: render(tree({ dev: 2 })) }));
    const clone = join(tmp, 'human');
    git(tmp, 'clone', '-q', '--branch', 'hydrate/deployment/env-dev', remote, clone);
    writeFileSync(join(clone, 'NOTE.md'), 'x\n');
    git(clone, 'add', '-A');
    git(clone, 'commit', '-qm', 'human');
    git(clone, 'push', '-q', 'origin', 'HEAD:refs/heads/hydrate/deployment/env-dev');
    await expect(publishGroups(groupRequest({ render: render(tree({ dev: 3 })), inPlace: new Set(['hydrate/deployment/env-dev']) }))).rejects.toThrow(HydrateError);
  });

  it('pushes nothing when the render is aborted', async () => {
    await pushWet(tree({ dev: 1 }));
    const r = await publishGroups(groupRequest({ render: async () => false }));
    expect(r.aborted).toBe(true);
    expect(git(remote, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/deployment');
  });
});

describe('startWet: a wet branch that does not exist starts as one empty root commit', () => {
  const startWet = { message: 'hydrate: start the wet branch' };

  it('grouped: found in the listing that reads the tips; the group branches are based on it', async () => {
    const r = await publishGroups(groupRequest({ render: render(tree({ dev: 1 })), startWet }));
    const root = tip('deployment')!;
    expect(r.startedWet).toBe(root);
    expect(git(remote, 'log', '--format=%P', 'deployment')).toBe('');
    expect(ls('deployment')).toEqual([]);
    expect(git(remote, 'rev-parse', 'deployment^{tree}')).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    expect(git(remote, 'log', '-1', '--format=%P', r.groups[0]!.branch)).toBe(root);
    // The next run finds the branch and leaves it alone.
    const again = await publishGroups(groupRequest({ render: render(tree({ dev: 2 })), startWet }));
    expect(again.startedWet).toBeUndefined();
    expect(tip('deployment')).toBe(root);
  });

  it('one pull-request branch: the same; push mode never starts it empty', async () => {
    const r = await publishWetBranch({ ...base, remoteUrl: remote, targetBranch: 'hydrate/deployment', workDir: workDir(), render: render(tree({ dev: 1 })), startWet });
    const root = tip('deployment')!;
    expect(r.startedWet).toBe(root);
    expect(ls('deployment')).toEqual([]);
    expect(git(remote, 'log', '-1', '--format=%P', 'hydrate/deployment')).toBe(root);
    git(remote, 'update-ref', '-d', 'refs/heads/deployment');
    const pushed = await publishWetBranch({ ...base, remoteUrl: remote, targetBranch: 'deployment', workDir: workDir(), render: render(tree({ dev: 1 })), startWet });
    expect(pushed.startedWet).toBeUndefined();
    expect(ls('deployment').length).toBeGreaterThan(0);
  });
});

describe('branch names that git cannot hold together', () => {
  it('names the branch that blocks a group branch (the PR branch from before group-by), at once', async () => {
    await pushWet(tree({ dev: 1 }));
    git(remote, 'update-ref', 'refs/heads/hydrate/deployment', tip('deployment')!);
    const e = await publishGroups(groupRequest({ render: render(tree({ dev: 2 })), maxAttempts: 2 })).catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(HydrateError);
    expect((e as Error).message).toMatch(/cannot push hydrate\/deployment\/env-dev: the branch hydrate\/deployment exists/);
  });

  it('names the group branch that blocks the PR branch (after group-by was removed)', async () => {
    await pushWet(tree({ dev: 1 }));
    git(remote, 'update-ref', 'refs/heads/hydrate/deployment/env-dev', tip('deployment')!);
    const e = await publishWetBranch({ ...base, remoteUrl: remote, targetBranch: 'hydrate/deployment', workDir: workDir(), render: render(tree({ dev: 2 })) }).catch((x: unknown) => x as Error);
    expect((e as Error).message).toMatch(/cannot push hydrate\/deployment: the branch hydrate\/deployment\/env-dev exists/);
  });
});

describe('a group branch already holding the render', () => {
  it('is not pushed again when its pull request could not be opened by the run that pushed it', async () => {
    await pushWet(tree({ dev: 1 }));
    const first = await publishGroups(groupRequest({ render: render(tree({ dev: 2 })) }));
    const second = await publishGroups(groupRequest({ render: render(tree({ dev: 2 })) }));
    expect(second.groups[0]).toMatchObject({ upToDate: true });
    expect(tip('hydrate/deployment/env-dev')).toBe(first.groups[0]!.commit);
  });
});
