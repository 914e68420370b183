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

const DEFAULT_TIMEOUTS = { unitSeconds: 300, runSeconds: 3600 };
export const timeouts = z
  .object({
    unitSeconds: z.number().int().min(1).max(86_400).default(DEFAULT_TIMEOUTS.unitSeconds).describe('Longest render of one unit, its tools included (default 300: 5 minutes)'),
    runSeconds: z.number().int().min(1).max(86_400).default(DEFAULT_TIMEOUTS.runSeconds).describe('Longest rendering of a whole run (default 3600: 60 minutes)')
  })
  .strict()
  .describe('Time limits: a unit or a run that takes longer fails with an error naming the limit');

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
    policy: z
      .object({
        allowSecrets: z.array(allowedSecret).default([]),
        allowHelm: z.boolean().default(true).describe('Allow kustomize --enable-helm for entries that ask for it'),
        concurrency: z.number().int().min(1).max(64).optional().describe('Parallel render workers (default: CPU count)'),
        timeouts: timeouts.default(DEFAULT_TIMEOUTS)
      })
      .strict()
      .default({ allowSecrets: [], allowHelm: true, timeouts: DEFAULT_TIMEOUTS })
  })
  .strict();

export type HydrateConfig = z.infer<typeof hydrateConfig>;
