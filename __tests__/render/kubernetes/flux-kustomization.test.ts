/**
 * Units from Flux Kustomizations (`from: flux`): discovery from the objects below `path`, and
 * each unit's render compared, object by object, with what the real kustomize builds from a
 * kustomization written by hand the way kustomize-controller's generator writes it, followed by
 * postBuild substitution and commonMetadata done by hand (plain text replacement and label
 * setting in the test, not Hydrate's code). Run with kustomize v5.5 and v5.7.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { createFileReader } from '../../../src/adapters/files.js';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { discoverUnits } from '../../../src/dry/discover.js';
import type { Unit } from '../../../src/dry/unit.js';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { fluxSubstitute } from '../../../src/render/kubernetes/flux-kustomization.js';
import { hydrateConfig } from '../../../src/settings/schema/config.js';
import { FLUX_CONFIG, FLUX_REPO } from '../../fixtures/flux-repo.js';
import { KUBECTLS, pathOf, tool, type ToolName } from '../../helpers/tools.js';
import { makeInput, tempRepo } from './fixtures.js';

const execFileAsync = promisify(execFile);

type Obj = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

function byIdentity(objects: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const o of objects) {
    const r = o as Obj;
    m.set(`${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`, o);
  }
  return m;
}

const IMAGES_FLUX = [
  '  - name: nginx',
  '    newTag: "1.27"',
  '  - name: busybox',
  '    newName: registry.example/busybox',
  '    digest: sha256:0000000000000000000000000000000000000000000000000000000000000001'
].join('\n');
const PATCHES_FLUX = [
  'patches:',
  '  - patch: |',
  '      - op: replace',
  '        path: /spec/replicas',
  '        value: 2',
  '    target:',
  '      kind: Deployment',
  '      name: web',
  '  - patch: |',
  '      apiVersion: v1',
  '      kind: Service',
  '      metadata:',
  '        name: not-used',
  '        labels:',
  '          patched: "yes"',
  '    target:',
  '      kind: Service'
].join('\n');
const WEB_RESOURCES = 'resources:\n  - deployment.yaml\n  - service.yaml\n  - vars.yaml\n  - raw.yaml\n';

/**
 * The kustomization of each unit as kustomize-controller writes it, by hand, with what the test
 * does after the build: [dir, kustomization, text replacements per object (not for objects
 * annotated substitute: disabled), commonMetadata].
 */
const HAND: Record<string, { dir: string; kustomization: string; replace?: [string, string][]; labels?: Record<string, string>; annotations?: Record<string, string> }> = {
  'kubernetes:clusters/production/infra.yaml#flux-system/infra': {
    dir: 'infra',
    kustomization: 'resources:\n  - ./a/cm.yaml\n  - ./deep/x/cm.yaml\n  - ./helmrelease.yaml\n  - ./sub\nnamespace: infra-system\n',
    labels: { team: 'platform' },
    annotations: { owner: 'ops' }
  },
  'kubernetes:clusters/production/apps.yaml#flux-system/apps': {
    dir: 'apps/web',
    kustomization: `${WEB_RESOURCES}images:\n${IMAGES_FLUX}\nnamespace: web\nnamePrefix: prod-\nnameSuffix: -v1\n${PATCHES_FLUX}\ncomponents:\n  - ../../components/debug\n`,
    replace: [
      ['$${CLUSTER}', '\u0001'],
      ['${CLUSTER}', 'production'],
      ['${GREETING}', 'hello'],
      ['${UNSET:=fallback-value}', 'fallback-value'],
      ['${UNSET2:-dash-value}', 'dash-value'],
      ['${UNSET_NO_DEFAULT}', ''],
      ['${MULTI}', 'ab'],
      ['\u0001', '${CLUSTER}']
    ]
  },
  'kubernetes:clusters/production/apps.yaml#flux-system/apps-canary': {
    dir: 'apps/web',
    kustomization: `${WEB_RESOURCES}images:\n  - name: nginx\n    newTag: "1.25"\nnamespace: web-canary\nnamePrefix: canary-\n`
  },
  'kubernetes:clusters/production/apps.yaml#flux-system/apps-secret': {
    dir: 'apps/vars',
    kustomization: 'resources:\n  - ./cm.yaml\n',
    replace: [['${GREETING}', 'hi']]
  },
  'kubernetes:clusters/production/flux-system/gotk-sync.yaml#flux-system/flux-system': {
    dir: 'clusters/production',
    kustomization: 'resources:\n  - ./apps.yaml\n  - ./external.yaml\n  - ./flux-system/gotk-sync.yaml\n  - ./infra.yaml\n  - ./vars.yaml\n'
  },
  'kubernetes:clusters/staging/apps.yaml#flux-system/apps': {
    dir: 'apps/web',
    kustomization: `${WEB_RESOURCES}images:\n  - name: nginx\n    newTag: "1.25"\nnamespace: web-staging\n`,
    replace: [
      ['$${CLUSTER}', '\u0001'],
      ['${CLUSTER}', 'staging'],
      ['${GREETING}', ''],
      ['${UNSET:=fallback-value}', 'fallback-value'],
      ['${UNSET2:-dash-value}', 'dash-value'],
      ['${UNSET_NO_DEFAULT}', ''],
      ['${MULTI}', 'm'],
      ['\u0001', '${CLUSTER}']
    ]
  }
};

