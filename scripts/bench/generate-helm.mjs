// Generates the Helm benchmark repositories: Helm release units in the seed layout
// (`kubernetes/<cluster>/<tenant>/<env>.yaml` + values) over local charts, and kustomize units
// inflating local charts through `helmCharts` (HelmChartInflationGenerator, chartHome).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

async function put(root, rel, content) {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
}

const CHARTS = 10;

async function charts(root) {
  for (let c = 0; c < CHARTS; c++) {
    const dir = `charts/chart-${c}`;
    await put(root, `${dir}/Chart.yaml`, `apiVersion: v2\nname: chart-${c}\nversion: 1.${c}.0\n`);
    await put(root, `${dir}/values.yaml`, `replicas: 1\nimage: registry.example.com/web:1.${c}.0\nport: 8080\nsettings:\n  log.level: info\n`);
    await put(
      root,
      `${dir}/templates/_helpers.tpl`,
      `{{- define "app.labels" -}}\napp.kubernetes.io/name: {{ .Chart.Name }}\napp.kubernetes.io/instance: {{ .Release.Name }}\n{{- end }}\n`
    );
    await put(
      root,
      `${dir}/templates/deployment.yaml`,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {{- include "app.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {{- include "app.labels" . | nindent 6 }}
  template:
    metadata:
      labels: {{- include "app.labels" . | nindent 8 }}
    spec:
      containers:
        - name: web
          image: {{ .Values.image | quote }}
          ports:
            - containerPort: {{ .Values.port }}
          envFrom:
            - configMapRef:
                name: {{ .Release.Name }}-settings
`
    );
    await put(
      root,
      `${dir}/templates/service.yaml`,
      `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
  labels: {{- include "app.labels" . | nindent 4 }}
spec:
  selector: {{- include "app.labels" . | nindent 4 }}
  ports:
    - port: 80
      targetPort: {{ .Values.port }}
`
    );
    await put(
      root,
      `${dir}/templates/configmap.yaml`,
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  cluster: {{ .Values.cluster | default "none" | quote }}
{{- range $k, $v := .Values.settings }}
  {{ $k }}: {{ $v | quote }}
{{- end }}
`
    );
  }
}

/**
 * `units` Helm release units over local charts. Returns the repo and, per unit, the `helm
 * template` arguments of the parallel floor (relative to the repo root).
 */
export async function generateHelmReleaseRepo(root, units) {
  await charts(root);
  await put(
    root,
    'hydrate.yaml',
    `version: 1
kubernetes:
  - match: kubernetes/{cluster}/{tenant}/{env}
    output: kubernetes/{cluster}/{tenant}/{env}
    type: helm
`
  );
  const envs = ['dev', 'pre', 'pro', 'qa'];
  const clusters = ['c1', 'c2'];
  const releases = [];
  for (let u = 0; u < units; u++) {
    const env = envs[u % envs.length];
    const cluster = clusters[Math.floor(u / envs.length) % clusters.length];
    const tenant = `tenant-${Math.floor(u / (envs.length * clusters.length))}`;
    const dir = `kubernetes/${cluster}/${tenant}/${env}`;
    const chart = u % CHARTS;
    await put(root, `${dir}.yaml`, `chart: ../../../charts/chart-${chart}\nversion: 1.${chart}.0\nreleaseName: ${tenant}\nnamespace: ${tenant}-${env}\n`);
    await put(root, `${dir}/values.yaml`, `replicas: ${1 + (u % 3)}\nsettings:\n  log.level: info\n  tenant: ${tenant}\n`);
    releases.push({
      dir,
      valuesFile: `${dir}/values.yaml`,
      args: ['template', tenant, `charts/chart-${chart}`, '--namespace', `${tenant}-${env}`, '--include-crds', '--set-string', `cluster=${cluster},tenant=${tenant},env=${env}`, '-f', `${dir}/values.yaml`]
    });
  }
  return { root, releases };
}

/** `units` kustomize units inflating a local chart (chartHome) with valuesInline and a valuesFile. */
export async function generateHelmChartsRepo(root, units) {
  await charts(root);
  await put(
    root,
    'hydrate.yaml',
    `version: 1
kubernetes:
  - match: helm-apps/{app}
    output: apps/{app}
    kustomize: { enableHelm: true }
`
  );
  const dirs = [];
  for (let u = 0; u < units; u++) {
    const dir = `helm-apps/app-${u}`;
    dirs.push(dir);
    await put(
      root,
      `${dir}/kustomization.yaml`,
      `namespace: app-${u}
helmGlobals:
  chartHome: ../../charts
helmCharts:
  - name: chart-${u % CHARTS}
    releaseName: app-${u}
    valuesFile: values.yaml
    valuesInline:
      port: 9090
labels:
  - pairs: { team: team-${u % 5} }
`
    );
    await put(root, `${dir}/values.yaml`, `replicas: ${1 + (u % 3)}\nsettings:\n  app: app-${u}\n`);
  }
  return { root, dirs };
}
