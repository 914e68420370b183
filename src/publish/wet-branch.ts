/**
 * Publishing the rendered ("wet") tree to a branch: fetch the wet branch and the target branch
 * into a private repository, render onto the right base, commit with trailers, and push with a
 * lease pinned to the exact tip that was read. A rejected push (another run got there first)
 * fetches the new tip and renders again onto it, with bounded retries and jittered backoff.
 */
import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GitClient, GitError } from '../adapters/git.js';
import { ConfigError, HydrateError } from '../diagnostics.js';

export interface PublishRequest {
  /** e.g. `${GITHUB_SERVER_URL}/${owner}/${repo}.git`, or a repository path. */
  remoteUrl: string;
  token?: string;
  /** The deployed branch. */
  wetBranch: string;
  /** = wetBranch in push mode; the pull-request branch in pull-request mode. */
  targetBranch: string;
  /** An empty directory owned by the tool (never the user's checkout). */
  workDir: string;
  author: { name: string; email: string };
  /** Commit subject and body. */
  message: string;
  /** Appended as `Key: value` lines after a blank line. */
  trailers: Record<string, string>;
  /**
   * Renders the wet tree into `dir` (a checkout of the base tip, or an empty directory for a new
   * orphan branch). Returns false to abort: nothing is pushed.
   */
  render: (dir: string) => Promise<boolean>;
  /** Default 5. */
  maxAttempts?: number;
  /** Base of the exponential backoff with full jitter, in ms (default 500). */
  backoffMs?: number;
  /** Restart the pull-request branch from the wet branch instead of updating it in place. */
  restartTarget?: boolean;
  /** Render and report, without committing or pushing. */
  dryRun?: boolean;
  /** Client to use (tests inspect its recorded argv); created from remoteUrl/token when omitted. */
  git?: GitClient;
}

export interface PublishResult {
  /**
   * Push mode: a commit was (or, in a dry run, would be) made on the wet branch.
   * Pull-request mode: the render differs from the wet branch, so a pull request is needed
   * (false means the wet branch already matches: close the pull request if one is open).
   */
  changed: boolean;
  /** The target branch already held exactly this render: nothing was committed or pushed. */
  upToDate: boolean;
  /** The render equals the wet branch tree. */
  identicalToWet: boolean;
  /** The commit pushed (absent when nothing was pushed). */
  commit?: string;
  /** First parent of `commit`. */
  parent?: string;
  attempts: number;
  /** True when the push created the target branch. */
  created: boolean;
  /** The wet branch tip that was read on the last attempt. */
  baseTip?: string;
  /** The target branch tip that was read on the last attempt (before any push). */
  targetTip?: string;
  /** True when render returned false (nothing was pushed). */
  aborted?: boolean;
}

export const HYDRATE_VERSION_TRAILER = 'Hydrate-Version';

/** Push failures caused by another writer moving the branch: worth a fresh render and a retry. */
const RACE = /\[rejected\]|stale info|non-fast-forward|fetch first|cannot lock ref|failed to update ref|incorrect old value|reference already exists/i;

interface Tips {
  wet?: string;
  target?: string;
}

