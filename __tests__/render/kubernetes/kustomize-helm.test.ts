/**
 * kustomize `helmCharts` (the HelmChartInflationGenerator, seed 002) with `enableHelm: true`,
 * run by the real kubectl 1.32 (kustomize v5.5) and 1.35 (kustomize v5.7), each driving the real
 * helm 3. kustomize of both versions cannot drive helm 4: it asks `helm version -c`, a flag helm
 * 4 removed; that case is an error that says so. Charts come from a chart repository served on
 * 127.0.0.1 and from a chartHome folder of the unit.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { createFileReader } from '../../../src/adapters/files.js';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { unitInputDigest } from '../../../src/pipeline/incremental.js';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { HELM_ENV } from '../../../src/render/kubernetes/kubernetes-renderer.js';
import { helmHandEnv, startChartRepo } from '../../helpers/chart-repo.js';
import type { ChartRepo } from '../../helpers/chart-repo.js';
import { KUBECTLS, pathOf, tool } from '../../helpers/tools.js';
import type { ToolName } from '../../helpers/tools.js';
import { makeInput, tempRepo, unit } from './fixtures.js';

const execFileAsync = promisify(execFile);

const LIB = (version: string): Record<string, string> => ({
  'Chart.yaml': `apiVersion: v2\nname: lib\nversion: ${version}\n`,
  'values.yaml': 'greeting: hello\n',
  'templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lib-{{ .Release.Name }}\ndata:\n  version: {{ .Chart.Version | quote }}\n  greeting: {{ .Values.greeting | quote }}\n'
});

const CFG = { kubernetes: [{ match: 'apps/{app}', output: '{app}', kustomize: { enableHelm: true } }] };

/** The overlay of seed 002: a chart from the repository, one from chartHome, both patched by the overlay. */
const overlay = (url: string): Record<string, string> => ({
  'apps/web/kustomization.yaml': [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'namespace: web',
    'helmGlobals:',
    '  chartHome: vendor-charts',
    'helmCharts:',
    '  - name: lib',
    `    repo: ${url}`,
    '    version: 1.2.0',
    '    releaseName: remote',
    '    valuesInline:',
    '      greeting: from-inline',
    '  - name: app',
    '    releaseName: local',
    '    valuesFile: values-app.yaml',
    'patches:',
    '  - target: {kind: ConfigMap, name: lib-remote}',
    '    patch: |-',
    '      - {op: add, path: /metadata/labels, value: {patched: "yes"}}',
    ''
  ].join('\n'),
  'apps/web/values-app.yaml': 'size: large\n',
  'apps/web/vendor-charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.3.0\n',
  'apps/web/vendor-charts/app/values.yaml': 'size: small\n',
  'apps/web/vendor-charts/app/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{{ .Release.Name }}\ndata:\n  size: {{ .Values.size | quote }}\n'
});

function identityMap(objects: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const o of objects) {
    const r = o as { kind: string; metadata: { name: string; namespace?: string } };
    m.set(`${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`, o);
  }
  return m;
}

const helm3 = tool('helm3');
let repo: ChartRepo;
let home: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'hydrate-kz-helm-home-'));
  repo = await startChartRepo(helm3, { 'lib-1.2.0': LIB('1.2.0') });
});
afterAll(async () => {
  await repo.close();
  rmSync(home, { recursive: true, force: true });
});

