/**
 * `from: argocd`: Argo CD Applications (and ApplicationSets expanded offline) as units, each
 * rendered as Argo CD's repo-server renders its source. Every render is compared with what the
 * engine would apply, computed here by hand: the kustomization as Argo CD leaves it after its
 * `kustomize edit` calls, written out and built with real `kubectl kustomize`; real `helm
 * template` with the flags Argo CD passes. Objects are read back with YAML 1.1.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createFileReader } from '../../../src/adapters/files.js';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { discoverUnits } from '../../../src/dry/discover.js';
import { normalizeName, normalizeRepoURL } from '../../../src/dry/engines/argocd.js';
import type { Unit } from '../../../src/dry/unit.js';
import { unitInputDigest } from '../../../src/pipeline/incremental.js';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { parseImage, argoSetValue } from '../../../src/render/kubernetes/argocd-source.js';
import { hydrateConfig } from '../../../src/settings/schema/config.js';
import { parseConfig } from '../../../src/settings/load-config.js';
import { HELMS, KUBECTLS, pathWith, tool } from '../../helpers/tools.js';
import { makeInput, tempRepo } from './fixtures.js';

const REPO = 'https://github.com/example/gitops.git';
const app = (name: string, source: Record<string, unknown>, namespace = 'default'): Record<string, unknown> => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'argocd' },
  spec: { project: 'default', source: { repoURL: REPO, targetRevision: 'HEAD', ...source }, destination: { server: 'https://kubernetes.default.svc', namespace } }
});
const y = (...docs: unknown[]): string => docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n';

const DEPLOY = (name: string, image = 'nginx:1.25'): string =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    `metadata: {name: ${name}}`,
    'spec:',
    '  replicas: 1',
    `  selector: {matchLabels: {app: ${name}}}`,
    '  template:',
    `    metadata: {labels: {app: ${name}}}`,
    `    spec: {containers: [{name: main, image: "${image}"}]}`,
    ''
  ].join('\n');

const KUSTOMIZE_OPTIONS = {
  namePrefix: 'prod-',
  nameSuffix: '-v1',
  namespace: 'web-prod',
  commonLabels: { team: 'web', tier: 'front' },
  commonAnnotations: { owner: 'ops', note: 'yes' },
  images: ['nginx=registry.example.com/nginx:1.27.1', 'busybox:1.36'],
  replicas: [{ name: 'web', count: 4 }],
  patches: [
    { target: { kind: 'Deployment', name: 'web' }, patch: '- op: add\n  path: /metadata/labels/patched\n  value: inline\n' },
    { path: 'extra-patch.yaml' }
  ],
  components: ['../../../../components/monitoring']
};

const FILES: Record<string, string> = {
  // app-of-apps: root points at argocd/children, a plain directory holding Applications
  'argocd/apps/root.yaml': y(app('root', { path: 'argocd/children' }, 'argocd')),
  'argocd/children/web.yaml': y(app('web-prod', { path: 'apps/web/overlays/prod', kustomize: KUSTOMIZE_OPTIONS }, 'web')),
  'argocd/children/api.yaml': y(
    app(
      'api',
      {
        path: 'charts/api',
        helm: {
          valueFiles: ['values-prod.yaml'],
          values: 'message: from-values\nport: 9090\n',
          parameters: [
            { name: 'image.tag', value: '2.0' },
            { name: 'message', value: 'a,b', forceString: true },
            { name: 'replicas', value: '5' }
          ],
          releaseName: 'api-rel',
          skipCrds: true,
          kubeVersion: '1.29.0',
          apiVersions: ['monitoring.coreos.com/v1']
        }
      },
      'api-ns'
    ),
    app('api-object', { path: 'charts/api', helm: { values: 'message: ignored\n', valuesObject: { message: 'from-object', port: 7070 } } }, 'api-two')
  ),
  'argocd/children/plain.yaml': y(app('plain', { path: 'manifests/plain', directory: { recurse: true, include: '*.yaml', exclude: 'skip*' } }, 'plain-ns')),
  'argocd/children/external.yaml': y(app('external', { repoURL: 'https://github.com/other/repo.git', path: 'x' })),
  'argocd/children/remote-chart.yaml': y(app('remote-chart', { chart: 'redis', path: undefined })),
  'argocd/appsets/envs.yaml': y({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'envs' },
    spec: {
      generators: [{ git: { repoURL: REPO, revision: 'HEAD', directories: [{ path: 'envs/*' }, { path: 'envs/legacy', exclude: true }] } }],
      template: {
        metadata: { name: '{{path.basename}}-env' },
        spec: { project: 'default', source: { repoURL: REPO, path: '{{path}}' }, destination: { server: 'https://kubernetes.default.svc', namespace: '{{ path.basename }}' } }
      }
    }
  }),
  'argocd/appsets/tenants.yaml': y({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'tenants' },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [
        { matrix: { generators: [{ list: { elements: [{ cluster: 'east' }, { cluster: 'west' }] } }, { git: { repoURL: REPO, revision: 'HEAD', directories: [{ path: 'tenants/*' }] } }] } }
      ],
      template: {
        metadata: { name: '{{.path.basename}}-{{.cluster}}' },
        spec: {
          project: 'default',
          source: { repoURL: REPO, path: '{{.path.path}}', kustomize: { namePrefix: '{{.cluster}}-', commonLabels: { cluster: '{{ .cluster }}', tenant: '{{index .path.segments 1}}' } } },
          destination: { server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}' }
        }
      }
    }
  }),
  'argocd/appsets/clusters.yaml': y({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'per-cluster' },
    spec: {
      generators: [{ clusters: { selector: { matchLabels: { env: 'prod' } } } }],
      template: {
        metadata: { name: 'monitoring-{{name}}' },
        spec: { project: 'default', source: { repoURL: '.', path: 'manifests/monitoring' }, destination: { server: '{{server}}', namespace: 'monitoring' } }
      }
    }
  }),
  // sources
  'apps/web/base/kustomization.yaml': 'resources: [deploy.yaml, service.yaml]\nimages: [{name: busybox, newTag: "1.30"}]\ncommonLabels: {tier: back}\n',
  'apps/web/base/deploy.yaml': DEPLOY('web'),
  'apps/web/base/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n',
  'apps/web/overlays/prod/kustomization.yaml': 'resources: [../../base, sidecar.yaml]\nnamePrefix: base-\n',
  'apps/web/overlays/prod/sidecar.yaml': DEPLOY('sidecar', 'busybox:1.0'),
  'apps/web/overlays/prod/extra-patch.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: sidecar}\nspec: {template: {spec: {containers: [{name: main, env: [{name: EXTRA, value: "1"}]}]}}}\n',
  'components/monitoring/kustomization.yaml':
    'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [monitor.yaml]\npatches:\n- target: {kind: Service}\n  patch: |-\n    - op: add\n      path: /metadata/annotations\n      value: {scrape: "true"}\n',
  'components/monitoring/monitor.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: monitor}\ndata: {a: "1"}\n',
  'charts/api/Chart.yaml': 'apiVersion: v2\nname: api\nversion: 0.1.0\n',
  'charts/api/values.yaml': 'replicas: 1\nmessage: hello\nport: 80\nimage: {tag: "1.0"}\n',
  'charts/api/values-prod.yaml': 'replicas: 3\nport: 8080\n',
  'charts/api/crds/crd.yaml':
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n',
  'charts/api/templates/deploy.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Release.Name }}',
    '  namespace: {{ .Release.Namespace }}',
    '  annotations: {message: {{ .Values.message | quote }}, kube: {{ .Capabilities.KubeVersion.Version | quote }}}',
    'spec:',
    '  replicas: {{ .Values.replicas }}',
    '  selector: {matchLabels: {app: api}}',
    '  template:',
    '    metadata: {labels: {app: api}}',
    '    spec: {containers: [{name: api, image: "api:{{ .Values.image.tag }}", ports: [{containerPort: {{ .Values.port }}}]}]}',
    '{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}',
    '---',
    'apiVersion: monitoring.coreos.com/v1',
    'kind: ServiceMonitor',
    'metadata: {name: {{ .Release.Name }}}',
    'spec: {selector: {matchLabels: {app: api}}}',
    '{{- end }}',
    ''
  ].join('\n'),
  'manifests/plain/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
  'manifests/plain/b.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b-yml-not-included}\n',
  'manifests/plain/skip-me.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: skipped}\n',
  'manifests/plain/sub/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
  'manifests/monitoring/m.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n',
  'envs/dev/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dev}\n',
  'envs/prod/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: prod}\n',
  'envs/legacy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: legacy}\n',
  'tenants/blue/kustomization.yaml': 'resources: [cm.yaml]\n',
  'tenants/blue/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n'
};

const CFG = { kubernetes: [{ from: 'argocd', path: 'argocd/apps', output: 'wet/{name}', argocd: { repoURLs: [REPO] } }] };
// The app-of-apps only reaches argocd/children; the ApplicationSets are found from a second entry.
const CFG_ALL = {
  kubernetes: [
    { from: 'argocd', path: 'argocd/apps', output: 'wet/{name}', argocd: { repoURLs: [REPO] } },
    {
      from: 'argocd',
      path: 'argocd/appsets',
      output: 'sets/{name}',
      argocd: { repoURLs: ['git@github.com:example/gitops'], clusters: [{ name: 'prod-eu', server: 'https://eu.example.com', labels: { env: 'prod' } }, { name: 'dev', server: 'https://dev.example.com', labels: { env: 'dev' } }] }
    }
  ]
};

/** Diagnostics other than kustomize's own warnings (commonLabels is deprecated in kustomize 5). */
function notKustomizeWarnings(ds: { severity: string; message: string }[]): unknown[] {
  return ds.filter((d) => !(d.severity === 'warning' && d.message.startsWith('kustomize: ')));
}

