/**
 * The `hydrate.yaml` schema. One zod schema is the source of truth for validation, for the
 * TypeScript types, and for the generated JSON Schema (`schema/hydrate.schema.json`).
 */
import { z } from 'zod';
import { kubernetesEntry } from './kubernetes.js';
import { terraformEntry } from './terraform.js';
import { secretsEntry } from './secrets.js';

export const sourceEntry = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    path: z.string().min(1).describe('Where the workflow checks the source out, relative to the repo root'),
    repository: z.string().optional().describe('owner/name, for documentation and checkout hints')
  })
  .strict();

export const allowedSecret = z
  .object({
    unit: z.string().optional().describe('Unit id, e.g. kubernetes:apps/x; any unit when omitted'),
    namespace: z.string().default(''),
    name: z.string().min(1),
    reason: z.string().min(1).describe('Why this plaintext Secret may be committed')
  })
  .strict();

export const wetOptions = z
  .object({
    layout: z
      .enum(['per-resource', 'per-unit'])
      .default('per-resource')
      .describe('per-resource: one <Kind>.<name>.yml per object; per-unit: one manifest.yaml per unit'),
    generatedAttributes: z.boolean().default(true).describe('Write a .gitattributes marking owned files as generated'),
    labelCoordinates: z
      .array(z.string())
      .default([])
      .describe('Coordinates that become PR labels `<name>/<value>` for changed units, e.g. [env]')
  })
  .strict();

export const diffOptions = z
  .object({
    ignore: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Field paths hidden from the field summary of the diff (kept in the unified diff), e.g. metadata.annotations["checksum/*"]; `*` matches within one path segment'
      )
  })
  .strict();

export const hydrateConfig = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1).default(1),
    order: z
      .array(z.enum(['kubernetes', 'terraform', 'secrets']))
      .default(['kubernetes', 'terraform', 'secrets'])
      .describe('Order in which the renderers run'),
    sources: z.array(sourceEntry).default([]),
    kubernetes: z.array(kubernetesEntry).default([]),
    terraform: z.array(terraformEntry).default([]),
    secrets: z.array(secretsEntry).default([]),
    wet: wetOptions.default({ layout: 'per-resource', generatedAttributes: true, labelCoordinates: [] }),
    diff: diffOptions.default({ ignore: [] }),
    policy: z
      .object({
        allowSecrets: z.array(allowedSecret).default([]),
        allowHelm: z.boolean().default(true).describe('Allow kustomize --enable-helm for entries that ask for it'),
        concurrency: z.number().int().min(1).max(64).optional().describe('Parallel render workers (default: CPU count)')
      })
      .strict()
      .default({ allowSecrets: [], allowHelm: true })
  })
  .strict();

export type HydrateConfig = z.infer<typeof hydrateConfig>;
