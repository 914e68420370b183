/**
 * The fields every claim kind carries as the seed system writes them (besides `kind`, `name` and
 * `providers`): descriptive, not rendered. Accepted on `TFWorkspaceClaim` and `SecretsClaim`
 * alike so a claim written by the seed system validates as it is.
 */
import * as z from 'zod';

export const commonClaimFields = {
  version: z.union([z.string(), z.number()]).optional().describe('Claim schema version, e.g. "1.0"'),
  type: z.string().min(1).optional().describe('Claim type, as the seed system writes it'),
  lifecycle: z.string().min(1).optional().describe('Informational, e.g. production'),
  system: z.string().min(1).optional().describe('Owning system, e.g. system:app'),
  owner: z.string().min(1).optional().describe('Owning group or user, e.g. group:platform'),
  annotations: z.record(z.string(), z.string()).optional().describe('Free-form string annotations of the claim')
};
