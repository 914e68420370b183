/**
 * Plain directories (no kustomization, no Helm release): the rule that says which files a unit
 * reads (Flux's recursive rule by default, Argo CD's top-level rule when asked), what a unit that
 * renders nothing says, and the objects the engines accept that Hydrate used to refuse (lists,
 * generateName).
 */
import { describe, it, expect } from '@jest/globals';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { toolMessage, toolWarnings } from '../../../src/render/kubernetes/kubernetes-renderer.js';
import { identityOf, isIdentity, type Resource } from '../../../src/resources/resource.js';
import { fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';

const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;
const names = (rs: Resource[]): string[] =>
  rs.map((r) => {
    const id = identityOf(r.object);
    return isIdentity(id) ? `${id.kind}/${id.name}` : 'invalid';
  });

const TREE = {
  'apps/web/top.yaml': cm('top'),
  'apps/web/nested/deeper/deep.yml': cm('deep'),
  'apps/web/nested/notes.txt': 'not a manifest\n',
  'apps/web/nested/dashboard.json': '{"title": "not read by default"}\n',
  'apps/web/overlay/kustomization.yaml': 'resources: [cm.yaml]\nnamePrefix: k-\n',
  'apps/web/overlay/cm.yaml': cm('from-kustomize'),
  'apps/web/overlay/ignored.yaml': cm('not-in-the-kustomization'),
  'apps/web/extra_artifacts/copied.yaml': cm('artifact-not-a-manifest'),
  'apps/web/.hidden/hidden.yaml': cm('hidden'),
  'apps/web/hydrate-patches.yaml': '[]\n'
};

describe('plain directory rule', () => {
  it('by default reads every YAML file below the directory and builds a sub-directory with a kustomization as one (Flux)', async () => {
    const repo = await tempRepo(TREE);
    try {
      const cfg = { kubernetes: [{ match: 'apps/{app}', output: '{app}' }] };
      const r = await renderKubernetesUnit(unit('apps/web', 0), makeInput(repo.root, cfg, []));
      expect(r.diagnostics).toEqual([]);
      expect(names(r.resources).sort()).toEqual(['ConfigMap/deep', 'ConfigMap/k-from-kustomize', 'ConfigMap/top']);
      expect(r.resources.find((x) => names([x])[0] === 'ConfigMap/deep')!.source).toEqual({ file: 'apps/web/nested/deeper/deep.yml', line: 1, col: 1 });
    } finally {
      await repo.cleanup();
    }
  });

  it('recurse: false reads the top level only (Argo CD directory default); include/exclude globs choose files', async () => {
    const repo = await tempRepo(TREE);
    try {
      const top = { kubernetes: [{ match: 'apps/{app}', output: '{app}', plain: { recurse: false } }] };
      const a = await renderKubernetesUnit(unit('apps/web', 0), makeInput(repo.root, top, []));
      expect(a.diagnostics).toEqual([]);
      expect(names(a.resources)).toEqual(['ConfigMap/top']);

      // The repository-wide default applies where an entry says nothing; the entry's own fields win.
      const globs = {
        defaults: { plain: { recurse: false } },
        kubernetes: [{ match: 'apps/{app}', output: '{app}', plain: { recurse: true, include: ['**/*.yml', '**/*.json'], exclude: ['overlay', 'nested/*.json'] } }]
      };
      const b = await renderKubernetesUnit(unit('apps/web', 0), makeInput(repo.root, globs, []));
      expect(b.diagnostics).toEqual([]);
      expect(names(b.resources)).toEqual(['ConfigMap/deep']);

      const byDefault = { defaults: { plain: { recurse: false } }, kubernetes: [{ match: 'apps/{app}', output: '{app}' }] };
      const c = await renderKubernetesUnit(unit('apps/web', 0), makeInput(repo.root, byDefault, []));
      expect(names(c.resources)).toEqual(['ConfigMap/top']);
    } finally {
      await repo.cleanup();
    }
  });

  it('a unit that renders nothing is a warning naming the unit and the reason', async () => {
    const repo = await tempRepo({ 'apps/empty/README.md': '# nothing\n', 'apps/sub/only/below.yaml': cm('below'), 'apps/blank/a.yaml': '---\n# only a comment\n' });
    try {
      const cfg = { kubernetes: [{ match: 'apps/{app}', output: '{app}', plain: { recurse: false } }] };
      const empty = await renderKubernetesUnit(unit('apps/empty', 0), makeInput(repo.root, cfg, []));
      expect(empty.status).toBe('rendered');
      expect(empty.diagnostics).toEqual([
        expect.objectContaining({ severity: 'warning', unit: 'kubernetes:apps/empty', message: expect.stringContaining('renders no objects: no file at its top level matches plain.include') })
      ]);
      const sub = await renderKubernetesUnit(unit('apps/sub', 0), makeInput(repo.root, cfg, []));
      expect(sub.diagnostics[0]!.message).toContain('plain.recurse is false (1 sub-directory not read)');
      const blank = await renderKubernetesUnit(unit('apps/blank', 0), makeInput(repo.root, cfg, []));
      expect(blank.diagnostics).toEqual([
        expect.objectContaining({ severity: 'warning', message: 'unit kubernetes:apps/blank renders no objects: its manifest files (1) hold no documents' })
      ]);
    } finally {
      await repo.cleanup();
    }
  });

  it('a directory only Jsonnet or a plugin can render is an error that says so; a Helm chart is named as one', async () => {
    const repo = await tempRepo({
      'apps/jsonnet/main.jsonnet': 'local lib = import "lib.libsonnet"; lib.objects\n',
      'apps/jsonnet/lib.libsonnet': '{ objects: [] }\n',
      'apps/chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.0.0\n',
      'apps/chart/values.yaml': 'replicas: 1\n',
      'apps/chart/templates/deploy.yaml': 'replicas: {{ .Values.replicas }}\n',
      'apps/mixed/cm.yaml': cm('a'),
      'apps/mixed/sub-chart/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 1.0.0\n',
      'apps/cdk/cdk8s.yaml': 'language: typescript\napp: npx ts-node main.ts\n',
      'apps/cdk/imports.yaml': 'k8s: {}\n',
      'apps/both/cm.yaml': cm('yaml-one'),
      'apps/both/more.jsonnet': '[{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b" } }]\n'
    });
    try {
      const cfg = { kubernetes: [{ match: 'apps/{app}', output: '{app}' }] };
      const j = await renderKubernetesUnit(unit('apps/jsonnet', 0), makeInput(repo.root, cfg, []));
      expect(j.status).toBe('failed');
      expect(j.diagnostics).toEqual([expect.objectContaining({ severity: 'error', file: 'apps/jsonnet', message: expect.stringMatching(/holds only Jsonnet \(apps\/jsonnet\/lib\.libsonnet, apps\/jsonnet\/main\.jsonnet\).*Hydrate does not run/) })]);
      // Jsonnet beside YAML: the YAML renders, and a warning names the Jsonnet Argo CD would also deploy.
      const both = await renderKubernetesUnit(unit('apps/both', 0), makeInput(repo.root, cfg, []));
      expect(both.status).toBe('rendered');
      expect(names(both.resources)).toEqual(['ConfigMap/yaml-one']);
      expect(both.diagnostics).toEqual([
        expect.objectContaining({ severity: 'warning', file: 'apps/both/more.jsonnet', message: expect.stringMatching(/apps\/both also holds Jsonnet \(apps\/both\/more\.jsonnet\).*Argo CD would deploy/) })
      ]);
      // With type auto a chart directory is a chart source, rendered by helm template of the directory.
      const helm = fakeRunner(['helm'], { exitCode: 0, stdout: cm('from-chart'), stderr: '' });
      const c = await renderKubernetesUnit(unit('apps/chart', 0), makeInput(repo.root, cfg, [], helm));
      expect(c.diagnostics).toEqual([]);
      expect(names(c.resources)).toEqual(['ConfigMap/from-chart']);
      expect(helm.calls.map((x) => x.args.slice(-3))).toEqual([['--', 'chart', join(repo.root, 'apps/chart')]]);
      // Read as a plain directory (type plain), the chart is named as one, and nothing runs.
      const noHelm = fakeRunner(['helm']);
      const asPlain = { kubernetes: [{ match: 'apps/{app}', output: '{app}', type: 'plain' }] };
      const cp = await renderKubernetesUnit(unit('apps/chart', 0), makeInput(repo.root, asPlain, [], noHelm));
      expect(cp.status).toBe('failed');
      expect(cp.diagnostics).toEqual([
        expect.objectContaining({ severity: 'error', file: 'apps/chart/Chart.yaml', message: expect.stringContaining("apps/chart is a Helm chart (it holds Chart.yaml), not a plain directory: set the entry's type to chart (or auto)") })
      ]);
      expect(noHelm.calls).toEqual([]);
      const p = await renderKubernetesUnit(unit('apps/cdk', 0), makeInput(repo.root, cfg, []));
      expect(p.status).toBe('failed');
      expect(p.diagnostics).toEqual([expect.objectContaining({ file: 'apps/cdk/cdk8s.yaml', message: 'apps/cdk is rendered by cdk8s (cdk8s.yaml), which Argo CD runs as a config-management plugin and Hydrate does not: render it to YAML in the dry repository, or exclude the directory' })]);
      const m = await renderKubernetesUnit(unit('apps/mixed', 0), makeInput(repo.root, cfg, []));
      expect(m.status).toBe('failed');
      expect(m.diagnostics).toEqual([expect.objectContaining({ file: 'apps/mixed/sub-chart/Chart.yaml', message: expect.stringContaining('plain.exclude') })]);
    } finally {
      await repo.cleanup();
    }
  });

  it('never follows a symlinked manifest or folder below the unit, and says so', async () => {
    const repo = await tempRepo({ 'apps/s/cm.yaml': cm('a'), 'shared/more/cm.yaml': cm('b'), 'shared/one.yaml': cm('c') });
    try {
      await symlink(join(repo.root, 'shared/more'), join(repo.root, 'apps/s/more'));
      await symlink(join(repo.root, 'shared/one.yaml'), join(repo.root, 'apps/s/one.yaml'));
      const cfg = { kubernetes: [{ match: 'apps/{app}', output: '{app}' }] };
      const r = await renderKubernetesUnit(unit('apps/s', 0), makeInput(repo.root, cfg, []));
      expect(r.status).toBe('failed');
      expect(r.diagnostics.map((d) => [d.file, d.message.slice(0, d.message.indexOf(':'))])).toEqual([
        ['apps/s/more', 'more is a symlink'],
        ['apps/s/one.yaml', 'one.yaml is a symlink']
      ]);
    } finally {
      await repo.cleanup();
    }
  });

  it('reports a document that is not a Kubernetes object with what it looks like', async () => {
    const repo = await tempRepo({
      'apps/a/values.yaml': 'replicaCount: 2\nimage:\n  tag: "1.0"\n',
      'apps/b/kustomizeconfig.yaml': 'nameReference:\n  - kind: ConfigMap\n    fieldSpecs: []\n',
      'apps/c/kustomization-old.yaml': 'resources:\n  - a.yaml\nnamePrefix: x-\n',
      'apps/d/random.yaml': 'foo: 1\nbar: 2\n',
      'apps/e/app.yaml': 'resources:\n  limits: {cpu: 1}\nreplicaCount: 1\n'
    });
    try {
      const cfg = { kubernetes: [{ match: 'apps/{app}', output: '{app}' }] };
      const msg = async (dir: string): Promise<string> => {
        const r = await renderKubernetesUnit(unit(dir, 0), makeInput(repo.root, cfg, []));
        expect(r.status).toBe('failed');
        expect(r.diagnostics).toHaveLength(1);
        expect(r.diagnostics[0]!.line).toBe(1);
        return r.diagnostics[0]!.message;
      };
      expect(await msg('apps/a')).toBe('document is not a Kubernetes object: it looks like a Helm values file (no apiVersion, kind); leave the file out with plain.exclude if it is not a manifest');
      expect(await msg('apps/b')).toContain('looks like a kustomize configuration');
      expect(await msg('apps/c')).toContain('looks like a kustomization');
      expect(await msg('apps/d')).toContain('looks like a YAML mapping with keys foo, bar (no apiVersion, kind)');
      // A values-like mapping whose `resources` is not a list is not taken for a kustomization.
      expect(await msg('apps/e')).toContain('looks like a YAML mapping with keys resources, replicaCount');
    } finally {
      await repo.cleanup();
    }
  });
});

describe('objects the engines deploy', () => {
  it('expands kind: List and *List kinds into their items, as kubectl does', async () => {
    const repo = await tempRepo({
      'apps/l/list.yaml': `apiVersion: v1\nkind: List\nitems:\n  - ${cm('one').trimEnd().split('\n').join('\n    ')}\n  - apiVersion: v1\n    kind: ConfigMapList\n    items:\n      - ${cm('two').trimEnd().split('\n').join('\n        ')}\n`
    });
    try {
      const cfg = { kubernetes: [{ match: 'apps/{app}', output: '{app}' }] };
      const r = await renderKubernetesUnit(unit('apps/l', 0), makeInput(repo.root, cfg, []));
      expect(r.diagnostics).toEqual([]);
      expect(names(r.resources)).toEqual(['ConfigMap/one', 'ConfigMap/two']);
      expect(r.resources[0]!.object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' }, data: { k: 'v' } });
    } finally {
      await repo.cleanup();
    }
  });

  it('accepts generateName objects; two with one generateName stay distinct and keep their names across runs', async () => {
    const job = (cmd: string): string =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  template:\n    spec:\n      containers:\n        - name: m\n          image: busybox\n          command: [${cmd}]\n`;
    const repo = await tempRepo({
      'apps/h/hooks.yaml': `${job('up')}---\n${job('seed')}`,
      // A patch targets them by their generateName.
      'apps/h/hydrate-patches.yaml': '- target: {kind: Job, name: migrate-}\n  patch:\n    - {op: add, path: /metadata/labels, value: {patched: "true"}}\n'
    });
    try {
      const cfg = { kubernetes: [{ match: 'apps/{app}', output: '{app}' }] };
      const first = await renderKubernetesUnit(unit('apps/h', 0), makeInput(repo.root, cfg, []));
      expect(first.diagnostics).toEqual([]);
      const a = names(first.resources);
      expect(a).toHaveLength(2);
      for (const n of a) expect(n).toMatch(/^Job\/migrate-[0-9a-f]{8}$/);
      expect(a[0]).not.toBe(a[1]);
      const again = await renderKubernetesUnit(unit('apps/h', 0), makeInput(repo.root, cfg, []));
      expect(names(again.resources)).toEqual(a);
      for (const r of first.resources) expect((r.object['metadata'] as { labels: unknown }).labels).toEqual({ patched: 'true' });
      // The object itself is left as written: the API server picks the real name.
      expect((first.resources[0]!.object['metadata'] as Record<string, unknown>)['name']).toBeUndefined();
    } finally {
      await repo.cleanup();
    }
  });
});

describe('tool messages', () => {
  it("drops kubectl's klog header and command-failed wrapper, keeping the message", () => {
    const stderr =
      'E1130 09:39:05.822293   16390 run.go:72] "command failed" err="accumulating resources: accumulation err=\'accumulating resources from \'missing.yaml\': open /repo/missing.yaml: no such file or directory\'"\n';
    expect(toolMessage(stderr)).toBe(
      "accumulating resources: accumulation err='accumulating resources from 'missing.yaml': open /repo/missing.yaml: no such file or directory'"
    );
    expect(toolMessage('Error: plain message\n')).toBe('Error: plain message');
    expect(toolWarnings("# Warning: 'commonLabels' is deprecated. Please use 'labels' instead.\n")).toEqual([
      "'commonLabels' is deprecated. Please use 'labels' instead."
    ]);
  });

  it('real kustomize: an error has no log header; a deprecation warning becomes a warning of the unit', async () => {
    const repo = await tempRepo({
      'apps/bad/kustomization.yaml': 'resources: [missing.yaml]\n',
      'apps/old/kustomization.yaml': 'commonLabels: {team: web}\nresources: [cm.yaml]\n',
      'apps/old/cm.yaml': cm('x')
    });
    try {
      const cfg = { kubernetes: [{ match: 'apps/{app}', output: '{app}' }] };
      const bad = await renderKubernetesUnit(unit('apps/bad', 0), makeInput(repo.root, cfg, []));
      expect(bad.status).toBe('failed');
      expect(bad.diagnostics[0]!.message).toMatch(/^kubectl kustomize failed \(exit 1\): .*missing\.yaml/);
      expect(bad.diagnostics[0]!.message).not.toMatch(/E\d{4} \d\d:|run\.go|command failed/);
      const old = await renderKubernetesUnit(unit('apps/old', 0), makeInput(repo.root, cfg, []));
      expect(old.status).toBe('rendered');
      expect(old.diagnostics).toEqual([
        expect.objectContaining({ severity: 'warning', unit: 'kubernetes:apps/old', file: 'apps/old/kustomization.yaml', message: expect.stringMatching(/^kustomize: 'commonLabels' is deprecated/) })
      ]);
    } finally {
      await repo.cleanup();
    }
  });
});
