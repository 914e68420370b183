/**
 * Release-file keys of the seed system (`patches`, `hooks`, `execs`, `remoteArtifacts`), unit
 * coordinates as chart values, and `kubeVersion`/`apiVersions`, rendered with real helm 3 and 4
 * on local charts. Outputs are compared with `helm template` run by hand, read with YAML 1.1 rules.
 */
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import type { Unit } from '../../../src/dry/unit.js';
import { HELMS, pathWith, tool } from '../../helpers/tools.js';
import { fakeRunner, makeInput, tempRepo } from './fixtures.js';

const CFG = { kubernetes: [{ match: 'k/{cluster}/{tenant}/{env}', output: '{cluster}/{tenant}/{env}' }] };

const CHART: Record<string, string> = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'charts/app/values.yaml': 'greeting: hello\n',
  'charts/app/templates/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ .Release.Name }}-cm',
    '  labels: {app: web}',
    'data:',
    '  greeting: {{ .Values.greeting | quote }}',
    '  cluster: {{ .Values.cluster | default "unset" | quote }}',
    '  clusterKind: {{ kindOf .Values.cluster | quote }}',
    '  tenant: {{ .Values.tenant | default "unset" | quote }}',
    '  env: {{ .Values.env | default "unset" | quote }}',
    '  nested: {{ ((.Values.hydrate).coordinates).env | default "unset" | quote }}',
    ''
  ].join('\n'),
  'charts/app/templates/capabilities.yaml': [
    '{{- if semverCompare ">=1.25-0" .Capabilities.KubeVersion.Version }}',
    'apiVersion: policy/v1',
    '{{- else }}',
    'apiVersion: policy/v1beta1',
    '{{- end }}',
    'kind: PodDisruptionBudget',
    'metadata: {name: pdb}',
    'spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}',
    '{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" }}',
    '---',
    'apiVersion: monitoring.coreos.com/v1',
    'kind: ServiceMonitor',
    'metadata: {name: web}',
    'spec: {selector: {matchLabels: {app: web}}}',
    '{{- end }}',
    ''
  ].join('\n')
};

const RELEASE_DIR = 'k/on/t1/0644';
const UNIT: Unit = {
  id: `kubernetes:${RELEASE_DIR}`,
  renderer: 'kubernetes',
  entry: 0,
  dir: RELEASE_DIR,
  // Coordinates that a YAML 1.1 reader would take as a bool and an octal number.
  coordinates: { cluster: 'on', tenant: 't1', env: '0644' },
  output: 'on/t1/0644'
};

function release(extra: string): Record<string, string> {
  return {
    ...CHART,
    [`${RELEASE_DIR}.yaml`]: `chart: ../../../charts/app\nversion: 0.1.0\nreleaseName: web\nnamespace: apps\n${extra}`,
    [`${RELEASE_DIR}/values.yaml`]: 'greeting: hi\n'
  };
}

/** Objects by `Kind/name`, read with YAML 1.1 rules as kubectl and Argo CD read them. */
function byId(objects: unknown[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const o of objects) {
    const obj = o as { kind: string; metadata: { name: string } };
    out.set(`${obj.kind}/${obj.metadata.name}`, o as Record<string, unknown>);
  }
  return out;
}

function helmByHand(bin: string, args: string[], cwd: string): Map<string, Record<string, unknown>> {
  const text = execFileSync(bin, args, { cwd, encoding: 'utf8', env: { ...process.env, LANG: 'C', TZ: 'UTC' } });
  return byId(parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS()).filter((v) => v !== null));
}

