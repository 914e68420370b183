/**
 * Flux HelmReleases whose chart is a folder of this repository (GitRepository flux-system),
 * inside a `from: flux` unit: rendered with real helm 3 and helm 4 and compared, object by object,
 * with `helm template` run here by hand the way helm-controller installs the release (release name
 * `<targetNamespace>-<name>`, the chart's values.yaml replaced by its valuesFiles, then valuesFrom
 * and values as values files in order, CRDs included, namespaced objects in the release namespace).
 * Objects are read back with the yaml package (YAML 1.1).
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { createFileReader } from '../../../src/adapters/files.js';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { discoverUnits } from '../../../src/dry/discover.js';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { unitInputDigest } from '../../../src/pipeline/incremental.js';
import { HELMS, pathOf, tool, type ToolName } from '../../helpers/tools.js';
import { makeInput, tempRepo } from './fixtures.js';

const KS = (spec: string): string =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/podinfo\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${spec}`;
const HR = (extra: string): string =>
  [
    'apiVersion: helm.toolkit.fluxcd.io/v2',
    'kind: HelmRelease',
    'metadata:',
    '  name: podinfo',
    '  namespace: flux-system',
    'spec:',
    '  interval: 1h',
    '  targetNamespace: web',
    '  chart:',
    '    spec:',
    '      chart: ./charts/podinfo',
    '      sourceRef:',
    '        kind: GitRepository',
    '        name: flux-system',
    '        namespace: flux-system',
    extra
  ].join('\n');
const CHART = {
  'charts/podinfo/Chart.yaml': 'apiVersion: v2\nname: podinfo\nversion: 1.2.3\n',
  'charts/podinfo/values.yaml': 'replicas: 1\nimage: {repository: nginx, tag: "1.25"}\nlabels: {fromChart: "yes"}\n',
  'charts/podinfo/values-prod.yaml': 'replicas: 3\nimage: {tag: "1.27"}\n',
  'charts/podinfo/crds/widget.yaml':
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]\n',
  'charts/podinfo/templates/deploy.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Release.Name }}',
    '  labels: {{ toJson .Values.labels }}',
    'spec:',
    '  replicas: {{ .Values.replicas }}',
    '  selector: {matchLabels: {app: {{ .Release.Name }}}}',
    '  template:',
    '    metadata: {labels: {app: {{ .Release.Name }}}}',
    '    spec: {containers: [{name: main, image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}", env: [{name: NS, value: {{ .Release.Namespace | quote }}}, {name: COLOR, value: {{ .Values.ui.color | default "none" | quote }}}]}]}',
    ''
  ].join('\n'),
  'charts/podinfo/templates/role.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: {{ .Release.Name }}-read}\nrules: []\n'
};
const HR_FULL = HR(
  [
    '      valuesFiles:',
    '        - ./charts/podinfo/values-prod.yaml',
    '  valuesFrom:',
    '    - kind: ConfigMap',
    '      name: podinfo-values',
    '    - kind: ConfigMap',
    '      name: podinfo-values',
    '      valuesKey: color',
    '      targetPath: ui.color',
    '  values:',
    '    labels: {team: web}',
    ''
  ].join('\n')
);
const FILES = {
  'clusters/prod/apps.yaml': KS(''),
  'apps/podinfo/release.yaml': HR_FULL,
  'apps/podinfo/values.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-values\n  namespace: flux-system\ndata:\n  values.yaml: |\n    image: {repository: registry.example/podinfo}\n    labels: {fromConfigMap: "yes"}\n  color: blue\n',
  ...CHART
};
const CFG = { version: 1, kubernetes: [{ from: 'flux', path: 'clusters', output: '{cluster}/{name}' }] };

const key = (o: { kind: string; metadata: { name: string; namespace?: string } }): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe.each(HELMS)('Flux HelmRelease with a local chart, rendered with %s', (h: ToolName) => {
  const helm = tool(h);
  it('equals helm template run the way helm-controller installs the release', async () => {
    const repo = await tempRepo(FILES);
    const hand = await mkdtemp(join(tmpdir(), 'hydrate-hr-hand-'));
    try {
      const input = makeInput(repo.root, CFG, [], createProcessRunner({ PATH: pathOf(helm, tool('kubectl-1.35')) }));
      const found = await discoverUnits(input.settings, createFileReader());
      expect(found.units.map((u) => u.id)).toEqual(['kubernetes:clusters/prod/apps.yaml#flux-system/apps']);
      const r = await renderKubernetesUnit(found.units[0]!, { ...input, units: found.units });
      expect(r.diagnostics.filter((d) => d.severity !== 'notice')).toEqual([]);
      const ours = new Map(r.resources.map((x) => [key(x.object as never), parse(JSON.stringify(x.object), { version: '1.1' })]));

      // By hand: the chart with its values.yaml replaced (valuesFiles), then the ConfigMap's values, the targetPath value, spec.values.
      await cp(join(repo.root, 'charts/podinfo'), join(hand, 'chart'), { recursive: true });
      await writeFile(join(hand, 'chart/values.yaml'), '{}\n');
      await writeFile(join(hand, 'v1.yaml'), 'image: {repository: registry.example/podinfo}\nlabels: {fromConfigMap: "yes"}\n');
      await writeFile(join(hand, 'v2.yaml'), 'ui: {color: blue}\n');
      await writeFile(join(hand, 'v3.yaml'), 'labels: {team: web}\n');
      const out = execFileSync(
        helm.bin,
        ['template', 'web-podinfo', join(hand, 'chart'), '--namespace', 'web', '--include-crds', '-f', join(repo.root, 'charts/podinfo/values-prod.yaml'), '-f', join(hand, 'v1.yaml'), '-f', join(hand, 'v2.yaml'), '-f', join(hand, 'v3.yaml')],
        { encoding: 'utf8' }
      );
      const want = new Map<string, unknown>();
      for (const d of parseAllDocuments(out, { version: '1.1' })) {
        const o = d.toJS() as { kind: string; metadata: { name: string; namespace?: string } } | null;
        if (!o) continue;
        if (o.kind === 'Deployment') o.metadata.namespace = 'web'; // namespaced: installed into the release namespace
        want.set(key(o), o);
      }
      // The ConfigMap the kustomization holds stays; the HelmRelease object is replaced by its chart's objects.
      const cm = ours.get('ConfigMap/flux-system/podinfo-values');
      expect(cm).toBeDefined();
      ours.delete('ConfigMap/flux-system/podinfo-values');
      expect(ours).toEqual(want);
      expect(ours.get('Deployment/web/web-podinfo')).toMatchObject({
        // valuesFiles replace the chart's values.yaml: its fromChart label is gone.
        metadata: { labels: { fromConfigMap: 'yes', team: 'web' } },
        spec: { replicas: 3, template: { spec: { containers: [{ image: 'registry.example/podinfo:1.27', env: [{ value: 'web' }, { value: 'blue' }] }] } } }
      });
      expect((ours.get('Deployment/web/web-podinfo') as { metadata: { labels: object } }).metadata.labels).not.toHaveProperty('fromChart');
      expect(ours.has('CustomResourceDefinition//widgets.example.com')).toBe(true);
      expect(ours.has('ClusterRole//web-podinfo-read')).toBe(true);
    } finally {
      await repo.cleanup();
      await rm(hand, { recursive: true, force: true });
    }
  });
});

describe('Flux HelmReleases Hydrate cannot resolve offline', () => {
  it('a valuesFrom Secret is an error at the HelmRelease file and line; a HelmRepository chart stays an object with a notice', async () => {
    const repo = await tempRepo({
      'clusters/prod/apps.yaml': KS(''),
      'apps/podinfo/release.yaml': `# the release\n${HR('  valuesFrom:\n    - kind: Secret\n      name: podinfo-secret\n')}`,
      'apps/podinfo/remote.yaml':
        'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: ingress}\nspec:\n  chart: {spec: {chart: ingress-nginx, sourceRef: {kind: HelmRepository, name: ingress}}}\n',
      ...CHART
    });
    try {
      const input = makeInput(repo.root, CFG, [], createProcessRunner({ PATH: pathOf(tool('helm3'), tool('kubectl-1.35')) }));
      const found = await discoverUnits(input.settings, createFileReader());
      const r = await renderKubernetesUnit(found.units[0]!, { ...input, units: found.units });
      expect(r.status).toBe('failed');
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([
        expect.objectContaining({ file: 'apps/podinfo/release.yaml', line: 2, message: expect.stringContaining('HelmRelease flux-system/podinfo: valuesFrom Secret podinfo-secret: Secret values are never read offline') })
      ]);
      expect(r.diagnostics).toContainEqual(expect.objectContaining({ severity: 'notice', message: expect.stringMatching(/HelmRelease ingress is kept as an object: its chart comes from HelmRepository ingress/) }));
    } finally {
      await repo.cleanup();
    }
  });

  it('the input digest covers the chart and its valuesFiles', async () => {
    const repo = await tempRepo(FILES);
    try {
      const input = makeInput(repo.root, CFG, []);
      const unit = (await discoverUnits(input.settings, createFileReader())).units[0]!;
      const digest = async (): Promise<string> => (await unitInputDigest(unit, input.settings, createFileReader(), 'v')).digest;
      const before = await digest();
      await writeFile(join(repo.root, 'charts/podinfo/templates/deploy.yaml'), CHART['charts/podinfo/templates/deploy.yaml'].replace('main', 'app'));
      const afterChart = await digest();
      expect(afterChart).not.toBe(before);
      await writeFile(join(repo.root, 'charts/podinfo/values-prod.yaml'), 'replicas: 4\n');
      expect(await digest()).not.toBe(afterChart);
    } finally {
      await repo.cleanup();
    }
  });
});
