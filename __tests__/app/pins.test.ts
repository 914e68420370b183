/**
 * The pins use case on a real dry tree: units from the config, files read from disk, the plan
 * written whole or not at all; and the `hydrate images` / `hydrate promote` commands.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HydrateError } from '../../src/diagnostics.js';
import { applyPinPlan, pinCommitMessage, planPins } from '../../src/app/pins.js';
import { pipelinePorts } from '../../src/app/pipeline-ports.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import { silentLogger } from '../../src/ports.js';
import { runCli } from '../helpers/cli.js';

const CONFIG = `version: 1
kubernetes:
  - match: apps/{app}/envs/{env}
    output: apps/{app}/{env}
  - match: kubernetes/{cluster}/{tenant}/{env}
    output: kubernetes/{cluster}/{tenant}/{env}
    type: helm
terraform:
  - match: tfworkspaces/{tenant}/{env}
    output: tfworkspaces/{tenant}/{env}
pins:
  - image: ghcr.io/acme/web
    path: image.tag
  - image: ghcr.io/acme/web
    path: providers.terraform.values.web_image
    value: reference
    units: ["tfworkspaces/**"]
`;

const kustomization = (tag: string): string => `resources: []
images:
  - name: ghcr.io/acme/web
    newTag: "${tag}"  # set by CI
`;

let root: string;

function write(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}
const read = (rel: string): string => readFileSync(path.join(root, rel), 'utf8');

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'pins-app-'));
  write('hydrate.yaml', CONFIG);
  write('apps/web/envs/staging/kustomization.yaml', kustomization('1.3.0'));
  write('apps/web/envs/prod/kustomization.yaml', kustomization('1.0.0'));
  write('kubernetes/c1/acme/staging.yaml', 'chart: oci://ghcr.io/acme/charts/web\nversion: 2.1.0\n');
  write('kubernetes/c1/acme/staging/values.yaml', 'image:\n  tag: "1.3.0"\n');
  write('kubernetes/c1/acme/staging/images.yaml', 'worker:\n  image: ghcr.io/acme/worker:5\n');
  write('kubernetes/c1/acme/prod.yaml', 'chart: oci://ghcr.io/acme/charts/web\nversion: 2.0.0\n');
  write('kubernetes/c1/acme/prod/values.yaml', 'image:\n  tag: "1.0.0"\n');
  write('kubernetes/c1/acme/prod/images.yaml', 'worker:\n  image: ghcr.io/acme/worker:4\n');
  write('tfworkspaces/acme/prod/claims.yaml', 'kind: TFWorkspaceClaim\nname: cdn\nproviders:\n  terraform:\n    values:\n      web_image: ghcr.io/acme/web:1.0.0\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function settings() {
  return (await loadSettings({ configFile: path.join(root, 'hydrate.yaml') })).settings;
}

describe('planPins and applyPinPlan', () => {
  it('an image update selects units by coordinates across renderers and writes every pin of the image', async () => {
    const update = { images: [{ name: 'ghcr.io/acme/web', tag: '1.4.0', coordinates: { env: 'prod' } }], reviewers: [], repository: 'acme/web' };
    const plan = await planPins(await settings(), pipelinePorts(silentLogger), { kind: 'images', update });
    expect(plan.changes.map((c) => `${c.unit} ${c.file} ${c.from} -> ${c.to}`)).toEqual([
      'kubernetes:apps/web/envs/prod apps/web/envs/prod/kustomization.yaml 1.0.0 -> 1.4.0',
      'kubernetes:kubernetes/c1/acme/prod kubernetes/c1/acme/prod/values.yaml 1.0.0 -> 1.4.0',
      'terraform:tfworkspaces/acme/prod tfworkspaces/acme/prod/claims.yaml 1.0.0 -> 1.4.0'
    ]);
    // Planning wrote nothing.
    expect(read('apps/web/envs/prod/kustomization.yaml')).toBe(kustomization('1.0.0'));
    await applyPinPlan(root, plan);
    expect(read('apps/web/envs/prod/kustomization.yaml')).toBe(kustomization('1.4.0'));
    expect(read('kubernetes/c1/acme/prod/values.yaml')).toBe('image:\n  tag: "1.4.0"\n');
    expect(read('tfworkspaces/acme/prod/claims.yaml')).toContain('web_image: ghcr.io/acme/web:1.4.0\n');
    expect(read('apps/web/envs/staging/kustomization.yaml')).toBe(kustomization('1.3.0'));
    expect(pinCommitMessage(plan, update)).toBe(
      'Pin ghcr.io/acme/web to 1.4.0 (image update from acme/web)\n\n' +
        '- kubernetes:apps/web/envs/prod: ghcr.io/acme/web 1.0.0 → 1.4.0 (apps/web/envs/prod/kustomization.yaml)\n' +
        '- kubernetes:kubernetes/c1/acme/prod: ghcr.io/acme/web 1.0.0 → 1.4.0 (kubernetes/c1/acme/prod/values.yaml)\n' +
        '- terraform:tfworkspaces/acme/prod: ghcr.io/acme/web 1.0.0 → 1.4.0 (tfworkspaces/acme/prod/claims.yaml)\n'
    );
    // The same update again: nothing to do.
    expect(await planPins(await settings(), pipelinePorts(silentLogger), { kind: 'images', update })).toEqual({ edits: [], changes: [], notes: [] });
  });

  it('a promotion copies image pins, images.yaml entries and the chart version', async () => {
    const plan = await planPins(await settings(), pipelinePorts(silentLogger), { kind: 'promote', from: { env: 'staging' }, to: { env: 'prod' } });
    expect(plan.changes.map((c) => `${c.unit} ${c.kind === 'chart' ? 'chart ' : ''}${c.image} ${c.from} -> ${c.to}`)).toEqual([
      'kubernetes:apps/web/envs/prod ghcr.io/acme/web 1.0.0 -> 1.3.0',
      'kubernetes:kubernetes/c1/acme/prod chart oci://ghcr.io/acme/charts/web 2.0.0 -> 2.1.0',
      'kubernetes:kubernetes/c1/acme/prod ghcr.io/acme/worker 4 -> 5',
      'kubernetes:kubernetes/c1/acme/prod ghcr.io/acme/web 1.0.0 -> 1.3.0'
    ]);
    expect(plan.notes).toEqual(['tfworkspaces/acme/prod: no source unit matches env=staging with its other coordinates: nothing promoted']);
    await applyPinPlan(root, plan);
    expect(read('kubernetes/c1/acme/prod.yaml')).toBe('chart: oci://ghcr.io/acme/charts/web\nversion: 2.1.0\n');
    expect(read('kubernetes/c1/acme/prod/images.yaml')).toBe('worker:\n  image: ghcr.io/acme/worker:5\n');
    expect(pinCommitMessage(plan, undefined, { from: { env: 'staging' }, to: { env: 'prod' } }).split('\n')[0]).toBe('Promote env=staging to env=prod');
  });

  it('a values file that is a symlink (here out of the repository) is not followed: neither read nor written', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'pins-outside-'));
    try {
      writeFileSync(path.join(outside, 'values.yaml'), 'image:\n  tag: "1.0.0"\n');
      rmSync(path.join(root, 'kubernetes/c1/acme/prod/values.yaml'));
      symlinkSync(path.join(outside, 'values.yaml'), path.join(root, 'kubernetes/c1/acme/prod/values.yaml'));
      const plan = await planPins(await settings(), pipelinePorts(silentLogger), { kind: 'images', update: { images: [{ name: 'ghcr.io/acme/web', tag: '9', units: ['kubernetes/c1/acme/prod'] }], reviewers: [] } }).catch((e: HydrateError) => e);
      expect(plan).toBeInstanceOf(HydrateError);
      expect((plan as HydrateError).message).toContain('no selected unit pins ghcr.io/acme/web (selected: kubernetes/c1/acme/prod)');
      expect(readFileSync(path.join(outside, 'values.yaml'), 'utf8')).toBe('image:\n  tag: "1.0.0"\n');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('applyPinPlan writes nothing when a file changed since planning, naming it', async () => {
    const plan = await planPins(await settings(), pipelinePorts(silentLogger), { kind: 'promote', from: { env: 'staging' }, to: { env: 'prod' } });
    write('kubernetes/c1/acme/prod/values.yaml', 'image:\n  tag: "1.0.1"\n');
    await expect(applyPinPlan(root, plan)).rejects.toThrow('kubernetes/c1/acme/prod/values.yaml changed since the pins were planned: nothing written');
    expect(read('apps/web/envs/prod/kustomization.yaml')).toBe(kustomization('1.0.0'));
    expect(read('kubernetes/c1/acme/prod.yaml')).toContain('version: 2.0.0');
  });
});

describe('hydrate images and hydrate promote', () => {
  it('images applies a payload file, prints the changes, and changes nothing the second time', async () => {
    write('payload.json', JSON.stringify({ images: [{ name: 'ghcr.io/acme/web', tag: '1.5.0', units: ['apps/web/envs/*'] }], repository: 'acme/web' }));
    const args = ['images', '--payload', path.join(root, 'payload.json'), '--config', path.join(root, 'hydrate.yaml')];
    const first = await runCli(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      'kubernetes:apps/web/envs/prod: ghcr.io/acme/web 1.0.0 -> 1.5.0 (apps/web/envs/prod/kustomization.yaml)\n' +
        'kubernetes:apps/web/envs/staging: ghcr.io/acme/web 1.3.0 -> 1.5.0 (apps/web/envs/staging/kustomization.yaml)\n'
    );
    expect(read('apps/web/envs/staging/kustomization.yaml')).toBe(kustomization('1.5.0'));
    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('no pin changes: every pin already holds its value\n');
  });

  it('images with a malformed payload lists every problem, exits 2 and writes nothing', async () => {
    write('payload.json', JSON.stringify({ images: [{ name: 'ghcr.io/acme/web app', tag: '1', digest: 'sha256:1', units: ['apps/**'] }], extra: true }));
    const r = await runCli(['images', '--payload', path.join(root, 'payload.json'), '--config', path.join(root, 'hydrate.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').map((l) => l.slice(l.indexOf('error:')))).toEqual([
      'error: image update images[0].name: must be an image name without tag or digest, e.g. ghcr.io/acme/web (lowercase path, no spaces)',
      'error: image update images[0].digest: must be sha256: and 64 lowercase hex digits (or sha512: and 128)',
      'error: image update: unknown field "extra"',
      'error: image update images[0]: gives both tag and digest: give one'
    ]);
    expect(read('apps/web/envs/prod/kustomization.yaml')).toBe(kustomization('1.0.0'));
  });

  it('images with a selector matching no unit exits 1 and writes nothing', async () => {
    write('payload.json', JSON.stringify({ images: [{ name: 'ghcr.io/acme/web', tag: '2', coordinates: { env: 'qa' } }, { name: 'ghcr.io/acme/web', tag: '2', coordinates: { env: 'prod' } }] }));
    const r = await runCli(['images', '--payload', path.join(root, 'payload.json'), '--config', path.join(root, 'hydrate.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('images[0] (ghcr.io/acme/web): coordinates env=qa matches no unit');
    expect(read('apps/web/envs/prod/kustomization.yaml')).toBe(kustomization('1.0.0'));
  });

  it('promote prints the changes and the notes', async () => {
    const r = await runCli(['promote', '--from', 'env=staging', '--to', 'env=prod', '--config', path.join(root, 'hydrate.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kubernetes:kubernetes/c1/acme/prod: chart oci://ghcr.io/acme/charts/web 2.0.0 -> 2.1.0 (kubernetes/c1/acme/prod.yaml)\n');
    expect(r.stdout).toContain('note: tfworkspaces/acme/prod: no source unit matches env=staging with its other coordinates: nothing promoted\n');
    expect(read('apps/web/envs/prod/kustomization.yaml')).toBe(kustomization('1.3.0'));
  });

  it('both commands are listed in the help and have their own', async () => {
    const help = await runCli(['--help']);
    expect(help.stdout).toMatch(/^ {2}images {4}pin images in the dry tree/m);
    expect(help.stdout).toMatch(/^ {2}promote {3}copy image pins/m);
    expect((await runCli(['images', '--help'])).stdout).toContain('Usage: hydrate images --payload FILE [--config FILE] [--repo DIR]');
  });

  it('promote without --to is a usage error', async () => {
    const r = await runCli(['promote', '--from', 'env=staging', '--config', path.join(root, 'hydrate.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('promote needs --from and --to');
  });
});

describe('the pins config', () => {
  it('is read with its defaults, and a bad path or glob is an error at its line', async () => {
    const { parseConfig } = await import('../../src/settings/load-config.js');
    expect(parseConfig('version: 1\npins:\n  - image: ghcr.io/acme/web\n    path: image.tag\n', 'hydrate.yaml').pins).toEqual([
      { image: 'ghcr.io/acme/web', path: 'image.tag', files: ['*.yaml', '*.yml'], units: ['**'], value: 'tag' }
    ]);
    let err: HydrateError | undefined;
    try {
      parseConfig(`version: 1\npins:\n  - image: a\n    path: "image..tag"\n    files: ["${'*'.repeat(5)}.yaml"]\n    value: name\n`, 'hydrate.yaml');
    } catch (e) {
      err = e as HydrateError;
    }
    expect(err?.diagnostics.map((d) => `${d.line}: ${d.message.split(/[: ]/)[0]}`).sort()).toEqual(['4: pins[0].path', '5: pins[0].files[0]', '6: pins[0].value']);
  });
});
