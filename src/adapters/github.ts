/**
 * GitHub API adapter: pull requests, labels, the sticky comment, branch deletion and auto-merge.
 * One Octokit per run, with the retry plugin (5xx) and the throttling plugin (rate limits,
 * secondary rate limits with `retry-after`). 4xx answers that cannot succeed are never retried;
 * permission problems become HydrateErrors that name the fix. The token never reaches a message.
 */
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { HydrateError } from '../diagnostics.js';
import { COMMENT_MAX_BYTES, COMMENT_MAX_CHARS, markerComment, silentLogger, type Logger } from '../ports.js';

/** A pull request, with GitHub's own field names. */
export interface Pull {
  number: number;
  node_id: string;
  html_url: string;
  state: 'open' | 'closed';
  /** Set when the pull request was merged. */
  merged_at: string | null;
  closed_at: string | null;
  title: string;
  body: string;
  head: { ref: string };
  base: { ref: string };
  draft: boolean;
  /** Label names. */
  labels: string[];
  user: { login: string } | null;
  /** Set when auto-merge is enabled. */
  auto_merge: { merge_method: string } | null;
}

export type MergeMethod = 'MERGE' | 'SQUASH' | 'REBASE';

/** What asking for auto-merge did. */
export type AutoMergeResult =
  | { kind: 'enabled' }
  /** GitHub refused auto-merge because the pull request could be merged at once: it was merged. */
  | { kind: 'merged'; sha: string }
  /** Auto-merge could not be enabled (never thrown). */
  | { kind: 'warning'; message: string };

interface GitHubOptions {
  token: string;
  /** REST base URL, e.g. https://api.github.com (GraphQL is `${apiUrl}/graphql`). */
  apiUrl: string;
  owner: string;
  repo: string;
  logger?: Logger;
  /** Retries for 5xx and rate limits; `minDelayMs` scales the back-off and `retry-after` seconds. */
  retry?: { retries: number; minDelayMs: number };
  /**
   * Adopt sticky comments only from these logins. Default: the token's own identity (see
   * `identity`); comments by anyone else are never edited, whatever marker they hold.
   */
  commentAuthors?: string[];
  /** Longest `retry-after` (seconds) worth waiting for; longer waits fail at once. Default 300. */
  maxRetryAfterSeconds?: number;
  /**
   * Instances with the same id share the pacing of write requests (GitHub asks for about one
   * content-creating request per second per token). Default 'hydrate'.
   */
  pacingId?: string;
}

export interface CreateOrUpdatePullInput {
  head: string;
  base: string;
  title: string;
  body: string;
  draft?: boolean;
}

interface StickyCommentResult {
  id: number;
  action: 'created' | 'updated' | 'unchanged';
}

/** The pull requests from `head` into `base`, from one listing (open or not, newest first). */
export interface PullLookup {
  /** The open one, if any. */
  open?: Pull;
  /** The newest, open or not. */
  latest?: Pull;
}

