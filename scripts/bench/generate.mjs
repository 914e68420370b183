// Generates a synthetic dry repository for the benchmark: kustomize overlays over shared bases
// with components, patches and a configMapGenerator; plain manifest dirs; and the terraform and
// secrets claims of examples/dry (with its config sections).
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

async function put(root, rel, content) {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
}

/** Leaf directories (holding files) below `dir`, repository-relative. */
async function leafDirs(root, rel) {
  const out = [];
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  if (entries.some((e) => e.isFile())) out.push(rel);
  for (const e of entries) if (e.isDirectory()) out.push(...(await leafDirs(root, `${rel}/${e.name}`)));
  return out;
}

const deployment = (b) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    base: base-${b}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.${b}.0
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
`;

const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
`;

/** The kustomization of overlay `k` in the one plain block style. */
const canonicalKustomization = (k, app, bases, components) => `namespace: ${app}
namePrefix: ${app}-
resources:
  - ../../../../bases/base-${k % bases}
components:
  - ../../../../components/comp-${k % components}
patches:
  - path: replicas.yaml
configMapGenerator:
  - name: settings
    files:
      - app.properties
`;

/**
 * The same overlay as people write it, in one of five styles by `k`: flow mappings and flow
 * lists, an inline `patch: |-` block scalar with a target, comments and an `images:` list,
 * anchors and aliases, and the file names `Kustomization` and `kustomization.yml`.
 */
function variedKustomization(k, app, bases, components) {
  const base = `../../../../bases/base-${k % bases}`;
  const comp = `../../../../components/comp-${k % components}`;
  switch (k % 5) {
    case 0:
      return ['kustomization.yaml', `# ${app}: flow style
namespace: ${app}
namePrefix: "${app}-"
resources: [${base}]
components: [${comp}]
patches: [{path: replicas.yaml, target: {kind: Deployment, name: web}}]
configMapGenerator: [{name: settings, files: [app.properties]}]
`];
    case 1:
      return ['Kustomization', `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${app}
namePrefix: ${app}-
resources:
- ${base}   # the shared base
components:
- ${comp}
patches:
  - path: replicas.yaml
  - patch: |-
      - op: add
        path: /metadata/annotations/owner
        value: ${app}
    target:
      kind: Deployment
images:
  - name: registry.example.com/web
    newTag: "1.${k}.0"
configMapGenerator:
  - name: settings
    files:
      - app.properties
`];
    case 2:
      return ['kustomization.yml', `---
namespace: '${app}'
namePrefix: '${app}-'
commonAnnotations: &owner
  team: team-${k % 7}
labels:
  - pairs: *owner
    includeSelectors: false
resources:
  - ${base}
components:
  - ${comp}
patches:
  - path: replicas.yaml
configMapGenerator:
  - name: settings
    files:
      - app.properties
    options: {disableNameSuffixHash: false}
`];
    case 3:
      return ['kustomization.yaml', `namespace: ${app}
namePrefix: ${app}-
resources:
  - ${base}
components:
  - ${comp}
patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        revisionHistoryLimit: 3
  - path: replicas.yaml
    target: {kind: Deployment}
configMapGenerator:
- name: settings
  files: [app.properties]
  literals:
    - "cluster.note=multi: line"
`];
    default:
      return ['kustomization.yaml', canonicalKustomization(k, app, bases, components)];
  }
}

/**
 * `style`: `canonical` writes every overlay in one block style (the style the line-based fast
 * reader takes); `varied` writes them as people do (see variedKustomization).
 */
export async function generateRepo(root, units, repoRoot, style = 'canonical') {
  const exampleConfig = await readFile(path.join(repoRoot, 'examples/dry/hydrate.yaml'), 'utf8');
  const tail = exampleConfig.slice(exampleConfig.indexOf('\nterraform:'));
  await cp(path.join(repoRoot, 'examples/dry/tfworkspaces'), path.join(root, 'tfworkspaces'), { recursive: true });
  await cp(path.join(repoRoot, 'examples/dry/secrets'), path.join(root, 'secrets'), { recursive: true });
  const otherUnits = (await leafDirs(root, 'tfworkspaces')).length + (await leafDirs(root, 'secrets')).length;

  const plainCount = Math.max(1, Math.round(units * 0.2));
  const kustomizeCount = Math.max(1, units - plainCount - otherUnits);
  const bases = Math.max(2, Math.round(kustomizeCount / 10));
  const components = 3;

  await put(
    root,
    'hydrate.yaml',
    `version: 1
kubernetes:
  - match: apps/{app}/clusters/{cluster}
    output: clusters/{cluster}/{app}
  - match: plain/{team}/{env}
    output: plain/{team}/{env}
${tail}`
  );
  for (let b = 0; b < bases; b++) {
    await put(root, `bases/base-${b}/kustomization.yaml`, 'resources:\n  - deployment.yaml\n  - service.yaml\n');
    await put(root, `bases/base-${b}/deployment.yaml`, deployment(b));
    await put(root, `bases/base-${b}/service.yaml`, service);
  }
  for (let c = 0; c < components; c++) {
    await put(
      root,
      `components/comp-${c}/kustomization.yaml`,
      'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: patch.yaml\n'
    );
    await put(
      root,
      `components/comp-${c}/patch.yaml`,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    monitoring/profile: p${c}\n`
    );
  }
  const kustomizeUnits = [];
  const clusters = ['prod', 'dev'];
  for (let k = 0; k < kustomizeCount; k++) {
    const app = `app-${Math.floor(k / clusters.length)}`;
    const cluster = clusters[k % clusters.length];
    const dir = `apps/${app}/clusters/${cluster}`;
    kustomizeUnits.push(dir);
    const [file, text] = style === 'varied' ? variedKustomization(k, app, bases, components) : ['kustomization.yaml', canonicalKustomization(k, app, bases, components)];
    await put(root, `${dir}/${file}`, text);
    await put(root, `${dir}/replicas.yaml`, `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${1 + (k % 5)}\n`);
    await put(root, `${dir}/app.properties`, `app=${app}\ncluster=${cluster}\nlog.level=info\n`);
  }
  const plainUnits = [];
  for (let p = 0; p < plainCount; p++) {
    const team = `team-${Math.floor(p / 2)}`;
    const env = p % 2 === 0 ? 'prod' : 'dev';
    const dir = `plain/${team}/${env}`;
    plainUnits.push(dir);
    await put(root, `${dir}/configmap.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${team}-settings\n  namespace: ${team}\ndata:\n  env: ${env}\n`);
    await put(root, `${dir}/serviceaccount.yaml`, `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${team}\n  namespace: ${team}\n`);
  }
  return { root, kustomizeUnits, plainUnits, otherUnits, unitsPerBase: Math.round(kustomizeCount / bases) };
}
