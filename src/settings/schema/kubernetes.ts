import * as z from 'zod';
import { entryBase, targetedPatch } from './common.js';

/** Defaults of the plain-directory rule (see `plainRule`). */
export const PLAIN_DEFAULTS = { recurse: true, include: ['**/*.yaml', '**/*.yml'], exclude: [] as string[] };

const plainFields = {
  recurse: z
    .boolean()
    .describe('Read sub-directories too (Flux); a sub-directory with a kustomization is built with kustomize. false: top level only (Argo CD directory default)'),
  include: z
    .array(z.string().min(1))
    .describe('Globs, relative to the unit directory, of the files read as manifests (Argo CD `include`)'),
  exclude: z
    .array(z.string().min(1))
    .describe('Globs, relative to the unit directory, of files and sub-directories not read (Argo CD `exclude`)')
};

/** The repository-wide plain-directory rule (`defaults.plain`). */
export const plainRule = z.object(plainFields).partial().strict();

/** How a directory without a kustomization or Helm release is read. */
export type PlainRule = typeof PLAIN_DEFAULTS;

/** `--kube-version` for `helm template` (`.Capabilities.KubeVersion`): `1.29` or `v1.29.3`. */
export const kubeVersion = z
  .string()
  .regex(/^v?\d+\.\d+(\.\d+)?$/, 'kubeVersion must be a Kubernetes version such as "1.29" or "v1.29.3"')
  .describe('Kubernetes version `helm template` renders for (`--kube-version`), as Argo CD and Flux pass the cluster\'s');

/** One `--api-versions` entry (`.Capabilities.APIVersions.Has`): `group/version` or `group/version/Kind`. */
export const apiVersion = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9.-]*(\/[A-Za-z0-9][A-Za-z0-9.-]*){0,2}$/,
    'apiVersions entries must look like "monitoring.coreos.com/v1" or "monitoring.coreos.com/v1/ServiceMonitor"'
  );

export const apiVersions = z
  .array(apiVersion)
  .describe('API versions `helm template` reports as available (`--api-versions`), as Argo CD and Flux pass the cluster\'s');

/** A release name or namespace, optionally a template over the unit's coordinates (`{app}`). */
const helmName = z
  .string()
  .regex(/^([a-z0-9]|\{[A-Za-z][A-Za-z0-9_]*\})([-a-z0-9]|\{[A-Za-z][A-Za-z0-9_]*\})*$/, 'must be a DNS label (lower-case letters, digits, `-`), optionally with `{coordinate}` placeholders');

/** Where a Helm release's unit coordinates go in the chart's values. */
export const coordinateValues = z
  .union([
    z.enum(['top-level', 'none']),
    z
      .object({
        under: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a dotted key such as "hydrate.coordinates"')
      })
      .strict()
  ])
  .default('top-level')
  .describe(
    "Unit coordinates as chart values of Helm releases: `top-level` (`cluster`, `tenant`, `env`, ... as the seed system passes them), `{under: hydrate.coordinates}`, or `none`"
  );

/** An Argo CD cluster, as a cluster generator of an ApplicationSet would list it (`{{name}}`, `{{server}}`). */
const argoCluster = z
  .object({
    name: z.string().min(1),
    server: z.string().min(1),
    labels: z.record(z.string(), z.string()).default({}).describe('The cluster secret\'s labels, for the generator\'s selector')
  })
  .strict();

