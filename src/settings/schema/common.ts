import * as z from 'zod';

/** A path pattern with named segments: `kubernetes/{cluster}/{tenant}/{env}`; `*` matches one segment. */
export const matchPattern = z
  .string()
  .min(1)
  .describe('Path pattern relative to the repo root; `{name}` captures one path segment as a coordinate, `*` matches one segment');

/** An output path template over the same names: `kubernetes/{cluster}/{tenant}/{env}`. */
export const outputTemplate = z
  .string()
  .min(1)
  .describe('Wet-tree path template over the names captured by `match`');

/** JSON6902 target selector (seed 000's extraPatches). */
export const patchTarget = z
  .object({
    group: z.string().optional(),
    version: z.string().optional(),
    kind: z.string().optional(),
    name: z.string().optional(),
    namespace: z.string().optional(),
    labelSelector: z.string().optional().describe('e.g. `app=web,tier!=db`')
  })
  .strict();

export const jsonPatchOp = z
  .object({
    op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
    path: z.string(),
    value: z.unknown().optional(),
    from: z.string().optional()
  })
  .strict();

export const targetedPatch = z
  .object({
    target: patchTarget,
    patch: z.array(jsonPatchOp).min(1)
  })
  .strict();

export const entryBase = {
  match: matchPattern,
  output: outputTemplate,
  exclude: z.array(z.string()).default([]).describe('Globs (repo-relative) of unit directories to skip'),
  allowEmpty: z
    .boolean()
    .optional()
    .describe('The entry may match no directory, and its units may render no objects where they rendered some (default false: both are errors)')
};
