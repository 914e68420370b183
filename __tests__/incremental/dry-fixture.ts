/**
 * The small dry repository the incremental and sharding suites edit: two kustomize overlays
 * (`apps/<app>/clusters/prod`) over a shared base with a component, a generator file and a
 * patch each, and a plain manifest dir. Plus file helpers both suites use.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The kubernetes entries of the fixture's hydrate.yaml (plain units render to `<plainOut>/{env}`).
 * Edits may delete every app: the entries allow matching nothing.
 */
export const KUBERNETES_CONFIG = (plainOut: string): string => `kubernetes:
  - match: apps/{app}/clusters/{cluster}
    output: clusters/{cluster}/{app}
    allowEmpty: true
  - match: plain/{env}
    output: ${plainOut}/{env}
    allowEmpty: true
`;

export const overlay = (app: string): string => `resources:
  - ../../../../bases/web
components:
  - ../../../../components/monitor
namePrefix: ${app}-
configMapGenerator:
  - name: settings
    files:
      - settings.properties
patches:
  - path: replicas.yaml
`;

/** A config of plain manifest units `apps/{app}`, each rendered to `wet/{app}`. */
export const PLAIN_APPS_CONFIG = `version: 1
kubernetes:
  - match: apps/{app}
    output: wet/{app}
`;

/** A ConfigMap manifest in namespace `ns` with one key. */
export const configMap = (name: string, value = 'v'): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ns\ndata:\n  k: ${value}\n`;

export async function put(root: string, rel: string, content: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
}

export async function addApp(root: string, app: string): Promise<void> {
  const dir = `apps/${app}/clusters/prod`;
  await put(root, `${dir}/kustomization.yaml`, overlay(app));
  await put(root, `${dir}/settings.properties`, `app=${app}\n`);
  await put(root, `${dir}/replicas.yaml`, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n');
}

/** Writes `config` as hydrate.yaml, the shared base and component, apps a and b, and plain/dev. */
export async function generateKubernetesDry(root: string, config: string): Promise<void> {
  await put(root, 'hydrate.yaml', config);
  await put(root, 'bases/web/kustomization.yaml', 'resources:\n  - deployment.yaml\n');
  await put(
    root,
    'bases/web/deployment.yaml',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: web\n          image: web:1\n'
  );
  await put(root, 'components/monitor/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - monitor.yaml\n');
  await put(root, 'components/monitor/monitor.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: monitor\ndata:\n  level: "1"\n');
  await addApp(root, 'a');
  await addApp(root, 'b');
  await put(root, 'plain/dev/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  namespace: dev\ndata:\n  v: "1"\n');
}

/** The apps of the fixture (`apps/<app>`), sorted; none when `apps/` is gone. */
export async function appsOf(dry: string): Promise<string[]> {
  try {
    return (await readdir(path.join(dry, 'apps'))).sort();
  } catch {
    return [];
  }
}

/** Every file below `dir` (an empty map when it does not exist), sorted by path. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw e;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else out.set(r, await readFile(path.join(dir, r), 'utf8'));
    }
  };
  await walk('');
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}
