/**
 * A small repository of the project's own in the style of public "home-ops" Flux repositories
 * (one `ks.yaml` per app below `kubernetes/apps/<namespace>/<app>/`, shared kustomize Components
 * with `${APP}` in generator names and kinds, nested defaults, a GitRepository of another name,
 * Kustomizations without a namespace, generated ConfigMaps with substitution disabled). Each
 * unit is compared with real kustomize run on the kustomization kustomize-controller writes (by
 * hand here), followed by the substitution done by plain text replacement and commonMetadata.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createFileReader } from '../../../src/adapters/files.js';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { discoverUnits } from '../../../src/dry/discover.js';
import { renderKubernetesUnit } from '../../../src/render/kubernetes/index.js';
import { KUBECTLS, pathOf, tool, type ToolName } from '../../helpers/tools.js';
import { makeInput, tempRepo } from './fixtures.js';

const run = promisify(execFile);
const ks = (name: string, spec: string, source = 'flux-system'): string =>
  `---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\nspec:\n  interval: 1h\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: ${source}\n    namespace: flux-system\n  targetNamespace: default\n  wait: false\n${spec}`;
const FILES: Record<string, string> = {
  'kubernetes/apps/default/agregarr/ks.yaml': ks(
    'agregarr',
    '  components:\n    - ../../../../components/nfs-scaler\n    - ../../../../components/volsync\n  path: ./kubernetes/apps/default/agregarr/app\n  postBuild:\n    substitute:\n      APP: agregarr\n      VOLSYNC_CAPACITY: 5Gi\n  commonMetadata:\n    labels:\n      app.kubernetes.io/name: agregarr\n'
  ),
  'kubernetes/apps/default/agregarr/app/helmrelease.yaml':
    'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: agregarr\nspec:\n  chartRef:\n    kind: OCIRepository\n    name: agregarr\n  values:\n    route:\n      hostnames: ["{{ .Release.Name }}.example.org"]\n',
  'kubernetes/apps/default/agregarr/app/ocirepository.yaml':
    'apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: agregarr\nspec:\n  interval: 15m\n  ref:\n    tag: 5.0.0\n  url: oci://ghcr.io/example/app-template\n',
  'kubernetes/apps/default/atuin/ks.yaml': ks(
    'atuin',
    '  components:\n    - ../../../../components/gatus/guarded\n  path: ./kubernetes/apps/default/atuin/app\n  postBuild:\n    substitute:\n      APP: atuin\n      GATUS_SUBDOMAIN: sh\n',
    'home-kubernetes'
  ),
  'kubernetes/apps/default/atuin/app/kustomization.yaml': 'resources:\n  - ./helmrelease.yaml\nconfigMapGenerator:\n  - name: atuin-script\n    files:\n      - run.sh=./run.sh\ngeneratorOptions:\n  disableNameSuffixHash: true\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n',
  'kubernetes/apps/default/atuin/app/helmrelease.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: atuin\nspec:\n  chartRef:\n    kind: OCIRepository\n    name: atuin\n  values:\n    persistence:\n      config:\n        existingClaim: "${APP}"\n',
  'kubernetes/apps/default/atuin/app/run.sh': '#!/bin/sh\necho "${HOME:-/root} ${@}"\n',
  'kubernetes/components/nfs-scaler/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./scaledobject.yaml\n',
  'kubernetes/components/nfs-scaler/scaledobject.yaml':
    'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: ${APP}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: ${CONTROLLER:=Deployment}\n    name: ${APP}\n',
  'kubernetes/components/volsync/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ./pvc.yaml\n',
  'kubernetes/components/volsync/pvc.yaml':
    'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: "${APP}"\nspec:\n  accessModes: ["${VOLSYNC_ACCESSMODES:=ReadWriteOnce}"]\n  resources:\n    requests:\n      storage: "${VOLSYNC_CAPACITY:=5Gi}"\n  storageClassName: "${VOLSYNC_STORAGECLASS:=ceph-block}"\n',
  'kubernetes/components/gatus/guarded/kustomization.yaml':
    'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n  - name: ${APP}-gatus-ep\n    files:\n      - config.yaml=./config.yaml\n    options:\n      labels:\n        gatus.io/enabled: "true"\ngeneratorOptions:\n  disableNameSuffixHash: true\n',
  'kubernetes/components/gatus/guarded/config.yaml': 'endpoints:\n  - name: "${APP}"\n    url: "https://${GATUS_SUBDOMAIN:=${APP}}.example.org${GATUS_PATH:=/}"\n    conditions: ["[STATUS] == ${GATUS_STATUS:=200}"]\n'
};
const CFG = { version: 1, kubernetes: [{ from: 'flux', path: 'kubernetes/apps', output: '{name}', flux: { sources: ['home-kubernetes'] } }] };

/** What kustomize-controller's generator writes, and the substitution, by hand. */
const HAND: Record<string, { dir: string; kustomization: string; replace: [string, string][]; labels?: Record<string, string> }> = {
  agregarr: {
    dir: 'kubernetes/apps/default/agregarr/app',
    kustomization: 'resources:\n  - ./helmrelease.yaml\n  - ./ocirepository.yaml\nnamespace: default\ncomponents:\n  - ../../../../components/nfs-scaler\n  - ../../../../components/volsync\n',
    replace: [
      ['${APP}', 'agregarr'],
      ['${CONTROLLER:=Deployment}', 'Deployment'],
      ['${VOLSYNC_ACCESSMODES:=ReadWriteOnce}', 'ReadWriteOnce'],
      ['${VOLSYNC_CAPACITY:=5Gi}', '5Gi'],
      ['${VOLSYNC_STORAGECLASS:=ceph-block}', 'ceph-block']
    ],
    labels: { 'app.kubernetes.io/name': 'agregarr' }
  },
  atuin: {
    dir: 'kubernetes/apps/default/atuin/app',
    kustomization: `${FILES['kubernetes/apps/default/atuin/app/kustomization.yaml']}namespace: default\ncomponents:\n  - ../../../../components/gatus/guarded\n`,
    replace: [
      ['${GATUS_SUBDOMAIN:=${APP}}', 'sh'],
      ['${GATUS_PATH:=/}', '/'],
      ['${GATUS_STATUS:=200}', '200'],
      ['${APP}', 'atuin']
    ]
  }
};

