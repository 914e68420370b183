import { afterEach, describe, expect, it } from '@jest/globals';
import { readInputs } from '../../src/action/inputs.js';
import { branchNameProblem, labelProblem } from '../../src/action/names.js';
import { ConfigError } from '../../src/diagnostics.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

function withInputs(inputs: Record<string, string>): NodeJS.ProcessEnv {
  for (const k of Object.keys(process.env)) if (k.startsWith('INPUT_')) delete process.env[k];
  for (const [k, v] of Object.entries(inputs)) process.env[`INPUT_${k.toUpperCase()}`] = v;
  return { GITHUB_REPOSITORY: 'acme/platform', GITHUB_WORKSPACE: '/tmp', GITHUB_EVENT_NAME: 'push', GITHUB_RUN_ID: '77' };
}

async function refusal(inputs: Record<string, string>): Promise<string> {
  try {
    await readInputs(withInputs(inputs));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).diagnostics.map((d) => d.message).join('\n');
  }
  throw new Error('readInputs accepted the inputs');
}

describe('readInputs refuses unsafe branch names and labels', () => {
  it('refuses pr-branch equal to wet-branch in pull-request mode (it would commit to the deployed branch)', async () => {
    expect(await refusal({ mode: 'pull-request', 'wet-branch': 'deployment', 'pr-branch': 'deployment' })).toMatch(
      /input pr-branch equals wet-branch \("deployment"\).*straight to the deployed branch/
    );
    // push mode commits to the wet branch anyway: the PR branch is not used.
    await expect(readInputs(withInputs({ mode: 'push', 'wet-branch': 'deployment', 'pr-branch': 'deployment' }))).resolves.toMatchObject({ mode: 'push' });
  });

  it.each([
    ['refs/heads/main', /without "refs\/\.\.\."/],
    ['HEAD', /"HEAD"/],
    ['@', /"@"/],
    ['a..b', /"\.\."/],
    ['feature/.hidden', /begins with "\."/],
    ['x.lock', /ends with "\.lock"/],
    ['a b', /a space/],
    ['a:b', /":"/],
    ['a//b', /"\/\/"/],
    ['-x', /begins with "-"/],
    ['x@{1}', /"@\{"/],
    ['x.', /ends with "\."/],
    ['a\\b', /"\\"/],
    ['a\u0007b', /U\+0007/]
  ])('refuses pr-branch %j', async (name, why) => {
    const message = await refusal({ 'pr-branch': name });
    expect(message).toContain(`input pr-branch "${name}" is not a valid branch name`);
    expect(message).toMatch(why);
  });

  it('refuses a bad wet-branch too, and reports every problem together', async () => {
    const message = await refusal({ 'wet-branch': 'HEAD', 'pr-branch': 'refs/heads/x', labels: `ok,${'l'.repeat(51)}` });
    expect(message).toContain('input wet-branch "HEAD"');
    expect(message).toContain('input pr-branch "refs/heads/x"');
    expect(message).toContain(`input labels: "${'l'.repeat(51)}" cannot be a label: it is longer than GitHub's 50 characters`);
  });

  it('accepts ordinary names and labels of up to 50 characters', async () => {
    const inputs = await readInputs(withInputs({ 'wet-branch': 'env/prod', 'pr-branch': 'hydrate/env-prod_2.x', labels: `hydrate,${'é'.repeat(50)}` }));
    expect(inputs).toMatchObject({ wetBranch: 'env/prod', prBranch: 'hydrate/env-prod_2.x', labels: ['hydrate', 'é'.repeat(50)], runId: '77', shardVerify: 3 });
  });

  it('reads shard-verify as a whole number', async () => {
    expect((await readInputs(withInputs({ 'shard-verify': '0' }))).shardVerify).toBe(0);
    expect(await refusal({ 'shard-verify': 'many' })).toMatch(/input shard-verify must be a whole number/);
  });
});