/** Builds the full commit message: the message, a blank line, then `Key: value` trailers. */
function commitMessage(message: string, trailers: Record<string, string>): string {
  const body = message.replace(/\s+$/, '');
  const lines = Object.entries(trailers).map(([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}`);
  return lines.length ? `${body}\n\n${lines.join('\n')}\n` : `${body}\n`;
}

export async function publishWetBranch(req: PublishRequest): Promise<PublishResult> {
  if (req.remoteUrl.startsWith('-') || req.remoteUrl.trim() === '') {
    throw new ConfigError(`invalid remote ${JSON.stringify(req.remoteUrl)}`);
  }
  const maxAttempts = Math.max(1, req.maxAttempts ?? 5);
  const backoffMs = req.backoffMs ?? 500;
  const prMode = req.targetBranch !== req.wetBranch;
  const gitDir = join(req.workDir, 'repo.git');
  const tree = join(req.workDir, 'tree');
  const home = join(req.workDir, 'home');
  await mkdir(home, { recursive: true });
  const git = req.git ?? new GitClient({ token: req.token, remoteUrl: req.remoteUrl, home });
  const g = (args: string[], opts: { input?: string; allowFailure?: boolean; env?: Record<string, string> } = {}) =>
    git.run(['--git-dir', gitDir, '--work-tree', tree, ...args], { ...opts, cwd: req.workDir });
  const gt = async (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
    (await g(args, opts)).stdout.replace(/\n$/, '');

  for (const branch of new Set([req.wetBranch, req.targetBranch])) {
    const ok = await git.run(['check-ref-format', `refs/heads/${branch}`], { cwd: req.workDir, allowFailure: true });
    if (ok.exitCode !== 0 || branch.startsWith('-')) throw new ConfigError(`invalid branch name ${JSON.stringify(branch)}`);
  }
  await git.run(['-c', 'init.defaultBranch=hydrate-work', 'init', '--quiet', '--bare', gitDir], { cwd: req.workDir });
  await git.run(['--git-dir', gitDir, 'config', 'core.bare', 'false'], { cwd: req.workDir });
  await git.run(['--git-dir', gitDir, 'config', 'gc.auto', '0'], { cwd: req.workDir });

  let restart = req.restartTarget === true;
  for (let attempt = 1; ; attempt++) {
    const tips = await fetchTips(g, gt, req, attempt < maxAttempts);
    if (!tips) {
      // A branch vanished between listing and fetching: read the remote again.
      await sleep(backoffMs, attempt);
      continue;
    }

    // Refuse to build on a pull-request branch that holds somebody else's work.
    const updateInPlace = prMode && tips.target !== undefined && !restart;
    if (updateInPlace) await assertOnlyOurCommits(gt, req.targetBranch, tips);

    // Where the render starts. Push mode: the wet tip. Pull-request mode: the wet tip too, so the
    // render (and its `previous` state) is relative to what is deployed; the pull-request branch
    // only ever holds hydrate's own commits (checked above), so nothing of it is lost.
    const base = prMode ? (tips.wet ?? (updateInPlace ? tips.target : undefined)) : tips.target;
    const summary = { baseTip: tips.wet, targetTip: tips.target };

    await rm(tree, { recursive: true, force: true });
    await mkdir(tree, { recursive: true });
    if (base) {
      await g(['read-tree', base]);
      await g(['checkout-index', '--all', '--force']);
    } else {
      await g(['read-tree', '--empty']);
    }

    if (!(await req.render(tree))) {
      return { changed: false, upToDate: false, identicalToWet: false, attempts: attempt, created: false, aborted: true, ...summary };
    }
    await normalizeTree(tree);
    await g(['add', '--all', '--force']);
    await forceRegularModes(g, gt);
    const newTree = await gt(['write-tree']);

    const empty = await emptyTree(gt);
    const treeOf = async (c: string | undefined): Promise<string> => (c ? gt(['rev-parse', `${c}^{tree}`]) : empty);
    const identicalToWet = newTree === (await treeOf(tips.wet));
    const existing = prMode ? (updateInPlace ? tips.target : undefined) : tips.target;
    const upToDate = existing !== undefined && newTree === (await treeOf(existing));
    const nothingToPush = upToDate || identicalToWet;
    const changed = prMode ? !identicalToWet : !nothingToPush;
    if (nothingToPush || req.dryRun) {
      return { changed, upToDate, identicalToWet, attempts: attempt, created: false, ...summary };
    }

    // Parents: the current tip of the target; a PR branch that does not contain the wet tip
    // also gets the wet tip as second parent (a merge whose tree is the fresh render).
    const parents: string[] = [];
    if (updateInPlace) {
      parents.push(tips.target!);
      if (tips.wet && !(await isAncestor(g, tips.wet, tips.target!))) parents.push(tips.wet);
    } else if (base) {
      parents.push(base);
    }
    const env = {
      GIT_AUTHOR_NAME: req.author.name,
      GIT_AUTHOR_EMAIL: req.author.email,
      GIT_COMMITTER_NAME: req.author.name,
      GIT_COMMITTER_EMAIL: req.author.email
    };
    const commit = await gt(['commit-tree', newTree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], {
      input: commitMessage(req.message, req.trailers),
      env
    });

    const lease = `--force-with-lease=refs/heads/${req.targetBranch}:${tips.target ?? ''}`;
    const push = await g(['push', '--porcelain', '--no-verify', lease, req.remoteUrl, `${commit}:refs/heads/${req.targetBranch}`], {
      allowFailure: true
    });
    if (push.exitCode === 0) {
      return {
        changed: true,
        upToDate: false,
        identicalToWet: false,
        commit,
        parent: parents[0],
        attempts: attempt,
        created: tips.target === undefined,
        ...summary
      };
    }
    const output = `${push.stdout}\n${push.stderr}`;
    if (!RACE.test(output)) {
      const declined = /\[remote rejected\][^\n]*\(([^)\n]*)\)/.exec(output);
      throw new HydrateError(
        declined
          ? `the remote refused the push to ${req.targetBranch} (${declined[1]}); check branch protection rules and the token's permissions`
          : `pushing ${req.targetBranch} failed: ${output.trim()}${authHint(output)}`
      );
    }
    if (attempt >= maxAttempts) {
      throw new HydrateError(
        `pushing ${req.targetBranch} was rejected ${attempt} times because other runs kept updating it; gave up after ${maxAttempts} attempts`
      );
    }
    // A restarted PR branch that someone else already restarted is now ours to update.
    restart = false;
    await sleep(backoffMs, attempt);
  }
}

