/**
 * ProcessRunner over child_process.spawn: no shell, a minimal locale-neutral environment
 * (tokens such as GITHUB_TOKEN or INPUT_TOKEN are never passed on), optional stdin and timeout.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, normalize } from 'node:path';
import type { ProcessResult, ProcessRunner, RunOptions } from '../ports.js';

/** The base environment of every child process. */
export function baseEnv(parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { LANG: 'C', LC_ALL: 'C', TZ: 'UTC' };
  for (const key of ['PATH', 'HOME', 'TMPDIR'] as const) {
    const v = parent[key];
    if (v !== undefined) env[key] = v;
  }
  return env;
}

/** The variables of `names` that are set in `parent` (only those names, never anything else). */
function passedEnv(parent: NodeJS.ProcessEnv, names: readonly string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    const v = parent[name];
    if (v !== undefined) env[name] = v;
  }
  return env;
}

export function createProcessRunner(parentEnv: NodeJS.ProcessEnv = process.env): ProcessRunner {
  const located = new Map<string, Promise<string | undefined>>();
  return {
    run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
      return new Promise<ProcessResult>((resolve, reject) => {
        const child = spawn(command, [...args], {
          cwd: options.cwd,
          env: { ...baseEnv(parentEnv), ...passedEnv(parentEnv, options.passEnv), ...(options.env ?? {}) },
          shell: false,
          stdio: ['pipe', 'pipe', 'pipe'],
          windowsHide: true
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let timedOut = false;
        let settled = false;
        const timer =
          options.timeoutMs !== undefined
            ? setTimeout(() => {
                timedOut = true;
                child.kill('SIGKILL');
              }, options.timeoutMs)
            : undefined;
        const finish = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          if (timer) clearTimeout(timer);
          fn();
        };
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.on('error', (e: NodeJS.ErrnoException) => {
          finish(() => {
            const error = new Error(
              e.code === 'ENOENT' ? `${command}: program not found on PATH` : `${command}: ${e.message}`
            ) as NodeJS.ErrnoException;
            if (e.code !== undefined) error.code = e.code;
            reject(error);
          });
        });
        child.on('close', (code, signal) => {
          finish(() => {
            const stderr = Buffer.concat(err).toString('utf8');
            if (timedOut) {
              reject(new Error(`${command} timed out after ${options.timeoutMs} ms and was killed`));
              return;
            }
            resolve({
              exitCode: code ?? (signal ? 128 : 1),
              stdout: Buffer.concat(out).toString('utf8'),
              stderr
            });
          });
        });
        child.stdin.on('error', () => {
          // The child may exit before reading its stdin (EPIPE); its exit status tells the story.
        });
        if (options.input !== undefined) child.stdin.end(options.input, 'utf8');
        else child.stdin.end();
      });
    },

    async workDir(copy: readonly { from: string; to: string }[] = [], write: readonly { to: string; content: string }[] = []): Promise<{ path: string; remove(): Promise<void> }> {
      const path = await mkdtemp(join(parentEnv['TMPDIR'] || tmpdir(), 'hydrate-tool-'));
      const remove = (): Promise<void> => rm(path, { recursive: true, force: true });
      try {
        for (const c of copy) {
          const to = normalize(join(path, c.to));
          if (!isAbsolute(c.from) || !to.startsWith(`${path}/`)) throw new Error(`cannot copy ${c.from} to ${c.to}`);
          await mkdir(dirname(to), { recursive: true });
          await cp(c.from, to, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
        }
        for (const w of write) {
          const to = normalize(join(path, w.to));
          if (!to.startsWith(`${path}/`)) throw new Error(`cannot write ${w.to}`);
          await mkdir(dirname(to), { recursive: true });
          // A copied file is replaced, not written through: it may be a symlink.
          await rm(to, { force: true });
          await writeFile(to, w.content, { flag: 'wx' });
        }
      } catch (e) {
        await remove();
        throw e;
      }
      return { path, remove };
    },

    which(command: string): Promise<string | undefined> {
      // Asked for every unit rendered: PATH is searched once per command and runner.
      let found = located.get(command);
      if (!found) {
        found = locate(command, parentEnv['PATH'] ?? '');
        located.set(command, found);
      }
      return found;
    }
  };
}

async function locate(command: string, path: string): Promise<string | undefined> {
  if (command.includes('/')) return (await isExecutable(command)) ? command : undefined;
  for (const dir of path.split(delimiter).filter((d) => d !== '' && isAbsolute(d))) {
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
