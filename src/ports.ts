/**
 * The ports through which the pure core reaches the outside world. The core (dry/, render/,
 * wet/ planning, diff/, report/) receives these as arguments; src/adapters/ implements them.
 */

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Extra environment variables (merged over a minimal, locale-neutral base). */
  env?: Record<string, string>;
  /** Data written to the child's stdin. */
  input?: string;
  timeoutMs?: number;
  /**
   * Names of variables passed on from Hydrate's own environment when they are set there (for
   * helm: registry and repository config, cache, proxies). `env` wins over them. Everything
   * else stays scrubbed.
   */
  passEnv?: readonly string[];
}

/** Runs a program without a shell. Never rejects for a non-zero exit; rejects with code 'ENOENT' when the program is missing. */
export interface ProcessRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<ProcessResult>;
  /** Absolute path of `command` on PATH, or undefined. */
  which(command: string): Promise<string | undefined>;
  /**
   * A fresh, empty temporary directory for one tool run's working files (a chart copied to
   * build its dependencies; an empty working directory), removed by `remove`. With `copy`
   * (absolute directories), each is copied into it at its given relative path (symlinks copied
   * as links, never followed); then each of `write` is written at its relative path (replacing
   * a copied file). Optional: runners without it make tools work in the repository.
   */
  workDir?(
    copy?: readonly { from: string; to: string }[],
    write?: readonly { path: string; content: string }[]
  ): Promise<{ path: string; remove(): Promise<void> }>;
}

export interface DirEntry {
  name: string;
  kind: 'file' | 'directory' | 'symlink' | 'other';
}

/** Read-only view of a directory tree. Paths are absolute. */
export interface FileReader {
  readFile(path: string): Promise<string>;
  readFileBytes(path: string): Promise<Uint8Array>;
  /** Entries of a directory (order unspecified: callers sort). */
  readDir(path: string): Promise<DirEntry[]>;
  /** undefined when the path does not exist. Does not follow a final symlink. */
  lstat(path: string): Promise<{ kind: DirEntry['kind']; size: number } | undefined>;
  /** Resolves symlinks; rejects when the path does not exist. */
  realpath(path: string): Promise<string>;
}

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

export const silentLogger: Logger = { info() {}, warning() {}, debug() {} };

/** What git vouches for in the dry tree (repository-relative paths, `/`-separated). */
export interface GitListing {
  /** Tracked regular files whose working-tree content is their index blob: path → blob id. */
  clean: ReadonlyMap<string, string>;
  /** Files git knows of whose content must be read to know their id (modified, untracked, symlinks, flagged). */
  dirty: ReadonlySet<string>;
  /** Paths git does not describe (ignored files and folders, nested repositories, submodules): read from disk. */
  opaque: ReadonlySet<string>;
}
