/**
 * Image updates by dispatch and promotion, end to end: the bundled action (dist/index.js) under
 * Node 24, as the runner starts it, against one local server that speaks the GitHub REST API
 * (checked against GitHub's OpenAPI description) and git smart HTTP over bare repositories on disk.
 * The dry repository and the wet branch live in the same repository, as in most setups.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { startGitHubStandIn, type GitHubStandIn } from '../helpers/github-standin.js';
import { gitHttpHandler } from '../helpers/git-http-server.js';
import { gitWith, ROOT, runBundledAction, type ActionRun } from '../helpers/action-runner.js';

const TOKEN = 'ghs_dispatchTokenThatMustNeverBeLogged01';
const OWNER = 'acme';
const REPO = 'platform';
const IMAGE = 'ghcr.io/acme/web';

let node24: string;
let tmp: string;
let bare: string;
let workspace: string;
let server: GitHubStandIn;

const gitEnv = {
  GIT_AUTHOR_NAME: 'Dev',
  GIT_AUTHOR_EMAIL: 'dev@example.com',
  GIT_COMMITTER_NAME: 'Dev',
  GIT_COMMITTER_EMAIL: 'dev@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: os.tmpdir()
};

const git = gitWith(gitEnv);

function branchTip(branch: string): string | undefined {
  try {
    return git(bare, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`);
  } catch {
    return undefined;
  }
}

/** Every ref of the served repository: what a run that writes nothing must leave as it was. */
function allRefs(): string {
  return git(bare, 'for-each-ref', '--format=%(refname) %(objectname)');
}

/** The workspace as actions/checkout leaves it: the tip of main, nothing else. */
function checkOutMain(): string {
  git(workspace, 'fetch', '-q', bare, 'main');
  git(workspace, 'reset', '-q', '--hard', 'FETCH_HEAD');
  git(workspace, 'clean', '-q', '-fdx');
  return git(workspace, 'rev-parse', 'HEAD');
}

/** The tag kustomize will set: read from the kustomization as any YAML reader sees it. */
function pinnedTag(ref: string, env: string): string {
  const k = parseYaml(git(bare, 'show', `${ref}:apps/web/envs/${env}/kustomization.yaml`), { version: '1.1' }) as { images: { name: string; newTag: string }[] };
  return k.images.find((i) => i.name === IMAGE)!.newTag;
}

/** The image of the rendered Deployment on a wet branch, as Argo CD would read it. */
function renderedImage(ref: string, env: string): string {
  const text = git(bare, 'show', `${ref}:${env}/web/Deployment.web.yml`);
  const docs = parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS() as { spec: { template: { spec: { containers: { image: string }[] } } } });
  return docs[0]!.spec.template.spec.containers[0]!.image;
}

let runCount = 0;

async function runAction(opts: { inputs?: Record<string, string>; event: string; payload: unknown; ref?: string }): Promise<ActionRun> {
  return runBundledAction(
    { node24, tmp, workspace, repository: `${OWNER}/${REPO}`, token: TOKEN, server },
    {
      inputs: { token: TOKEN, author: 'hydrate-bot <hydrate-bot@example.com>', ...opts.inputs },
      event: opts.event,
      payload: opts.payload,
      sha: git(workspace, 'rev-parse', 'HEAD'),
      ref: opts.ref ?? 'refs/heads/main',
      runId: String(7100 + ++runCount)
    }
  );
}

const dispatch = (clientPayload: unknown, action = 'hydrate-images'): { event: string; payload: unknown } => ({
  event: 'repository_dispatch',
  payload: { action, client_payload: clientPayload, repository: { full_name: `${OWNER}/${REPO}` }, sender: { login: 'web-ci[bot]', type: 'Bot' } }
});

async function writeDry(rel: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(workspace, rel)), { recursive: true });
  await writeFile(path.join(workspace, rel), text);
}

const kustomization = (env: string, tag: string): string =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n# ${env}: the web service\nnamespace: web-${env}\nresources:\n  - ../../base\nimages:\n  - name: ${IMAGE}\n    newTag: ${tag} # set by the image update\n`;

