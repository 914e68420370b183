/**
 * A smart-HTTP git server for tests: `git http-backend` run as CGI behind node:http on
 * 127.0.0.1. Serves every repository under `root` (`/<owner>/<repo>.git/...`), accepts pushes,
 * and records the Authorization header of each request.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
}

export interface GitHttpServer {
  url: string;
  close(): Promise<void>;
  requests: RecordedRequest[];
}

export interface GitHttpServerOptions {
  /** When set, requests without `Authorization: basic base64(x-access-token:<token>)` get 401. */
  requireToken?: string;
}

function handle(root: string, options: GitHttpServerOptions, req: IncomingMessage, res: ServerResponse, requests: RecordedRequest[]): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const authorization = req.headers['authorization'];
  requests.push({ method: req.method ?? 'GET', path: url.pathname, authorization });
  if (options.requireToken !== undefined) {
    const expected = `basic ${Buffer.from(`x-access-token:${options.requireToken}`).toString('base64')}`;
    if (!authorization || authorization.toLowerCase() !== expected.toLowerCase()) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      req.resume();
      return;
    }
  }
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: '127.0.0.1',
    REMOTE_USER: 'x-access-token',
    SERVER_PROTOCOL: 'HTTP/1.1'
  };
  const encoding = req.headers['content-encoding'];
  if (encoding) env['HTTP_CONTENT_ENCODING'] = encoding;
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env['GIT_PROTOCOL'] = protocol;
  if (req.headers['content-length']) env['CONTENT_LENGTH'] = req.headers['content-length'];

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.resume();
  child.stdin.on('error', () => {});
  req.pipe(child.stdin);
  child.on('close', () => {
    const buf = Buffer.concat(out);
    let split = buf.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (split < 0) {
      split = buf.indexOf('\n\n');
      sepLen = 2;
    }
    if (split < 0) {
      res.writeHead(500);
      res.end();
      return;
    }
    const head = buf.subarray(0, split).toString('latin1');
    const body = buf.subarray(split + sepLen);
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.end(body);
  });
}

export async function startGitHttpServer(root: string, options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => handle(root, options, req, res, requests));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      })
  };
}

/** The same smart-HTTP handler, for mounting under another server (e.g. the GitHub stand-in's fallback). */
export function gitHttpHandler(
  root: string,
  options: GitHttpServerOptions = {},
  requests: RecordedRequest[] = []
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => handle(root, options, req, res, requests);
}