/** kubectl kustomize on a copy of the repository whose `dir` holds the hand-written kustomization, then the post-build steps by hand. */
async function byHand(kubectl: string, unitId: string): Promise<Map<string, unknown>> {
  const h = HAND[unitId]!;
  const copy = await tempRepo({ ...FLUX_REPO, [`${h.dir}/kustomization.yaml`]: h.kustomization });
  try {
    const { stdout } = await execFileAsync(kubectl, ['kustomize', join(copy.root, h.dir)], { encoding: 'utf8' });
    const objects = stdout
      .split(/^---$/m)
      .filter((d) => d.trim() !== '')
      .map((doc) => {
        const raw = parseAllDocuments(doc, { version: '1.1' })[0]!.toJS() as Obj;
        if (raw.metadata.annotations?.['kustomize.toolkit.fluxcd.io/substitute'] === 'disabled') return raw;
        let text = doc;
        for (const [from, to] of h.replace ?? []) text = text.split(from).join(to);
        return parseAllDocuments(text, { version: '1.1' })[0]!.toJS() as Obj;
      });
    for (const o of objects) {
      if (h.labels) o.metadata.labels = { ...o.metadata.labels, ...h.labels };
      if (h.annotations) o.metadata.annotations = { ...o.metadata.annotations, ...h.annotations };
    }
    return byIdentity(objects);
  } finally {
    await copy.cleanup();
  }
}

let repo: { root: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  repo = await tempRepo(FLUX_REPO);
});
afterAll(async () => {
  await repo.cleanup();
});

