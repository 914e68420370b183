/**
 * A thin wrapper around the `git` program for the tool's own repositories (never the user's
 * checkout). Every call runs with a locale-neutral environment, an empty HOME (so no user or
 * system configuration applies) and `core.autocrlf=false core.fileMode=false core.symlinks=false`.
 *
 * A token reaches git only through environment-scoped configuration (an `http.<origin>/.extraheader`
 * entry in GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n): never on the command line, never in a URL,
 * and it is scrubbed from every error message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Git, GitWorkTree, LoggedCommit, ProcessRunner, RemoteHeads } from '../ports.js';
import { createProcessRunner } from './exec.js';

interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

interface GitExecOptions {
  cwd?: string;
  /** Extra environment variables for this call (author identity, GIT_DIR, ...). */
  env?: Record<string, string>;
  /** Data written to git's stdin. */
  input?: string;
  /** When true a non-zero exit is returned instead of thrown. */
  allowFailure?: boolean;
}

interface GitClientOptions {
  /** Token sent as a basic-auth header to `remoteUrl`'s origin (https/http remotes only). */
  token?: string;
  /** The remote the token is meant for; its origin scopes the header. */
  remoteUrl?: string;
  /** Directory used as HOME; a fresh temporary directory when omitted. */
  home?: string;
  /** Runs the git program (default: a process runner over the current environment). */
  runner?: ProcessRunner;
  /** Kills a git call that runs longer (default 15 minutes). */
  timeoutMs?: number;
}

/** A failed git invocation. `args` and `stderr` never contain the token. */
export class GitError extends Error {
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;
  readonly stdout: string;

