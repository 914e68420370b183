/**
 * `emit` on `from: flux` / `from: argocd` entries: the CLI renders the project's Flux fixture and
 * a small Argo CD repository, and the test reads the wet tree as the engine would, with the
 * `yaml` package (YAML 1.1): every emitted object deploys a folder the wet index owns, carries no
 * option Hydrate already applied, keeps what changes how the engine applies, and no dry engine
 * object of the repository is left in the rendered folders to be applied a second time.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FLUX_REPO } from '../../fixtures/flux-repo.js';
import { runCli } from '../../helpers/cli.js';
import { hydrateConfig } from '../../../src/settings/schema/config.js';
import { tempRepo } from './fixtures.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, unknown> };

/** Every object of every YAML file below `dir`, by wet path. */
async function readTree(dir: string): Promise<Map<string, Obj[]>> {
  const out = new Map<string, Obj[]>();
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(child);
      else if (/\.ya?ml$/.test(e.name)) {
        out.set(child, parseAllDocuments(await readFile(join(dir, child), 'utf8'), { version: '1.1' }).map((d) => d.toJS() as Obj).filter(Boolean));
      }
    }
  };
  await walk('');
  return out;
}

async function render(files: Record<string, string>): Promise<{ tree: Map<string, Obj[]>; outputs: Set<string>; out: string; cleanup: () => Promise<void> }> {
  const repo = await tempRepo(files);
  const out = await mkdtemp(join(tmpdir(), 'hydrate-emit-'));
  const r = await runCli(['render', '--repo', repo.root, '--config', join(repo.root, 'hydrate.yaml'), '--out', out]);
  expect(r.out).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  const index = JSON.parse(await readFile(join(out, '.hydrate/index.json'), 'utf8')) as { units: Record<string, { output: string }> };
  return {
    tree: await readTree(out),
    outputs: new Set(Object.values(index.units).map((u) => u.output)),
    out,
    cleanup: async () => {
      await repo.cleanup();
      await rm(out, { recursive: true, force: true });
    }
  };
}

const FLUX_APPLIED = ['targetNamespace', 'namePrefix', 'nameSuffix', 'patches', 'images', 'components', 'commonMetadata', 'postBuild'];

