/**
 * The `hydrate.yaml` schema. One zod schema is the source of truth for validation, for the
 * TypeScript types, and for the generated JSON Schema (`schema/hydrate.schema.json`).
 */
import * as z from 'zod';
import { kubernetesEntry, plainRule } from './kubernetes.js';
import { terraformEntry } from './terraform.js';
import { secretsEntry } from './secrets.js';
import { pinRule } from './pins.js';
import { RENDERER_NAMES } from './renderers.js';

export const sourceEntry = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    path: z.string().min(1).describe('Where the workflow checks the source out, relative to the repo root'),
    repository: z.string().optional().describe('owner/name, for documentation and checkout hints')
  })
  .strict();

export const allowedSecret = z
  .object({
    unit: z.string().optional().describe('Unit id or glob, e.g. kubernetes:apps/x or kubernetes:apps/*/clusters/dev; any unit when omitted'),
    namespace: z.string().default('').describe("Namespace or glob; '' for a Secret without namespace"),
    name: z.string().min(1).optional().describe('Secret name or glob'),
    generator: z
      .string()
      .min(1)
      .optional()
      .describe('Name (or glob) of a kustomize secretGenerator: matches its Secret whatever the hash suffix'),
    reason: z.string().min(1).describe('Why this plaintext Secret may be committed')
  })
  .strict()
  .refine((a) => a.name !== undefined || a.generator !== undefined, { message: 'give `name` or `generator`' });

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
      .array(z.enum(RENDERER_NAMES))
      .default([...RENDERER_NAMES])
      .describe('Order in which the renderers run'),
    sources: z.array(sourceEntry).default([]),
    kubernetes: z.array(kubernetesEntry).default([]),
    terraform: z.array(terraformEntry).default([]),
    secrets: z.array(secretsEntry).default([]),
    defaults: z
      .object({
        plain: plainRule
          .default({})
          .describe('The plain-directory rule of every kubernetes entry (default: recurse: true, include: ["**/*.yaml", "**/*.yml"], exclude: [])')
      })
      .strict()
      .default({ plain: {} }),
    wet: wetOptions.default({ layout: 'per-resource', generatedAttributes: true, labelCoordinates: [] }),
    diff: diffOptions.default({ ignore: [] }),
    pins: z
      .array(pinRule)
      .default([])
      .describe('Where units keep image pins besides kustomization images: entries and images.yaml: a YAML path per image (Helm values, claim values, a Helm release set entry)'),
    policy: z
      .object({
        allowSecrets: z.array(allowedSecret).default([]),
        allowHelm: z.boolean().default(true).describe('Allow kustomize --enable-helm for entries that ask for it'),
        allowRemote: z
          .boolean()
          .default(false)
          .describe('Allow remote kustomize bases (URLs, git refs) in every entry, pinned to a commit SHA or a release tag vX.Y.Z'),
        concurrency: z.number().int().min(1).max(64).optional().describe('Parallel render workers (default: CPU count)'),
        timeouts: timeouts.default(DEFAULT_TIMEOUTS)
      })
      .strict()
      .default({ allowSecrets: [], allowHelm: true, allowRemote: false, timeouts: DEFAULT_TIMEOUTS })
  })
  .strict();

export type HydrateConfig = z.infer<typeof hydrateConfig>;
