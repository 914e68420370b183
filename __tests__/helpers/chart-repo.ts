/**
 * A Helm chart repository served over HTTP on 127.0.0.1, built with the real helm: every chart
 * folder given is packaged (`helm package`) and indexed (`helm repo index --url`), so clients
 * read a real `index.yaml` and real `.tgz` files. Requests are recorded.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import type { Tool } from './tools.js';

export interface ChartRepo {
  url: string;
  /** Paths requested, in order (e.g. `/index.yaml`, `/lib-1.2.0.tgz`). */
  requests: string[];
  /** `host/path` of requests that came through the server as an HTTP proxy (absolute-form URLs). */
  proxied: string[];
  close(): Promise<void>;
}

/** Writes `files` (relative path → content) under `root`. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

/** Environment for running helm by hand in tests: a temporary HOME, so nothing is written to the user's. */
export function helmHandEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: '/usr/bin:/bin', HOME: home, LANG: 'C', TZ: 'UTC' };
}

/**
 * Packages every chart of `charts` (name → files of the chart folder) with `helm` and serves
 * them. Each entry's files must include its Chart.yaml.
 */
export async function startChartRepo(helm: Tool, charts: Record<string, Record<string, string>>): Promise<ChartRepo> {
  const work = mkdtempSync(join(tmpdir(), 'hydrate-chart-repo-'));
  const served = join(work, 'repo');
  mkdirSync(served);
  const env = helmHandEnv(join(work, 'home'));
  for (const [key, files] of Object.entries(charts)) {
    const src = join(work, 'src', key);
    writeTree(src, files);
    execFileSync(helm.bin, ['package', src, '-d', served], { env, stdio: 'pipe' });
  }
  const requests: string[] = [];
  const proxied: string[] = [];
  const server = createServer((req, res) => {
    // A proxy request names the whole URL: it is answered like a direct one, and recorded.
    const url = new URL(req.url ?? '/', 'http://direct');
    const path = decodeURIComponent(url.pathname);
    requests.push(path);
    if (url.host !== 'direct') proxied.push(`${url.host}${path}`);
    const file = normalize(join(served, path));
    if (!file.startsWith(`${served}/`) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  execFileSync(helm.bin, ['repo', 'index', served, '--url', url], { env, stdio: 'pipe' });
  return {
    url,
    requests,
    proxied,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(work, { recursive: true, force: true });
    }
  };
}
