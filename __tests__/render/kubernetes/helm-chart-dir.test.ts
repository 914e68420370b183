/**
 * A Helm chart directory matched as a unit without a release file is rendered as Argo CD renders
 * a chart source: `helm template` of the directory with its values.yaml and the entry's
 * `helm.valueFiles`. Real helm 3 and 4; outputs compared with `helm template` run by hand.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createFileReader } from '../../../src/adapters/files.js';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import type { Unit } from '../../../src/dry/unit.js';
import { unitInputDigest } from '../../../src/pipeline/incremental.js';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { HELMS, pathWith, tool } from '../../helpers/tools.js';
import { fakeRunner, makeInput, tempRepo } from './fixtures.js';

const CFG = {
  kubernetes: [{ match: 'charts/{app}', output: 'apps/{app}', helm: { valueFiles: ['values-prod.yaml', '../../shared/common.yaml'] } }]
};

const FILES: Record<string, string> = {
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.2.3\n',
  'charts/web/values.yaml': 'replicas: 1\nmessage: "on"\nport: 80\n',
  'charts/web/values-prod.yaml': 'replicas: 3\n',
  'charts/web/crds/crd.yaml': [
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    'metadata: {name: widgets.example.com}',
    'spec:',
    '  group: example.com',
    '  names: {kind: Widget, plural: widgets}',
    '  scope: Namespaced',
    '  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]',
    ''
  ].join('\n'),
  'charts/web/templates/deploy.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Release.Name }}',
    '  namespace: {{ .Release.Namespace }}',
    '  annotations: {message: {{ .Values.message | quote }}, team: {{ .Values.team | quote }}}',
    'spec:',
    '  replicas: {{ .Values.replicas }}',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec: {containers: [{name: web, image: "nginx:1.27", ports: [{containerPort: {{ .Values.port }}}]}]}',
    '{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}',
    '---',
    'apiVersion: monitoring.coreos.com/v1',
    'kind: ServiceMonitor',
    'metadata: {name: {{ .Release.Name }}}',
    'spec: {selector: {matchLabels: {app: web}}}',
    '{{- end }}',
    ''
  ].join('\n'),
  'shared/common.yaml': 'team: platform\nport: 8080\n'
};

const UNIT: Unit = { id: 'kubernetes:charts/web', renderer: 'kubernetes', entry: 0, dir: 'charts/web', coordinates: { app: 'web' }, output: 'apps/web' };

function byId(objects: unknown[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const o of objects) {
    const obj = o as { kind: string; metadata: { name: string } };
    out.set(`${obj.kind}/${obj.metadata.name}`, o);
  }
  return out;
}

describe.each(HELMS)('a Helm chart directory as a unit, with %s', (name) => {
  const helm = tool(name);
  const exec = createProcessRunner({ ...process.env, PATH: pathWith(helm) });

  it('renders like `helm template` of the directory with its values.yaml and the entry valueFiles in order', async () => {
    const repo = await tempRepo(FILES);
    try {
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
      expect(r.diagnostics).toEqual([]);
      expect(r.status).toBe('rendered');
      const ours = byId(r.resources.map((x) => x.object));
      const text = execFileSync(
        helm.bin,
        ['template', 'web', 'charts/web', '--namespace', 'default', '--include-crds', '-f', 'charts/web/values-prod.yaml', '-f', 'shared/common.yaml'],
        { cwd: repo.root, encoding: 'utf8' }
      );
      const byHand = byId(parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS()).filter((v) => v !== null));
      expect(ours).toEqual(byHand);
      expect([...ours.keys()].sort()).toEqual(['CustomResourceDefinition/widgets.example.com', 'Deployment/web']);
      const deploy = ours.get('Deployment/web') as { spec: { replicas: number }; metadata: { annotations: Record<string, string> } };
      expect(deploy.spec.replicas).toBe(3);
      expect(deploy.metadata.annotations).toEqual({ message: 'on', team: 'platform' });
    } finally {
      await repo.cleanup();
    }
  });

  it('takes releaseName, namespace (coordinate templates) and the capabilities from the entry', async () => {
    const repo = await tempRepo(FILES);
    try {
      const cfg = {
        kubernetes: [{ match: 'charts/{app}', output: 'apps/{app}', helm: { releaseName: '{app}-prod', namespace: 'team-{app}', apiVersions: ['monitoring.coreos.com/v1'] } }]
      };
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, cfg, [], exec));
      expect(r.diagnostics).toEqual([]);
      const ours = byId(r.resources.map((x) => x.object));
      expect((ours.get('Deployment/web-prod') as { metadata: { namespace: string } }).metadata.namespace).toBe('team-web');
      expect(ours.has('ServiceMonitor/web-prod')).toBe(true);
    } finally {
      await repo.cleanup();
    }
  });

  it("reports helm's own error for a template error, at the chart", async () => {
    const repo = await tempRepo({ ...FILES, 'charts/web/templates/bad.yaml': '{{ .Values.nope.deeper }}\n' });
    try {
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, CFG, [], exec));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ file: 'charts/web/Chart.yaml', message: expect.stringMatching(/helm template failed .*bad\.yaml/s) })
      ]);
    } finally {
      await repo.cleanup();
    }
  });
});

describe('chart directory units without helm', () => {
  it('a type chart entry on a directory without Chart.yaml says so, naming Helm', async () => {
    const repo = await tempRepo({ 'charts/web/deploy.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' });
    try {
      const cfg = { kubernetes: [{ match: 'charts/{app}', output: 'apps/{app}', type: 'chart' }] };
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, cfg, [], fakeRunner(['helm'])));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([expect.objectContaining({ file: 'charts/web/Chart.yaml', message: expect.stringContaining('Helm chart directory') })]);
    } finally {
      await repo.cleanup();
    }
  });

  it('a type helm entry on a chart directory without a release file points to type chart', async () => {
    const repo = await tempRepo(FILES);
    try {
      const cfg = { kubernetes: [{ match: 'charts/{app}', output: 'apps/{app}', type: 'helm' }] };
      const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, cfg, [], fakeRunner(['helm'])));
      expect(r.status).toBe('failed');
      expect(r.diagnostics).toEqual([
        expect.objectContaining({ file: 'charts/web.yaml', message: expect.stringContaining('charts/web is a Helm chart directory: set the entry\'s type to chart') })
      ]);
    } finally {
      await repo.cleanup();
    }
  });

  it('refuses a valueFiles entry outside the repository, and one inside .git', async () => {
    const repo = await tempRepo({ ...FILES, '.git/config.yaml': 'a: 1\n' });
    try {
      for (const [v, msg] of [
        ['../../../etc/passwd', 'must stay inside the repository'],
        ['../../.git/config.yaml', 'values file ../../.git/config.yaml (helm.valueFiles) ".git/config.yaml" names `.git`: git\'s own folder is never read or written']
      ] as const) {
        const exec = fakeRunner(['helm']);
        const cfg = { kubernetes: [{ match: 'charts/{app}', output: 'apps/{app}', helm: { valueFiles: [v] } }] };
        const r = await renderKubernetesUnit(UNIT, makeInput(repo.root, cfg, [], exec));
        expect(r.status).toBe('failed');
        // One error, at the config that names the file.
        expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'error', file: 'hydrate.yaml', message: expect.stringContaining(msg) })]);
        expect(exec.calls).toEqual([]);
      }
    } finally {
      await repo.cleanup();
    }
  });
});

describe('the input digest of a chart directory unit', () => {
  it('changes with a template, the chart values, a valueFiles file outside the chart, and a release file appearing', async () => {
    const repo = await tempRepo(FILES);
    try {
      const settings = makeInput(repo.root, CFG, []).settings;
      const files = createFileReader();
      const digest = async () => unitInputDigest(UNIT, settings, files, 'tools');
      const first = await digest();
      expect(first.volatile).toBe(false);
      expect((await digest()).digest).toBe(first.digest);
      const seen = new Set([first.digest]);
      for (const [rel, content] of [
        ['charts/web/templates/deploy.yaml', `${FILES['charts/web/templates/deploy.yaml']}# edited\n`],
        ['charts/web/values.yaml', 'replicas: 2\n'],
        ['shared/common.yaml', 'team: other\n'],
        ['charts/web.yaml', 'chart: ./web\nversion: 1.2.3\n']
      ] as const) {
        await writeFile(join(repo.root, rel), content);
        const d = (await digest()).digest;
        expect(seen.has(d)).toBe(false);
        seen.add(d);
      }
    } finally {
      await repo.cleanup();
    }
  });
});

describe.each(HELMS)('the CLI over chart directory and release units, with %s', (name) => {
  const helm = tool(name);
  const ROOT = process.cwd();
  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', join(ROOT, 'scripts/ts-register.mjs'), join(ROOT, 'src/cli.ts'), ...args],
        { env: { ...process.env, PATH: pathWith(helm) }, maxBuffer: 64 << 20 },
        (e, stdout, stderr) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr })
      );
    });

  it('renders, keeps both on a second run, and renders again only the unit whose input changed (patches library; a valueFiles file outside the chart)', async () => {
    const repo = await tempRepo({
      ...FILES,
      'hydrate.yaml': [
        'version: 1',
        'kubernetes:',
        '  - match: charts/{app}',
        '    output: apps/{app}',
        '    helm: {valueFiles: [values-prod.yaml, ../../shared/common.yaml]}',
        '  - match: releases/{cluster}/{env}',
        '    output: releases/{cluster}/{env}',
        '    type: helm',
        ''
      ].join('\n'),
      'releases/c1/prod.yaml': 'chart: ../../charts/web\nversion: 1.2.3\nreleaseName: rel\npatches: [team]\n',
      'releases/c1/prod/values.yaml': 'replicas: 2\n',
      'lib/kustomizations/json_patches.yaml': 'team:\n  - target: {kind: Deployment}\n    patch: [{op: add, path: /metadata/labels, value: {team: a}}]\n'
    });
    const out = join(repo.root, '..', `${repo.root.split('/').pop()}-wet`);
    try {
      const statuses = async () => {
        const r = await cli(['render', '--config', join(repo.root, 'hydrate.yaml'), '--out', out, '--json']);
        expect(r.stderr).not.toContain('error');
        expect(r.code).toBe(0);
        const report = JSON.parse(r.stdout) as { units: { id: string; status: string }[] };
        return Object.fromEntries(report.units.map((u) => [u.id, u.status]));
      };
      expect(await statuses()).toEqual({ 'kubernetes:charts/web': 'rendered', 'kubernetes:releases/c1/prod': 'rendered' });
      const deploy = parseAllDocuments(await readFile(join(out, 'releases/c1/prod/Deployment.rel.yml'), 'utf8'), { version: '1.1' })[0]!.toJS() as {
        metadata: { labels: Record<string, string> };
        spec: { replicas: number };
      };
      expect(deploy.metadata.labels).toEqual({ team: 'a' });
      expect(deploy.spec.replicas).toBe(2);
      expect(await statuses()).toEqual({ 'kubernetes:charts/web': 'reused', 'kubernetes:releases/c1/prod': 'reused' });
      await writeFile(join(repo.root, 'lib/kustomizations/json_patches.yaml'), 'team:\n  - target: {kind: Deployment}\n    patch: [{op: add, path: /metadata/labels, value: {team: b}}]\n');
      expect(await statuses()).toEqual({ 'kubernetes:charts/web': 'reused', 'kubernetes:releases/c1/prod': 'rendered' });
      await writeFile(join(repo.root, 'shared/common.yaml'), 'team: other\nport: 8080\n');
      expect(await statuses()).toEqual({ 'kubernetes:charts/web': 'rendered', 'kubernetes:releases/c1/prod': 'reused' });
    } finally {
      await repo.cleanup();
      await rm(out, { recursive: true, force: true });
    }
  });
});