function key(o: unknown): string {
  const obj = o as { kind: string; metadata: { name: string; namespace?: string } };
  return `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}
function byKey(objects: unknown[]): Map<string, unknown> {
  return new Map(objects.map((o) => [key(o), o]));
}
function read11(text: string): Map<string, unknown> {
  return byKey(parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS()).filter((v) => v !== null));
}
/** What Hydrate rendered, written as YAML and read back the way a consumer reads it. */
function ours(resources: { object: unknown }[]): Map<string, unknown> {
  return read11(resources.map((r) => JSON.stringify(r.object)).join('\n---\n'));
}

async function discover(root: string, cfg: unknown = CFG_ALL) {
  const settings = makeInput(root, cfg, []).settings;
  return discoverUnits(settings, createFileReader());
}

describe('from: argocd discovery', () => {
  it('finds Applications, follows app-of-apps one level, expands ApplicationSets and lists what it cannot resolve', async () => {
    const repo = await tempRepo(FILES);
    try {
      const d = await discover(repo.root);
      expect(d.configErrors).toEqual([]);
      const ids = d.units.map((u) => u.id);
      expect(ids).toEqual(
        [
          'root',
          'web-prod',
          'api',
          'api-object',
          'plain',
          'dev-env',
          'prod-env',
          'blue-east',
          'blue-west',
          'monitoring-prod-eu'
        ]
          .map((n) => `kubernetes:argocd#${n}`)
          .sort()
      );
      const byId = new Map(d.units.map((u) => [u.id, u]));
      const web = byId.get('kubernetes:argocd#web-prod')!;
      expect(web).toMatchObject({ dir: 'apps/web/overlays/prod', output: 'wet/web-prod', coordinates: { name: 'web-prod', namespace: 'web' } });
      expect(web.argocd?.file).toBe('argocd/children/web.yaml');
      expect(byId.get('kubernetes:argocd#prod-env')).toMatchObject({
        dir: 'envs/prod',
        output: 'sets/prod-env',
        coordinates: { name: 'prod-env', namespace: 'prod', path: 'envs/prod', path_basename: 'prod', path_0: 'envs', path_1: 'prod' }
      });
      const blue = byId.get('kubernetes:argocd#blue-west')!;
      expect(blue).toMatchObject({ dir: 'tenants/blue', coordinates: { cluster: 'west', namespace: 'blue' } });
      expect(blue.argocd?.source['kustomize']).toEqual({ namePrefix: 'west-', commonLabels: { cluster: 'west', tenant: 'blue' } });
      expect(byId.get('kubernetes:argocd#monitoring-prod-eu')?.coordinates).toMatchObject({ server: 'https://eu.example.com' });
      const unresolved = d.diagnostics.filter((x) => x.unit === 'kubernetes:argocd#external' || x.unit === 'kubernetes:argocd#remote-chart');
      expect(unresolved.map((x) => [x.severity, x.file])).toEqual([
        ['warning', 'argocd/children/external.yaml'],
        ['warning', 'argocd/children/remote-chart.yaml']
      ]);
      expect(unresolved[0]!.message).toMatch(/source repository https:\/\/github\.com\/other\/repo\.git is not this repository/);
      expect(unresolved[1]!.message).toMatch(/Helm chart redis of a chart repository/);
      expect(d.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
    } finally {
      await repo.cleanup();
    }
  });

  it('reaches only what the path and its app-of-apps lead to, each Application once', async () => {
    const repo = await tempRepo(FILES);
    try {
      const d = await discover(repo.root, CFG);
      expect(d.units.map((u) => u.id.replace('kubernetes:argocd#', '')).sort()).toEqual(['api', 'api-object', 'plain', 'root', 'web-prod']);
      // A path that holds the children too reaches them twice: still one unit each, no error.
      const wide = await discover(repo.root, { kubernetes: [{ ...CFG.kubernetes[0], path: 'argocd' }] });
      expect(wide.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
      expect(wide.units.map((u) => u.id.replace('kubernetes:argocd#', '')).sort()).toEqual(['api', 'api-object', 'blue-east', 'blue-west', 'dev-env', 'plain', 'prod-env', 'root', 'web-prod']);
      // Two different objects of one name are an error.
      await writeFile(join(repo.root, 'argocd/apps/again.yaml'), y(app('plain', { path: 'manifests/plain' })));
      const twice = await discover(repo.root, CFG);
      expect(twice.diagnostics.find((x) => x.severity === 'error')?.message).toMatch(/Application plain is defined twice \(also in argocd\/(apps\/again|children\/plain)\.yaml:1\)/);
    } finally {
      await repo.cleanup();
    }
  });

  it('expands a git files generator: each matched file (or list item) with its values and path parameters', async () => {
    const set = (goTemplate: boolean, name: string, path: string, ns: string) =>
      y({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'ApplicationSet',
        metadata: { name: `files-${String(goTemplate)}` },
        spec: {
          goTemplate,
          generators: [{ git: { repoURL: '.', files: [{ path: 'clusters/*/config.json' }, { path: 'clusters/old/config.json', exclude: true }] } }],
          template: { metadata: { name }, spec: { source: { repoURL: '.', path }, destination: { namespace: ns } } }
        }
      });
    const repo = await tempRepo({
      'argocd/plain.yaml': set(false, '{{cluster.name}}-{{path.basename}}', 'apps/{{path.basename}}', '{{path.filenameNormalized}}'),
      'argocd/go.yaml': set(true, 'go-{{.cluster.name}}-{{.path.basename}}', 'apps/{{index .path.segments 1}}', '{{.path.filename}}'),
      'clusters/east/config.json': '{"cluster": {"name": "e1"}}',
      'clusters/west/config.json': '[{"cluster": {"name": "w1"}}, {"cluster": {"name": "w2"}}]',
      'clusters/old/config.json': '{"cluster": {"name": "old"}}',
      'apps/east/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e}\n',
      'apps/west/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: w}\n'
    });
    try {
      const d = await discover(repo.root, { kubernetes: [{ from: 'argocd', path: 'argocd', output: '{name}' }] });
      expect(d.diagnostics).toEqual([]);
      expect(d.units.map((u) => [u.id.replace('kubernetes:argocd#', ''), u.dir, u.coordinates['namespace']])).toEqual([
        ['e1-east', 'apps/east', 'config.json'],
        ['go-e1-east', 'apps/east', 'config.json'],
        ['go-w1-west', 'apps/west', 'config.json'],
        ['go-w2-west', 'apps/west', 'config.json'],
        ['w1-west', 'apps/west', 'config.json'],
        ['w2-west', 'apps/west', 'config.json']
      ]);
      expect(d.units[0]!.coordinates).toMatchObject({ cluster_name: 'e1', path: 'clusters/east', path_filename: 'config.json' });
    } finally {
      await repo.cleanup();
    }
  });

  it('lists a cluster generator without clusters as unresolvable, and fails with strict: true', async () => {
    const repo = await tempRepo(FILES);
    try {
      const cfg = { kubernetes: [{ from: 'argocd', path: 'argocd/appsets', output: '{name}', argocd: { repoURLs: [REPO] } }] };
      const d = await discover(repo.root, cfg);
      const w = d.diagnostics.find((x) => x.unit === 'kubernetes:argocd#per-cluster');
      expect(w).toMatchObject({ severity: 'warning', file: 'argocd/appsets/clusters.yaml' });
      expect(w!.message).toMatch(/cluster generator needs the clusters: list them in argocd\.clusters/);
      const strict = await discover(repo.root, { kubernetes: [{ ...cfg.kubernetes[0], strict: true }] });
      expect(strict.diagnostics.find((x) => x.unit === 'kubernetes:argocd#per-cluster')?.severity).toBe('error');
    } finally {
      await repo.cleanup();
    }
  });

  it('names an Application whose template left a placeholder, and warns of Applications a Helm source renders', async () => {
    const repo = await tempRepo({
      'argocd/a.yaml': y(app('bad-{{nope}}', { repoURL: '.', path: 'charts/apps' })),
      'argocd/b.yaml': y(app('apps', { repoURL: '.', path: 'charts/apps' })),
      'charts/apps/Chart.yaml': 'apiVersion: v2\nname: apps\nversion: 0.1.0\n',
      'charts/apps/templates/app.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: {{ .Values.name }}}\n'
    });
    try {
      const d = await discover(repo.root, { kubernetes: [{ from: 'argocd', path: 'argocd', output: '{name}' }] });
      expect(d.units.map((u) => u.id)).toEqual(['kubernetes:argocd#apps']);
      expect(d.diagnostics.find((x) => x.severity === 'error')?.message).toMatch(/"bad-\{\{nope\}\}" is not a valid name .*placeholder was not filled/);
      expect(d.diagnostics.find((x) => x.unit === 'kubernetes:argocd#apps')).toMatchObject({ severity: 'warning', file: 'argocd/b.yaml' });
    } finally {
      await repo.cleanup();
    }
  });

  it('follows a Helm or kustomize app-of-apps through what its source renders, one level at a time', async () => {
    const child = (n: string): string =>
      `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: ${n}}\nspec: {source: {repoURL: ., path: src/${n}}, destination: {namespace: ${n}}}\n`;
    const repo = await tempRepo({
      'argocd/root.yaml': y(app('helm-root', { repoURL: '.', path: 'charts/apps', helm: { valuesObject: { apps: ['one', 'two'] } } }), app('kz-root', { repoURL: '.', path: 'kz/apps' })),
      'charts/apps/Chart.yaml': 'apiVersion: v2\nname: apps\nversion: 0.1.0\n',
      'charts/apps/values.yaml': 'apps: []\n',
      'charts/apps/templates/apps.yaml': '{{- range .Values.apps }}\n---\n' + child('{{ . }}').replace(/src\/\{\{ \. \}\}/, 'src/{{ . }}') + '{{- end }}\n',
      'kz/apps/kustomization.yaml': 'resources: [three.yaml]\nnamePrefix: kz-\n',
      'kz/apps/three.yaml': child('three'),
      'src/one/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n',
      'src/two/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n',
      'src/three/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: three}\n'
    });
    try {
      const cfg = { kubernetes: [{ from: 'argocd', path: 'argocd', output: '{name}' }] };
      const exec = createProcessRunner({ ...process.env, PATH: pathWith(tool('helm3'), tool('kubectl-1.35')) });
      const input = makeInput(repo.root, cfg, [], exec);
      const d = await discoverUnits(input.settings, createFileReader(), new Map(), {
        renderObjects: async (u) => {
          const r = await renderKubernetesUnit(u, input);
          return r.status === 'rendered' ? r.resources.map((x) => x.object) : undefined;
        }
      });
      expect(d.diagnostics.filter((x) => x.severity !== 'warning' || !x.message.startsWith('kustomize: '))).toEqual([]);
      // kz- comes from the parent's kustomization: the child is what the parent renders.
      expect(d.units.map((u) => [u.id.replace('kubernetes:argocd#', ''), u.dir])).toEqual([
        ['helm-root', 'charts/apps'],
        ['kz-root', 'kz/apps'],
        ['kz-three', 'src/three'],
        ['one', 'src/one'],
        ['two', 'src/two']
      ]);
    } finally {
      await repo.cleanup();
    }
  });

  it('an Application web and a directory unit argocd/web are two units; one Application found by two entries is a config error', async () => {
    const repo = await tempRepo({
      'argocd/apps/web.yaml': y(app('web', { repoURL: '.', path: 'src/web' })),
      'argocd/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain-web}\n',
      'src/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-web}\n'
    });
    try {
      const both = {
        kubernetes: [
          { match: 'argocd/{dir}', output: 'plain/{dir}', exclude: ['argocd/apps'] },
          { from: 'argocd', path: 'argocd/apps', output: 'argo/{name}' }
        ]
      };
      const d = await discover(repo.root, both);
      expect(d.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
      expect(d.configErrors).toEqual([]);
      expect(d.units.map((u) => [u.id, u.dir, u.output])).toEqual([
        ['kubernetes:argocd#web', 'src/web', 'argo/web'],
        ['kubernetes:argocd/web', 'argocd/web', 'plain/web']
      ]);
      const twice = await discover(repo.root, { kubernetes: [both.kubernetes[1], { ...both.kubernetes[1], output: 'again/{name}' }] });
      expect(twice.units).toEqual([]);
      expect(twice.configErrors).toEqual([
        expect.objectContaining({
          severity: 'error',
          message: expect.stringContaining('kubernetes[0] (from: argocd, path: argocd/apps) and kubernetes[1] (from: argocd, path: argocd/apps) both make unit argocd#web')
        })
      ]);
    } finally {
      await repo.cleanup();
    }
  });

  it('refuses a source path outside the repository', async () => {
    const repo = await tempRepo({ 'argocd/apps/evil.yaml': y(app('evil', { repoURL: '.', path: '../../etc' })) });
    try {
      const d = await discover(repo.root, { kubernetes: [{ from: 'argocd', path: 'argocd/apps', output: '{name}' }] });
      expect(d.units).toEqual([]);
      expect(d.diagnostics.find((x) => x.unit === 'kubernetes:argocd#evil')).toMatchObject({ severity: 'error', file: 'argocd/apps/evil.yaml' });
    } finally {
      await repo.cleanup();
    }
  });

  it('the config takes either match or from with path', () => {
    expect(hydrateConfig.safeParse({ kubernetes: [{ from: 'argocd', path: 'apps', output: '{name}' }] }).success).toBe(true);
    expect(hydrateConfig.safeParse({ kubernetes: [{ from: 'argocd', output: '{name}' }] }).success).toBe(false);
    expect(hydrateConfig.safeParse({ kubernetes: [{ from: 'argocd', path: 'a', match: 'x/{a}', output: '{a}' }] }).success).toBe(false);
    expect(hydrateConfig.safeParse({ kubernetes: [{ output: 'x' }] }).success).toBe(false);
    let diagnostics: unknown;
    try {
      parseConfig('version: 1\nkubernetes:\n  - from: argocd\n    output: "{name}"\n', 'hydrate.yaml');
    } catch (e) {
      diagnostics = (e as { diagnostics?: unknown }).diagnostics;
    }
    expect(diagnostics).toEqual([{ severity: 'error', file: 'hydrate.yaml', line: 3, col: 5, message: 'kubernetes[0].path: `from` needs `path`: the folder holding the engine objects' }]);
  });
});