describe('name rules', () => {
  // ("@" and "HEAD" git resolves to the current branch; Hydrate refuses them, tested above.)
  it('agree with git check-ref-format --branch on a set of names', async () => {
    const { execFileSync } = await import('node:child_process');
    const names = ['main', 'hydrate/deployment', 'a..b', '.x', 'x/.y', 'x.lock', 'x/y.lock/z', 'a b', 'a~b', 'a^b', 'a:b', 'a?b', 'a*b', 'a[b', 'a\\b', '/a', 'a/', 'a//b', 'a.', 'a@{b', 'a@b', '-a', 'ü/ß', 'a\tb', 'a\u007fb'];
    for (const n of names) {
      let git: boolean;
      try {
        execFileSync('git', ['check-ref-format', '--branch', n], { stdio: 'ignore' });
        git = true;
      } catch {
        git = false;
      }
      expect([n, branchNameProblem(n) === undefined]).toEqual([n, git]);
    }
  });

  it('labels: control characters and length', () => {
    expect(labelProblem('env/prod')).toBeUndefined();
    expect(labelProblem('a\nb')).toMatch(/U\+000A/);
  });
});

describe('readInputs: image updates and promotion', () => {
  it('defaults: dispatch event type hydrate-images, no payload, dry pull request; the checked-out branch from GITHUB_REF', async () => {
    const env = { ...withInputs({}), GITHUB_REF: 'refs/heads/main' };
    expect(await readInputs(env)).toMatchObject({ dispatchEventType: 'hydrate-images', payload: '', dryCommit: 'pull-request', dryBranch: 'main' });
    expect((await readInputs(withInputs({}))).promote).toBeUndefined();
    // A tag checkout is no branch to commit to.
    expect((await readInputs({ ...withInputs({}), GITHUB_REF: 'refs/tags/v1' })).dryBranch).toBeUndefined();
  });

  it('reads mode: promote as a pull-request run with its two selectors', async () => {
    const inputs = await readInputs(withInputs({ mode: 'promote', 'promote-from': 'env=staging', 'promote-to': 'env=prod', 'dry-commit': 'push' }));
    expect(inputs).toMatchObject({ mode: 'pull-request', promote: { from: 'env=staging', to: 'env=prod' }, dryCommit: 'push' });
  });

  it('refuses a promotion without both selectors, selectors without promote, and an unknown dry-commit', async () => {
    expect(await refusal({ mode: 'promote' })).toBe('mode: promote needs promote-from and promote-to (coordinate selectors such as env=staging)');
    expect(await refusal({ mode: 'promote', 'promote-from': 'env=dev' })).toBe('mode: promote needs promote-to (coordinate selectors such as env=staging)');
    expect(await refusal({ mode: 'push', 'promote-to': 'env=prod' })).toMatch(/read only with mode: promote/);
    expect(await refusal({ 'dry-commit': 'merge' })).toBe('input dry-commit must be push or pull-request, got "merge"');
    expect(await refusal({ mode: 'deploy' })).toMatch(/pull-request, push, check or promote/);
  });
});

describe('readInputs: group-by, reviewers and merge-method', () => {
  it('reads them, with merge as the default merge method and no grouping by default', async () => {
    expect(await readInputs(withInputs({}))).toMatchObject({ groupBy: [], reviewers: [], mergeMethod: 'merge' });
    expect(await readInputs(withInputs({ 'group-by': 'cluster, env', reviewers: 'alice\nacme/platform', 'merge-method': 'squash' }))).toMatchObject({
      groupBy: ['cluster', 'env'],
      reviewers: ['alice', 'acme/platform'],
      mergeMethod: 'squash'
    });
  });

  it('refuses a bad coordinate name, a repeated one, a bad reviewer and an unknown merge method, all together', async () => {
    const message = await refusal({ 'group-by': 'env,env,a b/c', reviewers: 'alice,bad user,a/b/c', 'merge-method': 'fast-forward' });
    expect(message.split('\n')).toEqual([
      'input group-by: "a b/c" is not a coordinate name (letters, digits, "_", "-" and ".")',
      'input group-by names a coordinate twice: env, env, a b/c',
      'input reviewers: "bad user" is neither a GitHub login nor an org/team',
      'input reviewers: "a/b/c" is neither a GitHub login nor an org/team',
      'input merge-method must be merge, squash or rebase, got "fast-forward"'
    ]);
  });
});
