/**
 * The one settings object every stage receives: the parsed `hydrate.yaml` plus where it was
 * read from. Built only by `buildSettings` (in load-config.ts), which `loadSettings` calls.
 */
import type { HydrateConfig } from './schema/config.js';
import type { ShardMode } from './shard.js';

export interface Settings {
  /** Absolute path of the dry repository root. */
  repoRoot: string;
  /** Repository-relative path of the config file. */
  configPath: string;
  config: HydrateConfig;
  /** Unit filters (`--only`, action `only`): globs over unit dirs or ids. Empty: all units. */
  only: string[];
  /** Render every unit even when its input digest is unchanged. */
  full: boolean;
  /** Parallel render workers. */
  concurrency: number;
  /**
   * Heap a kustomize or helm process may grow to before Go collects garbage (GOMEMLIMIT, MiB):
   * 512, or less on a machine whose memory, halved and shared among the workers, is smaller.
   */
  toolMemoryMiB: number;
  /** Absent: render everything in this job. */
  shard?: ShardMode;
}