describe('Argo CD source helpers', () => {
  it('reads images as `kustomize edit set image` does', () => {
    expect(parseImage('nginx:1.2')).toEqual({ name: 'nginx', newTag: '1.2' });
    expect(parseImage('nginx=reg:5000/nginx:1.2')).toEqual({ name: 'nginx', newName: 'reg:5000/nginx', newTag: '1.2' });
    expect(parseImage('reg:5000/nginx@sha256:abc')).toEqual({ name: 'reg:5000/nginx', digest: 'sha256:abc' });
  });
  it('normalizes names as Argo CD does for basenameNormalized', () => {
    expect(normalizeName('My_App  v2.')).toBe('my-app--v2');
    expect(normalizeRepoURL('git@github.com:Example/GitOps.git')).toBe(normalizeRepoURL('https://github.com/example/gitops/'));
  });
  it('escapes --set values as Argo CD does', () => {
    expect(argoSetValue('a,b,,c')).toBe('a\\,b\\,\\,c');
    expect(argoSetValue('a\\,b')).toBe('a\\,b');
    expect(argoSetValue('{x,y}')).toBe('{x,y}');
    expect(argoSetValue('{x},evil={y}')).toBeUndefined();
  });
});

async function unitsOf(root: string): Promise<Map<string, Unit>> {
  const d = await discover(root);
  return new Map(d.units.map((u) => [u.id.replace('kubernetes:argocd#', ''), u]));
}

