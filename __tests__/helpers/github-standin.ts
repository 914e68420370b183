/**
 * A local stand-in for the part of the GitHub REST API (plus the GraphQL auto-merge mutation)
 * that the GitHub adapter uses. Every request and every response is checked against GitHub's
 * official OpenAPI description (`@octokit/openapi`); mismatches land in `validationErrors`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  /** The OpenAPI path template matched, or 'graphql' / 'fallback' / 'unknown'. */
  operation: string;
}

export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Only requests with this method (upper case) consume the fault. */
  method?: string;
  /** Only requests whose path matches consume the fault. */
  path?: string | RegExp;
}

export interface StandInPull {
  number: number;
  id: number;
  node_id: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  head: string;
  base: string;
  labels: string[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  merged_at: string | null;
  user: string;
  auto_merge: string | null;
  /** Logins asked to review. */
  requested_reviewers?: string[];
  /** Team slugs asked to review. */
  requested_teams?: string[];
  /** How it was merged (merge, squash, rebase). */
  merge_method?: string;
  /** Owner of the head repository when it is a fork (default: the repository's owner). */
  head_owner?: string;
}

export interface StandInComment {
  id: number;
  issue_number: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
}

export interface StandInState {
  pulls: StandInPull[];
  comments: StandInComment[];
  /** Branch names that exist (refs/heads/<name>). */
  refs: Set<string>;
  /** Repository labels known so far (name → id). */
  labels: Map<string, number>;
}

export interface StandInOptions {
  owner?: string;
  repo?: string;
  /** Login used as author of everything created through the API. */
  login?: string;
  /**
   * What kind of token the client holds: `installation` (GITHUB_TOKEN or a GitHub App: `GET /user`
   * answers 403 "Resource not accessible by integration", GraphQL `viewer` names the bot) or `user`
   * (a personal access token: `GET /user` answers the user). Default: `installation` when `login`
   * ends with `[bot]`.
   */
  tokenKind?: 'installation' | 'user';
  /** GraphQL `viewer { login }` answers this login (default `login`); `error` answers a GraphQL error. */
  viewerLogin?: string | 'error';
  /** When set, any other token answers 401 Bad credentials. */
  token?: string;
  /** Write calls answer 403 "Resource not accessible by integration" (fork pull request token). */
  readOnly?: boolean;
  /** Same as `readOnly`. */
  forkReadOnly?: boolean;
  /** POST /pulls answers 403 "GitHub Actions is not permitted to create or approve pull requests". */
  prCreationDisabled?: boolean;
  /** Error message returned by the GraphQL auto-merge mutation. */
  autoMergeError?: string;
  /**
   * Pull requests are mergeable as soon as they are opened (no required check pending): enabling
   * auto-merge is refused as GitHub does ("Pull request Pull request is in clean status"), and
   * `PUT /pulls/{n}/merge` merges.
   */
  mergeableAtOnce?: boolean;
  /**
   * Performs a merge (e.g. in a served git repository); returns the merge commit, or a refusal
   * (status 405 "Merge commits are not allowed on this repository.", 403, 409...). Default: a
   * made-up commit id.
   */
  onMerge?: (pull: StandInPull, method: 'merge' | 'squash' | 'rebase') => { sha: string } | { status: number; message: string };
  /** Serve malformed responses (for proving that the validator catches them). */
  breakSchema?: boolean;
  /** Branches that exist at start. */
  branches?: string[];
  /** Page size used when a list request does not give per_page (GitHub's default is 30). */
  defaultPerPage?: number;
  /** Handler for paths that are not part of the REST stand-in (e.g. git smart HTTP). */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface GitHubStandIn {
  apiUrl: string;
  /** Base URL of the server without any path (same as apiUrl). */
  url: string;
  owner: string;
  repo: string;
  state: StandInState;
  requests: RecordedRequest[];
  validationErrors: string[];
  faults: Fault[];
  /** Requests that changed something (POST/PATCH/PUT/DELETE except GraphQL queries). */
  writes(): RecordedRequest[];
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI description and validators (loaded once per test file)

interface OpenApiParameter {
  name: string;
  in: string;
  $ref?: string;
}
interface OpenApiResponse {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}
interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, OpenApiResponse>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, unknown>;
    responses: Record<string, OpenApiResponse>;
    parameters: Record<string, OpenApiParameter>;
    examples: Record<string, { value: unknown }>;
  };
}

let cachedSpec: { doc: OpenApiDocument; ajv: Ajv; validators: Map<string, ValidateFunction> } | undefined;

function spec(): { doc: OpenApiDocument; ajv: Ajv; validators: Map<string, ValidateFunction> } {
  if (cachedSpec) return cachedSpec;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  for (const f of ['date-time', 'date', 'uri', 'uri-template', 'email', 'int64', 'int32', 'timestamp', 'uuid', 'binary', 'repo.nwo']) {
    ajv.addFormat(f, true);
  }
  ajv.addSchema({ components: doc.components }, 'gh');
  cachedSpec = { doc, ajv, validators: new Map() };
  return cachedSpec;
}

/** Compile an inline OpenAPI schema, pointing its local `#/components/...` refs at the whole description. */
function validatorFor(key: string, schema: unknown): ValidateFunction {
  const s = spec();
  const hit = s.validators.get(key);
  if (hit) return hit;
  const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"gh#/components/')) as object;
  const v = s.ajv.compile(rewritten);
  s.validators.set(key, v);
  return v;
}

function resolveRef<T extends { $ref?: string }>(node: T): T {
  if (!node.$ref) return node;
  const parts = node.$ref.replace(/^#\//, '').split('/');
  let cur: unknown = spec().doc;
  for (const p of parts) cur = (cur as Record<string, unknown>)[p];
  return cur as T;
}

function example(name: string): JsonObject {
  const value = spec().doc.components.examples[name]?.value;
  const one = Array.isArray(value) ? value[0] : value;
  return structuredClone(one) as JsonObject;
}

function formatErrors(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
}

// ---------------------------------------------------------------------------------------------

interface Route {
  method: string;
  specPath: string;
  pattern: RegExp;
  /** Not under /repos/{owner}/{repo}. */
  global?: boolean;
  handle: (ctx: Ctx) => Reply;
}

interface Ctx {
  params: string[];
  query: Record<string, string>;
  body: unknown;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const GRAPHQL_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    data: { type: ['object', 'null'] },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } }
    }
  },
  anyOf: [{ required: ['data'] }, { required: ['errors'] }]
};
const GRAPHQL_REQUEST_SCHEMA = {
  type: 'object',
  required: ['query'],
  properties: { query: { type: 'string' }, variables: { type: 'object' } }
};