describe.each(KUBECTLS)('kustomize helmCharts with enableHelm, rendered by the real %s and helm 3', (k: ToolName) => {
  const kubectl = tool(k);

  it(`inflates a chart from the repository and one from chartHome (valuesInline, valuesFile), patched by the overlay, object-equal to kubectl kustomize --enable-helm by hand (kustomize ${kubectl.kustomize})`, async () => {
    const dry = await tempRepo(overlay(repo.url));
    try {
      const exec = createProcessRunner({ PATH: pathOf(kubectl, helm3), HOME: home });
      const r = await renderKubernetesUnit(unit('apps/web', 0), makeInput(dry.root, CFG, [], exec));
      expect(r.diagnostics).toEqual([]);
      const have = identityMap(r.resources.map((x) => x.object));
      expect(have.get('ConfigMap/web/lib-remote')).toEqual({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'lib-remote', namespace: 'web', labels: { patched: 'yes' } },
        data: { version: '1.2.0', greeting: 'from-inline' }
      });
      expect(have.get('ConfigMap/web/app-local')).toMatchObject({ data: { size: 'large' } });

      const hand = await execFileAsync(kubectl.bin, ['kustomize', '--enable-helm', `--helm-command=${helm3.bin}`, join(dry.root, 'apps/web')], {
        env: helmHandEnv(home),
        encoding: 'utf8'
      });
      const want = identityMap(parseAllDocuments(hand.stdout, { version: '1.1' }).map((d) => d.toJS() as unknown).filter((v) => v !== null));
      expect(have).toEqual(want);
      expect(repo.requests).toEqual(expect.arrayContaining(['/index.yaml', '/lib-1.2.0.tgz']));
    } finally {
      await dry.cleanup();
    }
  });

  it('with helm 4 first on PATH the unit fails with kustomize\'s message and says kustomize needs helm 3', async () => {
    const dry = await tempRepo(overlay(repo.url));
    try {
      const exec = createProcessRunner({ PATH: pathOf(kubectl, tool('helm4')), HOME: home });
      const r = await renderKubernetesUnit(unit('apps/web', 0), makeInput(dry.root, CFG, [], exec));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ file: 'apps/web/kustomization.yaml', message: expect.stringContaining("unknown shorthand flag: 'c'") })
      ]);
      expect(r.diagnostics[0]!.message).toContain('kustomize inflates helmCharts with helm 3 only');
    } finally {
      await dry.cleanup();
    }
  });
});

