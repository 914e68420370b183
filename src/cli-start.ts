/**
 * The `hydrate` program (`dist/cli.js`, the package's bin): turns on Node's module compile cache,
 * then loads the CLI bundle (`dist/hydrate-cli.js`) and runs it. With the cache, Node reads the
 * bundle's compiled code from disk instead of compiling 1.5 MB of JavaScript on every start
 * (about 40 ms of CPU time per run); the cache is keyed by the bundle's content, so a new version
 * never runs old code.
 *
 * The cache lives in the user's own cache folder (`$XDG_CACHE_HOME/hydrate/node-compile-cache`,
 * else `~/.cache/hydrate/node-compile-cache`), not in a temporary folder other users can write.
 * `NODE_COMPILE_CACHE=DIR` puts it elsewhere, `NODE_DISABLE_COMPILE_CACHE=1` turns it off, and a
 * folder that cannot be written only means no cache (Node never fails on it).
 */
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';

/** Where the compile cache goes, or undefined to let Node take NODE_COMPILE_CACHE. */
function compileCacheDir(env: NodeJS.ProcessEnv, home: string): string | undefined {
  if (env['NODE_COMPILE_CACHE']) return undefined;
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg && path.isAbsolute(xdg) ? xdg : home ? path.join(home, '.cache') : undefined;
  return base === undefined ? undefined : path.join(base, 'hydrate', 'node-compile-cache');
}

const enable = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
if (enable && process.env['NODE_DISABLE_COMPILE_CACHE'] !== '1') {
  const dir = compileCacheDir(process.env, homedir());
  if (dir !== undefined || process.env['NODE_COMPILE_CACHE']) enable(dir);
}
const cli = (await import(new URL('./hydrate-cli.js', import.meta.url).href)) as { main(argv: string[]): Promise<number> };
process.exitCode = await cli.main(process.argv.slice(2));
