/**
 * The pin planner on texts: kustomization images: entries (read back by kustomize), seed 000's
 * images.yaml, configured YAML paths in Helm values, release `set` entries and claims; every
 * other byte of an edited file stays as it was; a plan applied is a fixed point; promotions copy
 * what can be copied and report the rest.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { HydrateError } from '../../../src/diagnostics.js';
import type { ImageUpdate } from '../../../src/dry/pins/payload.js';
import { parseSelector, planImageUpdate, planPromotion, type PinFile, type PinPlan, type PinUnit } from '../../../src/dry/pins/plan.js';
import { pinRule, type PinRule } from '../../../src/settings/schema/pins.js';
import { tool } from '../../helpers/tools.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

const KUSTOMIZATION = `# The web overlay.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml   # the app
images:
  # our app
  - name: ghcr.io/acme/web
    newTag: "1.0.0"   # bumped by CI
  - name: redis
    newTag: 7.0.1
  - {name: ghcr.io/acme/sidecar, newTag: v1}
  - name: ghcr.io/acme/worker
labels:
  - pairs: {team: web}
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: ghcr.io/acme/web}
        - {name: redis, image: "redis:6"}
        - {name: sidecar, image: "ghcr.io/acme/sidecar:v0"}
        - {name: worker, image: ghcr.io/acme/worker}
`;

function kunit(dir: string, coordinates: Record<string, string>, text = KUSTOMIZATION): PinUnit {
  return { id: `kubernetes:${dir}`, dir, coordinates, files: [{ role: 'kustomization', path: `${dir}/kustomization.yaml`, text }] };
}

function update(images: ImageUpdate['images'], repository?: string): ImageUpdate {
  return { images, reviewers: [], ...(repository ? { repository } : {}) };
}

function rule(r: Partial<PinRule> & { image: string; path: string }): PinRule {
  return pinRule.parse(r);
}

/** The files of `units` with a plan's edits applied (what the next run would read). */
function applied(units: PinUnit[], plan: PinPlan): PinUnit[] {
  const after = new Map(plan.edits.map((e) => [e.path, e.after]));
  return units.map((u) => ({ ...u, files: u.files.map((f) => ({ ...f, text: after.get(f.path) ?? f.text }) as PinFile) }));
}

/** Lines of `after` that differ from `before` (same line count assumed where asserted). */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const b = before.split('\n');
  const a = after.split('\n');
  return { removed: b.filter((l) => !a.includes(l)), added: a.filter((l) => !b.includes(l)) };
}

function thrown(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(HydrateError);
    return (e as HydrateError).diagnostics.map((d) => d.message);
  }
  throw new Error('did not throw');
}

