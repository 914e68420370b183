/** Schemas of the types the stored formats share (a diagnostic, where an object came from), each checked against its type. */
import * as z from 'zod';
import type { Diagnostic } from '../diagnostics.js';
import type { SourceRef } from '../resources/resource.js';

/**
 * True when A and B are the same type (each assignable to the other, with the same keys, optional
 * ones included): a schema of a type declared elsewhere is checked against it
 * (`const _x: SameType<z.infer<typeof schema>, T> = true`), so neither can change alone.
 */
export type SameType<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false;

export const sourceSchema = z.object({ file: z.string().optional(), line: z.number().int().optional(), col: z.number().int().optional() });
const _source: SameType<z.infer<typeof sourceSchema>, SourceRef> = true;
export const diagnosticSchema = z.object({
  severity: z.enum(['error', 'warning', 'notice']),
  message: z.string(),
  unit: z.string().optional(),
  file: z.string().optional(),
  line: z.number().int().optional(),
  col: z.number().int().optional()
});
const _diagnostic: SameType<z.infer<typeof diagnosticSchema>, Diagnostic> = true;

/** The first few problems of a value a schema refused, as `path: message`, for an error naming the file. */
export function issueSummary(error: z.ZodError, most = 3): string {
  return error.issues
    .slice(0, most)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
