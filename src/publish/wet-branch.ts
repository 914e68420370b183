/**
 * Publishing the rendered ("wet") tree to a branch: fetch the wet branch and the target branch
 * into a private repository, render onto the right base, commit with trailers, and push with a
 * lease pinned to the exact tip that was read. A rejected push (another run got there first)
 * fetches the new tip and renders again onto it, with bounded retries and jittered backoff.
 */
import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GitClient } from '../adapters/git.js';
import { ConfigError, HydrateError } from '../diagnostics.js';
import type { Git, GitWorkTree } from '../ports.js';
import { changedUnits, partChanges, type ChangedUnit, type RenderSides } from '../wet/groups.js';
import { INDEX_PATH, parseIndex } from '../formats/wet-index.js';

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
  /** Git to use; a client for remoteUrl/token (HOME in workDir) when omitted. */
  git?: Git;
  /**
   * Pull-request mode: when the wet branch does not exist, create it first as one empty root commit
   * (with this message), so the first render is opened as a pull request against it. Found in the
   * same listing of the remote that reads the tips.
   */
  startWet?: { message: string };
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
  /** The empty root commit this run created the wet branch with (`startWet`). */
  startedWet?: string;
}

export const HYDRATE_VERSION_TRAILER = 'Hydrate-Version';

/** Push failures caused by another writer moving the branch: worth a fresh render and a retry. */
const RACE = /\[rejected\]|stale info|non-fast-forward|fetch first|cannot lock ref|failed to update ref|incorrect old value|reference already exists/i;

/**
 * A branch whose name is a folder of the pushed one, or the reverse (`hydrate/deployment` and
 * `hydrate/deployment/env-prod`): git cannot hold both. The message names the blocking branch.
 */
function refConflict(output: string, target: string): string | undefined {
  const m = /'refs\/heads\/([^']+)' exists; cannot create/.exec(output);
  if (!m) return undefined;
  return `cannot push ${target}: the branch ${m[1]} exists, and git cannot hold both (one name is a folder of the other). Delete ${m[1]} (a pull-request branch left from before or after \`group-by\` changed), or choose another \`pr-branch\``;
}

interface Tips {
  wet?: string;
  target?: string;
  /** The wet branch did not exist: this empty root commit was pushed to start it. */
  started?: string;
}