/** `kubectl kustomize` of a directory holding `files`: the images of the Deployment's containers. */
function kustomizeImages(files: Record<string, string>): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'pins-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const out = execFileSync(tool('kubectl-1.32').bin, ['kustomize', dir], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/dev/null' } });
    const deployment = parseAllDocuments(out).map((d) => d.toJS() as { kind: string; spec: { template: { spec: { containers: { image: string }[] } } } }).find((o) => o.kind === 'Deployment')!;
    return deployment.spec.template.spec.containers.map((c) => c.image);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('kustomization images: entries', () => {
  const dev = kunit('apps/web/dev', { app: 'web', env: 'dev' });

  it('sets newTag where it stands: one line changes, every other byte stays, kustomize builds the asked image', () => {
    const plan = planImageUpdate([dev], update([{ name: 'ghcr.io/acme/web', tag: '1.2.3', coordinates: { env: 'dev' } }]));
    expect(plan.changes).toEqual([{ unit: 'kubernetes:apps/web/dev', image: 'ghcr.io/acme/web', file: 'apps/web/dev/kustomization.yaml', from: '1.0.0', to: '1.2.3' }]);
    expect(plan.edits).toHaveLength(1);
    const { before, after } = plan.edits[0]!;
    expect(before).toBe(KUSTOMIZATION);
    expect(after).toBe(KUSTOMIZATION.replace('newTag: "1.0.0"   # bumped by CI', 'newTag: "1.2.3"   # bumped by CI'));
    expect(kustomizeImages({ 'kustomization.yaml': after, 'deployment.yaml': DEPLOYMENT })).toEqual(['ghcr.io/acme/web:1.2.3', 'redis:7.0.1', 'ghcr.io/acme/sidecar:v1', 'ghcr.io/acme/worker']);
  });

  it('adds newTag to an entry without one, on its own line at the entry indent', () => {
    const plan = planImageUpdate([dev], update([{ name: 'ghcr.io/acme/worker', tag: '2.0', units: ['apps/web/*'] }]));
    const after = plan.edits[0]!.after;
    expect(changedLines(KUSTOMIZATION, after)).toEqual({ removed: [], added: ['    newTag: "2.0"'] });
    expect(after.split('\n').length).toBe(KUSTOMIZATION.split('\n').length + 1);
    expect(plan.changes[0]).toEqual({ unit: 'kubernetes:apps/web/dev', image: 'ghcr.io/acme/worker', file: 'apps/web/dev/kustomization.yaml', to: '2.0' });
    // "2.0" unquoted would read back as a number: kustomize gets the string.
    expect(kustomizeImages({ 'kustomization.yaml': after, 'deployment.yaml': DEPLOYMENT })).toContain('ghcr.io/acme/worker:2.0');
  });

  it('a digest replaces the tag (kustomize would use the digest over it), and a tag replaces a digest again', () => {
    const plan = planImageUpdate([dev], update([{ name: 'redis', digest: DIGEST, units: ['apps/web/dev'] }]));
    const after = plan.edits[0]!.after;
    expect(changedLines(KUSTOMIZATION, after)).toEqual({ removed: ['    newTag: 7.0.1'], added: [`    digest: ${DIGEST}`] });
    expect(kustomizeImages({ 'kustomization.yaml': after, 'deployment.yaml': DEPLOYMENT })).toContain(`redis@${DIGEST}`);
    const back = planImageUpdate(applied([dev], plan), update([{ name: 'redis', tag: '7.2', units: ['apps/web/dev'] }]));
    expect(back.changes[0]).toMatchObject({ from: DIGEST, to: '7.2' });
    expect(back.edits[0]!.after).toBe(KUSTOMIZATION.replace('newTag: 7.0.1', 'newTag: "7.2"'));
  });

  it('edits a flow-style entry in place', () => {
    const plan = planImageUpdate([dev], update([{ name: 'ghcr.io/acme/sidecar', tag: 'v2', units: ['apps/web/dev'] }]));
    expect(plan.edits[0]!.after).toBe(KUSTOMIZATION.replace('{name: ghcr.io/acme/sidecar, newTag: v1}', '{name: ghcr.io/acme/sidecar, newTag: v2}'));
  });

  it('is idempotent: the same update on the updated tree plans nothing', () => {
    const u = update([
      { name: 'ghcr.io/acme/web', tag: '1.2.3', coordinates: { env: 'dev' } },
      { name: 'ghcr.io/acme/worker', digest: DIGEST, units: ['apps/web/dev'] }
    ]);
    const first = planImageUpdate([dev], u);
    expect(first.changes).toHaveLength(2);
    expect(planImageUpdate(applied([dev], first), u)).toEqual({ edits: [], changes: [], notes: [] });
  });
});

describe('errors: nothing is planned', () => {
  const units = [kunit('apps/web/dev', { app: 'web', env: 'dev' }), kunit('apps/web/prod', { app: 'web', env: 'prod' })];

  it('lists a selector that matches no unit and an image no selected unit pins, together', () => {
    expect(
      thrown(() =>
        planImageUpdate(
          units,
          update([
            { name: 'ghcr.io/acme/web', tag: '1', coordinates: { env: 'qa' } },
            { name: 'ghcr.io/acme/web', tag: '1', units: ['apps/api/*'] },
            { name: 'ghcr.io/acme/api', tag: '1', coordinates: { app: 'web' } },
            { name: 'ghcr.io/acme/web', tag: '1', coordinates: { env: 'dev' } }
          ]),
          'event.json'
        )
      )
    ).toEqual([
      'event.json images[0] (ghcr.io/acme/web): coordinates env=qa matches no unit',
      'event.json images[1] (ghcr.io/acme/web): units "apps/api/*" match no unit',
      "event.json images[2] (ghcr.io/acme/api): no selected unit pins ghcr.io/acme/api (selected: apps/web/dev, apps/web/prod); a unit pins an image in its kustomization's images: entry, its images.yaml, or where the config's pins rules say"
    ]);
  });

  it('two requests setting one pin to different values', () => {
    expect(
      thrown(() =>
        planImageUpdate(units, update([
          { name: 'redis', tag: '1', coordinates: { env: 'dev' } },
          { name: 'redis', tag: '2', units: ['apps/web/dev'] }
        ]))
      )
    ).toEqual(['image update images[1] (redis): apps/web/dev/kustomization.yaml images[name=redis] is also set by images[0] to 1']);
  });

  it('a file that does not parse is named with its line', () => {
    const broken = kunit('apps/web/dev', { env: 'dev' }, 'images:\n  - name: a\n   newTag: [\n');
    let err: HydrateError | undefined;
    try {
      planImageUpdate([broken], update([{ name: 'a', tag: '1', units: ['**'] }]));
    } catch (e) {
      err = e as HydrateError;
    }
    expect(err?.diagnostics).toHaveLength(1);
    expect(err?.diagnostics[0]).toMatchObject({ file: 'apps/web/dev/kustomization.yaml', line: 3, unit: 'kubernetes:apps/web/dev' });
    // A unit the update does not select is not read: its broken file does not stop the update.
    const plan = planImageUpdate([broken, kunit('apps/web/prod', { env: 'prod' })], update([{ name: 'redis', tag: '8', coordinates: { env: 'prod' } }]));
    expect(plan.changes.map((c) => c.unit)).toEqual(['kubernetes:apps/web/prod']);
  });
});

