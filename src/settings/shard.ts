/**
 * Sharding across jobs, as settings: `part` renders shard i of n and saves it as a file in
 * `dir`; `merge` assembles the shard files found in `dir` and publishes once.
 */
export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

export type ShardMode = { kind: 'part'; spec: ShardSpec; dir: string } | { kind: 'merge'; dir: string };

export const MAX_SHARDS = 256;

/** Parses `i/n` (1 ≤ i ≤ n ≤ 256); returns a message on bad input. */
export function parseShardSpec(value: string): ShardSpec | { error: string } {
  const m = /^\s*(\d{1,3})\s*\/\s*(\d{1,3})\s*$/.exec(value);
  if (!m) return { error: `shard must look like i/n (e.g. 2/4) or "merge", got "${value}"` };
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) return { error: `shard count must be between 1 and ${MAX_SHARDS}, got ${count}` };
  if (index < 1 || index > count) return { error: `shard index must be between 1 and ${count}, got ${index}` };
  return { index, count };
}
