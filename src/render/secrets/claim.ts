/** The `SecretsClaim` document (see docs/claims.md). */
import * as z from 'zod';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../../resources/names.js';
import { commonClaimFields } from '../claim-fields.js';

const storeRef = z
  .object({
    name: z.string().min(1),
    kind: z.enum(['SecretStore', 'ClusterSecretStore']).default('SecretStore')
  })
  .strict();

export const secretsClaim = z
  .object({
    kind: z.literal('SecretsClaim'),
    name: z
      .string()
      .max(63)
      .regex(DNS1123_LABEL, 'must be a DNS-1123 label (lowercase letters, digits, "-"; at most 63 characters)'),
    ...commonClaimFields,
    providers: z
      .object({
        external_secrets: z
          .object({
            name: z.string().min(1).optional().describe("The claim's name (the seed system writes it); must equal `name`"),
            secretStore: storeRef,
            externalSecrets: z
              .object({
                refreshInterval: z.string().min(1).optional(),
                secrets: z
                  .array(
                    z
                      .object({
                        secretName: z.string().regex(/^[a-zA-Z0-9._-]+$/, 'must match ^[a-zA-Z0-9._-]+$'),
                        remoteRef: z.string().min(1).optional(),
                        property: z.string().min(1).optional(),
                        version: z.string().min(1).optional()
                      })
                      .strict()
                  )
                  .default([])
              })
              .strict()
              .optional(),
            pushSecrets: z
              .array(
                z
                  .object({
                    secretName: z
                      .string()
                      .max(253)
                      .regex(DNS1123_SUBDOMAIN, 'must be a DNS-1123 name (it names the generated Secret)'),
                    remoteRef: z.string().min(1).optional(),
                    refreshInterval: z.string().min(1).nullable().default(null),
                    generator: z
                      .object({
                        name: z.string().regex(DNS1123_SUBDOMAIN, 'must be a DNS-1123 name'),
                        kind: z.string().min(1).default('Password'),
                        apiVersion: z.string().min(1).default('generators.external-secrets.io/v1alpha1'),
                        outputKey: z.string().min(1).default('password'),
                        conversionStrategy: z.enum(['None', 'ReverseUnicode']).default('None'),
                        existing: z.boolean().default(false),
                        length: z.number().int().min(8).max(256).default(32),
                        digits: z.number().int().min(0).optional(),
                        symbols: z.number().int().min(0).optional(),
                        noUpper: z.boolean().default(false),
                        allowRepeat: z.boolean().default(true)
                      })
                      .strict()
                  })
                  .strict()
              )
              .default([])
          })
          .strict()
      })
      .strict()
  })
  .strict();

export type SecretsClaim = z.infer<typeof secretsClaim>;