/** Builds the full commit message: the message, a blank line, then `Key: value` trailers. */
/** The message as committed: the text without trailing blanks, then one `Key: value` line per trailer. */
export function commitMessage(message: string, trailers: Record<string, string>): string {
  const body = message.replace(/\s+$/, '');
  const lines = Object.entries(trailers).map(([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}`);
  return lines.length ? `${body}\n\n${lines.join('\n')}\n` : `${body}\n`;
}

/** What opening the wet repository needs. */
type OpenRequest = Pick<PublishRequest, 'remoteUrl' | 'token' | 'wetBranch' | 'targetBranch' | 'workDir' | 'git'>;

/** Checks the remote and branch names, then creates the private repository. */
async function openRepository(req: OpenRequest): Promise<GitWorkTree> {
  if (req.remoteUrl.startsWith('-') || req.remoteUrl.trim() === '') {
    throw new ConfigError(`invalid remote ${JSON.stringify(req.remoteUrl)}`);
  }
  const git = req.git ?? (await defaultGit(req));
  for (const branch of new Set([req.wetBranch, req.targetBranch])) {
    if (!(await git.isValidBranchName(branch))) throw new ConfigError(`invalid branch name ${JSON.stringify(branch)}`);
  }
  return git.initWorkTree(req.workDir);
}

export interface CheckoutRequest {
  remoteUrl: string;
  token?: string;
  /** The deployed branch (absent on the remote: an empty checkout). */
  wetBranch: string;
  /** An empty directory owned by the tool (never the user's checkout). */
  workDir: string;
  /** Default 5. */
  maxAttempts?: number;
  /** Base of the retry backoff, in ms (default 500). */
  backoffMs?: number;
  git?: Git;
}

export interface WetCheckout {
  /** The files of the wet branch's tip (an empty directory when the branch does not exist). */
  dir: string;
  /** The tip that was read. */
  tip?: string;
}

/** A read-only checkout of the wet branch's tip (for jobs that render but never publish). */
export async function checkoutWetBranch(req: CheckoutRequest): Promise<WetCheckout> {
  const open = { ...req, targetBranch: req.wetBranch };
  const repo = await openRepository(open);
  const maxAttempts = Math.max(1, req.maxAttempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    const tips = await fetchTips(repo, open, attempt < maxAttempts);
    if (!tips) {
      await sleep(req.backoffMs ?? 500, attempt);
      continue;
    }
    await rm(repo.tree, { recursive: true, force: true });
    await mkdir(repo.tree, { recursive: true });
    await repo.readTree(tips.wet);
    return { dir: repo.tree, ...(tips.wet ? { tip: tips.wet } : {}) };
  }
}

export async function publishWetBranch(req: PublishRequest): Promise<PublishResult> {
  const repo = await openRepository(req);
  const maxAttempts = Math.max(1, req.maxAttempts ?? 5);
  const backoffMs = req.backoffMs ?? 500;
  const prMode = req.targetBranch !== req.wetBranch;
  const tree = repo.tree;

  let restart = req.restartTarget === true;
  let startedWet: string | undefined;
  for (let attempt = 1; ; attempt++) {
    const tips = await fetchTips(repo, req, attempt < maxAttempts, req.startWet && prMode ? { ...req.startWet, author: req.author } : undefined);
    if (!tips) {
      // A branch vanished between listing and fetching: read the remote again.
      await sleep(backoffMs, attempt);
      continue;
    }

    // Refuse to build on a pull-request branch that holds somebody else's work.
    const updateInPlace = prMode && tips.target !== undefined && !restart;
    if (updateInPlace) await assertOnlyOurCommits(repo, req.targetBranch, tips);

    // Where the render starts. Push mode: the wet tip. Pull-request mode: the wet tip too, so the
    // render (and its `previous` state) is relative to what is deployed; the pull-request branch
    // only ever holds hydrate's own commits (checked above), so nothing of it is lost.
    const base = prMode ? (tips.wet ?? (updateInPlace ? tips.target : undefined)) : tips.target;
    startedWet ??= tips.started;
    const summary = { baseTip: tips.wet, targetTip: tips.target, ...(startedWet ? { startedWet } : {}) };

    await rm(tree, { recursive: true, force: true });
    await mkdir(tree, { recursive: true });
    await repo.readTree(base);

    if (!(await req.render(tree))) {
      return { changed: false, upToDate: false, identicalToWet: false, attempts: attempt, created: false, aborted: true, ...summary };
    }
    await normalizeTree(tree);
    await forceRegularModes(repo);
    const newTree = await repo.writeTree();

    const empty = await repo.treeOf(undefined);
    const treeOf = async (c: string | undefined): Promise<string> => (c ? repo.treeOf(c) : empty);
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
      if (tips.wet && !(await repo.isAncestor(tips.wet, tips.target!))) parents.push(tips.wet);
    } else if (base) {
      parents.push(base);
    }
    const commit = await repo.commitTree(newTree, parents, commitMessage(req.message, req.trailers), req.author);
    const push = await repo.pushWithLease(req.remoteUrl, commit, req.targetBranch, tips.target);
    if (push.ok) {
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
    const output = push.output;
    const conflict = refConflict(output, req.targetBranch);
    if (conflict) throw new HydrateError(conflict);
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

/** A client for the request's remote and token, with HOME inside the work directory. */
async function defaultGit(req: OpenRequest): Promise<Git> {
  const home = join(req.workDir, 'home');
  await mkdir(home, { recursive: true });
  return new GitClient({ token: req.token, remoteUrl: req.remoteUrl, home });
}

/** Fetches the wet and target branches (either may be missing) and returns their tips. */
async function fetchTips(repo: GitWorkTree, req: OpenRequest, mayRetry: boolean, start?: { message: string; author: PublishRequest['author'] }): Promise<Tips | undefined> {
  const branches = [...new Set([req.wetBranch, req.targetBranch])];
  const listed = await repo.listHeads(req.remoteUrl, branches);
  if (!listed.ok) throw new HydrateError(`cannot read ${branches.join(', ')} from the remote: ${listed.stderr.trim()}${authHint(listed.stderr)}`);
  let started: string | undefined;
  if (start && !listed.heads.has(req.wetBranch)) {
    started = await pushEmptyRoot(repo, { ...req, ...start });
    // Another run created it first: read the remote again.
    if (started === undefined) return mayRetry ? undefined : fetchTips(repo, req, false);
    listed.heads.set(req.wetBranch, started);
  }
  const present = branches.filter((b) => listed.heads.has(b));
  await repo.forgetTips(branches);
  if (present.length) {
    const fetched = await repo.fetchTips(req.remoteUrl, present);
    if (!fetched.ok) {
      if (mayRetry && /couldn't find remote ref/i.test(fetched.stderr)) return undefined;
      throw new HydrateError(`cannot fetch ${present.join(', ')} from the remote: ${fetched.stderr.trim()}`);
    }
  }
  const tips: Tips = started ? { started } : {};
  for (const b of present) {
    const sha = await repo.tipOf(b);
    if (b === req.wetBranch) tips.wet = sha;
    if (b === req.targetBranch) tips.target = sha;
  }
  return tips;
}

/** Throws when the target branch holds commits, not on the wet branch, without our trailer. */
async function assertOnlyOurCommits(repo: GitWorkTree, target: string, tips: Tips): Promise<void> {
  for (const c of await repo.log(tips.target!, tips.wet, HYDRATE_VERSION_TRAILER)) {
    if (!c.trailer.trim()) {
      throw new HydrateError(
        `branch ${target} has commits that hydrate did not make (${c.sha.slice(0, 12)} by ${c.author}: ${c.subject}); hydrate will not overwrite them. Merge or remove them, or delete the branch.`
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

/** Stages the tree, recording every entry as a regular, non-executable file (100644). */
async function forceRegularModes(repo: GitWorkTree): Promise<void> {
  const exec: string[] = [];
  for (const { mode, path } of await repo.stageAll()) {
    if (mode === '120000' || mode === '160000') {
      throw new HydrateError({ severity: 'error', file: path, message: `rendered output contains a ${mode === '120000' ? 'symbolic link' : 'submodule'}; hydrate writes regular files only` });
    }
    if (mode !== '100644') exec.push(path);
  }
  await repo.clearExecutable(exec);
}

export interface GroupPublishRequest extends Omit<PublishRequest, 'targetBranch' | 'restartTarget' | 'dryRun'> {
  /** The branch of the group a changed unit belongs to (from its coordinates). */
  branchOf: (unit: ChangedUnit) => string;
  /** Group branches whose pull request is open: updated in place; any other starts afresh from the wet branch. */
  inPlace: ReadonlySet<string>;
}

export interface GroupPublished {
  branch: string;
  /** The changed units of the group, sorted. */
  units: string[];
  /** The group branch already held exactly this tree: nothing was pushed. */
  upToDate: boolean;
  /** The commit pushed (absent when nothing was pushed). */
  commit?: string;
  /** True when the push created the branch. */
  created: boolean;
}

export interface GroupPublishResult {
  /** One per group with changes, by branch name. */
  groups: GroupPublished[];
  /** The wet branch tip the render and every group branch are based on. */
  baseTip?: string;
  /** True when render returned false (nothing was pushed). */
  aborted?: boolean;
  /** The empty root commit this run created the wet branch with (`startWet`). */
  startedWet?: string;
}

/**
 * Pull-request mode with a branch per group: render once onto the wet tip, then give each group
 * of changed units its own branch holding the wet tree plus only that group's units (files and
 * index entries), so that merging one group's branch never carries another's changes. A branch
 * with an open pull request is updated in place (a merge commit brings in a new wet tip); any
 * other starts afresh from the wet tip. A push that loses a race is retried onto the new tip of
 * that branch.
 */
export async function publishGroups(req: GroupPublishRequest): Promise<GroupPublishResult> {
  const repo = await openRepository({ ...req, targetBranch: req.wetBranch });
  const maxAttempts = Math.max(1, req.maxAttempts ?? 5);
  const backoffMs = req.backoffMs ?? 500;
  let tips: Tips | undefined;
  for (let attempt = 1; !tips; attempt++) {
    tips = await fetchTips(repo, { ...req, targetBranch: req.wetBranch }, attempt < maxAttempts, req.startWet ? { ...req.startWet, author: req.author } : undefined);
    if (!tips) await sleep(backoffMs, attempt);
  }
  const wet = tips.wet;
  await rm(repo.tree, { recursive: true, force: true });
  await mkdir(repo.tree, { recursive: true });
  await repo.readTree(wet);
  const started = tips.started ? { startedWet: tips.started } : {};
  if (!(await req.render(repo.tree))) return { groups: [], ...(wet ? { baseTip: wet } : {}), ...started, aborted: true };
  await normalizeTree(repo.tree);
  await forceRegularModes(repo);
  const wetTree = await repo.treeOf(wet);
  const sides = await renderSides(repo, wetTree, await repo.writeTree());

  const byBranch = new Map<string, string[]>();
  for (const u of changedUnits(sides)) {
    const branch = req.branchOf(u);
    byBranch.set(branch, [...(byBranch.get(branch) ?? []), u.id]);
  }
  for (const branch of byBranch.keys()) {
    if (branch === req.wetBranch) throw new ConfigError(`the group branch ${JSON.stringify(branch)} is the wet branch`);
  }
  const groups: GroupPublished[] = [];
  for (const [branch, units] of [...byBranch].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const part = partChanges(sides, units);
    const files = new Map(part.files);
    files.set(INDEX_PATH, await repo.hashBlob(part.indexText));
    const tree = await repo.composeTree(wetTree, files);
    groups.push(await pushGroup(repo, req, { branch, units, tree, wet, maxAttempts, backoffMs }));
  }
  return { groups, ...(wet ? { baseTip: wet } : {}), ...started };
}

/** Both trees with their indexes. */
async function renderSides(repo: GitWorkTree, oldTree: string, newTree: string): Promise<RenderSides> {
  const side = async (tree: string): Promise<RenderSides['old']> => {
    const files = await repo.listTree(tree);
    const blob = files.get(INDEX_PATH);
    return { files, index: blob ? parseIndex(await repo.readBlob(blob), INDEX_PATH) : undefined };
  };
  return { old: await side(oldTree), next: await side(newTree) };
}

async function pushGroup(
  repo: GitWorkTree,
  req: GroupPublishRequest,
  g: { branch: string; units: string[]; tree: string; wet: string | undefined; maxAttempts: number; backoffMs: number }
): Promise<GroupPublished> {
  const open = { ...req, targetBranch: g.branch };
  for (let attempt = 1; ; attempt++) {
    const tips = await fetchTips(repo, open, attempt < g.maxAttempts);
    if (!tips) {
      await sleep(g.backoffMs, attempt);
      continue;
    }
    // The render is of the wet tip read first, whatever the wet branch did since.
    const { target } = tips;
    const inPlace = target !== undefined && req.inPlace.has(g.branch);
    if (inPlace) await assertOnlyOurCommits(repo, g.branch, { wet: g.wet, target });
    // Already there: updated in place earlier, or pushed afresh by a run that then failed to open its pull request.
    const holds = target !== undefined && (await repo.treeOf(target)) === g.tree && (inPlace || g.wet === undefined || (await repo.isAncestor(g.wet, target)));
    if (holds) return { branch: g.branch, units: g.units, upToDate: true, created: false };
    const parents: string[] = [];
    if (inPlace) {
      parents.push(target);
      if (g.wet && !(await repo.isAncestor(g.wet, target))) parents.push(g.wet);
    } else if (g.wet) {
      parents.push(g.wet);
    }
    const commit = await repo.commitTree(g.tree, parents, commitMessage(req.message, req.trailers), req.author);
    const push = await repo.pushWithLease(req.remoteUrl, commit, g.branch, target);
    if (push.ok) return { branch: g.branch, units: g.units, upToDate: false, commit, created: target === undefined };
    const conflict = refConflict(push.output, g.branch);
    if (conflict) throw new HydrateError(conflict);
    if (!RACE.test(push.output)) {
      const declined = /\[remote rejected\][^\n]*\(([^)\n]*)\)/.exec(push.output);
      throw new HydrateError(
        declined
          ? `the remote refused the push to ${g.branch} (${declined[1]}); check branch protection rules and the token's permissions`
          : `pushing ${g.branch} failed: ${push.output.trim()}${authHint(push.output)}`
      );
    }
    if (attempt >= g.maxAttempts) {
      throw new HydrateError(`pushing ${g.branch} was rejected ${attempt} times because other runs kept updating it; gave up after ${g.maxAttempts} attempts`);
    }
    await sleep(g.backoffMs, attempt);
  }
}

/** Pushes one empty root commit to the wet branch, expected absent; undefined when another run created it first. */
async function pushEmptyRoot(repo: GitWorkTree, req: Pick<PublishRequest, 'remoteUrl' | 'wetBranch' | 'author'> & { message: string }): Promise<string | undefined> {
  const commit = await repo.commitTree(await repo.treeOf(undefined), [], commitMessage(req.message, {}), req.author);
  const push = await repo.pushWithLease(req.remoteUrl, commit, req.wetBranch, undefined);
  if (push.ok) return commit;
  if (RACE.test(push.output)) return undefined;
  throw new HydrateError(`creating ${req.wetBranch} failed: ${push.output.trim()}${authHint(push.output)}`);
}
