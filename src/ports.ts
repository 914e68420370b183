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

/** What a branch listing found: branch name → commit, or git's (scrubbed) complaint. */
export type RemoteHeads = { ok: true; heads: Map<string, string> } | { ok: false; stderr: string };

/** One commit of a log, with the value of one trailer ('' when absent). */
export interface LoggedCommit {
  sha: string;
  /** `name <email>` */
  author: string;
  subject: string;
  trailer: string;
}

/**
 * A private repository the tool owns (a bare git directory and a separate work tree), never the
 * user's checkout. Remote-tracking refs live under `refs/remotes/origin/`.
 */
export interface GitWorkTree {
  /** The work tree directory. */
  readonly tree: string;
  /** Lists `branches` on `remote` (ls-remote). */
  listHeads(remote: string, branches: readonly string[]): Promise<RemoteHeads>;
  /** Deletes the remote-tracking refs of `branches` (missing ones are fine). */
  forgetTips(branches: readonly string[]): Promise<void>;
  /** Fetches `branches` of `remote` into their remote-tracking refs. */
  fetchTips(remote: string, branches: readonly string[]): Promise<{ ok: boolean; stderr: string }>;
  /** The commit of a fetched branch's remote-tracking ref. */
  tipOf(branch: string): Promise<string>;
  /** Empties the index to `commit`'s tree (or the empty tree) and writes its files into the work tree. */
  readTree(commit: string | undefined): Promise<void>;
  /** Stages the whole work tree and returns each index entry's mode and path. */
  stageAll(): Promise<{ mode: string; path: string }[]>;
  /** Records `paths` in the index as non-executable. */
  clearExecutable(paths: readonly string[]): Promise<void>;
  /** Writes the index as a tree object; returns its id. */
  writeTree(): Promise<string>;
  /** The tree of `commit`, or the empty tree. */
  treeOf(commit: string | undefined): Promise<string>;
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Commits reachable from `include` but not from `exclude`, newest first, with `trailerKey`'s value. */
  log(include: string, exclude: string | undefined, trailerKey: string): Promise<LoggedCommit[]>;
  /** Creates a commit object (author = committer); returns its id. */
  commitTree(tree: string, parents: readonly string[], message: string, author: { name: string; email: string }): Promise<string>;
  /** The files of a tree (or the empty tree): path → blob id. */
  listTree(tree: string | undefined): Promise<Map<string, string>>;
  /** The text of a blob. */
  readBlob(blob: string): Promise<string>;
  /** Stores `text` as a blob; returns its id. */
  hashBlob(text: string): Promise<string>;
  /**
   * A new tree: `base` (a tree id, or the empty tree) with each of `changes` set to a blob
   * (mode 100644) or removed (null). Leaves the work tree and its index alone; returns the tree id.
   */
  composeTree(base: string | undefined, changes: ReadonlyMap<string, string | null>): Promise<string>;
  /** Pushes `commit` to `branch` of `remote` only if the branch is still at `expected` (absent: does not exist). */
  pushWithLease(remote: string, commit: string, branch: string, expected: string | undefined): Promise<{ ok: boolean; output: string }>;
}

/** Git, as verbs. Token, identity and configuration are the implementation's business. */
export interface Git {
  /** Whether `refs/heads/<name>` is a valid ref name. */
  isValidBranchName(name: string): Promise<boolean>;
  /** Lists `branches` on `remote` without a repository. */
  listHeads(remote: string, branches: readonly string[]): Promise<RemoteHeads>;
  /** Creates an empty private repository in `workDir` (`repo.git`, work tree `tree`). */
  initWorkTree(workDir: string): Promise<GitWorkTree>;
}

/*
 * GitHub's contract for pull-request comments, shared by the report (which budgets its body to
 * it and marks it) and the GitHub adapter (which enforces it and finds its comment by the marker).
 */

/** GitHub rejects comment and pull request bodies longer than this many characters... */
export const COMMENT_MAX_CHARS = 65_536;
/** ... and longer than this many UTF-8 bytes. */
export const COMMENT_MAX_BYTES = 262_144;

/** The hidden line that identifies a sticky comment written by this tool (`--` or `>` would end it early). */
export function markerComment(marker: string): string {
  return `<!-- hydrate:${marker.replace(/-{2,}/g, '-').replace(/[<>\r\n]/g, '')} -->`;
}