export interface GitHub {
  findOpenPull(head: string, base: string): Promise<Pull | undefined>;
  findLatestPull(head: string, base: string): Promise<Pull | undefined>;
  /** The open and the newest pull request from `head` into `base`, with one request. */
  lookUpPulls(head: string, base: string): Promise<PullLookup>;
  /**
   * Updates the open pull request, else opens one. `known` is the result of a look-up made
   * earlier in the run (null: none was open), which saves listing again.
   */
  createOrUpdatePull(input: CreateOrUpdatePullInput, known?: Pull | null): Promise<{ pull: Pull; created: boolean }>;
  closePull(number: number): Promise<void>;
  deleteBranch(branch: string): Promise<void>;
  /** Adds the labels the pull request lacks; `have` (its labels, when known) saves reading it again. */
  addLabels(number: number, labels: readonly string[], have?: readonly string[]): Promise<string[]>;
  upsertStickyComment(issueNumber: number, marker: string, body: string): Promise<StickyCommentResult>;
  /**
   * The login the token writes comments as (read once per instance): `GET /user` for a user
   * token; an installation token (GITHUB_TOKEN, a GitHub App) cannot read `/user` (403), so its
   * bot login from GraphQL `viewer` (`<app-slug>[bot]`), or `github-actions[bot]` when that fails.
   */
  identity(): Promise<string>;
  /** Resolves to a warning when auto-merge could not be enabled (never throws), else undefined. */
  enableAutoMerge(pullNodeId: string, method: MergeMethod): Promise<string | undefined>;
  /**
   * Auto-merge that merges: enables auto-merge; when GitHub refuses because the pull request is
   * already mergeable ("Pull request is in clean status"), merges it now with `method`. A merge
   * the token or the repository does not allow throws a HydrateError naming the permission or
   * the setting.
   */
  autoMerge(pull: Pick<Pull, 'number' | 'node_id' | 'head'>, method: MergeMethod): Promise<AutoMergeResult>;
  /** Merges the pull request now (PUT /pulls/{n}/merge); resolves to the merge commit. */
  mergePull(number: number, method: MergeMethod, headSha?: string): Promise<string>;
  /** Every open pull request into `base` from a branch of this repository (one paginated listing), newest first. */
  listOpenPulls(base: string): Promise<Pull[]>;
  /**
   * Asks `reviewers` (logins, or `org/team` for a team) to review; bot accounts (`*[bot]`) are
   * left out. Resolves to a warning when GitHub refused (never throws), else undefined.
   */
  requestReviewers(number: number, reviewers: readonly string[]): Promise<string | undefined>;
}

/** GitHub's answer to enabling auto-merge on a pull request that can be merged at once. */
export const CLEAN_STATUS = /is in clean status/i;

/** Logins and `org/team` slugs to request, bots left out: `{ users, teams }`. */
export function reviewerRequest(reviewers: readonly string[], author?: string): { users: string[]; teams: string[] } {
  const users = new Set<string>();
  const teams = new Set<string>();
  for (const raw of reviewers) {
    const r = raw.trim().replace(/^@/, '');
    if (r === '' || /\[bot\]$/i.test(r)) continue;
    const slash = r.indexOf('/');
    if (slash >= 0) teams.add(r.slice(slash + 1));
    else if (r.toLowerCase() !== author?.toLowerCase()) users.add(r);
  }
  return { users: [...users].sort(), teams: [...teams].sort() };
}

const TRUNCATION_NOTE = '\n\n… (truncated to fit GitHub\'s size limit; the job summary has the full report)';

/**
 * A body that GitHub will accept: unchanged when it fits, else cut at a line boundary when possible
 * and followed by a note. The caller should budget its own body; this is the last line of defence.
 */
export function fitBody(body: string): string {
  const fits = (s: string): boolean => s.length <= COMMENT_MAX_CHARS && Buffer.byteLength(s, 'utf8') <= COMMENT_MAX_BYTES;
  if (fits(body)) return body;
  let keep = Math.min(body.length, COMMENT_MAX_CHARS - TRUNCATION_NOTE.length);
  while (keep > 0 && !fits(body.slice(0, keep) + TRUNCATION_NOTE)) keep = Math.floor(keep * 0.9);
  let head = body.slice(0, keep);
  // Do not split a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  const nl = head.lastIndexOf('\n');
  if (nl > keep * 0.8) head = head.slice(0, nl);
  return head + TRUNCATION_NOTE;
}

type Permission = 'pull-requests: write' | 'contents: write' | 'issues: write' | 'pull-requests: read' | 'issues: read';

interface HttpErrorLike {
  status: number;
  message: string;
  response?: { data?: unknown };
}

function isHttpError(e: unknown): e is HttpErrorLike {
  return typeof e === 'object' && e !== null && typeof (e as { status?: unknown }).status === 'number';
}

function responseMessage(e: HttpErrorLike): string {
  const data = e.response?.data;
  if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') {
    return (data as { message: string }).message;
  }
  return e.message;
}

