/**
 * The shard file (`hydrate-shard-<i>-of-<n>.json`), as stored: its type, its schema, its version
 * (the `format` field) and the one parser and serialiser of it. A shard job writes one; the merge
 * job reads them all (`src/adapters/shard-files.ts`) and checks them (`src/pipeline/shards.ts`).
 */
import * as z from 'zod';
import { diagnosticSchema, issueSummary, sourceSchema } from './schemas.js';
import type { ShardSpec } from '../settings/shard.js';

/** The shard file's version: a file of another format is refused. */
export const SHARD_FORMAT = 'hydrate-shard/v1';

export function shardFileName(spec: ShardSpec): string {
  return `hydrate-shard-${spec.index}-of-${spec.count}.json`;
}

const resourceSchema = z.union([
  z.object({ object: z.record(z.string(), z.unknown()), source: sourceSchema }),
  z.object({ yaml: z.string(), source: sourceSchema })
]);
/** A unit's result as saved: `UnitResult` of render/renderer.ts (checked against it in pipeline/shards.ts). */
const unitSchema = z.object({
  id: z.string(),
  status: z.enum(['rendered', 'failed', 'reused']),
  digest: z.string(),
  volatile: z.boolean().optional(),
  resources: z.array(resourceSchema),
  artifacts: z.array(z.object({ path: z.string(), content: z.string(), source: z.string() })),
  diagnostics: z.array(diagnosticSchema),
  provides: z.array(z.object({ ref: z.string() })).optional(),
  requires: z
    .array(
      z.object({
        ref: z.string(),
        unit: z.string(),
        file: z.string().optional(),
        line: z.number().int().optional(),
        col: z.number().int().optional(),
        message: z.string()
      })
    )
    .optional()
});
export const shardFileSchema = z.object({
  format: z.literal(SHARD_FORMAT),
  generator: z.string(),
  shard: z.object({ index: z.number().int().min(1), count: z.number().int().min(1) }),
  configDigest: z.string(),
  dryCommit: z.string().optional(),
  /** The workflow run that rendered it (GITHUB_RUN_ID): a merge takes shard files of its own run only. */
  runId: z.string().optional(),
  /** Ids of the units dealt to this shard, sorted. */
  assigned: z.array(z.string()),
  units: z.array(unitSchema)
});
export type ShardFile = z.infer<typeof shardFileSchema>;
export type ShardUnit = z.infer<typeof unitSchema>;
/** An object as saved: as JSON when JSON keeps it exactly, else as Hydrate's canonical YAML. */
export type ShardResource = z.infer<typeof resourceSchema>;

/** A shard file as read from disk: where it came from, and its parsed contents. */
export interface LoadedShard {
  file: string;
  data: ShardFile;
}

/** The file's text: one line of JSON. */
export function serializeShardFile(shard: ShardFile): string {
  return `${JSON.stringify(shard)}\n`;
}

/** Parses a shard file's text; what is wrong with it (not JSON, not of this format) comes back as `problem`. */
export function parseShardFile(text: string): { data: ShardFile } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { problem: `is not valid JSON: ${(e as Error).message}` };
  }
  const parsed = shardFileSchema.safeParse(json);
  if (!parsed.success) {
    return { problem: `is not a Hydrate shard file (${issueSummary(parsed.error)})` };
  }
  return { data: parsed.data };
}
