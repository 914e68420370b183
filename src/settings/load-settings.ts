/**
 * The one place a config file becomes a Settings object (for the CLI and the action alike).
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../diagnostics.js';
import { buildSettings, entryLocations, parseConfig } from './load-config.js';
import type { Settings } from './settings.js';

export interface LoadSettingsOptions {
  /** Path of hydrate.yaml (absolute, or relative to cwd). */
  configFile: string;
  /** Dry repository root; default: the config file's folder. */
  repoRoot?: string;
  only?: string[];
  full?: boolean;
  concurrency?: number;
  /** `i/n` or `merge`, with the directory shard files are saved to or read from. */
  shard?: string;
  shardDir?: string;
  /** See Settings.allowMassDeletion. */
  allowMassDeletion?: boolean;
  /** The dry repository's name (`owner/name` in the action); default: the repository root's folder name. */
  repository?: string;
}

export async function loadSettings(opts: LoadSettingsOptions): Promise<{ settings: Settings; configText: string }> {
  const configAbs = path.resolve(opts.configFile);
  const repoRoot = path.resolve(opts.repoRoot ?? path.dirname(configAbs));
  const configPath = path.relative(repoRoot, configAbs).split(path.sep).join('/') || path.basename(configAbs);
  let configText: string;
  try {
    configText = await readFile(configAbs, 'utf8');
  } catch (e) {
    throw new ConfigError({
      severity: 'error',
      file: configPath,
      message: `cannot read config file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; pass --config <path to hydrate.yaml>`
    });
  }
  const config = parseConfig(configText, configPath);
  const settings = buildSettings({
    repoRoot,
    configPath,
    config,
    ...(opts.only ? { only: opts.only } : {}),
    ...(opts.full !== undefined ? { full: opts.full } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    ...(opts.shard !== undefined ? { shard: opts.shard } : {}),
    ...(opts.shardDir !== undefined ? { shardDir: opts.shardDir } : {}),
    ...(opts.allowMassDeletion !== undefined ? { allowMassDeletion: opts.allowMassDeletion } : {}),
    owner: `${opts.repository ?? path.basename(repoRoot)}:${configPath}`,
    locations: entryLocations(configText)
  });
  return { settings, configText };
}