/** Every message from a validation error (top level and `errors[].message`). */
function validationMessages(e: HttpErrorLike): string[] {
  const out = [responseMessage(e)];
  const data = e.response?.data as { errors?: unknown } | undefined;
  if (data && Array.isArray(data.errors)) {
    for (const item of data.errors) {
      if (typeof item === 'string') out.push(item);
      else if (item && typeof item === 'object' && typeof (item as { message?: unknown }).message === 'string') {
        out.push((item as { message: string }).message);
      }
    }
  }
  return out;
}

export const ACTIONS_PR_NOT_PERMITTED =
  'GitHub Actions is not permitted to create or approve pull requests. Enable "Allow GitHub Actions to create and approve pull requests" in the repository (or organization) Settings → Actions → General → Workflow permissions. This is a repository/organization setting: a `permissions:` block in the workflow cannot override it.';

export function missingPermissionMessage(action: string, permission: Permission): string {
  return `GitHub refused to ${action}: "Resource not accessible by integration". The token lacks \`${permission}\`. Add it to the workflow or job:\n\npermissions:\n  ${permission}\n\n(Pull requests from forks get a read-only token whatever \`permissions:\` says.)`;
}

export const BAD_TOKEN_MESSAGE =
  'GitHub rejected the token (401 Bad credentials). Check the `token` input: it must be a valid GITHUB_TOKEN, app token or personal access token that has not expired.';