describe("seed 000's images.yaml", () => {
  const IMAGES = `# written by CI
web:
  image: ghcr.io/acme/web:1.0.0
worker:
  image: 'ghcr.io/acme/worker:3'
`;
  const unit: PinUnit = { id: 'kubernetes:kubernetes/c1/acme/dev', dir: 'kubernetes/c1/acme/dev', coordinates: { cluster: 'c1', tenant: 'acme', env: 'dev' }, files: [{ role: 'images', path: 'kubernetes/c1/acme/dev/images.yaml', text: IMAGES }] };

  it('sets the service entries whose image has the name, keeping the rest', () => {
    const plan = planImageUpdate([unit], update([{ name: 'ghcr.io/acme/worker', digest: DIGEST, coordinates: { tenant: 'acme', env: 'dev', cluster: 'c1' } }]));
    expect(plan.edits[0]!.after).toBe(IMAGES.replace("'ghcr.io/acme/worker:3'", `'ghcr.io/acme/worker@${DIGEST}'`));
    expect(parse(plan.edits[0]!.after, { version: '1.1' })).toEqual({ web: { image: 'ghcr.io/acme/web:1.0.0' }, worker: { image: `ghcr.io/acme/worker@${DIGEST}` } });
    expect(plan.changes).toEqual([{ unit: unit.id, image: 'ghcr.io/acme/worker', file: 'kubernetes/c1/acme/dev/images.yaml', from: '3', to: DIGEST }]);
  });
});

