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
  /**
   * This run may delete more than half of the owned files (or all of them), run with a config
   * without entries, and let units that rendered objects render none (`--allow-mass-deletion`).
   */
  allowMassDeletion?: boolean;
  /** The config as the owner of its units in the wet index: `<repository>:<config path>`. */
  owner?: string;
  /** Where each entry's `match` is in the config file, by `<renderer>[<i>]`. */
  locations?: Record<string, { line: number; col: number }>;
}
