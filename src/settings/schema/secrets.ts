import * as z from 'zod';
import { entryBase } from './common.js';

export const secretsEntry = z
  .object({
    ...entryBase,
    namespace: z.string().optional().describe('metadata.namespace of the emitted ESO resources'),
    refreshInterval: z.string().default('1h').describe('Default ExternalSecret refresh interval')
  })
  .strict();

export type SecretsEntry = z.infer<typeof secretsEntry>;
