import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitClient, GitError } from '../../src/adapters/git.js';
import { publishWetBranch, type PublishRequest } from '../../src/publish/wet-branch.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';

const TOKEN = 'ghs_s3cretT0kenValue1234567890';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

let tmp: string;
let root: string;
let bare: string;
let server: GitHttpServer | undefined;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: tmp,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Human',
      GIT_AUTHOR_EMAIL: 'human@example.com',
      GIT_COMMITTER_NAME: 'Human',
      GIT_COMMITTER_EMAIL: 'human@example.com'
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe']
  }).replace(/\n$/, '');
}

function request(url: string, over: Partial<PublishRequest> = {}): PublishRequest {
  const workDir = join(tmp, `work-${Math.random().toString(36).slice(2)}`);
  mkdirSync(workDir);
  return {
    remoteUrl: url,
    token: TOKEN,
    wetBranch: 'deployment',
    targetBranch: 'deployment',
    workDir,
    author: { name: 'hydrate[bot]', email: 'hydrate@example.com' },
    message: 'Hydrate',
    trailers: { 'Hydrate-Version': '0.1.0' },
    render: async (dir) => {
      writeFileSync(join(dir, 'a.yaml'), 'kind: A\n');
      return true;
    },
    backoffMs: 1,
    ...over
  };
}

function leaks(text: string): boolean {
  return text.includes(TOKEN) || text.includes(BASIC);
}

beforeEach(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'hydrate-http-'));
  root = join(tmp, 'srv');
  bare = join(root, 'owner', 'repo.git');
  mkdirSync(join(root, 'owner'), { recursive: true });
  git(tmp, 'init', '--quiet', '--bare', bare);
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(tmp, { recursive: true, force: true });
});