describe('from: flux discovery', () => {
  it('makes one unit per Kustomization of this repository below path, with name, namespace and cluster, and lists the others with reasons', async () => {
    const input = makeInput(repo.root, parse(FLUX_CONFIG), []);
    const found = await discoverUnits(input.settings, createFileReader());
    expect(found.units.map((u) => [u.id, u.dir, u.output, u.coordinates])).toEqual([
      ['kubernetes:clusters/production/apps.yaml#flux-system/apps', 'apps/web', 'production/apps', { name: 'apps', namespace: 'flux-system', cluster: 'production' }],
      ['kubernetes:clusters/production/apps.yaml#flux-system/apps-canary', 'apps/web', 'production/apps-canary', { name: 'apps-canary', namespace: 'flux-system', cluster: 'production' }],
      ['kubernetes:clusters/production/apps.yaml#flux-system/apps-secret', 'apps/vars', 'production/apps-secret', { name: 'apps-secret', namespace: 'flux-system', cluster: 'production' }],
      ['kubernetes:clusters/production/flux-system/gotk-sync.yaml#flux-system/flux-system', 'clusters/production', 'production/flux-system', { name: 'flux-system', namespace: 'flux-system', cluster: 'production' }],
      ['kubernetes:clusters/production/infra.yaml#flux-system/infra', 'infra', 'production/infra', { name: 'infra', namespace: 'flux-system', cluster: 'production' }],
      ['kubernetes:clusters/staging/apps.yaml#flux-system/apps', 'apps/web', 'staging/apps', { name: 'apps', namespace: 'flux-system', cluster: 'staging' }]
    ]);
    expect(found.configErrors).toEqual([]);
    const shown = found.diagnostics.map((d) => [d.severity, d.file, d.line, d.message]);
    expect(shown).toEqual(
      expect.arrayContaining([
        ['warning', 'clusters/production/external.yaml', 10, expect.stringContaining('GitRepository flux-system/podinfo (https://github.com/example/podinfo), which is not this repository')],
        ['warning', 'clusters/production/external.yaml', 23, expect.stringContaining('OCIRepository flux-system/manifests (an OCI artifact)')],
        ['warning', 'clusters/production/apps.yaml', expect.any(Number), expect.stringContaining('depends on flux-system/not-here, which no Kustomization below clusters defines')]
      ])
    );
    expect(found.diagnostics).toHaveLength(3);
  });

  it('says where a dependency is when it is a Kustomization of another cluster folder, not that none defines it', async () => {
    // A home-ops layout read from its apps folder: each namespace folder is a `cluster`.
    const ks = (name: string, ns: string, path: string, dep = ''): string =>
      `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  path: ${path}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${dep}`;
    const dry = await tempRepo({
      'apps/database/cnpg/ks.yaml': ks('cnpg', 'database', './apps/database/cnpg/app'),
      'apps/database/cnpg/app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
      'apps/auth/lldap/ks.yaml': ks('lldap', 'auth', './apps/auth/lldap/app', '  dependsOn:\n    - name: cnpg\n      namespace: database\n    - name: gone\n'),
      'apps/auth/lldap/app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n'
    });
    try {
      const input = makeInput(dry.root, { version: 1, kubernetes: [{ from: 'flux', path: 'apps', output: '{cluster}/{name}' }] }, []);
      const found = await discoverUnits(input.settings, createFileReader());
      expect(found.diagnostics.map((d) => [d.severity, d.file, d.message])).toEqual([
        [
          'warning',
          'apps/auth/lldap/ks.yaml',
          'Flux Kustomization auth/lldap depends on database/cnpg, which is a Kustomization of cluster database (apps/database/cnpg/ks.yaml), not of its cluster auth: a cluster is the first folder below apps, so point path at one cluster\'s folder if these deploy together'
        ],
        ['warning', 'apps/auth/lldap/ks.yaml', 'Flux Kustomization auth/lldap depends on auth/gone, which no Kustomization below apps defines: it must exist in the cluster']
      ]);
    } finally {
      await dry.cleanup();
    }
  });

  it('with strict: true the Kustomizations that cannot be resolved offline are errors', async () => {
    const input = makeInput(repo.root, { version: 1, kubernetes: [{ from: 'flux', path: 'clusters/production', output: '{cluster}/{name}', strict: true }] }, []);
    const found = await discoverUnits(input.settings, createFileReader());
    expect(found.diagnostics.filter((d) => d.severity === 'error').map((d) => d.unit)).toEqual([
      'kubernetes:clusters/production/external.yaml#flux-system/podinfo',
      'kubernetes:clusters/production/external.yaml#flux-system/oci'
    ]);
    // path: clusters/production itself: the cluster is its last segment.
    expect(new Set(found.units.map((u) => u.coordinates['cluster']))).toEqual(new Set(['production']));
  });

  it('exclude skips Kustomizations by file or by spec.path, unresolvable ones without a warning', async () => {
    const input = makeInput(repo.root, { version: 1, kubernetes: [{ from: 'flux', path: 'clusters', output: '{cluster}/{name}', exclude: ['clusters/production/external.yaml', 'apps/web'] }] }, []);
    const found = await discoverUnits(input.settings, createFileReader());
    expect(found.units.map((u) => u.id)).toEqual([
      'kubernetes:clusters/production/apps.yaml#flux-system/apps-secret',
      'kubernetes:clusters/production/flux-system/gotk-sync.yaml#flux-system/flux-system',
      'kubernetes:clusters/production/infra.yaml#flux-system/infra'
    ]);
    // apps-canary's dependsOn is not checked: it is excluded.
    expect(found.diagnostics).toEqual([]);
  });

  it('an entry needs exactly one of match and from with path', () => {
    const bad = (e: Record<string, unknown>): string[] => {
      const r = hydrateConfig.safeParse({ version: 1, kubernetes: [{ output: 'x', ...e }] });
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(bad({ from: 'flux', path: 'clusters' })).toEqual([]);
    expect(bad({ match: 'apps/{app}' })).toEqual([]);
    expect(bad({})).toEqual([expect.stringContaining('missing required key "match"')]);
    expect(bad({ from: 'flux' })).toEqual([expect.stringContaining('`from` needs `path`')]);
    expect(bad({ from: 'flux', path: 'c', match: 'a' })).toEqual([expect.stringContaining('exclude each other')]);
  });
});

describe('Flux postBuild substitution', () => {
  const vars = new Map([
    ['A', 'one'],
    ['EMPTY', '']
  ]);
  it.each([
    ['${A}', 'one', false],
    ['${MISSING}', '', false],
    ['${MISSING:=d}', 'd', false],
    ['${MISSING:-d}', 'd', false],
    ['${EMPTY:=d}', 'd', false],
    ['${A:=d}', 'one', false],
    ['$${A}', '${A}', false],
    ['$A and ${A}', '$A and one', false],
    ['${MISSING} ${A}', '${MISSING} one', true],
    ['${MISSING:=d}', '${MISSING:=d}', true],
    ['${MISSING=pre-${A}-post}', 'pre-one-post', false],
    ['${MISSING:-${ALSO:-x}}', 'x', false],
    ['$$A stays', '$A stays', false],
    ['${MISSING^^} ${A:1}', '${MISSING^^} ne', true]
  ])('%s gives %s (leave unknown: %s)', (text, want, leave) => {
    expect(fluxSubstitute(text, vars, leave).text).toBe(want);
  });
  // Expected values from the test table of Flux's envsubst (fluxcd/pkg envsubst/eval_test.go,
  // cases from tldp.org's parameter substitution), not from Hydrate's code.
  it.each([
    [{ var01: 'abcdEFGH28ij' }, '${#var01}', '12'],
    [{ var01: 'abcdEFGH28ij' }, '${var01^}', 'AbcdEFGH28ij'],
    [{ var01: 'abcdEFGH28ij' }, '${var01^^}', 'ABCDEFGH28IJ'],
    [{ var01: 'ABCDEFGH28IJ' }, '${var01,}', 'aBCDEFGH28IJ'],
    [{ var01: 'ABCDEFGH28IJ' }, '${var01,,}', 'abcdefgh28ij'],
    [{ path_name: '/home/bozo/ideas/thoughts.for.today' }, '${path_name:11}', 'ideas/thoughts.for.today'],
    [{ path_name: '/home/bozo/ideas/thoughts.for.today' }, '${path_name:11:5}', 'ideas'],
    [{ var: 'abc' }, '${var=xyz}', 'abc'],
    [{}, '${var=xyz}', 'xyz'],
    [{ default_var: 'foo' }, 'something ${var=${default_var}}', 'something foo'],
    [{ default_var: 'foo1' }, 'foo: ${var=prefix${default_var}-suffix}', 'foo: prefixfoo1-suffix'],
    [{}, '${var:=xyz}', 'xyz'],
    [{ stringZ: 'abcABC123ABCabc' }, '${stringZ/%abc/XYZ}', 'abcABC123ABCXYZ'],
    [{ stringZ: 'abcABC123ABCabc' }, '${stringZ/#abc/XYZ}', 'XYZABC123ABCabc'],
    [{ stringZ: 'somevalue' }, '${stringZ/#/prefix-}', 'prefix-somevalue'],
    [{ stringZ: 'somevalue' }, '${stringZ/%/-suffix}', 'somevalue-suffix'],
    [{ stringZ: 'abcABC123ABCabc' }, '${stringZ//abc/xyz}', 'xyzABC123ABCxyz'],
    [{ stringZ: 'abcABC123ABCabc' }, '${stringZ/abc/xyz}', 'xyzABC123ABCabc'],
    [{ filename: 'bash.string.txt' }, '${filename#*.}', 'string.txt'],
    [{ filename: 'path/to/file' }, '${filename#*/}', 'to/file'],
    [{ filename: '/path/to/file' }, '${filename#*/}', 'path/to/file'],
    [{ filename: 'bash.string.txt' }, '${filename##*.}', 'txt'],
    [{ filename: 'path/to/file' }, '${filename##*/}', 'file'],
    [{ filename: 'bash.string.txt' }, '${filename%.*}', 'bash.string'],
    [{ filename: 'bash.string.txt' }, '${filename%%.*}', 'bash'],
    [{ var01: 'abcdEFGH28ij' }, '${var=${var01^^}}', 'ABCDEFGH28IJ'],
    [{ var01: 'abcdEFGH28ij' }, 'some text ${var01}$${var$${var01}$var01${var01}', 'some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij'],
    [{ default_var: 'foo' }, 'something $${var=${default_var}}', 'something ${var=foo}'],
    [{ stringZ: 'foo/bar' }, '${stringZ/\\//-}', 'foo-bar'],
    [{ stringZ: 'foo/bar/baz' }, '${stringZ//\\//-}', 'foo-bar-baz'],
    [{ default_var: 'foo' }, '\\\\something ${var=${default_var}}', '\\\\something foo'],
    [{ stringZ: 'foo.bar' }, '${stringZ/./}', 'foobar'],
    // Go's strconv.Atoi and bash: a negative length counts from the end; `:-` is a default; a space is no number.
    [{ v: 'abcdef' }, '${v:1:-1}', 'bcde'],
    [{ v: 'abcdef' }, '${v:-2}', 'abcdef'],
    [{ v: 'abcdef' }, '${v: -2}', 'abcdef'],
    [{ v: 'abcdef' }, '${v:-2:1}', 'abcdef']
  ])('Flux envsubst: %j %s gives %s', (vars, text, want) => {
    const r = fluxSubstitute(text, new Map(Object.entries(vars)), false);
    expect(r.error).toBeUndefined();
    expect(r.text).toBe(want);
  });
  it.each([
    ['${A-d}', 'missing closing brace'],
    ['${A+d}', 'missing closing brace'],
    ['${A?d}', 'missing closing brace'],
    ['x: ${A', 'missing closing brace'],
    ['${A^^x}', 'bad substitution'],
    ['${}', 'unable to parse variable name'],
    ['${A#}', 'unable to parse substitution within function'],
    ['${A:1:2', 'bad substitution']
  ])('%s is refused as Flux refuses it (%s)', (text, reason) => {
    const r = fluxSubstitute(`a: 1\nb: ${text}\n`, vars, false);
    expect(r.error).toEqual({ expression: text.replace(/^x: /, ''), reason, line: 2 });
  });
});

describe.each(KUBECTLS)('Flux units rendered with %s equal kustomize on the kustomization the controller writes', (k: ToolName) => {
  const kubectl = tool(k);
  let units: Unit[];
  beforeAll(async () => {
    const input = makeInput(repo.root, parse(FLUX_CONFIG), []);
    units = (await discoverUnits(input.settings, createFileReader())).units;
  });

  it.each(Object.keys(HAND))('%s', async (id) => {
    const unit = units.find((u) => u.id === id)!;
    const exec = createProcessRunner({ PATH: pathOf(kubectl) });
    const r = await renderKubernetesUnit(unit, makeInput(repo.root, parse(FLUX_CONFIG), [unit], exec));
    const have = byIdentity(r.resources.map((x) => x.object));
    expect(have).toEqual(await byHand(kubectl.bin, id));
    expect(have.size).toBeGreaterThan(0);
    if (id === 'kubernetes:clusters/production/apps.yaml#flux-system/apps') {
      // What the comparison holds, spelled out.
      expect((have.get('ConfigMap/web/prod-settings-v1') as { data: unknown }).data).toEqual({
        cluster: 'production',
        greeting: 'hello from production',
        fallback: 'fallback-value',
        dash: 'dash-value',
        empty: 'xy',
        escaped: '${CLUSTER}',
        bare: '$CLUSTER',
        multi: 'ab'
      });
      expect((have.get('ConfigMap/web/prod-raw-v1') as { data: unknown }).data).toEqual({ kept: '${CLUSTER}' });
      expect(have.has('ConfigMap/web/prod-debug-v1')).toBe(true);
      const containers = (have.get('Deployment/web/prod-web-v1') as { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } }).spec;
      expect(containers.replicas).toBe(2);
      expect(containers.template.spec.containers.map((c) => c.image)).toEqual([
        'nginx:1.27',
        'registry.example/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000001'
      ]);
    }
    const messages = r.diagnostics.map((d) => `${d.severity}: ${d.message}`);
    if (id.endsWith('/apps-secret')) {
      expect(messages).toEqual(['warning: postBuild.substituteFrom Secret cluster-secrets (Secret values are never read) cannot be read offline: ${OTHER}, ${TOKEN} left as written']);
    } else if (id.endsWith('/infra')) {
      expect(messages).toEqual(['notice: HelmRelease infra-system/ingress is kept as an object: its chart comes from HelmRepository ingress, not this repository; helm-controller renders its chart in the cluster']);
    } else expect(messages).toEqual([]);
  });
});