describe('configured pins: Helm values, release set entries, claims', () => {
  const RELEASE = `chart: oci://ghcr.io/acme/charts/web
version: 1.4.0
set:
  - name: replicaCount
    value: 2
  - name: image.tag
    value: "1.0.0"
`;
  const VALUES = `image:
  repository: ghcr.io/acme/web
  tag: 1.0.0   # pinned
resources: {}
`;
  const helmRules = [rule({ image: 'ghcr.io/acme/web', path: 'image.tag' })];
  const helmUnit = (env: string, release = RELEASE, values = VALUES): PinUnit => ({
    id: `kubernetes:k/c1/web/${env}`,
    dir: `k/c1/web/${env}`,
    coordinates: { cluster: 'c1', env },
    files: [
      { role: 'release', path: `k/c1/web/${env}.yaml`, text: release, rules: helmRules },
      { role: 'values', path: `k/c1/web/${env}/values.yaml`, text: values, rules: helmRules }
    ]
  });

  it('sets the values key and the set entry named by the path; helm reads the new tag', () => {
    const plan = planImageUpdate([helmUnit('dev')], update([{ name: 'ghcr.io/acme/web', tag: '1.1.0', coordinates: { env: 'dev' } }]));
    expect(plan.edits.map((e) => e.path)).toEqual(['k/c1/web/dev.yaml', 'k/c1/web/dev/values.yaml']);
    expect(plan.edits[0]!.after).toBe(RELEASE.replace('value: "1.0.0"', 'value: "1.1.0"'));
    expect(plan.edits[1]!.after).toBe(VALUES.replace('tag: 1.0.0   # pinned', 'tag: 1.1.0   # pinned'));
    // helm itself reads the values file as the chart would get it.
    const dir = mkdtempSync(path.join(tmpdir(), 'pins-helm-'));
    try {
      mkdirSync(path.join(dir, 'chart', 'templates'), { recursive: true });
      writeFileSync(path.join(dir, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 1.4.0\n');
      writeFileSync(path.join(dir, 'chart', 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"}\n');
      writeFileSync(path.join(dir, 'values.yaml'), plan.edits[1]!.after);
      const out = execFileSync(tool('helm3').bin, ['template', 'web', path.join(dir, 'chart'), '--values', path.join(dir, 'values.yaml')], { encoding: 'utf8' });
      expect((parse(out) as { data: { image: string } }).data.image).toBe('ghcr.io/acme/web:1.1.0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a rule holding a tag refuses a digest, naming the place', () => {
    expect(thrown(() => planImageUpdate([helmUnit('dev')], update([{ name: 'ghcr.io/acme/web', digest: DIGEST, coordinates: { env: 'dev' } }])))).toEqual([
      `image update images[0] (ghcr.io/acme/web): k/c1/web/dev.yaml set[name=image.tag] holds the image's tag only (pins rule for ghcr.io/acme/web at image.tag, value: tag); ${DIGEST} cannot be written there`,
      `image update images[0] (ghcr.io/acme/web): k/c1/web/dev/values.yaml image.tag holds the image's tag only (pins rule for ghcr.io/acme/web at image.tag, value: tag); ${DIGEST} cannot be written there`
    ]);
  });

  it('a claim value by reference, in the document of a multi-document file that has it', () => {
    const CLAIMS = `kind: TFWorkspaceClaim
name: db
providers:
  terraform:
    values: {size: small}
---
kind: TFWorkspaceClaim
name: app
providers:
  terraform:
    values:
      image: ghcr.io/acme/web:1.0.0
`;
    const unit: PinUnit = {
      id: 'terraform:tf/aws/dev',
      dir: 'tf/aws/dev',
      coordinates: { env: 'dev' },
      files: [{ role: 'values', path: 'tf/aws/dev/claims.yaml', text: CLAIMS, rules: [rule({ image: 'ghcr.io/acme/web', path: 'providers.terraform.values.image', value: 'reference' })] }]
    };
    const plan = planImageUpdate([unit], update([{ name: 'ghcr.io/acme/web', tag: '1.2.0', units: ['tf/*/dev'] }]));
    expect(plan.edits[0]!.after).toBe(CLAIMS.replace('image: ghcr.io/acme/web:1.0.0', 'image: ghcr.io/acme/web:1.2.0'));
    expect(plan.changes).toEqual([{ unit: 'terraform:tf/aws/dev', image: 'ghcr.io/acme/web', file: 'tf/aws/dev/claims.yaml', from: '1.0.0', to: '1.2.0' }]);
  });

  describe('promotion', () => {
    it('copies image pins and the chart version into the target with the same other coordinates', () => {
      const staging = helmUnit('staging', RELEASE.replace('1.4.0', '1.5.0').replace('"1.0.0"', '"1.3.0"'), VALUES.replace('1.0.0', '1.3.0'));
      const prod = helmUnit('prod');
      const plan = planPromotion([staging, prod], parseSelector('env=staging'), parseSelector('env=prod'));
      expect(plan.notes).toEqual([]);
      expect(plan.changes).toEqual([
        { unit: 'kubernetes:k/c1/web/prod', image: 'oci://ghcr.io/acme/charts/web', file: 'k/c1/web/prod.yaml', from: '1.4.0', to: '1.5.0', kind: 'chart' },
        { unit: 'kubernetes:k/c1/web/prod', image: 'ghcr.io/acme/web', file: 'k/c1/web/prod.yaml', from: '1.0.0', to: '1.3.0' },
        { unit: 'kubernetes:k/c1/web/prod', image: 'ghcr.io/acme/web', file: 'k/c1/web/prod/values.yaml', from: '1.0.0', to: '1.3.0' }
      ]);
      expect(plan.edits.find((e) => e.path === 'k/c1/web/prod.yaml')!.after).toBe(RELEASE.replace('version: 1.4.0', 'version: 1.5.0').replace('"1.0.0"', '"1.3.0"'));
      // Promoting again: nothing left to do.
      expect(planPromotion(applied([staging, prod], plan), { env: 'staging' }, { env: 'prod' })).toEqual({ edits: [], changes: [], notes: [] });
    });

    it('reports, never guesses: no source, a digest the target cannot hold, a pin the target does not keep, one the source does not', () => {
      const kstaging = kunit('apps/web/staging', { app: 'web', env: 'staging' }, KUSTOMIZATION.replace('newTag: "1.0.0"', `digest: ${DIGEST}`));
      const kprod = kunit('apps/web/prod', { app: 'web', env: 'prod' }, KUSTOMIZATION.replace('  - name: redis\n    newTag: 7.0.1\n', '  - name: postgres\n    newTag: "16"\n'));
      const orphan = kunit('apps/api/prod', { app: 'api', env: 'prod' });
      const hstaging = helmUnit('staging', RELEASE, VALUES);
      const hprod: PinUnit = { ...helmUnit('prod'), files: [{ role: 'values', path: 'k/c1/web/prod/values.yaml', text: VALUES.replace('tag: 1.0.0', 'tag: 0.9.0'), rules: helmRules }] };
      // the staging values hold a digest by reference where prod holds a tag: the rule of prod's file cannot take it
      const refRules = [rule({ image: 'ghcr.io/acme/web', path: 'image.ref', value: 'reference' })];
      const rstaging: PinUnit = { id: 'kubernetes:r/staging', dir: 'r/staging', coordinates: { env: 'staging', r: '1' }, files: [{ role: 'values', path: 'r/staging/v.yaml', text: `image: {ref: "ghcr.io/acme/web@${DIGEST}"}\n`, rules: refRules }] };
      const rprod: PinUnit = { id: 'kubernetes:r/prod', dir: 'r/prod', coordinates: { env: 'prod', r: '1' }, files: [{ role: 'values', path: 'r/prod/v.yaml', text: 'image: {tag: "1.0.0"}\n', rules: [rule({ image: 'ghcr.io/acme/web', path: 'image.tag' })] }] };
      const plan = planPromotion([kstaging, kprod, orphan, hstaging, hprod, rstaging, rprod], { env: 'staging' }, { env: 'prod' });
      expect(plan.changes).toEqual([
        { unit: 'kubernetes:apps/web/prod', image: 'ghcr.io/acme/web', file: 'apps/web/prod/kustomization.yaml', from: '1.0.0', to: DIGEST },
        { unit: 'kubernetes:k/c1/web/prod', image: 'ghcr.io/acme/web', file: 'k/c1/web/prod/values.yaml', from: '0.9.0', to: '1.0.0' }
      ]);
      expect(plan.notes).toEqual([
        'apps/web/prod: apps/web/staging pins redis (apps/web/staging/kustomization.yaml images[name=redis]) but apps/web/prod keeps no pin of it: not copied',
        'apps/web/prod: apps/web/prod/kustomization.yaml images[name=postgres] pins postgres, which apps/web/staging does not pin: left as it is',
        'apps/api/prod: no source unit matches env=staging with its other coordinates: nothing promoted',
        'k/c1/web/prod: k/c1/web/staging pins chart oci://ghcr.io/acme/charts/web (k/c1/web/staging.yaml version) but k/c1/web/prod keeps no pin of it: not copied',
        `r/prod: r/prod/v.yaml image.tag holds the image's tag only (pins rule for ghcr.io/acme/web at image.tag, value: tag); ${DIGEST} cannot be written there: not copied from r/staging/v.yaml image.ref`
      ]);
      expect(plan.edits.map((e) => e.path)).toEqual(['apps/web/prod/kustomization.yaml', 'k/c1/web/prod/values.yaml']);
    });

    it('a source that pins one image two ways is reported', () => {
      const staging = helmUnit('staging', RELEASE, VALUES.replace('1.0.0', '1.1.0'));
      const plan = planPromotion([staging, helmUnit('prod')], { env: 'staging' }, { env: 'prod' });
      expect(plan.notes).toEqual(['k/c1/web/prod: k/c1/web/staging pins ghcr.io/acme/web as 1.0.0 in k/c1/web/staging.yaml set[name=image.tag] and as 1.1.0 in k/c1/web/staging/values.yaml image.tag: not promoted']);
      expect(plan.changes).toEqual([]);
    });

    it('a selector that matches no unit is an error', () => {
      expect(thrown(() => planPromotion([helmUnit('dev')], { env: 'staging' }, { env: 'prod' }))).toEqual(['promotion: --from env=staging matches no unit', 'promotion: --to env=prod matches no unit']);
    });
  });
});

describe('parseSelector', () => {
  it('reads name=value pairs', () => {
    expect(parseSelector('env=staging, cluster=a')).toEqual({ env: 'staging', cluster: 'a' });
  });
  it('names every bad part', () => {
    expect(() => parseSelector('env,=x,a=b c')).toThrow('selector "env,=x,a=b c": "env" is not name=value (a coordinate name and a non-empty value without spaces or /)\nselector "env,=x,a=b c": "=x" is not name=value (a coordinate name and a non-empty value without spaces or /)\nselector "env,=x,a=b c": "a=b c" is not name=value (a coordinate name and a non-empty value without spaces or /)');
  });
});
