import { afterAll, beforeAll, describe, it, expect } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import type { ProcessRunner } from '../../../src/ports.js';
import { helmHandEnv, startChartRepo } from '../../helpers/chart-repo.js';
import type { ChartRepo } from '../../helpers/chart-repo.js';
import { HELMS, pathOf, tool } from '../../helpers/tools.js';
import { helmRelease, helmTemplateArgs, renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { helmArgvProblems } from '../../../src/render/kubernetes/helm-argv.js';
import { EXAMPLE_ROOT, fakeRunner, makeInput, tempRepo, unit } from './fixtures.js';


const HELM_DIR = 'kubernetes/platform/web/prod';

describe('helmTemplateArgs', () => {
  it('builds template args with repo, namespace, CRDs, values in order and typed --set', () => {
    const release = helmRelease.parse({
      chart: 'podinfo',
      version: '6.7.1',
      repository: 'https://stefanprodan.github.io/podinfo',
      set: [
        { name: 'replicaCount', value: 2 },
        { name: 'ui.message', value: 'hi' },
        { name: 'ingress.enabled', value: true }
      ]
    });
    const args = helmTemplateArgs({ ...release, releaseName: 'web', namespace: 'apps' }, ['/r/a.yaml', '/r/b.yaml']);
    expect(args).toEqual([
      'template', '--version=6.7.1',
      '--repo=https://stefanprodan.github.io/podinfo',
      '--namespace=apps', '--include-crds',
      '--values=/r/a.yaml', '--values=/r/b.yaml',
      '--set=replicaCount=2', '--set-string=ui.message=hi', '--set=ingress.enabled=true',
      '--', 'web', 'podinfo'
    ]);
    expect(args).not.toContain('--post-renderer');
  });

  it('uses the resolved chart reference and omits --repo when there is none', () => {
    const release = helmRelease.parse({ chart: 'oci://ghcr.io/x/charts/app', version: '1.0.0' });
    expect(helmTemplateArgs({ ...release, releaseName: 'r', namespace: 'n' }, [])).toEqual([
      'template', '--version=1.0.0', '--namespace=n', '--include-crds', '--', 'r', 'oci://ghcr.io/x/charts/app'
    ]);
  });

  it('escapes commas and backslashes in --set-string values, so one value never becomes two assignments', () => {
    const release = helmRelease.parse({ chart: 'c', version: '1.0.0', set: [{ name: 'a', value: 'x,b=y\\z' }] });
    expect(helmTemplateArgs({ ...release, releaseName: 'r', namespace: 'n' }, [])).toContain('--set-string=a=x\\,b=y\\\\z');
  });

  for (const bad of ['^1.2.0', '~1.2.0', '*', '1.x', '>=1.0.0', '1.2']) {
    it(`rejects the unpinned version ${JSON.stringify(bad)}`, () => {
      const r = helmRelease.safeParse({ chart: 'c', version: bad });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toContain('pinned');
    });
  }
  it('accepts exact versions incl. pre-releases', () => {
    for (const v of ['0.1.0', 'v1.2.3', '1.2.3-rc.1', '1.2.3+build.5']) expect(helmRelease.safeParse({ chart: 'c', version: v }).success).toBe(true);
  });
});

describe('helmArgvProblems: what a release file may place on helm\'s command line', () => {
  const problems = (r: Record<string, unknown>) => helmArgvProblems(helmRelease.parse({ version: '1.0.0', ...r })).map((p) => p.path.join('.'));
  it.each([
    ['./charts/x'], ['../../charts/x'], ['podinfo'], ['team/podinfo'], ['oci://ghcr.io/org/charts/app'], ['https://charts.example.com/app-1.0.0.tgz']
  ])('accepts the chart reference %s', (chart) => {
    expect(problems({ chart })).toEqual([]);
  });
  it.each([
    ['--post-renderer=./evil.sh'], ['-x'], ['/etc/charts/x'], ['file:///etc/charts/x'], ['team/../../x'], ['a/b/c'], ['name\nwith-newline'], ['ftp://host/x']
  ])('refuses the chart reference %j', (chart) => {
    expect(problems({ chart })).toEqual(['chart']);
  });
  it('refuses a repository that is not an HTTP(S) URL, and set names that would start an option or another assignment', () => {
    expect(problems({ chart: 'c', repository: '--kubeconfig=/x' })).toEqual(['repository']);
    expect(problems({ chart: 'c', repository: 'file:///etc' })).toEqual(['repository']);
    expect(problems({ chart: 'c', repository: 'https://charts.example.com/sub' })).toEqual([]);
    const set = [
      { name: 'ok.path[0]', value: 'x' },
      { name: '--post-renderer', value: 'x' },
      { name: 'a=1,b', value: 'x' },
      { name: 'a b', value: 1 }
    ];
    expect(problems({ chart: 'c', set })).toEqual(['set.1.name', 'set.2.name', 'set.3.name']);
  });
});

describe('Helm release units', () => {
  const cfg = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}' }] };

  it('reports an unpinned version at the release file line and runs nothing', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: ./chart\nversion: ^1.0.0\n',
      'k/c/t/prod/values.yaml': 'a: 1\n'
    });
    try {
      const exec = fakeRunner(['helm']);
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ file: 'k/c/t/prod.yaml', line: 2, col: 10, message: expect.stringContaining('version: version must be pinned') })
      ]);
      expect(exec.calls).toEqual([]);
    } finally {
      await repo.cleanup();
    }
  });

  it('passes values files sorted by name (code-unit order) and the local chart as an absolute path', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: ../../../charts/x\nversion: 0.1.0\nset:\n  - {name: a, value: "1"}\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'k/c/t/prod/B-overrides.yml': 'b: 1\n',
      'k/c/t/prod/a-base.yaml': 'c: 1\n',
      'k/c/t/prod/hydrate-patches.yaml': '[]\n',
      'k/c/t/prod/extra_artifacts/not-values.yaml': 'd: 1\n',
      'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n',
      'charts/x/templates/cm.yaml': 'data: {p: {{ randAlphaNum 8 }}}\n'
    });
    try {
      const exec = fakeRunner(['helm'], {
        exitCode: 0,
        stdout: '---\n# Source: x/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n',
        stderr: ''
      });
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.diagnostics).toEqual([]);
      // Rendered twice with the same arguments, to catch non-deterministic charts (randAlphaNum).
      expect(exec.calls).toHaveLength(2);
      expect(exec.calls[1]!.args).toEqual(exec.calls[0]!.args);
      expect(exec.calls[0]!.command).toBe('helm');
      const d = join(repo.root, 'k/c/t/prod');
      expect(exec.calls[0]!.args).toEqual([
        'template', '--version=0.1.0', '--namespace=default', '--include-crds',
        `--values=${d}/B-overrides.yml`, `--values=${d}/a-base.yaml`, `--values=${d}/values.yaml`,
        '--set-string=a=1', '--', 't', join(repo.root, 'charts/x')
      ]);
      expect(r.resources.map((x) => x.source.file)).toEqual(['k/c/t/prod.yaml']);
    } finally {
      await repo.cleanup();
    }
  });

  it('refuses a chart whose output differs between two identical renders', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: ../../../charts/x\nversion: 0.1.0\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n',
      'charts/x/templates/secret.yaml': 'stringData: {p: {{ randAlphaNum 8 }}}\n'
    });
    try {
      let n = 0;
      const base = fakeRunner(['helm']);
      const exec = {
        ...base,
        async run(command: string, args: readonly string[]) {
          if (args[0] === 'version') return { exitCode: 0, stdout: 'v-test', stderr: '' };
          n++;
          return { exitCode: 0, stdout: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  p: random${n}\n`, stderr: '' };
        }
      };
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.status).toBe('failed');
      expect(r.diagnostics[0]).toMatchObject({ file: 'k/c/t/prod.yaml', severity: 'error' });
      expect(r.diagnostics[0]!.message).toContain('different output on identical renders');
      expect(JSON.stringify(r.diagnostics)).not.toContain('random1');
      expect(n).toBe(2);
    } finally {
      await repo.cleanup();
    }
  });

  it('helm missing: the example release fails with a clear error naming the release file', async () => {
    const config = await readFile(join(EXAMPLE_ROOT, 'hydrate.yaml'), 'utf8');
    const exec = fakeRunner(['kubectl']);
    const r = await renderKubernetesUnit(unit(HELM_DIR, 2), makeInput(EXAMPLE_ROOT, config, [], exec));
    expect(r.status).toBe('failed');
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        unit: `kubernetes:${HELM_DIR}`,
        file: `${HELM_DIR}.yaml`,
        message: `helm not found: install helm to render Helm release ${HELM_DIR}.yaml`
      }
    ]);
    expect(exec.calls).toEqual([]);
  });

  it('the type is detected automatically from a release file with a chart key', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: repo/app\nversion: 1.0.0\nrepository: https://charts.example.com\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'k/c/t/dev.yaml': '# not a release\nfoo: bar\n',
      'k/c/t/dev/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dev}\n'
    });
    try {
      const exec = fakeRunner([]);
      const prod = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(prod.diagnostics[0]?.message).toBe('helm not found: install helm to render Helm release k/c/t/prod.yaml');
      const dev = await renderKubernetesUnit(unit('k/c/t/dev', 0), makeInput(repo.root, cfg, [], exec));
      expect(dev.status).toBe('rendered');
      expect(dev.resources).toHaveLength(1);
    } finally {
      await repo.cleanup();
    }
  });

  it('applies the release file\'s extraPatches to what helm printed (helm faked)', async () => {
    const config = await readFile(join(EXAMPLE_ROOT, 'hydrate.yaml'), 'utf8');
    const stdout = '---\n# Source: hello/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hello\nspec:\n  replicas: 2\n';
    const r = await renderKubernetesUnit(unit(HELM_DIR, 2), makeInput(EXAMPLE_ROOT, config, [], fakeRunner(['helm'], { exitCode: 0, stdout, stderr: '' })));
    expect(r.diagnostics).toEqual([]);
    const dep = r.resources.find((x) => x.object['kind'] === 'Deployment')!;
    expect((dep.object['metadata'] as Record<string, unknown>)['annotations']).toEqual({ owner: 'platform' });
    expect((dep.object['spec'] as Record<string, unknown>)['replicas']).toBe(2);
  });
});

describe('local charts', () => {
  it('a chart named as a repository-root path without ./ is an error at the chart line, not a chart repository lookup', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: charts/x\nversion: 0.1.0\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n'
    });
    try {
      const exec = fakeRunner(['helm']);
      const cfg = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}' }] };
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ file: 'k/c/t/prod.yaml', line: 1, col: 8, message: expect.stringContaining('write it relative to the release file, starting with ./ or ../') })
      ]);
      expect(exec.calls).toEqual([]);
    } finally {
      await repo.cleanup();
    }
  });

  it('a release version that differs from the local Chart.yaml is an error at the version line', async () => {
    const repo = await tempRepo({
      'k/c/t/prod.yaml': 'chart: ../../../charts/x\nversion: 0.2.0\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'charts/x/Chart.yaml': 'apiVersion: v2\nname: x\nversion: 0.1.0\n'
    });
    try {
      const exec = fakeRunner(['helm']);
      const cfg = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}' }] };
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], exec));
      expect(r.status).toBe('failed');
      expect(r.diagnostics[0]).toEqual(expect.objectContaining({ file: 'k/c/t/prod.yaml', line: 2, message: expect.stringContaining('does not match the local chart charts/x') }));
      expect(exec.calls).toEqual([]);
    } finally {
      await repo.cleanup();
    }
  });

  it('a local chart path without Chart.yaml is an error at the chart line', async () => {
    const repo = await tempRepo({ 'k/c/t/prod.yaml': '# release\nchart: ./nope\nversion: 0.1.0\n', 'k/c/t/prod/values.yaml': 'a: 1\n' });
    try {
      const cfg = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}' }] };
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(repo.root, cfg, [], fakeRunner(['helm'])));
      expect(r.diagnostics[0]).toEqual(expect.objectContaining({ file: 'k/c/t/prod.yaml', line: 2, message: expect.stringContaining('has no Chart.yaml') }));
    } finally {
      await repo.cleanup();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The real helm, 3 and 4. The renderer's runner sees a PATH holding only the helm under test
// and a temporary HOME, so the helm found is the one named and nothing is written to the
// user's helm config or cache. A chart repository is served on 127.0.0.1 by the test.

const LIB_CHART = (version: string): Record<string, string> => ({
  'Chart.yaml': `apiVersion: v2\nname: lib\nversion: ${version}\n`,
  'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lib-{{ .Release.Name }}\ndata:\n  version: {{ .Chart.Version | quote }}\n'
});

const APP_CHART: Record<string, string> = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'charts/app/values.yaml': 'layer: default\nmsg: none\ntag: latest\nreplicas: 1\nfromFirst: "no"\n',
  'charts/app/crds/widgets.yaml':
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema: {openAPIV3Schema: {type: object}}\n',
  'charts/app/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cfg\n  namespace: {{ .Release.Namespace }}\ndata:\n  layer: {{ .Values.layer | quote }}\n  msg: {{ .Values.msg | quote }}\n  tag: {{ .Values.tag | quote }}\n  tagType: {{ kindOf .Values.tag | quote }}\n  fromFirst: {{ .Values.fromFirst | quote }}\n',
  'charts/app/templates/deploy.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: "nginx:{{ .Values.tag }}"}]}\n'
};

const execFileAsync = promisify(execFile);

const HELM_CFG = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}', type: 'helm' }] };

/** Every file below `root` with its content, sorted: what the dry tree holds. */
function treeOf(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(dir, e.name), rel);
      else out.push(`${rel}:${readFileSync(join(dir, e.name), 'utf8')}`);
    }
  };
  walk(root, '');
  return out.sort();
}

function identityMap(objects: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const o of objects) {
    const r = o as { kind: string; metadata: { name: string; namespace?: string } };
    m.set(`${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`, o);
  }
  return m;
}

/** Parses helm's output as a consumer would (YAML 1.1), by identity. */
function parsed(stdout: string): Map<string, unknown> {
  return identityMap(parseAllDocuments(stdout, { version: '1.1' }).map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined));
}

describe.each(HELMS)('Helm releases rendered by the real %s', (name) => {
  const helm = tool(name);
  let repo: ChartRepo;
  let home: string;
  let empty: string;
  const runner = (): ProcessRunner => createProcessRunner({ PATH: pathOf(helm), HOME: home });
  /**
   * `helm <args>` run by hand in an empty folder with the test's HOME; stdout parsed as YAML 1.1.
   * Asynchronously: the chart repository is served by this process.
   */
  const helmByHand = async (args: string[], cwd = empty): Promise<string> =>
    (await execFileAsync(helm.bin, args, { cwd, env: helmHandEnv(home), encoding: 'utf8' })).stdout;
  const byHand = async (args: string[], cwd = empty): Promise<Map<string, unknown>> => parsed(await helmByHand(args, cwd));

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'hydrate-helm-home-'));
    empty = mkdtempSync(join(tmpdir(), 'hydrate-helm-cwd-'));
    repo = await startChartRepo(helm, { 'lib-1.2.0': LIB_CHART('1.2.0'), 'lib-1.3.0': LIB_CHART('1.3.0') });
  });
  afterAll(async () => {
    await repo.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it(`reports the helm found on PATH as ${helm.version}`, async () => {
    const r = await runner().run('helm', ['version', '--short']);
    expect(r.stdout).toContain(helm.version);
  });

  it('renders the example release (local chart) and applies its extraPatches', async () => {
    const config = await readFile(join(EXAMPLE_ROOT, 'hydrate.yaml'), 'utf8');
    const r = await renderKubernetesUnit(unit(HELM_DIR, 2), makeInput(EXAMPLE_ROOT, config, [], runner()));
    expect(r.diagnostics).toEqual([]);
    const dep = r.resources.find((x) => x.object['kind'] === 'Deployment')!;
    expect((dep.object['metadata'] as Record<string, unknown>)['annotations']).toEqual({ owner: 'platform' });
    expect((dep.object['spec'] as Record<string, unknown>)['replicas']).toBe(2);
  });

  it('a local chart: CRDs, namespace, releaseName, valuesFiles in their order, set, set-string and extraPatches, object-equal to helm template by hand; nothing written to the dry tree', async () => {
    const dry = await tempRepo({
      ...APP_CHART,
      'k/c/t/prod.yaml': [
        'chart: ../../../charts/app',
        'version: 0.1.0',
        'releaseName: web',
        'namespace: apps',
        'valuesFiles: [second.yaml, first.yaml]',
        'set:',
        '  - {name: replicas, value: 3}',
        '  - {name: msg, value: "a,b\\\\c"}',
        '  - {name: tag, value: "1.10"}',
        'extraPatches:',
        '  - target: {kind: Deployment, name: web}',
        '    patch:',
        '      - {op: add, path: /metadata/labels, value: {patched: "yes"}}',
        ''
      ].join('\n'),
      'k/c/t/prod/first.yaml': 'layer: first\nfromFirst: "yes"\n',
      'k/c/t/prod/second.yaml': 'layer: second\n'
    });
    try {
      const before = treeOf(dry.root);
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(dry.root, HELM_CFG, [], runner()));
      expect(r.diagnostics).toEqual([]);
      expect(treeOf(dry.root)).toEqual(before);

      const d = join(dry.root, 'k/c/t/prod');
      const want = await byHand([
        'template', 'web', join(dry.root, 'charts/app'), '--namespace', 'apps', '--include-crds',
        '-f', `${d}/second.yaml`, '-f', `${d}/first.yaml`,
        '--set', 'replicas=3', '--set-string', 'msg=a\\,b\\\\c', '--set-string', 'tag=1.10'
      ]);
      // The hand-run render itself shows what each setting did.
      const cm = want.get('ConfigMap/apps/web-cfg') as { data: Record<string, string> };
      expect(cm.data).toEqual({ layer: 'first', msg: 'a,b\\c', tag: '1.10', tagType: 'string', fromFirst: 'yes' });
      expect(want.has('CustomResourceDefinition//widgets.example.com')).toBe(true);

      const have = identityMap(r.resources.map((x) => x.object));
      expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
      const deployment = structuredClone(want.get('Deployment/apps/web')) as { metadata: Record<string, unknown>; spec: { replicas: number } };
      expect(deployment.spec.replicas).toBe(3);
      deployment.metadata['labels'] = { patched: 'yes' };
      want.set('Deployment/apps/web', deployment);
      for (const [k, v] of want) expect(have.get(k)).toEqual(v);
    } finally {
      await dry.cleanup();
    }
  });

  it('a chart from the chart repository at a pinned version, object-equal to helm template --repo by hand; a folder named like the chart does not shadow it', async () => {
    const dry = await tempRepo({
      'k/c/t/a.yaml': `chart: lib\nversion: 1.2.0\nrepository: ${repo.url}\nreleaseName: r\n`,
      'k/c/t/a/values.yaml': '{}\n',
      'k/c/t/b.yaml': `chart: lib\nversion: 1.3.0\nrepository: ${repo.url}\nreleaseName: r\n`,
      'k/c/t/b/values.yaml': '{}\n',
      // helm 3 tries a local path before the repository (helm 4 does not): helm must not run from the repository root.
      'lib/Chart.yaml': 'apiVersion: v2\nname: lib\nversion: 1.2.0\n',
      'lib/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shadow\n'
    });
    try {
      const exec = runner();
      const a = await renderKubernetesUnit(unit('k/c/t/a', 0), makeInput(dry.root, HELM_CFG, [], exec));
      const b = await renderKubernetesUnit(unit('k/c/t/b', 0), makeInput(dry.root, HELM_CFG, [], exec));
      expect(a.diagnostics).toEqual([]);
      expect(b.diagnostics).toEqual([]);
      expect(identityMap(a.resources.map((x) => x.object))).toEqual(await byHand(['template', 'r', 'lib', '--repo', repo.url, '--version', '1.2.0']));
      expect(identityMap(b.resources.map((x) => x.object))).toEqual(await byHand(['template', 'r', 'lib', '--repo', repo.url, '--version', '1.3.0']));
      expect(a.resources.map((x) => (x.object['data'] as Record<string, string>)['version'])).toEqual(['1.2.0']);
      expect(b.resources.map((x) => (x.object['data'] as Record<string, string>)['version'])).toEqual(['1.3.0']);
      expect(repo.requests).toEqual(expect.arrayContaining(['/index.yaml', '/lib-1.2.0.tgz', '/lib-1.3.0.tgz']));
    } finally {
      await dry.cleanup();
    }
  });

  it('a local chart with dependencies (one from the chart repository, one file://) is built in a copy: object-equal to helm dependency build + helm template by hand, and the dry tree is left as it was', async () => {
    const dry = await tempRepo({
      'charts/withdeps/Chart.yaml': `apiVersion: v2\nname: withdeps\nversion: 0.2.0\ndependencies:\n  - name: lib\n    version: 1.2.0\n    repository: ${repo.url}\n  - name: local\n    version: 0.0.1\n    repository: file://../local\n`,
      'charts/withdeps/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\n',
      'charts/local/Chart.yaml': 'apiVersion: v2\nname: local\nversion: 0.0.1\n',
      'charts/local/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-local\n',
      'k/c/t/prod.yaml': 'chart: ../../../charts/withdeps\nversion: 0.2.0\nreleaseName: r\n',
      'k/c/t/prod/values.yaml': '{}\n'
    });
    try {
      const before = treeOf(dry.root);
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(dry.root, HELM_CFG, [], runner()));
      expect(r.diagnostics).toEqual([]);
      expect(treeOf(dry.root)).toEqual(before);
      const have = identityMap(r.resources.map((x) => x.object));
      expect([...have.keys()].sort()).toEqual(['ConfigMap//from-local', 'ConfigMap//lib-r', 'ConfigMap//own']);

      const copy = mkdtempSync(join(tmpdir(), 'hydrate-helm-hand-'));
      try {
        cpSync(join(dry.root, 'charts'), join(copy, 'charts'), { recursive: true });
        await helmByHand(['dependency', 'build', join(copy, 'charts/withdeps')]);
        expect(have).toEqual(await byHand(['template', 'r', join(copy, 'charts/withdeps'), '--version', '0.2.0', '--values', join(dry.root, 'k/c/t/prod/values.yaml')]));
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    } finally {
      await dry.cleanup();
    }
  });

  it('errors from helm are reported per unit with its own message: missing chart, version not in the repository, template error with file and line, missing dependency', async () => {
    const dry = await tempRepo({
      'k/c/t/missing.yaml': `chart: nope\nversion: 1.0.0\nrepository: ${repo.url}\n`,
      'k/c/t/missing/values.yaml': '{}\n',
      'k/c/t/noversion.yaml': `chart: lib\nversion: 9.9.9\nrepository: ${repo.url}\n`,
      'k/c/t/noversion/values.yaml': '{}\n',
      'k/c/t/broken.yaml': 'chart: ../../../charts/broken\nversion: 0.1.0\n',
      'k/c/t/broken/values.yaml': '{}\n',
      'charts/broken/Chart.yaml': 'apiVersion: v2\nname: broken\nversion: 0.1.0\n',
      'charts/broken/templates/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  x: {{ .Values.missing.field }}\n',
      'k/c/t/nodep.yaml': '# a dependency that is not there\nchart: ../../../charts/nodep\nversion: 0.1.0\n',
      'k/c/t/nodep/values.yaml': '{}\n',
      'charts/nodep/Chart.yaml': 'apiVersion: v2\nname: nodep\nversion: 0.1.0\ndependencies:\n  - {name: nothere, version: 0.0.1, repository: "file://../nothere"}\n'
    });
    try {
      const exec = runner();
      const render = (e: string) => renderKubernetesUnit(unit(`k/c/t/${e}`, 0), makeInput(dry.root, HELM_CFG, [], exec));
      const [missing, noversion, broken] = await Promise.all([render('missing'), render('noversion'), render('broken')]);
      for (const [r, e] of [[missing, 'missing'], [noversion, 'noversion'], [broken, 'broken']] as const) {
        expect(r.status).toBe('failed');
        expect(r.diagnostics).toHaveLength(1);
        expect(r.diagnostics[0]).toMatchObject({ severity: 'error', unit: `kubernetes:k/c/t/${e}`, file: `k/c/t/${e}.yaml` });
        expect(r.diagnostics[0]!.message).toMatch(/^helm template failed \(exit 1\): Error: /);
      }
      expect(missing.diagnostics[0]!.message).toContain('chart "nope" version "1.0.0" not found');
      expect(noversion.diagnostics[0]!.message).toContain('chart "lib" version "9.9.9" not found');
      expect(broken.diagnostics[0]!.message).toMatch(/broken\/templates\/bad\.yaml:6:\d+/);
      expect(broken.diagnostics[0]!.message).toContain('nil pointer');
      const nodep = await render('nodep');
      expect(nodep.diagnostics).toEqual([
        expect.objectContaining({ file: 'k/c/t/nodep.yaml', line: 2, message: expect.stringMatching(/^helm dependency build failed \(exit 1\): Error: .*nothere/) })
      ]);
    } finally {
      await dry.cleanup();
    }
  });

  it('a chart whose output changes between renders (randAlphaNum, now) is refused, and the generated values are not shown', async () => {
    const dry = await tempRepo({
      'k/c/t/rand.yaml': 'chart: ../../../charts/rand\nversion: 0.1.0\n',
      'k/c/t/rand/values.yaml': '{}\n',
      'k/c/t/clock.yaml': 'chart: ../../../charts/clock\nversion: 0.1.0\n',
      'k/c/t/clock/values.yaml': '{}\n',
      'charts/rand/Chart.yaml': 'apiVersion: v2\nname: rand\nversion: 0.1.0\n',
      'charts/rand/templates/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: pw\nstringData:\n  password: {{ randAlphaNum 24 | quote }}\n',
      'charts/clock/Chart.yaml': 'apiVersion: v2\nname: clock\nversion: 0.1.0\n',
      'charts/clock/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stamp\ndata:\n  at: {{ now | date "2006-01-02T15:04:05.000000000Z07:00" | quote }}\n'
    });
    try {
      const exec = runner();
      for (const e of ['rand', 'clock']) {
        const r = await renderKubernetesUnit(unit(`k/c/t/${e}`, 0), makeInput(dry.root, HELM_CFG, [], exec));
        expect(r.status).toBe('failed');
        expect(r.diagnostics).toEqual([
          expect.objectContaining({ file: `k/c/t/${e}.yaml`, message: expect.stringContaining('different output on identical renders') })
        ]);
        expect(JSON.stringify(r.diagnostics)).not.toMatch(/password|stamp/);
      }
    } finally {
      await dry.cleanup();
    }
  });

  it('argument injection: `chart: --post-renderer=./evil.sh` and a `set` name starting with "-" are refused at their line, and evil.sh never runs', async () => {
    const marker = join(empty, `evil-ran-${name}`);
    const dry = await tempRepo({
      // The release name defaults to the release file's folder, `t`; a chart folder of that name
      // at the repository root (helm's working directory before) made helm 3 render and then
      // run the post-renderer.
      't/Chart.yaml': 'apiVersion: v2\nname: t\nversion: 0.1.0\n',
      't/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n',
      'evil.sh': `#!/bin/sh\necho ran > '${marker}'\ncat\n`,
      'k/c/t/prod.yaml': '# a hostile release file\nchart: --post-renderer=./evil.sh\nversion: 0.1.0\n',
      'k/c/t/prod/values.yaml': '{}\n',
      'k/c/t/dev.yaml': 'chart: ../../../t\nversion: 0.1.0\nset:\n  - name: x\n    value: "1"\n  - name: --post-renderer\n    value: ./evil.sh\n',
      'k/c/t/dev/values.yaml': '{}\n'
    });
    try {
      chmodSync(join(dry.root, 'evil.sh'), 0o755);
      if (name === 'helm3') {
        // The attack is real: the argv the renderer used to build runs evil.sh with helm 3.
        execFileSync(helm.bin, ['template', 't', '--post-renderer=./evil.sh', '--version', '0.1.0', '--namespace', 'default', '--include-crds'], {
          cwd: dry.root,
          env: helmHandEnv(home),
          stdio: 'pipe'
        });
        expect(existsSync(marker)).toBe(true);
        rmSync(marker);
      }
      const exec = runner();
      const prod = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(dry.root, HELM_CFG, [], exec));
      expect(prod.status).toBe('failed');
      expect(prod.diagnostics).toEqual([
        expect.objectContaining({ file: 'k/c/t/prod.yaml', line: 2, col: 8, message: expect.stringContaining('"--post-renderer=./evil.sh" starts with "-"') })
      ]);
      const dev = await renderKubernetesUnit(unit('k/c/t/dev', 0), makeInput(dry.root, HELM_CFG, [], exec));
      expect(dev.status).toBe('failed');
      expect(dev.diagnostics).toEqual([
        expect.objectContaining({ file: 'k/c/t/dev.yaml', line: 6, message: expect.stringContaining('set name "--post-renderer"') })
      ]);
      // Even unchecked, the argv helmTemplateArgs builds keeps the value a chart name, never an option.
      const args = helmTemplateArgs({ ...helmRelease.parse({ chart: '--post-renderer=./evil.sh', version: '0.1.0' }), releaseName: 't', namespace: 'default' }, []);
      const direct = await exec.run('helm', args, { cwd: dry.root });
      expect(direct.exitCode).not.toBe(0);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await dry.cleanup();
    }
  });
});