describe('Flux units never write into the dry tree', () => {
  it('leaves the repository as it was (no kustomization generated in a path without one)', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'hydrate-flux-clean-'));
    try {
      const input = makeInput(repo.root, parse(FLUX_CONFIG), []);
      const units = (await discoverUnits(input.settings, createFileReader())).units;
      for (const u of units) await renderKubernetesUnit(u, makeInput(repo.root, parse(FLUX_CONFIG), [u]));
      const { stdout } = await execFileAsync('find', [repo.root, '-name', 'kustomization.yaml'], { encoding: 'utf8' });
      expect(stdout.split('\n').filter(Boolean).map((p) => p.slice(repo.root.length + 1)).sort()).toEqual(['apps/web/kustomization.yaml', 'components/debug/kustomization.yaml', 'infra/sub/kustomization.yaml']);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('a Kustomization of the repository root', () => {
  it('with spec.path omitted builds the root kustomization, equal to kustomize by hand', async () => {
    const files = {
      'hydrate.yaml': 'version: 1\nkubernetes:\n  - from: flux\n    path: flux\n    output: "{name}"\n',
      '.git/config': '[core]\n',
      'flux/root.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: root\n  namespace: flux-system\nspec:\n  interval: 5m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  targetNamespace: everything\n',
      'kustomization.yaml': 'resources:\n  - manifests/cm.yaml\n',
      'manifests/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: top\ndata:\n  v: "1"\n'
    };
    const dry = await tempRepo(files);
    try {
      const cfg = parse(files['hydrate.yaml']);
      const [unit] = (await discoverUnits(makeInput(dry.root, cfg, []).settings, createFileReader())).units;
      expect([unit!.id, unit!.dir]).toEqual(['kubernetes:flux/root.yaml#flux-system/root', '.']);
      const r = await renderKubernetesUnit(unit!, makeInput(dry.root, cfg, [unit!]));
      expect(r.diagnostics).toEqual([]);
      const hand = await tempRepo({ ...files, 'kustomization.yaml': 'resources:\n  - manifests/cm.yaml\nnamespace: everything\n' });
      try {
        const { stdout } = await execFileAsync('kubectl', ['kustomize', hand.root], { encoding: 'utf8' });
        expect(byIdentity(r.resources.map((x) => x.object))).toEqual(byIdentity(parseAllDocuments(stdout, { version: '1.1' }).map((d) => d.toJS() as unknown)));
        expect(r.resources.map((x) => (x.object as Obj).metadata.namespace)).toEqual(['everything']);
      } finally {
        await hand.cleanup();
      }
    } finally {
      await dry.cleanup();
    }
  });
});

describe('hostile or broken Flux objects', () => {
  const ksText = (spec: string): string =>
    `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: bad\n  namespace: flux-system\nspec:\n  interval: 5m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${spec}`;
  const cfg = { version: 1, kubernetes: [{ from: 'flux', path: 'flux', output: '{name}' }] };

  it('a spec.path leaving the repository is refused at discovery, at the object\'s file and line', async () => {
    const dry = await tempRepo({ 'flux/a.yaml': `# leading comment\n${ksText('  path: ../../etc\n')}` });
    try {
      const found = await discoverUnits(makeInput(dry.root, cfg, []).settings, createFileReader());
      expect(found.units).toEqual([]);
      expect(found.diagnostics).toEqual([expect.objectContaining({ severity: 'error', file: 'flux/a.yaml', line: 2, message: expect.stringContaining('..') })]);
    } finally {
      await dry.cleanup();
    }
  });

  it('a GitRepository of another name is this repository when flux.sources names it', async () => {
    const dry = await tempRepo({
      'flux/a.yaml': ksText('  path: ./app\n').replace('name: flux-system', 'name: home-kubernetes'),
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n'
    });
    try {
      const without = await discoverUnits(makeInput(dry.root, cfg, []).settings, createFileReader());
      expect(without.units).toEqual([]);
      expect(without.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', file: 'flux/a.yaml', message: expect.stringContaining('name it in flux.sources') })]);
      const named = { version: 1, kubernetes: [{ ...cfg.kubernetes[0], flux: { sources: ['home-kubernetes'] } }] };
      const found = await discoverUnits(makeInput(dry.root, named, []).settings, createFileReader());
      expect(found.diagnostics).toEqual([]);
      const r = await renderKubernetesUnit(found.units[0]!, makeInput(dry.root, named, found.units));
      expect(r.resources.map((x) => x.object.metadata)).toEqual([{ name: 'app' }]);
    } finally {
      await dry.cleanup();
    }
  });

  it('a component outside the repository fails the unit before kustomize runs; invalid YAML names file and line', async () => {
    const dry = await tempRepo({
      'flux/a.yaml': ksText('  path: ./app\n  components:\n    - ../../../outside\n'),
      'flux/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n',
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n'
    });
    try {
      const found = await discoverUnits(makeInput(dry.root, cfg, []).settings, createFileReader());
      expect(found.diagnostics).toEqual([expect.objectContaining({ severity: 'error', file: 'flux/broken.yaml', line: expect.any(Number), message: expect.stringContaining('invalid YAML') })]);
      const r = await renderKubernetesUnit(found.units[0]!, makeInput(dry.root, cfg, found.units, fakeKustomize()));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'error', file: 'flux/a.yaml', message: expect.stringContaining('spec.components') })]);
    } finally {
      await dry.cleanup();
    }
  });
});

