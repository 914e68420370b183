import * as z from 'zod';

/**
 * Where a unit keeps an image's pin outside a kustomization's `images:` and seed 000's
 * `images.yaml`: a value at a YAML path of its Helm values or claim files, or a Helm release's
 * `set` entry of that name. Read by `hydrate images` / `hydrate promote` (and dispatches).
 */
export const pinRule = z
  .object({
    image: z.string().min(1).describe('The image whose pin this is, without tag or digest, e.g. ghcr.io/acme/web'),
    path: z
      .string()
      .min(1)
      .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'a dot-separated YAML path, e.g. image.tag or providers.terraform.values.image_tag')
      .describe('Dot-separated YAML path of the value (e.g. image.tag); for a Helm release also the name of its `set` entry'),
    files: z
      .array(z.string().min(1))
      .default(['*.yaml', '*.yml'])
      .describe('Globs, relative to the unit directory, of the files that may hold the value (default: the YAML files at its top); a Helm release file is always looked at for a `set` entry named `path`'),
    units: z.array(z.string().min(1)).default(['**']).describe('Globs over unit directories this rule applies to (default: every unit)'),
    value: z
      .enum(['tag', 'digest', 'reference'])
      .default('tag')
      .describe('What the value holds: the tag (1.2.3), the digest (sha256:…), or the whole reference (ghcr.io/acme/web:1.2.3 or …@sha256:…)')
  })
  .strict();

export type PinRule = z.infer<typeof pinRule>;