beforeAll(async () => {
  node24 = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'ensure-node24.mjs')], { encoding: 'utf8' }).trim();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-e2e-dispatch-'));
  const gitRoot = path.join(tmp, 'git');
  bare = path.join(gitRoot, OWNER, `${REPO}.git`);
  await mkdir(bare, { recursive: true });
  git(bare, 'init', '-q', '--bare');
  git(bare, 'config', 'http.receivepack', 'true');
  workspace = path.join(tmp, 'workspace');
  await mkdir(workspace);
  git(workspace, 'init', '-q');
  await writeDry('hydrate.yaml', 'version: 1\nkubernetes:\n  - match: apps/{app}/envs/{env}\n    output: "{env}/{app}"\n');
  await writeDry('apps/web/base/kustomization.yaml', 'resources:\n  - deployment.yaml\n');
  await writeDry(
    'apps/web/base/deployment.yaml',
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: ${IMAGE}:0.0.1\n`
  );
  for (const [env, tag] of [['dev', '1.0.0'], ['staging', '1.1.0'], ['prod', '1.0.0']] as const) await writeDry(`apps/web/envs/${env}/kustomization.yaml`, kustomization(env, tag));
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '-m', 'dry: initial');
  git(workspace, 'push', '-q', bare, 'HEAD:refs/heads/main');
  server = await startGitHubStandIn({ owner: OWNER, repo: REPO, token: TOKEN, branches: ['main'], fallback: gitHttpHandler(gitRoot) });
  // Branch existence is answered by the bare repository itself.
  server.state.refs = new (class extends Set<string> {
    override has(b: string): boolean {
      return branchTip(b) !== undefined;
    }
    override delete(b: string): boolean {
      if (branchTip(b) === undefined) return false;
      git(bare, 'update-ref', '-d', `refs/heads/${b}`);
      return true;
    }
  })();
  // The wet branch as a first push-mode run creates it.
  const first = await runAction({ event: 'push', payload: { ref: 'refs/heads/main' }, inputs: { mode: 'push' } });
  expect(first.code).toBe(0);
  expect(renderedImage('deployment', 'dev')).toBe(`${IMAGE}:1.0.0`);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('image updates by dispatch and promotion (dist/index.js under Node 24)', () => {
  const update = { images: [{ name: IMAGE, tag: '1.2.3', coordinates: { env: 'dev' } }], reviewers: ['alice', 'web-ci[bot]'], repository: 'acme/web' };

  it('a dispatch updates one unit\'s pin, pushes the dry change, and opens the wet pull request naming the image with the dispatcher as reviewer', async () => {
    const base = checkOutMain();
    const wetTip = branchTip('deployment');
    const r = await runAction({ ...dispatch(update), inputs: { 'dry-commit': 'push' } });
    expect(r.code).toBe(0);
    // The dry commit: only dev's kustomization, its pin as asked, the rest of the file as it was.
    const dry = branchTip('main')!;
    expect(r.outputs['dry-sha']).toBe(dry);
    expect(git(bare, 'rev-parse', `${dry}^`)).toBe(base);
    expect(git(bare, 'diff', '--name-only', base, dry)).toBe('apps/web/envs/dev/kustomization.yaml');
    expect(pinnedTag(dry, 'dev')).toBe('1.2.3');
    expect(git(bare, 'show', `${dry}:apps/web/envs/dev/kustomization.yaml`) + '\n').toBe(kustomization('dev', '1.0.0').replace('newTag: 1.0.0', 'newTag: 1.2.3'));
    const message = git(bare, 'log', '-1', '--format=%B', dry);
    expect(message).toContain(IMAGE);
    expect(message).toContain('1.2.3');
    expect(message).toContain('acme/web');
    // The wet pull request: the dev render with the new image, prod untouched, the deployed branch not moved.
    expect(branchTip('deployment')).toBe(wetTip);
    const pull = server.state.pulls.find((p) => p.state === 'open' && p.base === 'deployment')!;
    expect(r.outputs['pr-number']).toBe(String(pull.number));
    expect(renderedImage(pull.head, 'dev')).toBe(`${IMAGE}:1.2.3`);
    expect(renderedImage(pull.head, 'prod')).toBe(`${IMAGE}:1.0.0`);
    expect(git(bare, 'log', '-1', '--format=%B', pull.head)).toContain(`Hydrate-Dry-Commit: ${dry}`);
    expect(pull.body).toMatch(/image update from acme\/web/i);
    expect(pull.body).toContain(IMAGE);
    expect(JSON.parse(r.outputs['units-changed']!)).toEqual(['kubernetes:apps/web/envs/dev']);
    // The dispatcher is asked to review; the bot is not.
    const asked = server.requests.filter((q) => q.method === 'POST' && q.path.endsWith(`/pulls/${pull.number}/requested_reviewers`));
    expect(asked.map((q) => q.body)).toEqual([{ reviewers: ['alice'], team_reviewers: [] }]);
    expect(server.validationErrors).toEqual([]);
  });

  it('the same dispatch again writes nothing: no commit, no push, no pull request touched, a notice says so', async () => {
    checkOutMain();
    const refs = allRefs();
    const writes = server.writes().length;
    const r = await runAction({ ...dispatch(update), inputs: { 'dry-commit': 'push' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/::notice::.*pins are already set/);
    expect(r.summary).toContain('Every pin already holds its value: nothing was committed.');
    expect(allRefs()).toBe(refs);
    expect(server.writes().length).toBe(writes);
  });

  it('dry-commit: pull-request pushes a branch of its own and opens a dry pull request with the dispatcher as reviewer; main and the wet branch stay', async () => {
    checkOutMain();
    const main = branchTip('main');
    const wet = [branchTip('deployment'), branchTip('hydrate/deployment')];
    const staging = { images: [{ name: IMAGE, tag: '1.3.0', units: ['apps/web/envs/staging'] }], reviewers: ['bob'], repository: 'acme/web' };
    const r = await runAction(dispatch(staging));
    expect(r.code).toBe(0);
    expect(branchTip('main')).toBe(main);
    expect([branchTip('deployment'), branchTip('hydrate/deployment')]).toEqual(wet);
    const branch = 'hydrate/images/ghcr.io-acme-web-1.3.0';
    expect(pinnedTag(branch, 'staging')).toBe('1.3.0');
    expect(git(bare, 'diff', '--name-only', main!, branch)).toBe('apps/web/envs/staging/kustomization.yaml');
    const dryPull = server.state.pulls.find((p) => p.head === branch)!;
    expect(dryPull).toMatchObject({ base: 'main', state: 'open' });
    expect(r.outputs['dry-pr-number']).toBe(String(dryPull.number));
    expect(dryPull.body).toMatch(/image update from acme\/web/i);
    expect(dryPull.body).toContain('`kubernetes:apps/web/envs/staging`: `ghcr.io/acme/web` 1.1.0 → 1.3.0');
    expect(r.summary).toContain(`The image update is in the dry pull request [#${dryPull.number}]`);
    const asked = server.requests.filter((q) => q.method === 'POST' && q.path.endsWith(`/pulls/${dryPull.number}/requested_reviewers`));
    expect(asked.map((q) => q.body)).toEqual([{ reviewers: ['bob'], team_reviewers: [] }]);
    // Sent again: the change already waits in its pull request.
    const refs = allRefs();
    const writes = server.writes().length;
    const again = await runAction(dispatch(staging));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`::notice::.*already waits in #${dryPull.number}`));
    expect(allRefs()).toBe(refs);
    expect(server.writes().length).toBe(writes);
    expect(server.validationErrors).toEqual([]);
  });

  it('a promotion copies staging\'s pins to prod, commits them, hydrates and lists what was promoted in the wet pull request', async () => {
    const base = checkOutMain();
    const r = await runAction({
      event: 'workflow_dispatch',
      payload: { inputs: {}, ref: 'refs/heads/main' },
      inputs: { mode: 'promote', 'promote-from': 'env=staging', 'promote-to': 'env=prod', 'dry-commit': 'push' }
    });
    expect(r.code).toBe(0);
    const dry = branchTip('main')!;
    expect(git(bare, 'diff', '--name-only', base, dry)).toBe('apps/web/envs/prod/kustomization.yaml');
    expect(pinnedTag(dry, 'prod')).toBe(pinnedTag(dry, 'staging'));
    expect(pinnedTag(dry, 'prod')).toBe('1.1.0');
    const pull = server.state.pulls.find((p) => p.state === 'open' && p.base === 'deployment')!;
    expect(renderedImage(pull.head, 'prod')).toBe(`${IMAGE}:1.1.0`);
    expect(pull.body).toMatch(/Promotion env=staging → env=prod/);
    expect(pull.body).toContain(`\`kubernetes:apps/web/envs/prod\`: \`${IMAGE}\` 1.0.0 → 1.1.0`);
    expect(server.validationErrors).toEqual([]);
  });

  it('with group-by: env, the image update goes to the dev group\'s pull request, which names it and asks the dispatcher; other groups\' do not', async () => {
    const base = checkOutMain();
    const dev = { images: [{ name: IMAGE, tag: '1.4.0', coordinates: { env: 'dev' } }], reviewers: ['carol'], repository: 'acme/web' };
    const from = server.requests.length;
    const r = await runAction({ ...dispatch(dev), inputs: { 'dry-commit': 'push', 'group-by': 'env' } });
    expect(r.code).toBe(0);
    const dry = branchTip('main')!;
    expect(git(bare, 'diff', '--name-only', base, dry)).toBe('apps/web/envs/dev/kustomization.yaml');
    const open = server.state.pulls.filter((p) => p.state === 'open' && p.base === 'deployment');
    const devPull = open.find((p) => p.head.endsWith('/env-dev'))!;
    expect(renderedImage(devPull.head, 'dev')).toBe(`${IMAGE}:1.4.0`);
    expect(devPull.body).toMatch(/image update from acme\/web/i);
    expect(devPull.body).toContain('`kubernetes:apps/web/envs/dev`: `ghcr.io/acme/web` 1.2.3 → 1.4.0');
    // prod differs from the deployed branch too (the promotion above is not merged): its own pull request, without the note.
    const prodPull = open.find((p) => p.head.endsWith('/env-prod'))!;
    expect(prodPull.body).not.toMatch(/image update/i);
    const asked = server.requests.slice(from).filter((q) => q.method === 'POST' && q.path.endsWith('/requested_reviewers'));
    expect(asked.map((q) => [q.path.replace(/^.*\/pulls\//, ''), q.body])).toEqual([[`${devPull.number}/requested_reviewers`, { reviewers: ['carol'], team_reviewers: [] }]]);
    expect(server.validationErrors).toEqual([]);
  });

  it('a workflow_dispatch takes the image update in its payload input; text that is not JSON fails, writing nothing', async () => {
    checkOutMain();
    const refs = allRefs();
    const writes = server.writes().length;
    const bad = await runAction({ event: 'workflow_dispatch', payload: { inputs: { payload: '{"images": [' }, ref: 'refs/heads/main' }, inputs: { payload: '{"images": [', 'dry-commit': 'push' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/::error.*input payload is not JSON/);
    expect(allRefs()).toBe(refs);
    expect(server.writes().length).toBe(writes);
    const manual = JSON.stringify({ images: [{ name: IMAGE, tag: '2.0.0', units: ['apps/web/envs/prod'] }], reviewers: ['dave'] });
    const r = await runAction({ event: 'workflow_dispatch', payload: { inputs: { payload: manual }, ref: 'refs/heads/main' }, inputs: { payload: manual } });
    expect(r.code).toBe(0);
    const branch = 'hydrate/images/ghcr.io-acme-web-2.0.0';
    expect(pinnedTag(branch, 'prod')).toBe('2.0.0');
    const dryPull = server.state.pulls.find((p) => p.head === branch)!;
    expect(r.outputs['dry-pr-number']).toBe(String(dryPull.number));
    expect(r.outputs['dry-pr-url']).toMatch(new RegExp(`/pull/${dryPull.number}$`));
    expect(dryPull).toMatchObject({ base: 'main', state: 'open' });
    // No sender repository given: the note says a dispatch sent it.
    expect(dryPull.body).toMatch(/Image update from a dispatch/);
  });

  it('refuses to commit from a checkout that is not a branch (a tag), writing nothing', async () => {
    checkOutMain();
    const refs = allRefs();
    const writes = server.writes().length;
    const r = await runAction({ ...dispatch({ ...update, images: [{ ...update.images[0]!, tag: '5.0.0' }] }), inputs: { 'dry-commit': 'push' }, ref: 'refs/tags/v1' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/::error.*the checkout is not a branch/);
    expect(allRefs()).toBe(refs);
    expect(server.writes().length).toBe(writes);
    expect(git(workspace, 'status', '--porcelain')).toBe('');
  });

  it.each([
    ['an unknown field', { ...update, extra: true }, [/unknown field "extra"/]],
    ['a tag and a digest, and an image name with a space', { images: [{ name: 'ghcr.io/acme/my web', tag: '1', digest: `sha256:${'a'.repeat(64)}`, units: ['apps/web/envs/dev'] }] }, [/images\[0\]\.name/, /both tag and digest/]],
    ['no tag and no selector, twice', { images: [{ name: IMAGE }, { name: 'ghcr.io/acme/api', tag: '2' }] }, [/images\[0\]: gives neither tag nor digest/, /images\[0\]: selects no unit/, /images\[1\]: selects no unit/]],
    ['a selector that matches no unit', { images: [{ name: IMAGE, tag: '9.9.9', coordinates: { env: 'qa' } }] }, [/env/]],
    ['an image no selected unit uses', { images: [{ name: 'ghcr.io/acme/api', tag: '9.9.9', coordinates: { env: 'dev' } }] }, [/ghcr\.io\/acme\/api/]]
  ])('a malformed payload (%s) fails with every problem as an annotation and writes nothing', async (_what, payload, problems) => {
    checkOutMain();
    const refs = allRefs();
    const writes = server.writes().length;
    const r = await runAction({ ...dispatch(payload), inputs: { 'dry-commit': 'push' } });
    expect(r.code).not.toBe(0);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors.length).toBeGreaterThanOrEqual(problems.length);
    for (const p of problems) expect(errors.some((e) => p.test(e))).toBe(true);
    expect(allRefs()).toBe(refs);
    expect(server.writes().length).toBe(writes);
    expect(git(workspace, 'status', '--porcelain')).toBe('');
  });
});
