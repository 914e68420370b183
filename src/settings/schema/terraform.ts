import * as z from 'zod';
import { entryBase } from './common.js';

export const providerMapping = z
  .object({
    backend: z.string().min(1).describe('FirestartrProviderConfig name used as the backend'),
    providers: z.array(z.string().min(1)).min(1).describe('FirestartrProviderConfig names')
  })
  .strict();

export const terraformEntry = z
  .object({
    ...entryBase,
    namespace: z.string().optional().describe('metadata.namespace of the emitted workspaces'),
    resourceTypes: z
      .record(z.string(), providerMapping)
      .default({})
      .describe('Backend and providers per claim resourceType'),
    overrides: z
      .array(
        z
          .object({
            when: z.record(z.string(), z.string()).describe('Coordinates that select the units, e.g. {env: prod}'),
            resourceTypes: z.record(z.string(), providerMapping)
          })
          .strict()
      )
      .default([]),
    allowStateKeyChange: z
      .array(z.string())
      .default([])
      .describe('Claim names whose tfStateKey may change (the old Terraform state is abandoned)'),
    policy: z.enum(['apply', 'full-control', 'observe', 'create-only']).default('apply'),
    syncPeriod: z.string().default('24h')
  })
  .strict();

export type TerraformEntry = z.infer<typeof terraformEntry>;