describe('publishing over HTTP with a token', () => {
  it('sends the token only as an Authorization header, never on argv', async () => {
    const srv = await startGitHttpServer(root, { requireToken: TOKEN });
    server = srv;
    const url = `${srv.url}/owner/repo.git`;
    // A git first on PATH that logs the real argv and environment of every call, then runs git.
    const shimDir = join(tmp, 'shim');
    const argvLog = join(tmp, 'argv.log');
    const envLog = join(tmp, 'env.log');
    mkdirSync(shimDir);
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(shimDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nenv >> '${envLog}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
    const savedPath = process.env['PATH'];
    process.env['PATH'] = `${shimDir}:${savedPath ?? ''}`;
    const client = new GitClient({ token: TOKEN, remoteUrl: url });
    try {
      const r = await publishWetBranch(request(url, { git: client }));
      const argv = readFileSync(argvLog, 'utf8');
      expect(argv.split('\n').length).toBeGreaterThan(5);
      expect(leaks(argv)).toBe(false);
      // The header travels in the environment of the git process, scoped to the remote's origin.
      expect(readFileSync(envLog, 'utf8')).toContain(`AUTHORIZATION: basic ${BASIC}`);
      expect(r.changed).toBe(true);
      expect(git(bare, 'rev-parse', 'refs/heads/deployment')).toBe(r.commit);
      // Every request reached the server with the header (none was answered 401 first).
      expect(srv.requests.length).toBeGreaterThan(0);
      for (const req of srv.requests) expect(req.authorization).toBe(`basic ${BASIC}`);
      expect(srv.requests.some((q) => q.path.endsWith('/git-receive-pack'))).toBe(true);
      // The argv of every git call is free of the token and the URL carries no credentials.
      expect(client.calls.length).toBeGreaterThan(5);
      for (const argv of client.calls) expect(leaks(argv.join(' '))).toBe(false);
      expect(client.calls.some((argv) => argv.includes(url))).toBe(true);
    } finally {
      process.env['PATH'] = savedPath;
      client.dispose();
    }
  });

  it('fails when the server refuses the token, and the error does not leak it', async () => {
    const srv = await startGitHttpServer(root, { requireToken: 'a-different-token' });
    server = srv;
    const url = `${srv.url}/owner/repo.git`;
    const err = await publishWetBranch(request(url)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cannot read deployment from the remote: .*the token was refused/s);
    expect(leaks((err as Error).message)).toBe(false);
    expect(srv.requests.length).toBeGreaterThan(0);
    expect(srv.requests.every((q) => q.authorization === `basic ${BASIC}`)).toBe(true);
  });

  it('scrubs the token from GitError messages, args and stderr', async () => {
    const client = new GitClient({ token: TOKEN, remoteUrl: 'https://example.invalid/o/r.git' });
    try {
      const err = await client.run(['rev-parse', '--verify', `no-such-${TOKEN}`], { cwd: bare }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitError);
      const ge = err as GitError;
      expect(ge.exitCode).not.toBe(0);
      expect(leaks(ge.message)).toBe(false);
      expect(leaks(ge.stderr)).toBe(false);
      expect(leaks(ge.args.join(' '))).toBe(false);
      expect(ge.args).toContain('no-such-***');
    } finally {
      client.dispose();
    }
  });

  it('runs git with a locale-neutral env, an empty HOME and no user config', async () => {
    writeFileSync(join(tmp, '.gitconfig'), '[user]\n\tname = Leaky User\n');
    const client = new GitClient({ token: TOKEN, remoteUrl: 'https://example.invalid/o/r.git' });
    try {
      const name = await client.run(['config', '--get', 'user.name'], { cwd: bare, allowFailure: true });
      expect(name.stdout).toBe('');
      const header = await client.text(['config', '--get', 'http.https://example.invalid/.extraheader'], { cwd: bare });
      expect(header).toBe('AUTHORIZATION: basic ***');
      const crlf = await client.text(['config', '--get', 'core.autocrlf'], { cwd: bare });
      expect(crlf).toBe('false');
      expect(client.calls.every((argv) => argv.slice(0, 6).join(' ') === '-c core.autocrlf=false -c core.fileMode=false -c core.symlinks=false')).toBe(true);
    } finally {
      client.dispose();
    }
  });

  it("leaves the user's own checkout untouched and not shallow", async () => {
    const srv = await startGitHttpServer(root);
    server = srv;
    const url = `${srv.url}/owner/repo.git`;
    await publishWetBranch(request(url));
    const user = join(tmp, 'user');
    git(tmp, 'clone', '--quiet', '--branch', 'deployment', bare, user);
    writeFileSync(join(user, 'local.txt'), 'uncommitted\n');
    const head = git(user, 'rev-parse', 'HEAD');
    const status = git(user, 'status', '--porcelain');
    const config = readFileSync(join(user, '.git', 'config'), 'utf8');

    const r = await publishWetBranch(
      request(url, {
        render: async (dir) => {
          writeFileSync(join(dir, 'a.yaml'), 'kind: A\nv: 2\n');
          return true;
        }
      })
    );
    expect(r.changed).toBe(true);
    expect(git(user, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(user, 'status', '--porcelain')).toBe(status);
    expect(git(user, 'rev-parse', '--is-shallow-repository')).toBe('false');
    expect(existsSync(join(user, '.git', 'shallow'))).toBe(false);
    expect(readFileSync(join(user, '.git', 'config'), 'utf8')).toBe(config);
    expect(readFileSync(join(user, 'a.yaml'), 'utf8')).toBe('kind: A\n');
  });

  it('retries racing pushes over HTTP until every run has landed', async () => {
    const srv = await startGitHttpServer(root, { requireToken: TOKEN });
    server = srv;
    const url = `${srv.url}/owner/repo.git`;
    const results = await Promise.all(
      [1, 2, 3].map((k) =>
        publishWetBranch(
          request(url, {
            maxAttempts: 20,
            render: async (dir) => {
              writeFileSync(join(dir, 'dry.txt'), `${k}\n`);
              return true;
            }
          })
        )
      )
    );
    const chain = git(bare, 'rev-list', '--first-parent', 'deployment').split('\n');
    expect(chain).toHaveLength(3);
    for (const r of results) expect(chain).toContain(r.commit);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(srv.requests.every((q) => q.authorization === `basic ${BASIC}`)).toBe(true);
  });
});
