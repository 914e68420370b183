import { z } from 'zod';
import { entryBase, targetedPatch } from './common.js';

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
    patches: z.array(targetedPatch).default([]).describe('JSON6902 patches applied to every unit of this entry after rendering'),
    extraArtifacts: z
      .string()
      .default('extra_artifacts')
      .describe('Sub-directory of a unit whose files are copied verbatim into its output')
  })
  .strict();

export type KubernetesEntry = z.infer<typeof kubernetesEntry>;