  constructor(args: readonly string[], exitCode: number, stdout: string, stderr: string) {
    super(`git ${args.join(' ')} failed with exit code ${exitCode}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    this.name = 'GitError';
    this.args = args;
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

const FIXED_CONFIG = ['-c', 'core.autocrlf=false', '-c', 'core.fileMode=false', '-c', 'core.symlinks=false'];

/** The origin (`scheme://host[:port]`) of an http(s) URL, or undefined for paths and other schemes. */
function httpOrigin(url: string): string | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

const DEFAULT_TIMEOUT_MS = 15 * 60_000;

export class GitClient implements Git {
  /** Every argv passed to git, in order (for tests and debugging; never holds the token). */
  readonly calls: string[][] = [];
  private readonly home: string;
  private readonly ownsHome: boolean;
  private readonly secrets: string[];
  private readonly authEnv: Record<string, string>;
  private readonly runner: ProcessRunner;
  private readonly timeoutMs: number;

  constructor(options: GitClientOptions = {}) {
    this.runner = options.runner ?? createProcessRunner();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.home) {
      this.home = options.home;
      this.ownsHome = false;
    } else {
      this.home = mkdtempSync(join(tmpdir(), 'hydrate-git-home-'));
      this.ownsHome = true;
    }
    this.secrets = [];
    this.authEnv = {};
    const token = options.token;
    if (token) {
      const basic = Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64');
      this.secrets.push(`x-access-token:${token}`, basic, token);
      const origin = options.remoteUrl ? httpOrigin(options.remoteUrl) : undefined;
      if (origin) {
        this.authEnv = {
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: `http.${origin}/.extraheader`,
          GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`
        };
      }
    }
  }

  /** Removes the temporary HOME when this client created it. */
  dispose(): void {
    if (this.ownsHome) rmSync(this.home, { recursive: true, force: true });
  }

  /** Replaces the token (and its encodings) by `***`. */
  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }

  /** Runs git; throws GitError on a non-zero exit unless `allowFailure`. */
  async run(args: readonly string[], options: GitExecOptions = {}): Promise<GitResult> {
    return this.exec(args, options);
  }

  /** Runs git and returns its stdout without the trailing newline. */
  async text(args: readonly string[], options: GitExecOptions = {}): Promise<string> {
    const r = await this.exec(args, options);
    return r.stdout.replace(/\n$/, '');
  }

  async isValidBranchName(name: string): Promise<boolean> {
    if (name.startsWith('-')) return false;
    const r = await this.run(['check-ref-format', `refs/heads/${name}`], { allowFailure: true });
    return r.exitCode === 0;
  }

  async listHeads(remote: string, branches: readonly string[], cwd?: string): Promise<RemoteHeads> {
    const r = await this.run(['ls-remote', '--heads', remote, ...branches.map((b) => `refs/heads/${b}`)], {
      allowFailure: true,
      ...(cwd ? { cwd } : {})
    });
    if (r.exitCode !== 0) return { ok: false, stderr: r.stderr };
    const heads = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha && ref) heads.set(ref.replace(/^refs\/heads\//, ''), sha);
    }
    return { ok: true, heads };
  }

  /** The user's checkout at `workspace`, read with `safe.directory` set to it (its owner may differ from the runner's user). */
  userCheckout(workspace: string): UserCheckout {
    return new UserCheckout(this, workspace);
  }

  async initWorkTree(workDir: string): Promise<GitWorkTree> {
    const gitDir = join(workDir, 'repo.git');
    await this.run(['-c', 'init.defaultBranch=hydrate-work', 'init', '--quiet', '--bare', gitDir], { cwd: workDir });
    await this.run(['--git-dir', gitDir, 'config', 'core.bare', 'false'], { cwd: workDir });
    await this.run(['--git-dir', gitDir, 'config', 'gc.auto', '0'], { cwd: workDir });
    return new WorkTree(this, workDir, gitDir, join(workDir, 'tree'));
  }

  private async exec(args: readonly string[], options: GitExecOptions): Promise<GitResult> {
    const argv = [...FIXED_CONFIG, ...args];
    const safeArgs = argv.map((a) => this.scrub(a));
    this.calls.push(safeArgs);
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
      SSH_ASKPASS: '',
      LANG: 'C',
      LC_ALL: 'C',
      TZ: 'UTC',
      GIT_CONFIG_NOSYSTEM: '1',
      ...(options.env ?? {}),
      ...this.authEnv
    };
    let r;
    try {
      r = await this.runner.run('git', argv, {
        ...(options.cwd ? { cwd: options.cwd } : {}),
        env,
        input: options.input ?? '',
        timeoutMs: this.timeoutMs
      });
    } catch (e) {
      throw e instanceof Error ? new Error(this.scrub(e.message)) : e;
    }
    const stdout = this.scrub(r.stdout);
    const stderr = this.scrub(r.stderr);
    if (r.exitCode !== 0 && !options.allowFailure) throw new GitError(safeArgs, r.exitCode, stdout, stderr);
    return { exitCode: r.exitCode, stdout, stderr };
  }
}

/** A private repository: a bare git directory with a separate work tree. */
class WorkTree implements GitWorkTree {
  constructor(
    private readonly git: GitClient,
    private readonly workDir: string,
    private readonly gitDir: string,
    readonly tree: string
  ) {}

  private run(args: readonly string[], options: Omit<GitExecOptions, 'cwd'> = {}): Promise<GitResult> {
    return this.git.run(['--git-dir', this.gitDir, '--work-tree', this.tree, ...args], { ...options, cwd: this.workDir });
  }

  private async text(args: readonly string[], options: Omit<GitExecOptions, 'cwd'> = {}): Promise<string> {
    return (await this.run(args, options)).stdout.replace(/\n$/, '');
  }

  listHeads(remote: string, branches: readonly string[]): Promise<RemoteHeads> {
    return this.git.listHeads(remote, branches, this.workDir);
  }

  async forgetTips(branches: readonly string[]): Promise<void> {
    for (const b of branches) await this.run(['update-ref', '-d', `refs/remotes/origin/${b}`], { allowFailure: true });
  }

  async fetchTips(remote: string, branches: readonly string[]): Promise<{ ok: boolean; stderr: string }> {
    const r = await this.run(['fetch', '--no-tags', '--quiet', remote, ...branches.map((b) => `+refs/heads/${b}:refs/remotes/origin/${b}`)], {
      allowFailure: true
    });
    return { ok: r.exitCode === 0, stderr: r.stderr };
  }

  tipOf(branch: string): Promise<string> {
    return this.text(['rev-parse', '--verify', `refs/remotes/origin/${branch}^{commit}`]);
  }

  async readTree(commit: string | undefined): Promise<void> {
    if (commit) {
      await this.run(['read-tree', commit]);
      await this.run(['checkout-index', '--all', '--force']);
    } else {
      await this.run(['read-tree', '--empty']);
    }
  }

  async stageAll(): Promise<{ mode: string; path: string }[]> {
    await this.run(['add', '--all', '--force']);
    const staged = await this.text(['ls-files', '--stage', '-z']);
    const entries: { mode: string; path: string }[] = [];
    for (const rec of staged.split('\0')) {
      const m = /^(\d{6}) [0-9a-f]+ \d\t(.*)$/s.exec(rec);
      if (m) entries.push({ mode: m[1]!, path: m[2]! });
    }
    return entries;
  }

  async clearExecutable(paths: readonly string[]): Promise<void> {
    if (paths.length) await this.run(['update-index', '--chmod=-x', '--', ...paths]);
  }

  writeTree(): Promise<string> {
    return this.text(['write-tree']);
  }

  treeOf(commit: string | undefined): Promise<string> {
    return commit ? this.text(['rev-parse', `${commit}^{tree}`]) : this.text(['hash-object', '-t', 'tree', '--stdin'], { input: '' });
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return (await this.run(['merge-base', '--is-ancestor', ancestor, descendant], { allowFailure: true })).exitCode === 0;
  }

  async log(include: string, exclude: string | undefined, trailerKey: string): Promise<LoggedCommit[]> {
    const out = await this.text([
      'log',
      `--format=%H%x00%an <%ae>%x00%s%x00%(trailers:key=${trailerKey},valueonly,separator=%x2C)%x1e`,
      include,
      ...(exclude ? [`^${exclude}`] : []),
      '--'
    ]);
    const commits: LoggedCommit[] = [];
    for (const rec of out.split('\x1e')) {
      const [sha, author, subject, trailer] = rec.replace(/^\n/, '').split('\0');
      if (sha) commits.push({ sha, author: author ?? '', subject: subject ?? '', trailer: trailer ?? '' });
    }
    return commits;
  }

  commitTree(tree: string, parents: readonly string[], message: string, author: { name: string; email: string }): Promise<string> {
    return this.text(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], {
      input: message,
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: author.name,
        GIT_COMMITTER_EMAIL: author.email
      }
    });
  }

  async listTree(tree: string | undefined): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    if (!tree) return files;
    const out = (await this.run(['ls-tree', '-r', '-z', '--full-tree', tree])).stdout;
    for (const rec of out.split('\0')) {
      const m = /^\d{6} blob ([0-9a-f]+)\t(.*)$/s.exec(rec);
      if (m) files.set(m[2]!, m[1]!);
    }
    return files;
  }

  async readBlob(blob: string): Promise<string> {
    return (await this.run(['cat-file', 'blob', blob])).stdout;
  }

  hashBlob(text: string): Promise<string> {
    return this.text(['hash-object', '-w', '--stdin'], { input: text });
  }

  async composeTree(base: string | undefined, changes: ReadonlyMap<string, string | null>): Promise<string> {
    // A private index file, so the work tree's index is left as it is.
    const env = { GIT_INDEX_FILE: join(this.workDir, 'compose.index') };
    try {
      await this.run(base ? ['read-tree', base] : ['read-tree', '--empty'], { env });
      const lines = [...changes].map(([path, blob]) => (blob ? `100644 blob ${blob}\t${path}` : `0 ${'0'.repeat(40)}\t${path}`));
      if (lines.length > 0) await this.run(['update-index', '-z', '--index-info'], { env, input: lines.map((l) => `${l}\0`).join('') });
      return await this.text(['write-tree'], { env });
    } finally {
      rmSync(env.GIT_INDEX_FILE, { force: true });
    }
  }

  async pushWithLease(remote: string, commit: string, branch: string, expected: string | undefined): Promise<{ ok: boolean; output: string }> {
    const lease = `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`;
    const r = await this.run(['push', '--porcelain', '--no-verify', lease, remote, `${commit}:refs/heads/${branch}`], { allowFailure: true });
    return { ok: r.exitCode === 0, output: `${r.stdout}\n${r.stderr}` };
  }
}

/**
 * The user's checkout: read, fetched into (missing history) and given extra worktrees, never
 * committed to. Every call is `-c safe.directory=<workspace>` and never throws for git's exit.
 */
export class UserCheckout {
  constructor(
    private readonly git: GitClient,
    private readonly workspace: string
  ) {}

  private run(args: readonly string[]): Promise<GitResult> {
    return this.git.run(['-c', `safe.directory=${this.workspace}`, ...args], { cwd: this.workspace, allowFailure: true });
  }

  async hasCommit(sha: string): Promise<boolean> {
    return (await this.run(['cat-file', '-e', `${sha}^{commit}`])).exitCode === 0;
  }

  /** The parents of HEAD, from the raw commit (which names them even in a shallow clone, where rev-list shows none). */
  async headParents(): Promise<{ ok: true; parents: string[] } | { ok: false; stderr: string }> {
    const raw = await this.run(['cat-file', '-p', 'HEAD']);
    if (raw.exitCode !== 0) return { ok: false, stderr: raw.stderr };
    return { ok: true, parents: [...raw.stdout.split('\n\n')[0]!.matchAll(/^parent ([0-9a-f]{40})$/gm)].map((m) => m[1]!) };
  }

  /** Fetches `sha` from origin (`depth` 1: only that commit; `unshallow`: the whole history). Failures show in later reads. */
  async fetchCommit(sha: string, how: 'depth-1' | 'history' | 'unshallow'): Promise<void> {
    const extra = how === 'depth-1' ? ['--depth=1'] : how === 'unshallow' ? ['--unshallow'] : [];
    await this.run(['fetch', '--no-tags', '--quiet', 'origin', ...extra, sha]);
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const r = await this.run(['merge-base', a, b]);
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  }

  async isShallow(): Promise<boolean> {
    return (await this.run(['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true';
  }

  /** A detached worktree of `sha` at `dir`. */
  async addWorktree(dir: string, sha: string): Promise<{ ok: boolean; stderr: string }> {
    const r = await this.run(['worktree', 'add', '--detach', '--quiet', dir, sha]);
    return { ok: r.exitCode === 0, stderr: r.stderr };
  }

  async removeWorktree(dir: string): Promise<void> {
    await this.run(['worktree', 'remove', '--force', dir]);
  }

  async pruneWorktrees(): Promise<void> {
    await this.run(['worktree', 'prune']);
  }
}