describe('postBuild values are strings, as the API server takes them', () => {
  it('an unquoted YAML 1.1 boolean (yes) in substitute fails the unit at the object', async () => {
    const dry = await tempRepo({
      'flux/a.yaml':
        'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: a\n  namespace: flux-system\nspec:\n  interval: 5m\n  path: ./app\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n      ENABLED: yes\n',
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  on: "${ENABLED}"\n'
    });
    try {
      const cfg = { version: 1, kubernetes: [{ from: 'flux', path: 'flux', output: '{name}' }] };
      const found = await discoverUnits(makeInput(dry.root, cfg, []).settings, createFileReader());
      const r = await renderKubernetesUnit(found.units[0]!, makeInput(dry.root, cfg, found.units));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([expect.objectContaining({ file: 'flux/a.yaml', line: 1, message: 'postBuild.substitute.ENABLED is not a string: quote it (the cluster refuses the object otherwise)' })]);
    } finally {
      await dry.cleanup();
    }
  });
});

describe('postBuild expressions as Flux evaluates or refuses them', () => {
  const ks = (substitute: string): string =>
    `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: a\n  namespace: flux-system\nspec:\n  interval: 5m\n  path: ./app\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n${substitute}`;
  const cfg = { version: 1, kubernetes: [{ from: 'flux', path: 'flux', output: '{name}' }] };

  it('case, substring, replace and trim forms render into the objects (read back with the yaml package)', async () => {
    const dry = await tempRepo({
      'flux/a.yaml': ks('      ENV: Production\n      IMAGE: registry.example/team/web:1.2.3\n'),
      'app/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${ENV,,}\ndata:\n  upper: "${ENV^^}"\n  short: "${ENV:0:4}"\n  repo: "${IMAGE%:*}"\n  tag: "${IMAGE##*:}"\n  dashed: \'${IMAGE//\\//-}\'\n  fallback: "${REGION:=eu-west-1}"\n'
    });
    try {
      const found = await discoverUnits(makeInput(dry.root, cfg, []).settings, createFileReader());
      const r = await renderKubernetesUnit(found.units[0]!, makeInput(dry.root, cfg, found.units));
      expect(r.diagnostics).toEqual([]);
      const cm = parse(JSON.stringify(r.resources[0]!.object), { version: '1.1' }) as Record<string, unknown>;
      expect(cm).toMatchObject({
        metadata: { name: 'app-production' },
        data: { upper: 'PRODUCTION', short: 'Prod', repo: 'registry.example/team/web', tag: '1.2.3', dashed: 'registry.example-team-web:1.2.3', fallback: 'eu-west-1' }
      });
    } finally {
      await dry.cleanup();
    }
  });

  it('a form Flux refuses (${var-default}) fails the unit, naming the expression, the object and its line', async () => {
    const dry = await tempRepo({
      'flux/a.yaml': ks('      ENV: prod\n'),
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: web\ndata:\n  env: "${ENV-dev}"\n'
    });
    try {
      const found = await discoverUnits(makeInput(dry.root, cfg, []).settings, createFileReader());
      const r = await renderKubernetesUnit(found.units[0]!, makeInput(dry.root, cfg, found.units));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ severity: 'error', file: 'flux/a.yaml', line: 1, message: expect.stringMatching(/^postBuild: \$\{ENV-dev\} \(line \d+ of ConfigMap web\/app as kustomize builds it\) is not an expression Flux's envsubst parses \(missing closing brace\)/) })
      ]);
    } finally {
      await dry.cleanup();
    }
  });
});

/** A runner that finds kubectl but fails the test if anything is run. */
function fakeKustomize(): ReturnType<typeof createProcessRunner> {
  const real = createProcessRunner();
  return {
    ...real,
    run: async () => {
      throw new Error('no tool may run for this unit');
    }
  };
}