describe.each(HELMS)('release-file keys with %s', (name) => {
  const helm = tool(name);
  const exec = createProcessRunner({ ...process.env, PATH: pathWith(helm) });
  const render = async (files: Record<string, string>, config: unknown = CFG, unit: Unit = UNIT) => {
    const repo = await tempRepo(files);
    try {
      const r = await renderKubernetesUnit(unit, makeInput(repo.root, config, [], exec));
      return { r, root: repo.root, byId: byId(r.resources.map((x) => x.object)), cleanup: repo.cleanup };
    } catch (e) {
      await repo.cleanup();
      throw e;
    }
  };

  it('applies named patch sets from the patches library in order, before extraPatches', async () => {
    const lib = [
      'add-team:',
      '  - target: {kind: ConfigMap}',
      '    patch:',
      '      - {op: add, path: /metadata/labels/team, value: platform}',
      '      - {op: add, path: /metadata/labels/tier, value: library}',
      'add-owner:',
      '  - target: {kind: ConfigMap, name: web-cm}',
      '    patch:',
      '      - {op: add, path: /metadata/annotations, value: {owner: ops}}',
      'unused:',
      '  - target: {kind: Nothing}',
      '    patch: [{op: remove, path: /x}]',
      ''
    ].join('\n');
    const extra = [
      'patches: [add-team, add-owner]',
      'extraPatches:',
      '  - target: {kind: ConfigMap}',
      '    patch: [{op: replace, path: /metadata/labels/tier, value: extra}]',
      ''
    ].join('\n');
    const t = await render({ ...release(extra), 'lib/kustomizations/json_patches.yaml': lib });
    try {
      expect(t.r.diagnostics).toEqual([]);
      expect(t.r.status).toBe('rendered');
      const cm = t.byId.get('ConfigMap/web-cm') as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
      expect(cm.metadata.labels).toEqual({ app: 'web', team: 'platform', tier: 'extra' });
      expect(cm.metadata.annotations).toEqual({ owner: 'ops' });
    } finally {
      await t.cleanup();
    }
  });

  it('reads the library named by the entry, and reports an unknown set at its line in the release file', async () => {
    const cfg = { kubernetes: [{ ...CFG.kubernetes[0], helm: { patchesLibrary: 'patches/lib.yaml' } }] };
    const lib = 'ok:\n  - target: {kind: ConfigMap}\n    patch: [{op: add, path: /metadata/labels/x, value: "y"}]\n';
    const t = await render({ ...release('patches:\n  - ok\n  - missing\n'), 'patches/lib.yaml': lib }, cfg);
    try {
      expect(t.r.status).toBe('failed');
      expect(t.r.diagnostics).toEqual([
        expect.objectContaining({ file: `${RELEASE_DIR}.yaml`, line: 7, message: expect.stringContaining('patch set "missing" not found in the patches library patches/lib.yaml') })
      ]);
    } finally {
      await t.cleanup();
    }
  });

  it('refuses a patches library outside the repository (symlink) or inside .git', async () => {
    const outside = await tempRepo({ 'lib.yaml': 'ok:\n  - target: {kind: ConfigMap}\n    patch: [{op: add, path: /metadata/labels/x, value: "y"}]\n' });
    const repo = await tempRepo(release('patches: [ok]\n'));
    try {
      await mkdir(join(repo.root, 'lib/kustomizations'), { recursive: true });
      await symlink(join(outside.root, 'lib.yaml'), join(repo.root, 'lib/kustomizations/json_patches.yaml'));
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
      expect(r.status).toBe('failed');
      // One error, at the release file's `patches` line.
      expect(r.diagnostics).toEqual([
        expect.objectContaining({
          file: `${RELEASE_DIR}.yaml`,
          line: 5,
          message: 'patches library (helm.patchesLibrary) "lib/kustomizations/json_patches.yaml" leads outside the repository through a symlink'
        })
      ]);

      // A `.git` segment in the setting, in any case, is refused by its text.
      for (const lib of ['.git/lib.yaml', 'lib/.GIT/lib.yaml']) {
        const cfg = { kubernetes: [{ ...CFG.kubernetes[0], helm: { patchesLibrary: lib } }] };
        const r2 = await renderKubernetesUnit(UNIT, makeInput(repo.root, cfg, [], exec));
        expect(r2.status).toBe('failed');
        expect(r2.diagnostics).toEqual([
          expect.objectContaining({ file: `${RELEASE_DIR}.yaml`, line: 5, message: expect.stringMatching(/^patches library \(helm\.patchesLibrary\) ".*" names `\.(git|GIT)`: git's own folder is never read or written$/) })
        ]);
      }

      // A symlink into a `.git` folder, the repository's own or a nested repository's, is refused where it leads.
      await mkdir(join(repo.root, 'vendor/tool/.git'), { recursive: true });
      await mkdir(join(repo.root, '.git'), { recursive: true });
      await writeFile(join(repo.root, 'vendor/tool/.git/lib.yaml'), 'ok:\n  - target: {kind: ConfigMap}\n    patch: [{op: add, path: /metadata/labels/x, value: "y"}]\n');
      await writeFile(join(repo.root, '.git/lib.yaml'), 'ok: []\n');
      await symlink('../vendor/tool/.git/lib.yaml', join(repo.root, 'lib/nested.yaml'));
      await symlink('../.git/lib.yaml', join(repo.root, 'lib/own.yaml'));
      for (const lib of ['lib/nested.yaml', 'lib/own.yaml']) {
        const cfg = { kubernetes: [{ ...CFG.kubernetes[0], helm: { patchesLibrary: lib } }] };
        const r3 = await renderKubernetesUnit(UNIT, makeInput(repo.root, cfg, [], exec));
        expect(r3.status).toBe('failed');
        expect(r3.diagnostics).toEqual([
          expect.objectContaining({ file: `${RELEASE_DIR}.yaml`, line: 5, message: `patches library (helm.patchesLibrary) "${lib}" leads into .git through a symlink` })
        ]);
      }
    } finally {
      await repo.cleanup();
      await outside.cleanup();
    }
  });

  it('passes the unit coordinates as top-level string values, lowest in priority, object-equal to helm --set-string by hand', async () => {
    const t = await render(release(''));
    try {
      expect(t.r.diagnostics).toEqual([]);
      const cm = t.byId.get('ConfigMap/web-cm') as { data: Record<string, string> };
      // YAML 1.1 would read `on` as true and `0644` as 420: they arrive as strings.
      expect(cm.data).toMatchObject({ cluster: 'on', clusterKind: 'string', tenant: 't1', env: '0644', greeting: 'hi' });
      const byHand = helmByHand(
        helm.bin,
        ['template', 'web', 'charts/app', '--namespace', 'apps', '--include-crds', '--set-string', 'cluster=on,tenant=t1,env=0644', '-f', `${RELEASE_DIR}/values.yaml`],
        t.root
      );
      expect(t.byId).toEqual(byHand);
    } finally {
      await t.cleanup();
    }
  });

  it('lets the unit values override a coordinate, and nests them under a key or leaves them out as configured', async () => {
    const files = { ...release(''), [`${RELEASE_DIR}/values.yaml`]: 'greeting: hi\ntenant: from-values\n' };
    const top = await render(files);
    try {
      expect((top.byId.get('ConfigMap/web-cm') as { data: Record<string, string> }).data).toMatchObject({ tenant: 'from-values', cluster: 'on' });
    } finally {
      await top.cleanup();
    }
    const nestedCfg = { kubernetes: [{ ...CFG.kubernetes[0], helm: { coordinateValues: { under: 'hydrate.coordinates' } } }] };
    const nested = await render(files, nestedCfg);
    try {
      expect((nested.byId.get('ConfigMap/web-cm') as { data: Record<string, string> }).data).toMatchObject({ cluster: 'unset', nested: '0644' });
    } finally {
      await nested.cleanup();
    }
    const noneCfg = { kubernetes: [{ ...CFG.kubernetes[0], helm: { coordinateValues: 'none' } }] };
    const none = await render(files, noneCfg);
    try {
      expect((none.byId.get('ConfigMap/web-cm') as { data: Record<string, string> }).data).toMatchObject({ cluster: 'unset', env: 'unset', nested: 'unset' });
    } finally {
      await none.cleanup();
    }
  });

  it('renders Capabilities checks for the kubeVersion and apiVersions of the release file, which override the entry', async () => {
    const plain = await render(release(''));
    const old = await render(release('kubeVersion: "1.24.0"\napiVersions: [monitoring.coreos.com/v1/ServiceMonitor]\n'));
    const entryCfg = { kubernetes: [{ ...CFG.kubernetes[0], helm: { kubeVersion: 'v1.23.1', apiVersions: ['monitoring.coreos.com/v1/ServiceMonitor'] } }] };
    const fromEntry = await render(release(''), entryCfg);
    const overridden = await render(release('kubeVersion: "1.30"\napiVersions: []\n'), entryCfg);
    try {
      for (const t of [plain, old, fromEntry, overridden]) expect(t.r.diagnostics).toEqual([]);
      // helm's own default is a recent Kubernetes without the ServiceMonitor API.
      expect(plain.byId.get('PodDisruptionBudget/pdb')?.['apiVersion']).toBe('policy/v1');
      expect(plain.byId.has('ServiceMonitor/web')).toBe(false);
      expect(old.byId.get('PodDisruptionBudget/pdb')?.['apiVersion']).toBe('policy/v1beta1');
      expect(old.byId.has('ServiceMonitor/web')).toBe(true);
      expect(fromEntry.byId.get('PodDisruptionBudget/pdb')?.['apiVersion']).toBe('policy/v1beta1');
      expect(fromEntry.byId.has('ServiceMonitor/web')).toBe(true);
      expect(overridden.byId.get('PodDisruptionBudget/pdb')?.['apiVersion']).toBe('policy/v1');
      expect(overridden.byId.has('ServiceMonitor/web')).toBe(false);
      const byHand = helmByHand(
        helm.bin,
        ['template', 'web', 'charts/app', '--namespace', 'apps', '--include-crds', '--kube-version', '1.24.0', '--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor', '--set-string', 'cluster=on,tenant=t1,env=0644', '-f', `${RELEASE_DIR}/values.yaml`],
        old.root
      );
      expect(old.byId).toEqual(byHand);
    } finally {
      for (const t of [plain, old, fromEntry, overridden]) await t.cleanup();
    }
  });

  it('uses a remote artifact only as its committed copy, checked against the pinned sha256', async () => {
    const content = 'greeting: from-artifact\n';
    const sha = createHash('sha256').update(content).digest('hex');
    const pinned = `valuesFiles: [values.yaml, remote.yaml]\nremoteArtifacts:\n  - filename: remote.yaml\n    url: https://example.com/values.yaml\n    sha256: ${sha}\n`;
    const ok = await render({ ...release(pinned), [`${RELEASE_DIR}/remote.yaml`]: content });
    try {
      expect(ok.r.diagnostics).toEqual([]);
      expect((ok.byId.get('ConfigMap/web-cm') as { data: Record<string, string> }).data['greeting']).toBe('from-artifact');
    } finally {
      await ok.cleanup();
    }
    const changed = await render({ ...release(pinned), [`${RELEASE_DIR}/remote.yaml`]: 'greeting: tampered\n' });
    try {
      expect(changed.r.status).toBe('failed');
      expect(changed.r.diagnostics).toEqual([
        expect.objectContaining({ file: `${RELEASE_DIR}.yaml`, line: 9, message: expect.stringContaining(`not the pinned ${sha}`) })
      ]);
    } finally {
      await changed.cleanup();
    }
    const missing = await render(release(pinned));
    try {
      expect(missing.r.diagnostics.map((d) => d.message).join('\n')).toContain('is not committed at k/on/t1/0644/remote.yaml');
    } finally {
      await missing.cleanup();
    }
  });

  it('refuses a chart with a symlink leading out of the repository, and a values file that does', async () => {
    const outside = await tempRepo({ 'secret.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\n', 'values.yaml': 'greeting: stolen\n' });
    const repo = await tempRepo(release(''));
    try {
      await symlink(join(outside.root, 'secret.yaml'), join(repo.root, 'charts/app/templates/stolen.yaml'));
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
      expect(r.status).toBe('failed');
      expect(r.diagnostics.map((d) => d.message).join('\n')).toContain('charts/app/templates/stolen.yaml is a symlink leading outside the repository');
    } finally {
      await repo.cleanup();
    }
    const repo2 = await tempRepo(release('valuesFiles: [values.yaml, linked.yaml]\n'));
    try {
      await symlink(join(outside.root, 'values.yaml'), join(repo2.root, RELEASE_DIR, 'linked.yaml'));
      const r = await renderKubernetesUnit(UNIT, makeInput(repo2.root, CFG, [], exec));
      expect(r.status).toBe('failed');
      // One error, at the values file's item in the release file.
      expect(r.diagnostics).toEqual([
        expect.objectContaining({
          file: `${RELEASE_DIR}.yaml`,
          line: 5,
          message: expect.stringMatching(/^values file "k\/on\/t1\/0644\/linked\.yaml" resolves to \/.*\/values\.yaml, outside the repository: symlinks must not lead out of the repository$/)
        })
      ]);
    } finally {
      await repo2.cleanup();
      await outside.cleanup();
    }
  });
});

describe.each(HELMS)('renders twice only when the chart may vary, with %s', (name) => {
  const helm = tool(name);
  const counting = () => {
    const real = createProcessRunner({ ...process.env, PATH: pathWith(helm) });
    const runs: string[][] = [];
    return {
      runs,
      which: real.which.bind(real),
      run: (command: string, args: readonly string[], options?: Parameters<typeof real.run>[2]) => {
        runs.push([...args]);
        return real.run(command, args, options);
      }
    };
  };

  it('renders a chart without random, time or lookup functions once', async () => {
    const repo = await tempRepo(release(''));
    try {
      const exec = counting();
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
      expect(r.diagnostics).toEqual([]);
      expect(exec.runs.filter((a) => a[0] === 'template')).toHaveLength(1);
    } finally {
      await repo.cleanup();
    }
  });

  it('renders a chart that declares dependencies twice (they may be fetched or built at render time)', async () => {
    const files = {
      ...release(''),
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n',
      'charts/app/charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
      'charts/app/charts/sub/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sub}\n'
    };
    const repo = await tempRepo(files);
    try {
      const exec = counting();
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
      expect(r.diagnostics).toEqual([]);
      expect(r.resources.map((x) => (x.object as { metadata: { name: string } }).metadata.name)).toContain('sub');
      expect(exec.runs.filter((a) => a[0] === 'template')).toHaveLength(2);
    } finally {
      await repo.cleanup();
    }
  });

  for (const [fn, template] of [
    ['now', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata: {at: {{ now | date "15:04:05.000000000" | quote }}}\n'],
    ['randAlphaNum in a helper', '{{- define "x.pw" }}{{ randAlphaNum 16 }}{{ end }}\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {p: {{ include "x.pw" . | quote }}}\n'],
    ['tpl over values', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata: {v: {{ tpl .Values.tplText . | quote }}}\n']
  ] as const) {
    it(`renders a chart using ${fn} twice and refuses it when the two renders differ`, async () => {
      const files = { ...release(''), 'charts/app/templates/varying.yaml': template, [`${RELEASE_DIR}/values.yaml`]: 'tplText: "{{ randAlphaNum 12 }}"\n' };
      const repo = await tempRepo(files);
      try {
        const exec = counting();
        const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
        expect(exec.runs.filter((a) => a[0] === 'template')).toHaveLength(2);
        expect(r.status).toBe('failed');
        expect(r.diagnostics.map((d) => d.message).join('\n')).toContain('different output on identical renders');
      } finally {
        await repo.cleanup();
      }
    });
  }
});

describe('release-file keys that would run or fetch something', () => {
  const cases: [string, string, string][] = [
    ['hooks', 'hooks:\n  - events: [prepare]\n    command: ./x.sh\n', 'Hydrate never runs a program named in a dry file'],
    ['execs', 'execs:\n  - command: .github/certs_to_ca_yaml.py\n    args: [--ca_certs_path, x]\n', 'Hydrate never runs a program named in a dry file'],
    ['remoteArtifacts', 'remoteArtifacts:\n  - filename: ca.yaml\n    url: https://example.com/ca.yaml\n', 'Hydrate fetches nothing while rendering']
  ];
  for (const [key, extra, message] of cases) {
    it(`refuses ${key} with the reason, at its line, and runs nothing`, async () => {
      const repo = await tempRepo(release(extra));
      try {
        const exec = fakeRunner(['helm']);
        const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
        expect(r.status).toBe('failed');
        expect(r.diagnostics).toEqual([expect.objectContaining({ file: `${RELEASE_DIR}.yaml`, line: 6, message: expect.stringContaining(message) })]);
        expect(exec.calls).toEqual([]);
      } finally {
        await repo.cleanup();
      }
    });
  }

  it('accepts the empty hooks and execs lists that seed release files carry', async () => {
    const repo = await tempRepo(release('hooks: []\nexecs: []\nremoteArtifacts: []\n'));
    try {
      const exec = fakeRunner(['helm'], { exitCode: 0, stdout: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n', stderr: '' });
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
      expect(r.diagnostics).toEqual([]);
      expect(r.status).toBe('rendered');
      // The coordinates reach helm on stdin as the first values file, strings in JSON form.
      const call = exec.calls[0]!;
      expect(call.args.slice(0, 3)).toEqual(['template', '-f', '-']);
      expect(JSON.parse(call.options?.input ?? '')).toEqual({ cluster: 'on', env: '0644', tenant: 't1' });
    } finally {
      await repo.cleanup();
    }
  });
});

describe('kubeVersion and apiVersions validation', () => {
  it('refuses values that could be read as flags or lists', async () => {
    for (const extra of ['kubeVersion: "--post-renderer=x"\n', 'apiVersions: ["-x"]\n', 'apiVersions: ["a/v1,b/v1"]\n']) {
      const repo = await tempRepo(release(extra));
      try {
        const exec = fakeRunner(['helm']);
        const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
        expect(r.status).toBe('failed');
        expect(exec.calls).toEqual([]);
      } finally {
        await repo.cleanup();
      }
    }
  });
});