describe('emit with from: flux', () => {
  it('writes one Kustomization per unit, reading its wet folder from the wet source, and leaves the dry Kustomizations out', async () => {
    const config =
      'version: 1\nkubernetes:\n  - from: flux\n    path: clusters\n    output: "{cluster}/{name}"\n    emit:\n      output: "_deploy/{cluster}/{name}"\n      sourceRef: {name: fleet-wet, namespace: flux-system}\n';
    const r = await render({ ...FLUX_REPO, 'hydrate.yaml': config });
    try {
      const emitted = [...r.tree].filter(([p]) => p.startsWith('_deploy/'));
      const byName = new Map(emitted.map(([p, objs]) => [`${p.split('/')[1]}/${objs[0]!.metadata.name}`, objs[0]!]));
      // Every Kustomization of this repository is a unit; the others (podinfo, oci) are not emitted.
      expect([...byName.keys()].sort()).toEqual(['production/apps', 'production/apps-canary', 'production/apps-secret', 'production/flux-system', 'production/infra', 'staging/apps']);
      for (const [path, objs] of emitted) {
        expect(objs).toHaveLength(1);
        const ks = objs[0]!;
        expect(ks).toMatchObject({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { namespace: 'flux-system' } });
        expect(ks.spec['sourceRef']).toEqual({ kind: 'GitRepository', name: 'fleet-wet', namespace: 'flux-system' });
        const target = String(ks.spec['path']).replace(/^\.\//, '');
        expect(r.outputs.has(target)).toBe(true);
        expect([...r.tree.keys()].some((p) => p.startsWith(`${target}/`))).toBe(true);
        for (const f of FLUX_APPLIED) expect(ks.spec).not.toHaveProperty(f);
        expect(path.startsWith(`_deploy/${target.split('/')[0]}/${ks.metadata.name}/`)).toBe(true);
      }
      // What changes how Flux applies is kept.
      expect(byName.get('production/apps')!.spec).toMatchObject({ interval: '10m', prune: true, dependsOn: [{ name: 'infra' }], path: './production/apps' });
      // The dry Kustomizations (source flux-system) are not in the rendered folders any more.
      const dry = [...r.tree].filter(([p]) => !p.startsWith('_deploy/')).flatMap(([, objs]) => objs.filter((o) => o.kind === 'Kustomization' && o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')));
      expect(dry.map((o) => o.metadata.name).sort()).toEqual(['oci', 'podinfo']);
    } finally {
      await r.cleanup();
    }
  });
});

describe('emit with from: argocd', () => {
  const REPO = 'https://github.com/example/gitops.git';
  const app = (name: string, source: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: 'argocd', labels: { team: 'web' } },
      spec: { project: 'web', source: { repoURL: REPO, targetRevision: 'HEAD', ...source }, destination: { server: 'https://kubernetes.default.svc', namespace: name }, ...extra }
    });
  it('writes one Application per unit with the wet branch as a plain directory source; an app-of-apps no longer deploys the dry children', async () => {
    const files = {
      'hydrate.yaml': `version: 1\nkubernetes:\n  - from: argocd\n    path: argocd\n    output: "apps/{name}"\n    argocd: {repoURLs: ["${REPO}"]}\n    emit: {output: "_deploy/{name}", repoURL: "${REPO}", targetRevision: deployment}\n`,
      'argocd/web.yaml': app('web', { path: 'src/web', kustomize: { namePrefix: 'prod-', namespace: 'web-prod' } }, { syncPolicy: { automated: { prune: true } } }),
      'argocd/root.yaml': app('root', { path: 'children' }),
      'children/child.yaml': app('child', { path: 'src/child', directory: { recurse: true } }),
      // An app-of-apps through kustomize: discovery follows what its source renders, emit or not.
      'argocd/kz.yaml': app('kz-root', { path: 'kz-apps' }),
      'kz-apps/kustomization.yaml': 'resources: [kz-child.yaml]\n',
      'kz-apps/kz-child.yaml': app('kz-child', { path: 'src/child' }),
      'src/web/kustomization.yaml': 'resources: [cm.yaml]\n',
      'src/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n',
      'src/child/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: child}\n'
    };
    const r = await render(files);
    try {
      const emitted = [...r.tree].filter(([p]) => p.startsWith('_deploy/')).map(([, objs]) => objs[0]!);
      expect(emitted.map((o) => o.metadata.name).sort()).toEqual(['child', 'kz-child', 'kz-root', 'root', 'web']);
      for (const a of emitted) {
        expect(a).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { namespace: 'argocd', labels: { team: 'web' } }, spec: { project: 'web' } });
        expect(a.spec['source']).toEqual({ repoURL: REPO, targetRevision: 'deployment', path: `apps/${a.metadata.name}` });
        expect(r.outputs.has(`apps/${a.metadata.name}`)).toBe(true);
      }
      expect(emitted.find((a) => a.metadata.name === 'web')!.spec).toMatchObject({ syncPolicy: { automated: { prune: true } }, destination: { namespace: 'web' } });
      // The web unit's wet folder holds what the kustomize options made; the root's no longer holds the dry child Application.
      expect(r.tree.get('apps/web/ConfigMap.prod-web.yml')?.[0]).toMatchObject({ metadata: { name: 'prod-web', namespace: 'web-prod' } });
      expect([...r.tree.keys()].filter((p) => p.startsWith('apps/root/') || p.startsWith('apps/kz-root/'))).toEqual([]);
      expect(r.tree.get('apps/kz-child/ConfigMap.child.yml')?.[0]).toMatchObject({ metadata: { name: 'child' } });
    } finally {
      await r.cleanup();
    }
  });

  it('the config says what each engine needs', () => {
    const issues = (e: Record<string, unknown>): string[] => {
      const r = hydrateConfig.safeParse({ version: 1, kubernetes: [{ output: '{name}', ...e }] });
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(issues({ from: 'flux', path: 'c', emit: { output: 'd/{name}' } })).toEqual([expect.stringContaining('needs sourceRef')]);
    expect(issues({ from: 'argocd', path: 'c', emit: { output: 'd/{name}', repoURL: 'x' } })).toEqual([expect.stringContaining('needs repoURL and targetRevision')]);
    expect(issues({ match: 'a/{name}', emit: { output: 'd/{name}', repoURL: 'x', targetRevision: 'y' } })).toEqual([expect.stringContaining('only with `from`')]);
    expect(issues({ from: 'flux', path: 'c', emit: { output: 'd/{name}', sourceRef: { name: 'w' } } })).toEqual([]);
  });
});
