/**
 * Paths the config and dry files join onto a unit directory (extra artifacts, a release file's
 * chart and values files, the release file itself) stay inside the repository, symlinks
 * included, and never reach a `.git` folder. Binary artifacts are refused, never re-decoded.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n';
const SECRET = 'token=ghs_leaked\n';

let repo: { root: string; cleanup: () => Promise<void> };
/** `root/repo` is the repository; `root/outside` and `root/repo/.git` hold what must never be read. */
let root: string;

beforeEach(async () => {
  const base = await tempRepo({
    'repo/k/a/cm.yaml': CM,
    'repo/shared/files/shared.txt': 'shared\n',
    'repo/.git/config': `[http]\n\textraheader = AUTHORIZATION: basic ${SECRET}`,
    'outside/stolen.txt': SECRET
  });
  repo = base;
  root = join(base.root, 'repo');
});
afterEach(async () => {
  await repo.cleanup();
});

async function renderWith(extraArtifacts: string): Promise<Awaited<ReturnType<typeof renderKubernetesUnit>>> {
  const cfg = { kubernetes: [{ match: 'k/{x}', output: '{x}', extraArtifacts }] };
  return renderKubernetesUnit(unit('k/a', 0), makeInput(root, cfg, [], fakeRunner([])));
}

function expectRefused(r: Awaited<ReturnType<typeof renderKubernetesUnit>>, re: RegExp): void {
  expect(r.status).toBe('failed');
  expect(r.artifacts).toEqual([]);
  expect(r.diagnostics.map((d) => d.message).join('\n')).toMatch(re);
  expect(JSON.stringify(r)).not.toContain('ghs_leaked');
}

describe('extra artifacts folder', () => {
  it.each([
    ['../../../../outside', /`\.\.`/],
    ['../../.git', /`\.\.`/],
    ['.git', /names `\.git`/],
    ['.GIT', /names `\.GIT`/],
    ['./.git/../.git', /names `\.git`/],
    ['/etc', /empty path segment|absolute/]
  ])('refuses %j from the config', async (value, re) => {
    expectRefused(await renderWith(value), re);
  });

  it('refuses a folder that is a symlink out of the repository, directly or through a chain', async () => {
    await symlink(join(repo.root, 'outside'), join(root, 'k/a/direct'));
    await symlink(join(root, 'k/a/hop2'), join(root, 'k/a/hop1'));
    await symlink('../../../outside', join(root, 'k/a/hop2'));
    expectRefused(await renderWith('direct'), /outside the repository/);
    expectRefused(await renderWith('hop1'), /outside the repository/);
  });

  it('refuses a folder reached through a symlinked parent that leaves the repository', async () => {
    await symlink(repo.root, join(root, 'k/a/up'));
    expectRefused(await renderWith('up/outside'), /outside the repository/);
  });

  it('refuses a symlink into the repository’s .git folder (any spelling of the link)', async () => {
    await symlink('../../.git', join(root, 'k/a/gitlink'));
    expectRefused(await renderWith('gitlink'), /inside a `\.git` folder/);
  });

  it('follows a symlinked folder that stays inside the repository, reporting files under the link', async () => {
    await symlink('../../shared/files', join(root, 'k/a/extra_artifacts'));
    const r = await renderWith('extra_artifacts');
    expect(r.diagnostics).toEqual([]);
    expect(r.artifacts).toEqual([{ path: 'shared.txt', content: 'shared\n', source: 'k/a/extra_artifacts/shared.txt' }]);
  });

  it('warns, naming it, when the folder is a file', async () => {
    await writeFile(join(root, 'k/a/extra_artifacts'), 'not a folder\n');
    const r = await renderWith('extra_artifacts');
    expect(r.status).toBe('rendered');
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ severity: 'warning', file: 'k/a/extra_artifacts', message: expect.stringContaining('not a folder') })
    ]);
  });
});