export const kubernetesEntry = z
  .object({
    ...entryBase,
    match: entryBase.match.optional(),
    from: z.enum(['flux', 'argocd']).optional().describe('Discover units from engine objects (Flux Kustomizations or Argo CD Applications) under path instead of match'),
    path: z.string().optional().describe('With from: where the engine objects are'),
    strict: z.boolean().default(false).describe('With from: fail when an object cannot be resolved offline'),
    flux: z
      .object({
        sources: z
          .array(z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a GitRepository name'))
          .default([])
          .describe('Names of GitRepositories that are this repository, besides `flux-system` (e.g. `home-kubernetes`)')
      })
      .strict()
      .optional()
      .describe('With from: flux: which sources are this repository'),
    argocd: z
      .object({
        repoURLs: z
          .array(z.string().min(1))
          .default([])
          .describe('URLs of this repository as Applications name it (`repoURL`); sources elsewhere are listed as unresolvable'),
        clusters: z
          .array(argoCluster)
          .optional()
          .describe('The clusters a cluster generator of an ApplicationSet lists; without it such generators are unresolvable')
      })
      .strict()
      .optional()
      .describe('With from: argocd: what the Applications need from outside the repository'),
    emit: z
      .object({
        output: z
          .string()
          .min(1)
          .describe('Wet folder of each unit\'s deploying object, a template over the unit\'s coordinates (e.g. "_deploy/{cluster}/{name}")'),
        sourceRef: z
          .object({
            kind: z.enum(['GitRepository', 'OCIRepository', 'Bucket']).default('GitRepository'),
            name: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a Kubernetes object name'),
            namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace').optional()
          })
          .strict()
          .optional()
          .describe('from: flux: the source of the wet branch the emitted Kustomizations read (namespace: the Kustomization\'s)'),
        repoURL: z.string().min(1).optional().describe('from: argocd: the repository of the wet branch the emitted Applications read'),
        targetRevision: z.string().min(1).optional().describe('from: argocd: the wet branch')
      })
      .strict()
      .optional()
      .describe(
        'With from: write, for each unit, the engine object that deploys its wet folder (a Flux Kustomization or an Argo CD Application without the options already applied); engine objects of this repository in rendered output are left out, replaced by these'
      ),
    type: z
      .enum(['auto', 'kustomize', 'helm', 'chart', 'plain'])
      .default('auto')
      .describe('How units are rendered; `auto` detects by what the directory holds (`chart`: a Helm chart directory, as Argo CD renders a chart source)'),
    kustomize: z
      .object({
        enableHelm: z.boolean().default(false).describe('Pass --enable-helm (kustomize HelmChartInflationGenerator)'),
        allowRemote: z
          .boolean()
          .default(false)
          .describe('Allow remote bases (URLs, git refs) in this entry\'s kustomizations, pinned to a commit SHA or a release tag vX.Y.Z')
      })
      .strict()
      .default({ enableHelm: false, allowRemote: false }),
    helm: z
      .object({
        releaseFile: z
          .string()
          .default('{dir}.yaml')
          .describe('Where a unit\'s Helm release file is; `{dir}` is the unit directory'),
        patchesLibrary: z
          .string()
          .default('lib/kustomizations/json_patches.yaml')
          .describe('Repository file of named JSON6902 patch sets that a release file\'s `patches` names'),
        coordinateValues,
        kubeVersion: kubeVersion.optional(),
        apiVersions: apiVersions.default([]),
        valueFiles: z
          .array(z.string().min(1))
          .default([])
          .describe('Chart directory units: values files relative to the chart directory, after its values.yaml (Argo CD `valueFiles`)'),
        releaseName: helmName
          .max(53)
          .optional()
          .describe('Chart directory units: the release name (default: the directory name); `{coordinate}` placeholders allowed'),
        namespace: helmName
          .max(63)
          .optional()
          .describe('Chart directory units: the namespace (default: `default`); `{coordinate}` placeholders allowed')
      })
      .strict()
      .default({
        releaseFile: '{dir}.yaml',
        patchesLibrary: 'lib/kustomizations/json_patches.yaml',
        coordinateValues: 'top-level',
        apiVersions: [],
        valueFiles: []
      }),
    plain: plainRule
      .optional()
      .describe('How a directory without a kustomization is read; fields left out come from defaults.plain'),
    patches: z.array(targetedPatch).default([]).describe('JSON6902 patches applied to every unit of this entry after rendering'),
    extraArtifacts: z
      .string()
      .default('extra_artifacts')
      .describe('Sub-directory of a unit whose files are copied verbatim into its output')
  })
  .strict()
  // Editors see the rule too: `match`, or `from` with `path`.
  .meta({ oneOf: [{ required: ['match'], not: { required: ['from'] } }, { required: ['from', 'path'], not: { required: ['match'] } }] })
  .superRefine((e, ctx) => {
    if (e.from === undefined && e.match === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'missing required key "match" (a directory pattern), or `from` with `path` to discover units from engine objects' });
    if (e.from !== undefined && e.match !== undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: '`from` and `match` exclude each other: an entry discovers units by one of them' });
    if (e.from !== undefined && e.path === undefined) ctx.addIssue({ code: 'custom', path: ['path'], message: '`from` needs `path`: the folder holding the engine objects' });
    if (e.from === undefined && e.path !== undefined) ctx.addIssue({ code: 'custom', path: ['path'], message: '`path` is used only with `from`' });
    if (e.emit !== undefined) {
      if (e.from === undefined) ctx.addIssue({ code: 'custom', path: ['emit'], message: '`emit` is used only with `from`' });
      if (e.from === 'flux' && e.emit.sourceRef === undefined) {
        ctx.addIssue({ code: 'custom', path: ['emit', 'sourceRef'], message: 'emit with from: flux needs sourceRef: the GitRepository of the wet branch' });
      }
      if (e.from === 'argocd' && (e.emit.repoURL === undefined || e.emit.targetRevision === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['emit'], message: 'emit with from: argocd needs repoURL and targetRevision: the repository and branch of the wet tree' });
      }
      if (e.from === 'flux' && (e.emit.repoURL !== undefined || e.emit.targetRevision !== undefined)) {
        ctx.addIssue({ code: 'custom', path: ['emit'], message: 'repoURL and targetRevision are for from: argocd; a Flux Kustomization names its source with sourceRef' });
      }
      if (e.from === 'argocd' && e.emit.sourceRef !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['emit', 'sourceRef'], message: 'sourceRef is for from: flux; an Argo CD Application names its source with repoURL and targetRevision' });
      }
    }
  });

export type KubernetesEntry = z.infer<typeof kubernetesEntry>;