describe('helm settings from the environment reach helm and kustomize\'s helm; nothing else does', () => {
  it('HTTP_PROXY and NO_PROXY: a chart repository on a host that does not resolve is reached through the proxy, by a Helm release and by kustomize helmCharts', async () => {
    const far = 'http://charts.hydrate-test.invalid';
    const files = overlay(far);
    const dry = await tempRepo({
      ...files,
      'k/c/t/prod.yaml': `chart: lib\nversion: 1.2.0\nrepository: ${far}\n`,
      'k/c/t/prod/values.yaml': '{}\n'
    });
    try {
      const parent = { PATH: pathOf(tool('kubectl-1.35'), helm3), HOME: home, HTTP_PROXY: repo.url, NO_PROXY: '' };
      const exec = createProcessRunner(parent);
      const cfg = { kubernetes: [...CFG.kubernetes, { match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}', type: 'helm' }] };
      repo.proxied.length = 0;
      const release = await renderKubernetesUnit(unit('k/c/t/prod', 1), makeInput(dry.root, cfg, [], exec));
      expect(release.diagnostics).toEqual([]);
      expect(repo.proxied).toContain('charts.hydrate-test.invalid/index.yaml');
      repo.proxied.length = 0;
      const inflated = await renderKubernetesUnit(unit('apps/web', 0), makeInput(dry.root, cfg, [], exec));
      expect(inflated.diagnostics).toEqual([]);
      expect(repo.proxied).toContain('charts.hydrate-test.invalid/index.yaml');

      // Without the variable in Hydrate's environment the host is not reached at all; NO_PROXY
      // naming the host reaches helm too, and bypasses the proxy.
      repo.proxied.length = 0;
      for (const env of [{ ...parent, HTTP_PROXY: undefined }, { ...parent, NO_PROXY: 'charts.hydrate-test.invalid' }]) {
        const without = await renderKubernetesUnit(unit('k/c/t/prod', 1), makeInput(dry.root, cfg, [], createProcessRunner(env)));
        expect(without.status).toBe('failed');
        expect(without.diagnostics[0]!.message).toMatch(/charts\.hydrate-test\.invalid/);
      }
      expect(repo.proxied).toEqual([]);
    } finally {
      await dry.cleanup();
    }
  });

  it('HELM_REPOSITORY_CONFIG: a `repo/name` chart of a repository added with `helm repo add` renders; tokens in the environment are not passed on', async () => {
    const cfgDir = mkdtempSync(join(tmpdir(), 'hydrate-helm-repos-'));
    const dry = await tempRepo({ 'k/c/t/prod.yaml': 'chart: team/lib\nversion: 1.2.0\nreleaseName: r\n', 'k/c/t/prod/values.yaml': '{}\n' });
    try {
      const env = { ...helmHandEnv(home), HELM_REPOSITORY_CONFIG: join(cfgDir, 'repositories.yaml'), HELM_REPOSITORY_CACHE: join(cfgDir, 'cache') };
      await execFileAsync(helm3.bin, ['repo', 'add', 'team', repo.url], { env });
      const parent = { PATH: pathOf(helm3), HOME: home, HELM_REPOSITORY_CONFIG: env.HELM_REPOSITORY_CONFIG, HELM_REPOSITORY_CACHE: env.HELM_REPOSITORY_CACHE, GITHUB_TOKEN: 'ghs_secret' };
      const cfg = { kubernetes: [{ match: 'k/{c}/{t}/{e}', output: '{c}/{t}/{e}', type: 'helm' }] };
      const r = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(dry.root, cfg, [], createProcessRunner(parent)));
      expect(r.diagnostics).toEqual([]);
      expect(r.resources.map((x) => x.object['metadata'])).toEqual([{ name: 'lib-r' }]);
      // Without it, the same release has no `team` repository.
      const { HELM_REPOSITORY_CONFIG: _c, ...rest } = parent;
      const without = await renderKubernetesUnit(unit('k/c/t/prod', 0), makeInput(dry.root, cfg, [], createProcessRunner(rest)));
      expect(without.status).toBe('failed');
      expect(without.diagnostics[0]!.message).toContain('team');

      // What a helm run sees: the helm variables, never the token.
      const seen = await createProcessRunner({ ...parent, HELM_REGISTRY_CONFIG: '/r/config.json', HTTPS_PROXY: 'http://proxy:3128' }).run('/usr/bin/env', [], {
        passEnv: HELM_ENV
      });
      expect(seen.stdout).toContain('HELM_REGISTRY_CONFIG=/r/config.json');
      expect(seen.stdout).toContain('HTTPS_PROXY=http://proxy:3128');
      expect(seen.stdout).toContain(`HELM_REPOSITORY_CONFIG=${env.HELM_REPOSITORY_CONFIG}`);
      expect(seen.stdout).not.toContain('ghs_secret');
    } finally {
      await dry.cleanup();
      rmSync(cfgDir, { recursive: true, force: true });
    }
  });
});

describe('the input digest of a kustomize unit with helmCharts', () => {
  it('covers the chartHome chart and the values files; only a chart fetched from a repository makes it volatile', async () => {
    const files = overlay('http://unused.invalid');
    const base = [
      'helmGlobals: {chartHome: vendor-charts}',
      'helmCharts:',
      '  - name: app',
      '    releaseName: local',
      '    valuesFile: values-app.yaml',
      ''
    ].join('\n');
    const dry = await tempRepo({ ...files, 'apps/web/kustomization.yaml': base, 'apps/web/more-values.yaml': 'x: 1\n' });
    try {
      const k = join(dry.root, 'apps/web/kustomization.yaml');
      const settings = makeInput(dry.root, CFG, []).settings;
      const digest = () => unitInputDigest(unit('apps/web', 0), settings, createFileReader(), 'tools');
      const first = await digest();
      expect(first.volatile).toBe(false);
      writeFileSync(join(dry.root, 'apps/web/vendor-charts/app/templates/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: changed\n');
      const chartEdited = await digest();
      expect(chartEdited.digest).not.toBe(first.digest);
      writeFileSync(join(dry.root, 'apps/web/values-app.yaml'), 'size: medium\n');
      const valuesEdited = await digest();
      expect(valuesEdited.digest).not.toBe(chartEdited.digest);
      writeFileSync(k, base.replace('valuesFile: values-app.yaml', 'valuesFile: values-app.yaml\n    additionalValuesFiles: [more-values.yaml]'));
      const withAdditional = await digest();
      writeFileSync(join(dry.root, 'apps/web/more-values.yaml'), 'x: 2\n');
      expect((await digest()).digest).not.toBe(withAdditional.digest);

      writeFileSync(k, base.replace('  - name: app\n', '  - name: app\n    repo: https://charts.example.com\n'));
      const remote = await digest();
      expect(remote.volatile).toBe(true);
      expect(remote.reason).toContain('https://charts.example.com');
    } finally {
      await dry.cleanup();
    }
  });
});