export function createGitHub(options: GitHubOptions): GitHub {
  const { token, owner, repo } = options;
  const logger = options.logger ?? silentLogger;
  const retries = options.retry?.retries ?? 3;
  const minDelayMs = options.retry?.minDelayMs ?? 1000;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 300;
  const apiUrl = options.apiUrl.replace(/\/+$/, '');

  const redact = (s: string): string => (token ? s.split(token).join('***') : s);

  const limitHandler =
    (kind: string) =>
    (retryAfter: number, opts: { method?: string; url?: string }, _octokit: unknown, retryCount: number): boolean => {
      const what = `${opts.method ?? ''} ${opts.url ?? ''}`.trim();
      if (retryCount < retries && retryAfter <= maxRetryAfter) {
        logger.warning(redact(`GitHub ${kind} hit for ${what}; retrying after ${retryAfter}s (attempt ${retryCount + 2}).`));
        return true;
      }
      logger.warning(redact(`GitHub ${kind} hit for ${what}; giving up.`));
      return false;
    };

  const octokit = getOctokit(
    token,
    {
      baseUrl: apiUrl,
      log: {
        debug: (m: string) => logger.debug(redact(m)),
        info: (m: string) => logger.debug(redact(m)),
        warn: (m: string) => logger.warning(redact(m)),
        error: (m: string) => logger.warning(redact(m))
      },
      retry: { retries, retryAfterBaseValue: minDelayMs, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
      throttle: {
        id: options.pacingId ?? 'hydrate',
        retryAfterBaseValue: minDelayMs,
        fallbackSecondaryRateRetryAfter: 60,
        onRateLimit: limitHandler('rate limit'),
        onSecondaryRateLimit: limitHandler('secondary rate limit')
      }
    },
    retry,
    throttling
  );

  /** Turn an API failure into a HydrateError with the fix, or return undefined when not recognised. */
  const mapError = (e: unknown, action: string, permission: Permission): Error => {
    if (e instanceof HydrateError) return e;
    if (!isHttpError(e)) return e instanceof Error ? new Error(redact(e.message)) : new Error(redact(String(e)));
    const message = redact(responseMessage(e));
    if (e.status === 401) return new HydrateError(BAD_TOKEN_MESSAGE);
    if (e.status === 403 && /not permitted to create or approve pull requests/i.test(message)) {
      return new HydrateError(ACTIONS_PR_NOT_PERMITTED);
    }
    if (e.status === 403 && /Resource not accessible by integration/i.test(message)) {
      return new HydrateError(missingPermissionMessage(action, permission));
    }
    return new HydrateError(`GitHub API error while trying to ${action}: ${e.status} ${message}`);
  };

  const guard = async <T>(action: string, permission: Permission, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw mapError(e, action, permission);
    }
  };

  const toPull = (p: {
    number: number;
    node_id: string;
    html_url: string;
    state: string;
    merged_at: string | null;
    closed_at: string | null;
    title: string;
    body: string | null;
    head: { ref: string };
    base: { ref: string };
    draft?: boolean;
    labels: { name?: string }[];
    user: { login: string } | null;
    auto_merge?: { merge_method: string } | null;
  }): Pull => ({
    number: p.number,
    node_id: p.node_id,
    html_url: p.html_url,
    state: p.state === 'closed' ? 'closed' : 'open',
    merged_at: p.merged_at,
    closed_at: p.closed_at,
    title: p.title,
    body: p.body ?? '',
    head: { ref: p.head.ref },
    base: { ref: p.base.ref },
    draft: p.draft ?? false,
    labels: p.labels.map((l) => l.name ?? '').filter((n) => n !== ''),
    user: p.user ? { login: p.user.login } : null,
    auto_merge: p.auto_merge ? { merge_method: p.auto_merge.merge_method } : null
  });

  const listPulls = async (head: string, base: string, state: 'open' | 'all'): Promise<Pull | undefined> =>
    (await listMatching(head, base, state))[0];

  const listMatching = async (head: string, base: string, state: 'open' | 'all'): Promise<Pull[]> => {
    const { data } = await octokit.rest.pulls.list({
      owner,
      repo,
      state,
      head: `${owner}:${head}`,
      base,
      sort: 'created',
      direction: 'desc',
      per_page: 10
    });
    return data.filter((p) => p.head.ref === head && p.base.ref === base).map(toPull);
  };

  const findOpenPull = (head: string, base: string): Promise<Pull | undefined> =>
    guard('list pull requests', 'pull-requests: read', () => listPulls(head, base, 'open'));

  const findLatestPull = (head: string, base: string): Promise<Pull | undefined> =>
    guard('list pull requests', 'pull-requests: read', () => listPulls(head, base, 'all'));

  const lookUpPulls = (head: string, base: string): Promise<PullLookup> =>
    guard('list pull requests', 'pull-requests: read', async () => {
      const pulls = await listMatching(head, base, 'all');
      const open = pulls.find((p) => p.state === 'open');
      return { ...(open ? { open } : {}), ...(pulls[0] ? { latest: pulls[0] } : {}) };
    });

  const updateIfChanged = async (pull: Pull, title: string, body: string): Promise<Pull> => {
    if (pull.title === title && pull.body === body) return pull;
    const { data } = await octokit.rest.pulls.update({ owner, repo, pull_number: pull.number, title, body });
    return toPull(data);
  };

  const createOrUpdatePull = (given: CreateOrUpdatePullInput, known?: Pull | null): Promise<{ pull: Pull; created: boolean }> =>
    guard('create or update the pull request', 'pull-requests: write', async () => {
      const input = { ...given, body: fitBody(given.body) };
      const existing = known === undefined ? await listPulls(input.head, input.base, 'open') : (known ?? undefined);
      if (existing) return { pull: await updateIfChanged(existing, input.title, input.body), created: false };
      try {
        const { data } = await octokit.rest.pulls.create({
          owner,
          repo,
          head: input.head,
          base: input.base,
          title: input.title,
          body: input.body,
          draft: input.draft ?? false
        });
        logger.info(`Opened pull request #${data.number}: ${data.html_url}`);
        return { pull: toPull(data), created: true };
      } catch (e) {
        // Another run opened it between our look-up and our create.
        if (isHttpError(e) && e.status === 422 && validationMessages(e).some((m) => /pull request already exists/i.test(m))) {
          const found = await listPulls(input.head, input.base, 'open');
          if (found) return { pull: await updateIfChanged(found, input.title, input.body), created: false };
        }
        throw e;
      }
    });

  const closePull = (number: number): Promise<void> =>
    guard(`close pull request #${number}`, 'pull-requests: write', async () => {
      await octokit.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed' });
    });

  const deleteBranch = (branch: string): Promise<void> =>
    guard(`delete branch ${branch}`, 'contents: write', async () => {
      try {
        await octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
      } catch (e) {
        if (isHttpError(e) && (e.status === 404 || e.status === 422)) {
          logger.debug(`Branch ${branch} was already gone.`);
          return;
        }
        throw e;
      }
    });

  const addLabels = (number: number, labels: readonly string[], known?: readonly string[]): Promise<string[]> =>
    guard(`add labels to #${number}`, 'issues: write', async () => {
      const wanted = [...new Set(labels.filter((l) => l.trim() !== ''))];
      if (wanted.length === 0) return [];
      const have = new Set(known ?? (await octokit.rest.pulls.get({ owner, repo, pull_number: number })).data.labels.map((l) => l.name));
      const missing = wanted.filter((l) => !have.has(l));
      if (missing.length === 0) return [];
      await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: missing });
      return missing;
    });

  /** The Actions GITHUB_TOKEN's identity: the fallback when an installation token cannot name itself. */
  const ACTIONS_BOT = 'github-actions[bot]';
  let identityOnce: Promise<string> | undefined;
  const identity = (): Promise<string> =>
    (identityOnce ??= guard('read the token\'s own identity', 'pull-requests: read', async () => {
      try {
        const { data } = await octokit.rest.users.getAuthenticated();
        return data.login;
      } catch (e) {
        // 403 "Resource not accessible by integration" (installation tokens); 404 on some GHES setups.
        if (!isHttpError(e) || (e.status !== 403 && e.status !== 404)) throw e;
      }
      try {
        const r = await octokit.graphql<{ viewer?: { login?: unknown } }>('query { viewer { login } }');
        const login = r.viewer?.login;
        // REST names a bot `<slug>[bot]`; GraphQL sometimes leaves the suffix off.
        if (typeof login === 'string' && login !== '') return login.endsWith('[bot]') ? login : `${login}[bot]`;
      } catch (e) {
        logger.debug(redact(`GraphQL viewer failed (${e instanceof Error ? e.message : String(e)}): taking ${ACTIONS_BOT}`));
      }
      return ACTIONS_BOT;
    }));
  let foreignWarned = false;

  const upsertStickyComment = (issueNumber: number, marker: string, body: string): Promise<StickyCommentResult> =>
    guard(`write the comment on #${issueNumber}`, 'pull-requests: write', async () => {
      const tag = markerComment(marker);
      const full = fitBody(body.includes(tag) ? body : `${tag}\n${body}`);
      const comments = await octokit.paginate(octokit.rest.issues.listComments, {
        owner,
        repo,
        issue_number: issueNumber,
        per_page: 100
      });
      const authors = options.commentAuthors ?? [await identity()];
      const marked = comments.filter((c) => (c.body ?? '').includes(tag));
      const mine = marked.find((c) => c.user !== null && authors.includes(c.user.login));
      const foreign = [...new Set(marked.filter((c) => c.user === null || !authors.includes(c.user.login)).map((c) => c.user?.login ?? '(deleted user)'))];
      if (foreign.length > 0 && !foreignWarned) {
        foreignWarned = true;
        logger.warning(
          `#${issueNumber} has ${foreign.length === 1 ? 'a comment' : 'comments'} holding Hydrate's marker written by ${foreign.map((l) => JSON.stringify(l)).join(', ')}, not by this token (${authors.join(', ')}): left alone; Hydrate writes its own`
        );
      }
      if (!mine) {
        const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: full });
        return { id: data.id, action: 'created' };
      }
      if (mine.body === full) return { id: mine.id, action: 'unchanged' };
      const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: full });
      return { id: data.id, action: 'updated' };
    });

  const enableAutoMerge = async (pullNodeId: string, method: MergeMethod): Promise<string | undefined> => {
    try {
      await octokit.graphql(
        `mutation($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
          enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: $mergeMethod }) {
            pullRequest { number }
          }
        }`,
        { pullRequestId: pullNodeId, mergeMethod: method }
      );
      return undefined;
    } catch (e) {
      let detail: string;
      const errors = (e as { errors?: unknown }).errors;
      if (Array.isArray(errors) && errors.length > 0) {
        detail = errors.map((x) => String((x as { message?: unknown }).message ?? x)).join('; ');
      } else if (isHttpError(e)) {
        detail = mapError(e, 'enable auto-merge', 'pull-requests: write').message;
      } else {
        detail = e instanceof Error ? e.message : String(e);
      }
      const warning = redact(`Could not enable auto-merge: ${detail}`);
      logger.debug(warning);
      return warning;
    }
  };

  const REST_METHOD = { MERGE: 'merge', SQUASH: 'squash', REBASE: 'rebase' } as const;
  const SETTING = { MERGE: 'Allow merge commits', SQUASH: 'Allow squash merging', REBASE: 'Allow rebase merging' } as const;

  const mergePull = async (number: number, method: MergeMethod, headSha?: string): Promise<string> => {
    try {
      const { data } = await octokit.rest.pulls.merge({ owner, repo, pull_number: number, merge_method: REST_METHOD[method], ...(headSha ? { sha: headSha } : {}) });
      logger.info(`Merged pull request #${number} (${REST_METHOD[method]})`);
      return data.sha;
    } catch (e) {
      if (isHttpError(e) && e.status === 405) {
        const message = redact(responseMessage(e));
        const setting = /not allowed/i.test(message)
          ? ` The repository does not allow this merge method: turn on "${SETTING[method]}" in Settings → General → Pull Requests, or set the \`merge-method\` input to one it allows.`
          : ' Branch protection or a required check blocks the merge; it will merge once they pass if auto-merge is allowed ("Allow auto-merge" in Settings → General).';
        throw new HydrateError(`GitHub refused to merge #${number}: ${message}.${setting}`);
      }
      if (isHttpError(e) && e.status === 403 && !/not accessible by integration/i.test(responseMessage(e))) {
        throw new HydrateError(`GitHub refused to merge #${number}: ${redact(responseMessage(e))}. The token needs \`contents: write\` (and \`pull-requests: write\`) on the wet repository, and branch protection must let it merge.`);
      }
      throw mapError(e, `merge pull request #${number}`, 'contents: write');
    }
  };

  const autoMerge = async (pull: Pick<Pull, 'number' | 'node_id' | 'head'>, method: MergeMethod): Promise<AutoMergeResult> => {
    const warning = await enableAutoMerge(pull.node_id, method);
    if (warning === undefined) return { kind: 'enabled' };
    if (!CLEAN_STATUS.test(warning)) return { kind: 'warning', message: warning };
    logger.info(`#${pull.number} can be merged at once: merging it`);
    return { kind: 'merged', sha: await mergePull(pull.number, method) };
  };

  const listOpenPulls = (base: string): Promise<Pull[]> =>
    guard('list pull requests', 'pull-requests: read', async () => {
      const data = await octokit.paginate(octokit.rest.pulls.list, { owner, repo, state: 'open', base, sort: 'created', direction: 'desc', per_page: 100 });
      // Pull requests from forks may use the same branch names: only this repository's branches count.
      return data.filter((p) => p.base.ref === base && p.head.label === `${owner}:${p.head.ref}`).map(toPull);
    });

  const requestReviewers = async (number: number, reviewers: readonly string[]): Promise<string | undefined> => {
    const { users, teams } = reviewerRequest(reviewers);
    if (users.length === 0 && teams.length === 0) return undefined;
    try {
      await octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: number, reviewers: users, team_reviewers: teams });
      return undefined;
    } catch (e) {
      if (isHttpError(e) && e.status === 422) {
        return redact(`GitHub did not request reviews from ${[...users, ...teams.map((t) => `${owner}/${t}`)].join(', ')} on #${number}: ${validationMessages(e).join('; ')} (a reviewer must be a collaborator, a team of the owner with access, and not the author)`);
      }
      throw mapError(e, `request reviewers on #${number}`, 'pull-requests: write');
    }
  };

  return {
    autoMerge,
    mergePull,
    listOpenPulls,
    requestReviewers,
    findOpenPull,
    findLatestPull,
    lookUpPulls,
    createOrUpdatePull,
    closePull,
    deleteBranch,
    addLabels,
    upsertStickyComment,
    identity,
    enableAutoMerge
  };
}
