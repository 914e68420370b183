/**
 * What a kustomization may make kustomize read: nothing outside the repository (by `..`, an
 * absolute path or a symlink), nothing in a `.git` folder, and remote bases only when the config
 * allows them and they are pinned; an allowed remote base is named in the unit's report.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { remotePin } from '../../../src/render/kubernetes/closure.js';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n';
const SHA = '0123456789abcdef0123456789abcdef01234567';

let base: { root: string; cleanup: () => Promise<void> };
let root: string;

beforeEach(async () => {
  base = await tempRepo({
    'repo/k/a/cm.yaml': CM,
    'repo/vendor/src/.git/config': '[http]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n',
    'outside/kustomization.yaml': 'resources: [cm.yaml]\n',
    'outside/cm.yaml': CM
  });
  root = join(base.root, 'repo');
});
afterEach(async () => {
  await base.cleanup();
});

async function kustomization(dir: string, text: string): Promise<void> {
  await mkdir(join(root, dir), { recursive: true });
  await writeFile(join(root, dir, 'kustomization.yaml'), text);
}

async function render(dir: string, kustomize: Record<string, unknown> = {}, policy: Record<string, unknown> = {}) {
  const cfg = { kubernetes: [{ match: 'k/{x}', output: '{x}', kustomize }], policy };
  const exec = fakeRunner(['kubectl'], { exitCode: 0, stdout: CM, stderr: '' });
  const r = await renderKubernetesUnit(unit(dir, 0), makeInput(root, cfg, [], exec));
  return { r, ran: exec.calls.length > 0 };
}

describe('references outside the repository', () => {
  it('refuses `..` past the root and absolute paths, at the kustomization file and line, without running kustomize', async () => {
    await kustomization('k/a', `resources:\n  - cm.yaml\n  - ../../../outside\n  - ${join(base.root, 'outside')}\n`);
    const { r, ran } = await render('k/a');
    expect(r.status).toBe('failed');
    expect(ran).toBe(false);
    expect(r.diagnostics.map((d) => [d.file, d.line, d.message.replace(base.root, '<tmp>')])).toEqual([
      ['k/a/kustomization.yaml', 3, 'k/a/kustomization.yaml references ../../../outside, outside the repository: a unit reads only files of its repository'],
      ['k/a/kustomization.yaml', 4, 'k/a/kustomization.yaml references <tmp>/outside, outside the repository: a unit reads only files of its repository']
    ]);
  });

  it('refuses a symlink to outside, also through a chain and in a base it reaches', async () => {
    await symlink(join(base.root, 'outside'), join(root, 'k/out'));
    await symlink('out', join(root, 'k/hop'));
    await kustomization('k/base', 'resources:\n  - ../hop\n');
    await kustomization('k/a', 'resources:\n  - ../base\n  - ../out\n');
    const { r, ran } = await render('k/a');
    expect(ran).toBe(false);
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}`)).toEqual(['k/base/kustomization.yaml:2', 'k/a/kustomization.yaml:3']);
    expect(r.diagnostics.every((d) => /outside the repository/.test(d.message))).toBe(true);
  });

  it('refuses files in a .git folder (a source checkout’s credentials), in any spelling', async () => {
    await kustomization(
      'vendor/src',
      'configMapGenerator:\n  - name: c\n    files:\n      - .git/config\n      - leak=./.GIT/config\n      - again=./.git/../.git/config\n'
    );
    await kustomization('k/a', 'resources:\n  - ../../vendor/src\n');
    const { r, ran } = await render('k/a');
    expect(ran).toBe(false);
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}`)).toEqual([
      'vendor/src/kustomization.yaml:4',
      'vendor/src/kustomization.yaml:5',
      'vendor/src/kustomization.yaml:6'
    ]);
    expect(r.diagnostics.every((d) => /names `\.(git|GIT)`/.test(d.message))).toBe(true);
  });

  it('renders local references inside the repository (the baseline)', async () => {
    await kustomization('k/base', 'resources:\n  - ../a/cm.yaml\n');
    await kustomization('k/a', 'resources:\n  - ../base\n');
    const { r, ran } = await render('k/a');
    expect(r.diagnostics).toEqual([]);
    expect(ran).toBe(true);
  });
});

describe('remote bases', () => {
  const remote = `https://github.com/org/repo//deploy?ref=${SHA}`;

  it('are refused unless the config allows them', async () => {
    await kustomization('k/a', `resources:\n  - cm.yaml\n  - ${remote}\n`);
    const { r, ran } = await render('k/a');
    expect(ran).toBe(false);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', file: 'k/a/kustomization.yaml', line: 3, message: expect.stringContaining('allowRemote: true') })
    ]);
  });

  it('when allowed, must be pinned: a branch is refused', async () => {
    await kustomization('k/a', 'resources:\n  - github.com/org/repo/deploy?ref=main\n');
    const { r, ran } = await render('k/a', { allowRemote: true });
    expect(ran).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', line: 2, message: expect.stringContaining('without a pin') });
  });

  it('allowed (per entry or in policy) and pinned: rendered, and named in the unit’s report', async () => {
    await kustomization('k/a', `resources:\n  - ${remote}\n`);
    for (const [kustomize, policy] of [[{ allowRemote: true }, {}], [{}, { allowRemote: true }]] as const) {
      const { r, ran } = await render('k/a', kustomize, policy);
      expect(ran).toBe(true);
      expect(r.status).toBe('rendered');
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ severity: 'warning', unit: 'kubernetes:k/a', file: 'k/a/kustomization.yaml', line: 2, message: expect.stringContaining(`remote base ${remote} (pinned to ${SHA})`) })
      ]);
    }
  });
});

describe('remotePin', () => {
  it.each([
    [`github.com/o/r/x?ref=${SHA}`, SHA],
    ['https://github.com/o/r//x?ref=v1.2.3', 'v1.2.3'],
    ['git::https://github.com/o/r.git//x?ref=kustomize/v5.4.1', 'kustomize/v5.4.1'],
    ['https://github.com/o/r//x?timeout=9&ref=1.2.3-rc.1', '1.2.3-rc.1'],
    ['github.com/o/r?version=v2.0.0', 'v2.0.0'],
    [`https://raw.githubusercontent.com/o/r/${SHA}/deploy.yaml`, SHA]
  ])('%s is pinned to %s', (ref, pin) => {
    expect(remotePin(ref)).toBe(pin);
  });

  it.each([
    'github.com/o/r/x?ref=main',
    'github.com/o/r/x?ref=release-1.2',
    'github.com/o/r/x?ref=v1',
    'github.com/o/r/x?ref=v1.2',
    'github.com/o/r/x?ref=abc123',
    'github.com/o/r/x',
    'https://raw.githubusercontent.com/o/r/main/deploy.yaml',
    // kustomize GETs a file URL with its query: the host ignores ?ref=, the file follows main.
    `https://raw.githubusercontent.com/o/r/main/deploy.yaml?ref=${SHA}`,
    `https://example.com/manifests/main/deploy.yml?version=${SHA}`,
    `https://raw.example.com/o/r/main/bundle?ref=${SHA}`
  ])('%s is not pinned', (ref) => {
    expect(remotePin(ref)).toBeUndefined();
  });
});

