import { z } from 'zod';
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

export const kubernetesEntry = z
  .object({
    ...entryBase,
    type: z
      .enum(['auto', 'kustomize', 'helm', 'plain'])
      .default('auto')
      .describe('How units are rendered; `auto` detects by what the directory holds'),
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
          .describe('Where a unit\'s Helm release file is; `{dir}` is the unit directory')
      })
      .strict()
      .default({ releaseFile: '{dir}.yaml' }),
    plain: plainRule
      .optional()
      .describe('How a directory without a kustomization is read; fields left out come from defaults.plain'),
    patches: z.array(targetedPatch).default([]).describe('JSON6902 patches applied to every unit of this entry after rendering'),
    extraArtifacts: z
      .string()
      .default('extra_artifacts')
      .describe('Sub-directory of a unit whose files are copied verbatim into its output')
  })
  .strict();

export type KubernetesEntry = z.infer<typeof kubernetesEntry>;