describe('binary extra artifacts', () => {
  it('refuses a PNG-like file and a file with invalid UTF-8, naming the byte offset; copies UTF-8 text byte for byte', async () => {
    await mkdir(join(root, 'k/a/extra_artifacts'), { recursive: true });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);
    await writeFile(join(root, 'k/a/extra_artifacts/logo.png'), png);
    await writeFile(join(root, 'k/a/extra_artifacts/latin1.txt'), Buffer.from('caf\xe9 ok\n', 'latin1'));
    await writeFile(join(root, 'k/a/extra_artifacts/nul.bin'), Buffer.from('ab\x00cd', 'latin1'));
    const text = '\ufeffnaïve — 日本 😀\n';
    await writeFile(join(root, 'k/a/extra_artifacts/text.md'), text);
    const r = await renderWith('extra_artifacts');
    expect(r.status).toBe('failed');
    const byFile = new Map(r.diagnostics.map((d) => [d.file, d.message]));
    expect(byFile.get('k/a/extra_artifacts/logo.png')).toMatch(/not UTF-8 text \(invalid byte 0x89 at byte offset 0\)/);
    expect(byFile.get('k/a/extra_artifacts/latin1.txt')).toMatch(/invalid byte 0xe9 at byte offset 3/);
    expect(byFile.get('k/a/extra_artifacts/nul.bin')).toMatch(/NUL byte at byte offset 2/);
    expect(byFile.has('k/a/extra_artifacts/text.md')).toBe(false);

    await writeFile(join(root, 'k/a/extra_artifacts/logo.png'), 'now text\n');
    await writeFile(join(root, 'k/a/extra_artifacts/latin1.txt'), 'now text\n');
    await writeFile(join(root, 'k/a/extra_artifacts/nul.bin'), 'now text\n');
    const ok = await renderWith('extra_artifacts');
    expect(ok.status).toBe('rendered');
    const md = ok.artifacts.find((a) => a.path === 'text.md')!;
    expect(Buffer.from(md.content, 'utf8').equals(Buffer.from(text, 'utf8'))).toBe(true);
  });
});

