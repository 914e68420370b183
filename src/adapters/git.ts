/**
 * A thin wrapper around the `git` program for the tool's own repositories (never the user's
 * checkout). Every call runs with a locale-neutral environment, an empty HOME (so no user or
 * system configuration applies) and `core.autocrlf=false core.fileMode=false core.symlinks=false`.
 *
 * A token reaches git only through environment-scoped configuration (an `http.<origin>/.extraheader`
 * entry in GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n): never on the command line, never in a URL,
 * and it is scrubbed from every error message.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

export class GitClient {
  /** Every argv passed to git, in order (for tests and debugging; never holds the token). */
  readonly calls: string[][] = [];
  private readonly home: string;
  private readonly ownsHome: boolean;
  private readonly secrets: string[];
  private readonly authEnv: Record<string, string>;

  constructor(options: GitClientOptions = {}) {
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

  private exec(args: readonly string[], options: GitExecOptions): Promise<GitResult> {
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
    return new Promise((resolve, reject) => {
      const child = spawn('git', argv, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => reject(e));
      child.on('close', (code) => {
        const exitCode = code ?? 1;
        const stdout = this.scrub(Buffer.concat(out).toString('utf8'));
        const stderr = this.scrub(Buffer.concat(err).toString('utf8'));
        if (exitCode !== 0 && !options.allowFailure) {
          reject(new GitError(safeArgs, exitCode, stdout, stderr));
        } else {
          resolve({ exitCode, stdout, stderr });
        }
      });
      child.stdin.on('error', () => {
        /* git may exit before reading its input; the exit code reports the problem */
      });
      child.stdin.end(options.input ?? '');
    });
  }
}