describe.each(KUBECTLS)('home-ops style Flux units with %s', (k: ToolName) => {
  it('equal kustomize on the kustomization the controller writes, substituted by hand', async () => {
    const kubectl = tool(k);
    const repo = await tempRepo(FILES);
    try {
      const input = makeInput(repo.root, CFG, [], createProcessRunner({ PATH: pathOf(kubectl) }));
      const found = await discoverUnits(input.settings, createFileReader());
      expect(found.diagnostics.filter((d) => d.severity !== 'notice')).toEqual([]);
      expect(found.units.map((u) => [u.coordinates['name'], u.coordinates['namespace']])).toEqual([
        ['agregarr', 'default'],
        ['atuin', 'default']
      ]);
      for (const unit of found.units) {
        const h = HAND[unit.coordinates['name']!]!;
        const r = await renderKubernetesUnit(unit, { ...input, units: found.units });
        expect(r.diagnostics.filter((d) => d.severity !== 'notice')).toEqual([]);
        const ours = new Map(r.resources.map((x) => [`${x.object.kind}/${String((x.object.metadata as { name?: string } | undefined)?.name)}`, JSON.parse(JSON.stringify(x.object)) as unknown]));
        const copy = await tempRepo({ ...FILES, [`${h.dir}/kustomization.yaml`]: h.kustomization });
        try {
          const { stdout } = await run(kubectl.bin, ['kustomize', join(copy.root, h.dir)], { encoding: 'utf8' });
          const want = new Map<string, unknown>();
          for (const doc of stdout.split(/^---$/m).filter((d) => d.trim() !== '')) {
            const raw = parseAllDocuments(doc, { version: '1.1' })[0]!.toJS() as { kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> } };
            let o = raw;
            if (raw.metadata.annotations?.['kustomize.toolkit.fluxcd.io/substitute'] !== 'disabled') {
              let text = doc;
              for (const [from, to] of h.replace) text = text.split(from).join(to);
              o = parseAllDocuments(text, { version: '1.1' })[0]!.toJS() as typeof raw;
            }
            if (h.labels) o.metadata.labels = { ...o.metadata.labels, ...h.labels };
            want.set(`${o.kind}/${o.metadata.name}`, o);
          }
          expect(ours).toEqual(want);
          expect(ours.size).toBe(unit.coordinates['name'] === 'agregarr' ? 4 : 3);
        } finally {
          await copy.cleanup();
        }
      }
    } finally {
      await repo.cleanup();
    }
  });
});