describe('Helm release paths', () => {
  const cfg = { kubernetes: [{ match: 'k/{x}', output: '{x}', type: 'helm' }] };
  const chart = 'apiVersion: v2\nname: c\nversion: 0.1.0\n';

  async function renderRelease(release: string): Promise<{ r: Awaited<ReturnType<typeof renderKubernetesUnit>>; calls: number; args: (readonly string[])[] }> {
    await writeFile(join(root, 'k/a.yaml'), release);
    const exec = fakeRunner(['helm'], { exitCode: 0, stdout: CM, stderr: '' });
    const r = await renderKubernetesUnit(unit('k/a', 0), makeInput(root, cfg, [], exec));
    return { r, calls: exec.calls.length, args: exec.calls.map((c) => c.args) };
  }

  it('renders a local chart inside the repository (the baseline)', async () => {
    await mkdir(join(root, 'charts/c'), { recursive: true });
    await writeFile(join(root, 'charts/c/Chart.yaml'), chart);
    const { r, args } = await renderRelease('chart: ../charts/c\nversion: 0.1.0\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.status).toBe('rendered');
    // A chart without templates cannot vary between renders: helm template runs once, on the chart in the repository.
    expect(args).toEqual([
      ['template', '--version=0.1.0', '--namespace=default', '--include-crds', `--values=${join(root, 'k/a/cm.yaml')}`, '--', 'k', join(root, 'charts/c')]
    ]);
  });

  it('refuses a chart folder that is a symlink out of the repository, or into .git', async () => {
    await mkdir(join(repo.root, 'outside/c'), { recursive: true });
    await writeFile(join(repo.root, 'outside/c/Chart.yaml'), chart);
    await mkdir(join(root, 'charts'), { recursive: true });
    await symlink(join(repo.root, 'outside/c'), join(root, 'charts/c'));
    let got = await renderRelease('chart: ../charts/c\nversion: 0.1.0\n');
    expect(got.r.status).toBe('failed');
    expect(got.r.diagnostics[0]).toMatchObject({ file: 'k/a.yaml', line: 1, message: expect.stringMatching(/chart path .*outside the repository/) });
    expect(got.calls).toBe(0);

    got = await renderRelease('chart: ../.git\nversion: 0.1.0\n');
    expect(got.r.diagnostics[0]!.message).toMatch(/names `\.git`/);
    expect(got.calls).toBe(0);
  });

  it.each([
    ['an absolute chart path', () => `chart: ${join(repo.root, 'outside/c')}\nversion: 0.1.0\n`, /is an absolute path/],
    ['a chart named without ./ that helm would read as a local path out of the repository', () => 'chart: escape/c\nversion: 0.1.0\n', /outside the repository/],
    ['a chart naming .git in any case', () => 'chart: .GIT\nversion: 0.1.0\n', /names `\.GIT`/],
    ['a local chart through `..` past the root', () => 'chart: ../../outside/c\nversion: 0.1.0\n', /`\.\.`/],
    ['./.git/../.git', () => 'chart: ./.git/../.git\nversion: 0.1.0\n', /names `\.git`/]
  ])('refuses %s, at the chart line, without running helm', async (_what, release, re) => {
    await mkdir(join(repo.root, 'outside/c'), { recursive: true });
    await writeFile(join(repo.root, 'outside/c/Chart.yaml'), chart);
    await symlink(join(repo.root, 'outside'), join(root, 'escape'));
    const { r, calls } = await renderRelease(release());
    expect(r.status).toBe('failed');
    expect(r.diagnostics[0]).toMatchObject({ file: 'k/a.yaml', line: 1, message: expect.stringMatching(re) });
    expect(calls).toBe(0);
  });

  it('refuses a values file reached through a symlink out of the repository', async () => {
    await mkdir(join(root, 'charts/c'), { recursive: true });
    await writeFile(join(root, 'charts/c/Chart.yaml'), chart);
    await mkdir(join(root, 'k/a'), { recursive: true });
    await symlink(join(repo.root, 'outside'), join(root, 'k/a/vals'));
    const { r, calls } = await renderRelease('chart: ../charts/c\nversion: 0.1.0\nvaluesFiles: [vals/stolen.txt]\n');
    expect(r.status).toBe('failed');
    expect(r.diagnostics[0]).toMatchObject({ file: 'k/a.yaml', line: 3, message: expect.stringMatching(/values file .*outside the repository/) });
    expect(calls).toBe(0);
  });

  it.each([
    ['../../outside/stolen.txt', /`\.\.`|outside the unit directory/],
    ['.git/config', /names `\.git`/],
    ['.GIT/config', /names `\.GIT`/],
    ['./.git/../.git/config', /names `\.git`/],
    ['chain/stolen.txt', /outside the repository/]
  ])('refuses the values file %j at its line, without running helm', async (values, re) => {
    await mkdir(join(root, 'charts/c'), { recursive: true });
    await writeFile(join(root, 'charts/c/Chart.yaml'), chart);
    await mkdir(join(root, 'k/a/.git'), { recursive: true });
    await writeFile(join(root, 'k/a/.git/config'), SECRET);
    await symlink('hop', join(root, 'k/a/chain'));
    await symlink(join(repo.root, 'outside'), join(root, 'k/a/hop'));
    const { r, calls } = await renderRelease(`chart: ../charts/c\nversion: 0.1.0\nvaluesFiles:\n  - ${values}\n`);
    expect(r.status).toBe('failed');
    expect(r.diagnostics[0]).toMatchObject({ file: 'k/a.yaml', line: 4, message: expect.stringMatching(re) });
    expect(calls).toBe(0);
  });

  it('refuses a release file that is a symlink out of the repository', async () => {
    await writeFile(join(repo.root, 'outside/release.yaml'), `chart: ./c\nversion: 0.1.0\n# ${SECRET}`);
    await symlink(join(repo.root, 'outside/release.yaml'), join(root, 'k/a.yaml'));
    const exec = fakeRunner(['helm']);
    const r = await renderKubernetesUnit(unit('k/a', 0), makeInput(root, cfg, [], exec));
    expect(r.status).toBe('failed');
    expect(r.diagnostics[0]!.message).toMatch(/Helm release file "k\/a.yaml" resolves to .*outside the repository/);
    expect(exec.calls).toEqual([]);
  });
});
