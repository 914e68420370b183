/**
 * The bundled action (dist/index.js) run as the runner starts it, for the end-to-end suites: Node
 * 24, INPUT_* variables with action.yml's defaults, GITHUB_EVENT_PATH with the event's payload,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and GITHUB_SERVER_URL / GITHUB_API_URL pointing at
 * the local GitHub stand-in. Every run is checked for what must never happen in a log: the token
 * outside `::add-mask::`, and Node's deprecation warnings.
 */
import { expect } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';

const execFileP = promisify(execFile);
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** As the runner does: every input of action.yml gets its default unless the step sets it. */
export const ACTION_DEFAULTS: Record<string, string> = Object.fromEntries(
  Object.entries((parseYaml(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> }).inputs)
    .filter(([, v]) => !String(v.default ?? '').includes('${{'))
    .map(([k, v]) => [k, String(v.default ?? '')])
);

/** `git -c init.defaultBranch=main` with a fixed identity and no system or user configuration. */
export function gitWith(env: Record<string, string>): (cwd: string, ...args: string[]) => string {
  return (cwd, ...args) => execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
}

export interface ActionRun {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

export interface ActionRunner {
  node24: string;
  /** Parent of each run's own folder (HOME, RUNNER_TEMP, event, outputs, summary). */
  tmp: string;
  workspace: string;
  repository: string;
  token: string;
  server: { url: string; apiUrl: string };
}

export interface ActionStep {
  inputs: Record<string, string>;
  event: string;
  payload: unknown;
  sha: string;
  runId: string;
  ref?: string;
}

export async function runBundledAction(runner: ActionRunner, step: ActionStep): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(runner.tmp, 'run-'));
  const eventPath = path.join(dir, 'event.json');
  const outputPath = path.join(dir, 'output');
  const summaryPath = path.join(dir, 'summary.md');
  await writeFile(eventPath, JSON.stringify(step.payload));
  await writeFile(outputPath, '');
  await writeFile(summaryPath, '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: runner.workspace,
    GITHUB_REPOSITORY: runner.repository,
    GITHUB_SHA: step.sha,
    ...(step.ref ? { GITHUB_REF: step.ref } : {}),
    GITHUB_EVENT_NAME: step.event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_SERVER_URL: runner.server.url,
    GITHUB_API_URL: runner.server.apiUrl,
    GITHUB_RUN_ID: step.runId,
    GITHUB_ACTIONS: 'true'
  };
  for (const [k, v] of Object.entries({ ...ACTION_DEFAULTS, ...step.inputs })) env[`INPUT_${k.toUpperCase()}`] = v;
  let code = 0;
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await execFileP(runner.node24, [path.join(ROOT, 'dist', 'index.js')], { cwd: runner.workspace, env, maxBuffer: 64 << 20 }));
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    code = err.code;
    stdout = err.stdout;
    stderr = err.stderr;
  }
  // Every run's log stays free of Node's deprecation warnings (DEP0040 punycode came from a bundled dependency).
  expect(stderr).not.toMatch(/DeprecationWarning|\[DEP\d+\]/);
  // The token is masked by the runner and appears nowhere else.
  expect(stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain(runner.token);
  if (code !== 0 && process.env['HYDRATE_E2E_DEBUG']) process.stderr.write(stdout);
  return { code, stdout, outputs: parseOutputs(await readFile(outputPath, 'utf8')), summary: await readFile(summaryPath, 'utf8') };
}

/** The `name<<delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]!] = m[3]!;
  return out;
}
