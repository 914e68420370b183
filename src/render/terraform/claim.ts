/** The `TFWorkspaceClaim` document (see docs/claims.md). */
import * as z from 'zod';
import { DNS1123_LABEL } from '../../resources/names.js';
import { commonClaimFields } from '../claim-fields.js';

export const tfWorkspaceClaim = z
  .object({
    kind: z.literal('TFWorkspaceClaim'),
    name: z
      .string()
      .max(63)
      .regex(DNS1123_LABEL, 'must be a DNS-1123 label (lowercase letters, digits, "-"; at most 63 characters)'),
    resourceType: z.string().min(1),
    ...commonClaimFields,
    providers: z
      .object({
        terraform: z
          .object({
            name: z.string().min(1).optional(),
            tfStateKey: z.string().min(1).optional(),
            source: z.enum(['remote', 'inline']),
            module: z.string().min(1),
            values: z.record(z.string(), z.unknown()).default({}),
            files: z
              .array(z.object({ path: z.string().min(1), content: z.string() }).strict())
              .default([]),
            writeConnectionSecretToRef: z
              .object({
                name: z.string().regex(DNS1123_LABEL, 'must be a DNS-1123 label').optional(),
                outputs: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'must match ^[A-Za-z0-9_-]+$')).min(1)
              })
              .strict()
              .optional()
          })
          .strict()
      })
      .strict()
  })
  .strict();

export type TFWorkspaceClaim = z.infer<typeof tfWorkspaceClaim>;
