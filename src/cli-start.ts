/**
 * The `hydrate` program (`dist/cli.js`, the package's bin): turns on Node's module compile cache,
 * then loads the CLI bundle (`dist/hydrate-cli.js`) and runs it. With the cache, Node reads the
 * bundle's compiled code from disk instead of compiling 1.5 MB of JavaScript on every start
 * (about 30 ms of CPU time per run); the cache is keyed by the bundle's content, so a new version
 * never runs old code.
 *
 * The cache lives in the user's own cache folder (`$XDG_CACHE_HOME/hydrate/node-compile-cache`,
 * else `~/.cache/hydrate/node-compile-cache`), not in a temporary folder other users can write.
 * `NODE_COMPILE_CACHE=DIR` puts it elsewhere, `NODE_DISABLE_COMPILE_CACHE=1` turns it off, and a
 * missing home or a folder that cannot be written only means no cache.
 */
import { mkdirSync, statSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The compile cache folder, created one level at a time below a cache or home folder that exists
 * (never a recursive mkdir: Node's spins forever below /proc, and a missing home stays missing);
 * undefined when there is none or it cannot be made.
 */
function compileCacheDir(env: NodeJS.ProcessEnv, home: string): string | undefined {
  const xdg = env['XDG_CACHE_HOME'];
  const [base, below] = xdg && path.isAbsolute(xdg) ? [xdg, ['hydrate', 'node-compile-cache']] : [home, ['.cache', 'hydrate', 'node-compile-cache']];
  if (!base || !path.isAbsolute(base)) return undefined;
  try {
    if (!statSync(base).isDirectory()) return undefined;
    let dir = base;
    for (const name of below) {
      dir = path.join(dir, name);
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) return undefined;
      }
    }
    return dir;
  } catch {
    return undefined;
  }
}

const enable = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
if (enable && process.env['NODE_DISABLE_COMPILE_CACHE'] !== '1') {
  // NODE_COMPILE_CACHE, when set, is the user's choice: Node takes it.
  const dir = process.env['NODE_COMPILE_CACHE'] ? undefined : compileCacheDir(process.env, homedir());
  if (dir !== undefined || process.env['NODE_COMPILE_CACHE']) enable(dir);
}
const cli = (await import(new URL('./hydrate-cli.js', import.meta.url).href)) as { main(argv: string[]): Promise<number> };
process.exitCode = await cli.main(process.argv.slice(2));