/** A hint for failures that look like a missing or under-privileged token. */
function authHint(text: string): string {
  if (/could not read Username|Authentication failed|returned error: 40[13]|Permission to .* denied/i.test(text)) {
    return ' (the token was refused: it needs `contents: write` on the wet repository)';
  }
  return '';
}

/** Exponential backoff with full jitter, capped. */
function sleep(baseMs: number, attempt: number): Promise<void> {
  const cap = Math.min(baseMs * 2 ** Math.min(attempt - 1, 6), 30_000);
  return new Promise((r) => setTimeout(r, Math.floor(Math.random() * cap)));
}

type G = (args: string[], opts?: { input?: string; allowFailure?: boolean }) => Promise<{ exitCode: number; stdout: string; stderr: string }>;
type GT = (args: string[], opts?: { input?: string }) => Promise<string>;

async function emptyTree(gt: GT): Promise<string> {
  return gt(['hash-object', '-t', 'tree', '--stdin'], { input: '' });
}

async function isAncestor(g: G, ancestor: string, descendant: string): Promise<boolean> {
  const r = await g(['merge-base', '--is-ancestor', ancestor, descendant], { allowFailure: true });
  return r.exitCode === 0;
}

/** Fetches the wet and target branches (either may be missing) and returns their tips. */
async function fetchTips(g: G, gt: GT, req: PublishRequest, mayRetry: boolean): Promise<Tips | undefined> {
  const branches = [...new Set([req.wetBranch, req.targetBranch])];
  let listed: string;
  try {
    listed = (await g(['ls-remote', '--heads', req.remoteUrl, ...branches.map((b) => `refs/heads/${b}`)])).stdout;
  } catch (e) {
    if (e instanceof GitError) throw new HydrateError(`cannot read ${branches.join(', ')} from the remote: ${e.stderr.trim()}${authHint(e.stderr)}`);
    throw e;
  }
  const remote = new Map<string, string>();
  for (const line of listed.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (sha && ref) remote.set(ref.replace(/^refs\/heads\//, ''), sha);
  }
  const present = branches.filter((b) => remote.has(b));
  for (const b of branches) await g(['update-ref', '-d', `refs/remotes/origin/${b}`], { allowFailure: true });
  if (present.length) {
    const fetched = await g(['fetch', '--no-tags', '--quiet', req.remoteUrl, ...present.map((b) => `+refs/heads/${b}:refs/remotes/origin/${b}`)], {
      allowFailure: true
    });
    if (fetched.exitCode !== 0) {
      if (mayRetry && /couldn't find remote ref/i.test(fetched.stderr)) return undefined;
      throw new HydrateError(`cannot fetch ${present.join(', ')} from the remote: ${fetched.stderr.trim()}`);
    }
  }
  const tips: Tips = {};
  for (const b of present) {
    const sha = await gt(['rev-parse', '--verify', `refs/remotes/origin/${b}^{commit}`]);
    if (b === req.wetBranch) tips.wet = sha;
    if (b === req.targetBranch) tips.target = sha;
  }
  return tips;
}

/** Throws when the target branch holds commits, not on the wet branch, without our trailer. */
async function assertOnlyOurCommits(gt: GT, target: string, tips: Tips): Promise<void> {
  const range = tips.wet ? [tips.target!, `^${tips.wet}`] : [tips.target!];
  const log = await gt([
    'log',
    `--format=%H%x00%an <%ae>%x00%s%x00%(trailers:key=${HYDRATE_VERSION_TRAILER},valueonly,separator=%x2C)%x1e`,
    ...range,
    '--'
  ]);
  for (const rec of log.split('\x1e')) {
    const [sha, author, subject, version] = rec.replace(/^\n/, '').split('\0');
    if (!sha) continue;
    if (!version || !version.trim()) {
      throw new HydrateError(
        `branch ${target} has commits that hydrate did not make (${sha.slice(0, 12)} by ${author}: ${subject}); hydrate will not overwrite them. Merge or remove them, or delete the branch.`
      );
    }
  }
}

/** Rejects symlinks and special files; makes every file non-executable (mode 0644). */
async function normalizeTree(root: string, rel = ''): Promise<void> {
  const dir = rel ? join(root, rel) : root;
  for (const entry of await readdir(dir)) {
    const relPath = rel ? `${rel}/${entry}` : entry;
    const abs = join(root, relPath);
    const st = await lstat(abs);
    if (st.isSymbolicLink()) {
      throw new HydrateError({ severity: 'error', file: relPath, message: 'rendered output contains a symbolic link; hydrate writes regular files only' });
    }
    if (st.isDirectory()) {
      await normalizeTree(root, relPath);
    } else if (st.isFile()) {
      if ((st.mode & 0o777) !== 0o644) await chmod(abs, 0o644);
    } else {
      throw new HydrateError({ severity: 'error', file: relPath, message: 'rendered output contains a special file; hydrate writes regular files only' });
    }
  }
}

/** Records every index entry as a regular, non-executable file (100644). */
async function forceRegularModes(g: G, gt: GT): Promise<void> {
  const staged = await gt(['ls-files', '--stage', '-z']);
  const exec: string[] = [];
  for (const rec of staged.split('\0')) {
    const m = /^(\d{6}) [0-9a-f]+ \d\t(.*)$/s.exec(rec);
    if (!m) continue;
    if (m[1] === '120000' || m[1] === '160000') {
      throw new HydrateError({ severity: 'error', file: m[2], message: `rendered output contains a ${m[1] === '120000' ? 'symbolic link' : 'submodule'}; hydrate writes regular files only` });
    }
    if (m[1] !== '100644') exec.push(m[2]!);
  }
  if (exec.length) await g(['update-index', '--chmod=-x', '--', ...exec]);
}
