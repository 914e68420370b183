import { describe, it, expect, afterEach } from '@jest/globals';
import { startGitHubStandIn, type GitHubStandIn } from '../helpers/github-standin.js';

const open: GitHubStandIn[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function start(opts: Parameters<typeof startGitHubStandIn>[0] = {}): Promise<GitHubStandIn> {
  const s = await startGitHubStandIn({ branches: ['feature'], ...opts });
  open.push(s);
  return s;
}

async function call(s: GitHubStandIn, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(s.apiUrl + path, {
    method,
    headers: { authorization: 'token t', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('GitHub stand-in validation against the OpenAPI description', () => {
  it('accepts well-formed requests and produces schema-valid responses', async () => {
    const s = await start();
    const repo = `/repos/${s.owner}/${s.repo}`;
    const created = await call(s, 'POST', `${repo}/pulls`, { title: 't', head: 'feature', base: 'main', body: 'b' });
    expect(created.status).toBe(201);
    expect(await call(s, 'GET', `${repo}/pulls?state=all&head=${s.owner}:feature`)).toMatchObject({ status: 200 });
    expect((await call(s, 'POST', `${repo}/issues/1/comments`, { body: 'hi' })).status).toBe(201);
    expect((await call(s, 'DELETE', `${repo}/git/refs/heads/feature`)).status).toBe(204);
    expect(s.validationErrors).toEqual([]);
  });

  it('GET /user: 403 for an installation token, a schema-valid user for a user token; GraphQL viewer names the login', async () => {
    const bot = await start();
    expect((await call(bot, 'GET', '/user')).status).toBe(403);
    expect(await call(bot, 'POST', '/graphql', { query: 'query { viewer { login } }' })).toEqual({ status: 200, json: { data: { viewer: { login: 'github-actions[bot]' } } } });
    const user = await start({ login: 'octocat' });
    const me = await call(user, 'GET', '/user');
    expect(me).toMatchObject({ status: 200, json: { login: 'octocat', type: 'User' } });
    expect([...bot.validationErrors, ...user.validationErrors]).toEqual([]);
    // GraphQL queries are not writes; mutations are.
    expect(bot.writes()).toEqual([]);
  });

  it('catches a malformed response (breakSchema mode)', async () => {
    const s = await start({ breakSchema: true });
    const repo = `/repos/${s.owner}/${s.repo}`;
    await call(s, 'POST', `${repo}/pulls`, { title: 't', head: 'feature', base: 'main' });
    await call(s, 'POST', `${repo}/issues/1/comments`, { body: 'hi' });
    expect(s.validationErrors.some((e) => e.includes('POST') && e.includes('/pulls 201 response') && e.includes('/number'))).toBe(true);
    expect(s.validationErrors.some((e) => e.includes('/comments 201 response') && e.includes('/id'))).toBe(true);
  });

  it('catches a malformed request body and an undeclared query parameter', async () => {
    const s = await start();
    const repo = `/repos/${s.owner}/${s.repo}`;
    await call(s, 'POST', `${repo}/issues/1/comments`, { text: 'wrong field' });
    await call(s, 'GET', `${repo}/pulls?status=open`);
    await call(s, 'GET', `${repo}/pulls?state=merged&per_page=many`);
    expect(s.validationErrors.some((e) => e.includes('/comments request') && e.includes('body'))).toBe(true);
    expect(s.validationErrors.some((e) => e.includes('query parameter "status"'))).toBe(true);
    expect(s.validationErrors.some((e) => e.includes('query parameter "state"=merged'))).toBe(true);
    expect(s.validationErrors.some((e) => e.includes('query parameter "per_page"=many'))).toBe(true);
  });

  it('reports calls to endpoints it does not serve', async () => {
    const s = await start();
    const r = await call(s, 'GET', `/repos/${s.owner}/${s.repo}/releases`);
    expect(r.status).toBe(404);
    expect(s.validationErrors).toEqual([`GET /repos/${s.owner}/${s.repo}/releases: not an endpoint of the stand-in`]);
  });

  it('hands other paths to the fallback handler', async () => {
    const s = await start({
      fallback: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('git here');
      }
    });
    const res = await fetch(`${s.apiUrl}/${s.owner}/${s.repo}.git/info/refs?service=git-upload-pack`);
    expect(await res.text()).toBe('git here');
    expect(s.requests.at(-1)?.operation).toBe('fallback');
    expect(s.validationErrors).toEqual([]);
  });

  it('consumes faults in order, only for matching requests', async () => {
    const s = await start();
    const repo = `/repos/${s.owner}/${s.repo}`;
    s.faults.push({ method: 'POST', status: 502 }, { status: 500 });
    expect((await call(s, 'GET', `${repo}/pulls`)).status).toBe(500);
    expect((await call(s, 'POST', `${repo}/pulls`, { title: 't', head: 'feature', base: 'main' })).status).toBe(502);
    expect((await call(s, 'POST', `${repo}/pulls`, { title: 't', head: 'feature', base: 'main' })).status).toBe(201);
    expect(s.faults).toEqual([]);
  });
});