describe.each(KUBECTLS)('Argo CD kustomize and directory sources, with %s', (name) => {
  const kubectl = tool(name);
  const exec = createProcessRunner({ ...process.env, PATH: pathWith(kubectl, tool('helm3')) });

  /** Builds `kustomization` (as Argo CD leaves the source's after its edits) at `dir` of a copy of the repository. */
  async function byHand(root: string, dir: string, kustomization: string): Promise<Map<string, unknown>> {
    const copy = await mkdtemp(join(tmpdir(), 'argocd-by-hand-'));
    try {
      await cp(root, copy, { recursive: true });
      await writeFile(join(copy, dir, 'kustomization.yaml'), kustomization);
      return read11(execFileSync(kubectl.bin, ['kustomize', join(copy, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }

  it('applies every kustomize option as Argo CD edits the source kustomization, without touching the dry tree', async () => {
    const repo = await tempRepo(FILES);
    try {
      const units = await unitsOf(repo.root);
      const r = await renderKubernetesUnit(units.get('web-prod')!, makeInput(repo.root, CFG_ALL, [], exec));
      expect(notKustomizeWarnings(r.diagnostics)).toEqual([]);
      expect(r.diagnostics.map((d) => d.message)).toContain("kustomize: 'commonLabels' is deprecated. Please use 'labels' instead. Run 'kustomize edit fix' to update your Kustomization automatically.");
      expect(r.status).toBe('rendered');
      const expected = await byHand(
        repo.root,
        'apps/web/overlays/prod',
        [
          'resources: [../../base, sidecar.yaml]',
          'namePrefix: prod-',
          'nameSuffix: -v1',
          'namespace: web-prod',
          'commonLabels: {team: web, tier: front}',
          'commonAnnotations: {owner: ops, note: "yes"}',
          'images: [{name: nginx, newName: registry.example.com/nginx, newTag: 1.27.1}, {name: busybox, newTag: "1.36"}]',
          'replicas: [{name: web, count: 4}]',
          'patches:',
          '- target: {kind: Deployment, name: web}',
          '  patch: |',
          '    - op: add',
          '      path: /metadata/labels/patched',
          '      value: inline',
          '- path: extra-patch.yaml',
          'components: [../../../../components/monitoring]',
          ''
        ].join('\n')
      );
      const got = ours(r.resources);
      expect(got).toEqual(expected);
      // The options did something (the comparison is not between two no-ops).
      const web = got.get('Deployment/web-prod/prod-web-v1') as { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } }; metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
      // namePrefix replaces the source's own (base-), as `kustomize edit set nameprefix` does.
      expect([...got.keys()].some((k) => k.includes('base-'))).toBe(false);
      expect(web.spec.replicas).toBe(4);
      expect(web.spec.template.spec.containers[0]!.image).toBe('registry.example.com/nginx:1.27.1');
      expect(web.metadata.labels).toMatchObject({ team: 'web', tier: 'front', patched: 'inline' });
      expect(web.metadata.annotations).toEqual({ owner: 'ops', note: 'yes' });
      expect(got.has('ConfigMap/web-prod/prod-monitor-v1')).toBe(true);
      const sidecar = got.get('Deployment/web-prod/prod-sidecar-v1') as { spec: { template: { spec: { containers: { env: unknown[] }[] } } } };
      expect(sidecar.spec.template.spec.containers[0]!.env).toEqual([{ name: 'EXTRA', value: '1' }]);
      // The dry tree is unchanged.
      expect(execFileSync('cat', [join(repo.root, 'apps/web/overlays/prod/kustomization.yaml')], { encoding: 'utf8' })).toBe(FILES['apps/web/overlays/prod/kustomization.yaml']);
    } finally {
      await repo.cleanup();
    }
  });

  it('refuses a commonLabels key the source kustomization has, as `kustomize edit add label` does, unless forced', async () => {
    const repo = await tempRepo({
      'argocd/a.yaml': y(
        app('clash', { repoURL: '.', path: 'k', kustomize: { commonLabels: { team: 'x' } } }),
        app('forced', { repoURL: '.', path: 'k', kustomize: { commonLabels: { team: 'x' }, forceCommonLabels: true } })
      ),
      'k/kustomization.yaml': 'resources: [cm.yaml]\ncommonLabels: {team: own, keep: "1"}\n',
      'k/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n'
    });
    try {
      const cfg = { kubernetes: [{ from: 'argocd', path: 'argocd', output: '{name}' }] };
      const units = (await discover(repo.root, cfg)).units;
      const clash = await renderKubernetesUnit(units.find((u) => u.id.endsWith('#clash'))!, makeInput(repo.root, cfg, [], exec));
      expect(clash.status).toBe('failed');
      expect(clash.diagnostics[0]!.message).toMatch(/commonLabels team already in k\/kustomization\.yaml.*forceCommonLabels/);
      const forced = await renderKubernetesUnit(units.find((u) => u.id.endsWith('#forced'))!, makeInput(repo.root, cfg, [], exec));
      expect(notKustomizeWarnings(forced.diagnostics)).toEqual([]);
      expect(ours(forced.resources)).toEqual(await byHand(repo.root, 'k', 'resources: [cm.yaml]\ncommonLabels: {team: x, keep: "1"}\n'));
    } finally {
      await repo.cleanup();
    }
  });

  it('renders a goTemplate matrix ApplicationSet unit with its templated options', async () => {
    const repo = await tempRepo(FILES);
    try {
      const units = await unitsOf(repo.root);
      const r = await renderKubernetesUnit(units.get('blue-east')!, makeInput(repo.root, CFG_ALL, [], exec));
      expect(notKustomizeWarnings(r.diagnostics)).toEqual([]);
      const expected = await byHand(repo.root, 'tenants/blue', 'resources: [cm.yaml]\nnamePrefix: east-\ncommonLabels: {cluster: east, tenant: blue}\n');
      expect(ours(r.resources)).toEqual(expected);
      expect([...expected.keys()]).toEqual(['ConfigMap//east-settings']);
    } finally {
      await repo.cleanup();
    }
  });

  it('reads a directory source with recurse, include and exclude; an app-of-apps renders its Applications', async () => {
    const repo = await tempRepo(FILES);
    try {
      const units = await unitsOf(repo.root);
      const plain = await renderKubernetesUnit(units.get('plain')!, makeInput(repo.root, CFG_ALL, [], exec));
      expect(plain.diagnostics).toEqual([]);
      // Argo CD: recurse reads sub/c.yaml; include *.yaml leaves b.yml out; exclude skip* leaves skip-me.yaml out.
      expect([...ours(plain.resources).keys()].sort()).toEqual(['ConfigMap//a', 'ConfigMap//c']);
      const root = await renderKubernetesUnit(units.get('root')!, makeInput(repo.root, CFG_ALL, [], exec));
      expect(root.diagnostics).toEqual([]);
      const expected = new Map<string, unknown>();
      for (const f of ['api.yaml', 'external.yaml', 'plain.yaml', 'remote-chart.yaml', 'web.yaml']) for (const [k, v] of read11(FILES[`argocd/children/${f}`]!)) expected.set(k, v);
      expect(ours(root.resources)).toEqual(expected);
    } finally {
      await repo.cleanup();
    }
  });
});

describe.each(HELMS)('Argo CD Helm sources, with %s', (name) => {
  const helm = tool(name);
  const exec = createProcessRunner({ ...process.env, PATH: pathWith(helm) });

  it('passes valueFiles, values, parameters, releaseName, namespace, skipCrds, kubeVersion and apiVersions as Argo CD does', async () => {
    const repo = await tempRepo({ ...FILES, 'by-hand/inline.yaml': 'message: from-values\nport: 9090\n' });
    try {
      const units = await unitsOf(repo.root);
      const r = await renderKubernetesUnit(units.get('api')!, makeInput(repo.root, CFG_ALL, [], exec));
      expect(r.diagnostics).toEqual([]);
      const text = execFileSync(
        helm.bin,
        [
          'template', 'api-rel', 'charts/api', '--namespace', 'api-ns', '--kube-version', '1.29.0', '--api-versions', 'monitoring.coreos.com/v1',
          '-f', 'charts/api/values-prod.yaml', '-f', 'by-hand/inline.yaml', '--set', 'image.tag=2.0', '--set-string', 'message=a\\,b', '--set', 'replicas=5'
        ],
        { cwd: repo.root, encoding: 'utf8' }
      );
      const expected = read11(text);
      const got = ours(r.resources);
      expect(got).toEqual(expected);
      expect([...got.keys()].sort()).toEqual(['Deployment/api-ns/api-rel', 'ServiceMonitor//api-rel']);
      const d = got.get('Deployment/api-ns/api-rel') as { spec: { replicas: number; template: { spec: { containers: { image: string; ports: { containerPort: number }[] }[] } } }; metadata: { annotations: Record<string, string> } };
      expect(d.metadata.annotations).toEqual({ message: 'a,b', kube: 'v1.29.0' });
      expect(d.spec.replicas).toBe(5);
      expect(d.spec.template.spec.containers[0]!.ports[0]!.containerPort).toBe(9090);
      expect(d.spec.template.spec.containers[0]!.image).toBe('api:2.0');
    } finally {
      await repo.cleanup();
    }
  });

  it('takes valuesObject over values, the Application name as release and includes CRDs by default', async () => {
    const repo = await tempRepo({ ...FILES, 'by-hand/object.json': '{"message":"from-object","port":7070}' });
    try {
      const units = await unitsOf(repo.root);
      const r = await renderKubernetesUnit(units.get('api-object')!, makeInput(repo.root, CFG_ALL, [], exec));
      expect(r.diagnostics).toEqual([]);
      const text = execFileSync(helm.bin, ['template', 'api-object', 'charts/api', '--namespace', 'api-two', '--include-crds', '-f', 'by-hand/object.json'], { cwd: repo.root, encoding: 'utf8' });
      const got = ours(r.resources);
      expect(got).toEqual(read11(text));
      expect(got.has('CustomResourceDefinition//widgets.example.com')).toBe(true);
      expect((got.get('Deployment/api-two/api-object') as { metadata: { annotations: Record<string, string> } }).metadata.annotations['message']).toBe('from-object');
    } finally {
      await repo.cleanup();
    }
  });
});

describe('Argo CD refusals and incremental digests', () => {
  it('refuses plugins and Jsonnet clearly, at the Application file', async () => {
    const repo = await tempRepo({
      'argocd/p.yaml': y(app('plug', { repoURL: '.', path: 'src', plugin: { name: 'cmp' } }), app('jn', { repoURL: '.', path: 'src', directory: { jsonnet: { tlas: [{ name: 'a', value: 'b' }] } } })),
      'src/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n'
    });
    try {
      const cfg = { kubernetes: [{ from: 'argocd', path: 'argocd', output: '{name}' }] };
      const units = (await discover(repo.root, cfg)).units;
      for (const [u, re] of [
        [units.find((x) => x.id.endsWith('#plug'))!, /config-management plugin/],
        [units.find((x) => x.id.endsWith('#jn'))!, /Jsonnet/]
      ] as const) {
        const r = await renderKubernetesUnit(u, makeInput(repo.root, cfg, []));
        expect(r.status).toBe('failed');
        expect(r.diagnostics[0]).toMatchObject({ severity: 'error', file: 'argocd/p.yaml' });
        expect(r.diagnostics[0]!.message).toMatch(re);
      }
    } finally {
      await repo.cleanup();
    }
  });

  it('the input digest covers the Application file and the source closure', async () => {
    const repo = await tempRepo(FILES);
    try {
      const files = createFileReader();
      const settings = makeInput(repo.root, CFG_ALL, []).settings;
      const digest = async (): Promise<string> => {
        const u = (await unitsOf(repo.root)).get('web-prod')!;
        return (await unitInputDigest(u, settings, files, 'tools')).digest;
      };
      const seen = new Set([await digest()]);
      expect(await digest()).toBe([...seen][0]);
      for (const [rel, content] of [
        ['argocd/children/web.yaml', FILES['argocd/children/web.yaml']!.replace('prod-', 'stage-')],
        ['apps/web/base/deploy.yaml', DEPLOY('web', 'nginx:1.26')],
        ['apps/web/overlays/prod/extra-patch.yaml', FILES['apps/web/overlays/prod/extra-patch.yaml']!.replace('"1"', '"2"')],
        ['components/monitoring/monitor.yaml', FILES['components/monitoring/monitor.yaml']!.replace('"1"', '"2"')]
      ] as const) {
        await writeFile(join(repo.root, rel), content);
        const d = await digest();
        expect([rel, seen.has(d)]).toEqual([rel, false]);
        seen.add(d);
      }
      // A file the unit does not read leaves it unchanged.
      const before = await digest();
      await writeFile(join(repo.root, 'manifests/plain/a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: changed}\n');
      expect(await digest()).toBe(before);
    } finally {
      await repo.cleanup();
    }
  });
});