export async function startGitHubStandIn(opts: StandInOptions = {}): Promise<GitHubStandIn> {
  const owner = opts.owner ?? 'octo-org';
  const repo = opts.repo ?? 'hydrate-demo';
  const login = opts.login ?? 'github-actions[bot]';
  const state: StandInState = {
    pulls: [],
    comments: [],
    refs: new Set(['main', ...(opts.branches ?? [])]),
    labels: new Map()
  };
  const requests: RecordedRequest[] = [];
  const validationErrors: string[] = [];
  const faults: Fault[] = [];
  let nextId = 1000;
  let apiUrl = '';
  const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const repoUrl = (): string => `${apiUrl}/repos/${owner}/${repo}`;

  const userObject = (name: string): JsonObject => {
    const u = example('issue-comment').user as JsonObject;
    u.login = name;
    u.type = name.endsWith('[bot]') ? 'Bot' : 'User';
    u.url = `${apiUrl}/users/${encodeURIComponent(name)}`;
    return u;
  };

  const teamObject = (slug: string): JsonObject => {
    const t = example('team-items');
    Object.assign(t, { type: 'organization', slug, name: slug, url: `${apiUrl}/orgs/${owner}/teams/${slug}`, html_url: `https://github.com/orgs/${owner}/teams/${slug}` });
    return t;
  };

  const labelObject = (name: string): JsonObject => {
    let id = state.labels.get(name);
    if (id === undefined) {
      id = nextId++;
      state.labels.set(name, id);
    }
    return {
      id,
      node_id: Buffer.from(`Label${id}`).toString('base64'),
      url: `${repoUrl()}/labels/${encodeURIComponent(name)}`,
      name,
      description: "",
      color: 'ededed',
      default: false
    };
  };

  const branchObject = (template: Json | undefined, ref: string, labelOwner = owner): JsonObject => {
    const b = structuredClone(template) as JsonObject;
    b.ref = ref;
    b.label = `${labelOwner}:${ref}`;
    b.sha = '0'.repeat(40);
    return b;
  };

  const pullObject = (p: StandInPull, simple: boolean): JsonObject => {
    const o = example(simple ? 'pull-request-simple-items' : 'pull-request');
    Object.assign(o, {
      url: `${repoUrl()}/pulls/${p.number}`,
      id: p.id,
      node_id: p.node_id,
      html_url: `https://github.com/${owner}/${repo}/pull/${p.number}`,
      issue_url: `${repoUrl()}/issues/${p.number}`,
      number: opts.breakSchema ? String(p.number) : p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      user: userObject(p.user),
      labels: p.labels.map(labelObject),
      created_at: p.created_at,
      updated_at: p.updated_at,
      closed_at: p.closed_at,
      merged_at: p.merged_at,
      merge_commit_sha: null,
      requested_teams: (p.requested_teams ?? []).map((slug) => teamObject(slug)),
      requested_reviewers: (p.requested_reviewers ?? []).map(userObject),
      assignee: null,
      assignees: [],
      milestone: null,
      head: branchObject(o.head, p.head, p.head_owner),
      base: branchObject(o.base, p.base),
      draft: p.draft,
      auto_merge: p.auto_merge
        ? { enabled_by: userObject(login), merge_method: p.auto_merge.toLowerCase(), commit_title: p.title, commit_message: '' }
        : null
    } satisfies JsonObject);
    if (!simple) {
      Object.assign(o, { merged: p.merged, merged_by: null, mergeable: opts.mergeableAtOnce ? true : null, rebaseable: null, mergeable_state: opts.mergeableAtOnce ? 'clean' : 'unknown' });
    }
    return o;
  };

  const commentObject = (c: StandInComment): JsonObject => {
    const o = example('issue-comment');
    Object.assign(o, {
      id: opts.breakSchema ? String(c.id) : c.id,
      node_id: Buffer.from(`IssueComment${c.id}`).toString('base64'),
      url: `${repoUrl()}/issues/comments/${c.id}`,
      html_url: `https://github.com/${owner}/${repo}/pull/${c.issue_number}#issuecomment-${c.id}`,
      body: c.body,
      user: userObject(c.user),
      created_at: c.created_at,
      updated_at: c.updated_at,
      issue_url: `${repoUrl()}/issues/${c.issue_number}`,
      author_association: 'CONTRIBUTOR'
    } satisfies JsonObject);
    return o;
  };

  const notFound = (): Reply => ({
    status: 404,
    body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' }
  });
  /** GitHub's 422 shape: a generic message, details in `errors[]`. */
  const validationFailed = (message: string, errors?: JsonObject[]): Reply => ({
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: errors ?? [{ resource: 'PullRequest', code: 'custom', message }],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '422'
    }
  });

  /** GitHub's limit on issue comment and pull request bodies. */
  const bodyTooLong = (text: string | undefined, resource: string): Reply | undefined =>
    text !== undefined && (text.length > 65_536 || Buffer.byteLength(text, 'utf8') > 262_144)
      ? validationFailed('', [{ resource, code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }])
      : undefined;

  const paginate = (items: JsonObject[], query: Record<string, string>, path: string): Reply => {
    const perPage = Math.min(100, Number(query.per_page ?? opts.defaultPerPage ?? 30));
    const page = Math.max(1, Number(query.page ?? 1));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URL(apiUrl + path);
      for (const [k, v] of Object.entries(query)) next.searchParams.set(k, v);
      next.searchParams.set('page', String(page + 1));
      next.searchParams.set('per_page', String(perPage));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return { status: 200, body: slice, headers };
  };

  const findPull = (n: string | undefined): StandInPull | undefined => state.pulls.find((p) => String(p.number) === n);

  const seg = '([^/]+)';
  const base = `^/repos/${seg}/${seg}`;
  const tokenKind = opts.tokenKind ?? (login.endsWith('[bot]') ? 'installation' : 'user');
  const routes: Route[] = [
    {
      method: 'GET',
      specPath: '/user',
      pattern: /^\/user$/,
      global: true,
      handle: () => {
        if (tokenKind === 'installation') {
          return {
            status: 403,
            body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user', status: '403' }
          };
        }
        const u = example('private-user');
        Object.assign(u, { login, type: 'User', url: `${apiUrl}/users/${encodeURIComponent(login)}`, user_view_type: 'private' });
        return { status: 200, body: u };
      }
    },
    {
      method: 'GET',
      specPath: '/repos/{owner}/{repo}/pulls',
      pattern: new RegExp(`${base}/pulls$`),
      handle: ({ query }) => {
        const st = query.state ?? 'open';
        let list = state.pulls.filter((p) => st === 'all' || p.state === st);
        if (query.head) {
          const [headOwner, headRef] = query.head.includes(':') ? query.head.split(/:(.*)/s) : [owner, query.head];
          list = headOwner === owner ? list.filter((p) => p.head === headRef) : [];
        }
        if (query.base) list = list.filter((p) => p.base === query.base);
        const key = query.sort === 'updated' ? 'updated_at' : 'created_at';
        list = [...list].sort((a, b) => (a[key] === b[key] ? a.number - b.number : a[key] < b[key] ? -1 : 1));
        if ((query.direction ?? 'desc') === 'desc') list.reverse();
        return paginate(list.map((p) => pullObject(p, true)), query, `/repos/${owner}/${repo}/pulls`);
      }
    },
    {
      method: 'POST',
      specPath: '/repos/{owner}/{repo}/pulls',
      pattern: new RegExp(`${base}/pulls$`),
      handle: ({ body }) => {
        if (opts.prCreationDisabled) {
          return {
            status: 403,
            body: {
              message: 'GitHub Actions is not permitted to create or approve pull requests.',
              documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
              status: '403'
            }
          };
        }
        const b = body as { title?: string; body?: string; head?: string; base?: string; draft?: boolean };
        const head = (b.head ?? '').replace(new RegExp(`^${owner}:`), '');
        if (!b.title || !head || !b.base) return validationFailed('Missing field');
        const tooLong = bodyTooLong(b.body, 'PullRequest');
        if (tooLong) return tooLong;
        if (!state.refs.has(head)) {
          return validationFailed('', [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
        }
        if (state.pulls.some((p) => p.state === 'open' && p.head === head && p.base === b.base)) {
          return validationFailed(`A pull request already exists for ${owner}:${head}.`);
        }
        const id = nextId++;
        const t = now();
        const p: StandInPull = {
          number: state.pulls.length + 1,
          id,
          node_id: `PR_kwDO${id}`,
          title: b.title,
          body: b.body ?? '',
          state: 'open',
          merged: false,
          draft: b.draft ?? false,
          head,
          base: b.base,
          labels: [],
          created_at: t,
          updated_at: t,
          closed_at: null,
          merged_at: null,
          user: login,
          auto_merge: null
        };
        state.pulls.push(p);
        return { status: 201, body: pullObject(p, false) };
      }
    },
    {
      method: 'GET',
      specPath: '/repos/{owner}/{repo}/pulls/{pull_number}',
      pattern: new RegExp(`${base}/pulls/(\\d+)$`),
      handle: ({ params }) => {
        const p = findPull(params[2]);
        return p ? { status: 200, body: pullObject(p, false) } : notFound();
      }
    },
    {
      method: 'PATCH',
      specPath: '/repos/{owner}/{repo}/pulls/{pull_number}',
      pattern: new RegExp(`${base}/pulls/(\\d+)$`),
      handle: ({ params, body }) => {
        const p = findPull(params[2]);
        if (!p) return notFound();
        const b = body as { title?: string; body?: string; state?: 'open' | 'closed'; base?: string };
        const tooLong = bodyTooLong(b.body, 'PullRequest');
        if (tooLong) return tooLong;
        if (b.title !== undefined) p.title = b.title;
        if (b.body !== undefined) p.body = b.body;
        if (b.base !== undefined) p.base = b.base;
        if (b.state !== undefined && b.state !== p.state) {
          p.state = b.state;
          p.closed_at = b.state === 'closed' ? now() : null;
        }
        p.updated_at = now();
        return { status: 200, body: pullObject(p, false) };
      }
    },
    {
      method: 'POST',
      specPath: '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
      pattern: new RegExp(`${base}/pulls/(\\d+)/requested_reviewers$`),
      handle: ({ params, body }) => {
        const p = findPull(params[2]);
        if (!p) return notFound();
        const b = body as { reviewers?: string[]; team_reviewers?: string[] };
        if ((b.reviewers ?? []).includes(p.user)) return validationFailed('Review cannot be requested from pull request author.');
        p.requested_reviewers = [...new Set([...(p.requested_reviewers ?? []), ...(b.reviewers ?? [])])];
        p.requested_teams = [...new Set([...(p.requested_teams ?? []), ...(b.team_reviewers ?? [])])];
        return { status: 201, body: pullObject(p, true) };
      }
    },
    {
      method: 'PUT',
      specPath: '/repos/{owner}/{repo}/pulls/{pull_number}/merge',
      pattern: new RegExp(`${base}/pulls/(\\d+)/merge$`),
      handle: ({ params, body }) => {
        const p = findPull(params[2]);
        if (!p) return notFound();
        if (p.state !== 'open') return { status: 405, body: { message: 'Pull Request is not mergeable', documentation_url: 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request', status: '405' } };
        const method = (body as { merge_method?: 'merge' | 'squash' | 'rebase' } | undefined)?.merge_method ?? 'merge';
        const done = opts.onMerge ? opts.onMerge(p, method) : { sha: 'e'.repeat(40) };
        if ('status' in done) return { status: done.status, body: { message: done.message, documentation_url: 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request', status: String(done.status) } };
        const t = now();
        Object.assign(p, { state: 'closed', merged: true, merged_at: t, closed_at: t, updated_at: t, merge_method: method });
        return { status: 200, body: { sha: done.sha, merged: true, message: 'Pull Request successfully merged' } };
      }
    },
    {
      method: 'DELETE',
      specPath: '/repos/{owner}/{repo}/git/refs/{ref}',
      pattern: new RegExp(`${base}/git/refs/(.+)$`),
      handle: ({ params }) => {
        const ref = decodeURIComponent(params[2] ?? '');
        const branch = ref.replace(/^heads\//, '');
        if (!ref.startsWith('heads/') || !state.refs.has(branch)) {
          return {
            status: 422,
            body: { message: 'Reference does not exist', documentation_url: 'https://docs.github.com/rest/git/refs#delete-a-reference', status: '422' }
          };
        }
        state.refs.delete(branch);
        return { status: 204 };
      }
    },
    {
      method: 'POST',
      specPath: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
      pattern: new RegExp(`${base}/issues/(\\d+)/labels$`),
      handle: ({ params, body }) => {
        const p = findPull(params[2]);
        if (!p) return notFound();
        const b = body as { labels?: (string | { name: string })[] } | string[];
        const names = (Array.isArray(b) ? b : (b.labels ?? [])).map((l) => (typeof l === 'string' ? l : l.name));
        for (const n of names) if (!p.labels.includes(n)) p.labels.push(n);
        return { status: 200, body: p.labels.map(labelObject) };
      }
    },
    {
      method: 'GET',
      specPath: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      pattern: new RegExp(`${base}/issues/(\\d+)/comments$`),
      handle: ({ params, query }) => {
        if (!findPull(params[2])) return notFound();
        const list = state.comments.filter((c) => String(c.issue_number) === params[2]).map(commentObject);
        return paginate(list, query, `/repos/${owner}/${repo}/issues/${params[2]}/comments`);
      }
    },
    {
      method: 'POST',
      specPath: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      pattern: new RegExp(`${base}/issues/(\\d+)/comments$`),
      handle: ({ params, body }) => {
        const p = findPull(params[2]);
        if (!p) return notFound();
        const tooLong = bodyTooLong((body as { body: string }).body, 'IssueComment');
        if (tooLong) return tooLong;
        const t = now();
        const c: StandInComment = {
          id: nextId++,
          issue_number: p.number,
          body: (body as { body: string }).body,
          user: login,
          created_at: t,
          updated_at: t
        };
        state.comments.push(c);
        return { status: 201, body: commentObject(c) };
      }
    },
    {
      method: 'PATCH',
      specPath: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
      pattern: new RegExp(`${base}/issues/comments/(\\d+)$`),
      handle: ({ params, body }) => {
        const c = state.comments.find((x) => String(x.id) === params[2]);
        if (!c) return notFound();
        const tooLong = bodyTooLong((body as { body: string }).body, 'IssueComment');
        if (tooLong) return tooLong;
        c.body = (body as { body: string }).body;
        c.updated_at = now();
        return { status: 200, body: commentObject(c) };
      }
    }
  ];

  const graphql = (body: unknown): Reply => {
    const b = body as { query?: string; variables?: Record<string, unknown> };
    const q = b.query ?? '';
    if (/^\s*(query\b[^{]*)?\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*$/.test(q)) {
      const viewer = opts.viewerLogin ?? login;
      if (viewer === 'error') return { status: 200, body: { errors: [{ message: 'Resource not accessible by integration' }] } };
      return { status: 200, body: { data: { viewer: { login: viewer } } } };
    }
    if (!/enablePullRequestAutoMerge/.test(q)) {
      return { status: 200, body: { errors: [{ message: 'Field is not supported by the stand-in' }] } };
    }
    const vars = b.variables ?? {};
    const id = String(vars.pullRequestId ?? vars.id ?? '');
    const method = String(vars.mergeMethod ?? vars.method ?? '');
    const p = state.pulls.find((x) => x.node_id === id);
    if (!p) {
      return {
        status: 200,
        body: { data: { enablePullRequestAutoMerge: null }, errors: [{ type: 'NOT_FOUND', path: ['enablePullRequestAutoMerge'], message: `Could not resolve to a node with the global id of '${id}'` }] }
      };
    }
    if (opts.mergeableAtOnce && p.state === 'open') {
      return {
        status: 200,
        body: { data: { enablePullRequestAutoMerge: null }, errors: [{ type: 'UNPROCESSABLE', path: ['enablePullRequestAutoMerge'], message: 'Pull request Pull request is in clean status' }] }
      };
    }
    if (opts.autoMergeError) {
      return {
        status: 200,
        body: { data: { enablePullRequestAutoMerge: null }, errors: [{ type: 'UNPROCESSABLE', path: ['enablePullRequestAutoMerge'], message: opts.autoMergeError }] }
      };
    }
    if (!['MERGE', 'SQUASH', 'REBASE'].includes(method)) {
      return { status: 200, body: { errors: [{ message: `Variable $mergeMethod of type PullRequestMergeMethod was provided invalid value` }] } };
    }
    p.auto_merge = method;
    return {
      status: 200,
      body: {
        data: {
          enablePullRequestAutoMerge: {
            pullRequest: { number: p.number, autoMergeRequest: { enabledAt: now(), mergeMethod: method } }
          }
        }
      }
    };
  };

  const checkRequest = (method: string, path: string, route: Route, query: Record<string, string>, body: unknown, rawBody: string): void => {
    const op = spec().doc.paths[route.specPath]?.[method.toLowerCase()];
    if (!op) {
      validationErrors.push(`${method} ${path}: no OpenAPI operation ${method} ${route.specPath}`);
      return;
    }
    const declared = new Map(
      (op.parameters ?? [])
        .map((p) => resolveRef(p))
        .filter((p) => p.in === 'query')
        .map((p) => [p.name, (p as { schema?: unknown }).schema] as const)
    );
    for (const [k, value] of Object.entries(query)) {
      if (!declared.has(k)) {
        validationErrors.push(`${method} ${path}: query parameter "${k}" is not declared by ${route.specPath}`);
        continue;
      }
      const schema = declared.get(k);
      if (!schema) continue;
      // Query values arrive as strings: check them as the typed value they stand for.
      const typed: unknown = /^-?\d+$/.test(value) ? Number(value) : value === 'true' ? true : value === 'false' ? false : value;
      const v = validatorFor(`query ${method} ${route.specPath} ${k}`, schema);
      if (!v(typed) && !v(value)) validationErrors.push(`${method} ${path}: query parameter "${k}"=${value}: ${formatErrors(v)}`);
    }
    const schema = op.requestBody?.content?.['application/json']?.schema;
    if (schema) {
      if (rawBody === '' && (op.requestBody as { required?: boolean }).required) {
        validationErrors.push(`${method} ${path}: request body is required`);
      } else if (rawBody !== '') {
        const v = validatorFor(`req ${method} ${route.specPath}`, schema);
        if (!v(body)) validationErrors.push(`${method} ${path} request: ${formatErrors(v)}`);
      }
    } else if (rawBody !== '' && method !== 'GET' && method !== 'DELETE') {
      validationErrors.push(`${method} ${path}: operation takes no request body`);
    }
  };

  const checkResponse = (method: string, path: string, route: Route, reply: Reply): void => {
    const op = spec().doc.paths[route.specPath]?.[method.toLowerCase()];
    if (!op) return;
    const declared = op.responses[String(reply.status)];
    if (!declared) {
      // GitHub answers some errors that an operation does not list (403/5xx); they use basic-error.
      if (reply.status >= 400) {
        const v = validatorFor('basic-error', { $ref: '#/components/schemas/basic-error' });
        if (reply.body !== undefined && !v(reply.body)) validationErrors.push(`${method} ${path} ${reply.status} response: ${formatErrors(v)}`);
        return;
      }
      validationErrors.push(`${method} ${path}: status ${reply.status} is not documented for ${route.specPath}`);
      return;
    }
    const schema = resolveRef(declared).content?.['application/json']?.schema;
    if (!schema) {
      // Some error answers are documented without a body; GitHub still sends a basic-error.
      if (reply.status >= 400 && reply.body !== undefined) {
        const v = validatorFor('basic-error', { $ref: '#/components/schemas/basic-error' });
        if (!v(reply.body)) validationErrors.push(`${method} ${path} ${reply.status} response: ${formatErrors(v)}`);
        return;
      }
      if (reply.body !== undefined) validationErrors.push(`${method} ${path} ${reply.status}: documented without a body but one was sent`);
      return;
    }
    const v = validatorFor(`res ${method} ${route.specPath} ${reply.status}`, schema);
    if (!v(reply.body)) validationErrors.push(`${method} ${path} ${reply.status} response: ${formatErrors(v)}`);
  };

  const isWrite = (m: string): boolean => m !== 'GET' && m !== 'HEAD';

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const route = routes.find((r) => r.method === method && r.pattern.test(path));
    const isGraphql = method === 'POST' && path === '/graphql';
    if (!route && !isGraphql && opts.fallback) {
      requests.push({ method, path, query: Object.fromEntries(url.searchParams), body: undefined, status: 0, operation: 'fallback' });
      opts.fallback(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = rawBody === '' ? undefined : (JSON.parse(rawBody) as unknown);
      } catch {
        validationErrors.push(`${method} ${path}: request body is not JSON`);
      }
      const query = Object.fromEntries(url.searchParams);
      const record: RecordedRequest = { method, path, query, body, status: 0, operation: route?.specPath ?? (isGraphql ? 'graphql' : 'unknown') };
      requests.push(record);

      const send = (reply: Reply): void => {
        record.status = reply.status;
        const headers: Record<string, string> = { 'x-github-api-version-selected': '2022-11-28', ...(reply.headers ?? {}) };
        if (reply.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
        res.writeHead(reply.status, headers);
        res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
      };

      if (route) checkRequest(method, path, route, query, body, rawBody);
      else if (isGraphql) {
        const v = validatorFor('graphql-request', GRAPHQL_REQUEST_SCHEMA);
        if (!v(body)) validationErrors.push(`POST /graphql request: ${formatErrors(v)}`);
      } else validationErrors.push(`${method} ${path}: not an endpoint of the stand-in`);

      const auth = req.headers.authorization ?? '';
      const token = auth.replace(/^(token|bearer)\s+/i, '');
      if (opts.token !== undefined && token !== opts.token) {
        send({ status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' } });
        return;
      }

      const faultIndex = faults.findIndex(
        (f) =>
          (f.method === undefined || f.method.toUpperCase() === method) &&
          (f.path === undefined || (typeof f.path === 'string' ? path === f.path : f.path.test(path)))
      );
      if (faultIndex >= 0) {
        const [fault] = faults.splice(faultIndex, 1);
        send({ status: fault!.status, headers: fault!.headers, body: fault!.body ?? { message: `Stand-in fault ${fault!.status}` } });
        return;
      }

      if (!route && !isGraphql) {
        send(notFound());
        return;
      }
      const graphqlQuery = isGraphql && !/^\s*mutation\b/.test(String((body as { query?: unknown } | undefined)?.query ?? ''));
      if ((opts.readOnly || opts.forkReadOnly) && isWrite(method) && !graphqlQuery) {
        send({
          status: 403,
          body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest', status: '403' }
        });
        return;
      }
      if (route?.global) {
        const reply = route.handle({ params: [], query, body });
        checkResponse(method, path, route, reply);
        send(reply);
        return;
      }
      if (route) {
        const [, o, r, ...rest] = route.pattern.exec(path) ?? [];
        if (o !== owner || r !== repo) {
          send(notFound());
          return;
        }
        const reply = route.handle({ params: [o, r, ...rest], query, body });
        checkResponse(method, path, route, reply);
        send(reply);
        return;
      }
      const reply = graphql(body);
      const v = validatorFor('graphql-response', GRAPHQL_RESPONSE_SCHEMA);
      if (!v(reply.body)) validationErrors.push(`POST /graphql response: ${formatErrors(v)}`);
      send(reply);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  apiUrl = `http://127.0.0.1:${port}`;
  spec();

  return {
    apiUrl,
    url: apiUrl,
    owner,
    repo,
    state,
    requests,
    validationErrors,
    faults,
    writes: () =>
      requests.filter(
        (r) => isWrite(r.method) && r.operation !== 'fallback' && !(r.operation === 'graphql' && !/^\s*mutation\b/.test(String((r.body as { query?: unknown } | undefined)?.query ?? '')))
      ),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      })
  };
}
