/**
 * ProcessRunner over child_process.spawn: no shell, a minimal locale-neutral environment
 * (tokens such as GITHUB_TOKEN or INPUT_TOKEN are never passed on), optional stdin and timeout.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
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

export function createProcessRunner(parentEnv: NodeJS.ProcessEnv = process.env): ProcessRunner {
  const located = new Map<string, Promise<string | undefined>>();
  return {
    run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
      return new Promise<ProcessResult>((resolve, reject) => {
        const child = spawn(command, [...args], {
          cwd: options.cwd,
          env: { ...baseEnv(parentEnv), ...(options.env ?? {}) },
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
