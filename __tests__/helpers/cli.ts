/** Runs the CLI from its TypeScript source (through the project's loader), as a user would run `hydrate`. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const CLI = path.join(ROOT, 'src', 'cli.ts');
const LOADER = path.join(ROOT, 'scripts', 'ts-register.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr. */
  out: string;
}

export async function runCli(args: string[]): Promise<CliResult> {
  try {
    const r = await run(process.execPath, ['--import', LOADER, CLI, ...args], { cwd: ROOT, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr, out: err.stdout + err.stderr };
  }
}
