/**
 * The usage docs stay true to the code: every action input and output in action.yml is read or
 * set by the action and documented in docs/action.md, and nothing is read that action.yml lacks;
 * the README links the reference pages and shows the picture of a comment.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ACTION_OUTPUTS } from '../src/app/action-run.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
const action = parse(read('action.yml')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
};
const readme = read('README.md');
const actionDoc = read('docs/action.md');
const inputsSource = read('src/action/inputs.ts');
const runSource = read('src/app/action-run.ts');

describe('action.yml, the code and docs/action.md agree', () => {
  it('action.yml is valid YAML that runs the committed bundle on Node 24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(readFileSync(path.join(ROOT, action.runs.main), 'utf8').length).toBeGreaterThan(0);
  });

  it('every input is read by src/action/inputs.ts and documented in the inputs table of docs/action.md', () => {
    const read = new Set([...inputsSource.matchAll(/(?:getInput|booleanInput)\('([a-z-]+)'\)/g)].map((m) => m[1]!));
    expect([...read].sort()).toEqual(Object.keys(action.inputs).sort());
    const table = actionDoc.slice(actionDoc.indexOf('## Inputs'), actionDoc.indexOf('## Outputs'));
    for (const name of Object.keys(action.inputs)) expect(table).toContain(`| \`${name}\` |`);
  });

  it('every output is set by src/app/action-run.ts, listed in ACTION_OUTPUTS and documented in the outputs table of docs/action.md', () => {
    const set = new Set([...runSource.matchAll(/setOutput\('([a-z-]+)'/g)].map((m) => m[1]!));
    expect([...set].sort()).toEqual(Object.keys(action.outputs).sort());
    expect([...ACTION_OUTPUTS].sort()).toEqual(Object.keys(action.outputs).sort());
    const table = actionDoc.slice(actionDoc.indexOf('## Outputs'), actionDoc.indexOf('## Events'));
    for (const name of Object.keys(action.outputs)) expect(table).toContain(`\`${name}\``);
  });
});

describe('the README', () => {
  it('links every reference page, and each exists', () => {
    for (const page of ['docs/configuration.md', 'docs/action.md', 'docs/cli.md', 'docs/claims.md', 'docs/benchmark.md']) {
      expect(readme).toContain(`](${page})`);
      expect(read(page).length).toBeGreaterThan(0);
    }
  });

  it('shows the picture of a real comment, a PNG committed under docs/', () => {
    const m = /!\[[^\]]+\]\((docs\/[\w.-]+\.png)\)/.exec(readme);
    expect(m).not.toBeNull();
    const png = readFileSync(path.join(ROOT, m![1]!));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('documents every event the action treats apart, GitHub Enterprise Server and a concurrency group on the check', () => {
    const events = actionDoc.slice(actionDoc.indexOf('## Events'), actionDoc.indexOf('## Permissions'));
    for (const e of ['pull_request', 'pull_request_target', 'push', 'schedule', 'workflow_dispatch', 'merge_group', 'repository_dispatch']) expect(events).toContain(`\`${e}\``);
    expect(actionDoc).toMatch(/## GitHub Enterprise Server[\s\S]*GITHUB_API_URL[\s\S]*\/api\/v3/);
    const check = /```yaml\n(name: hydrate-check[\s\S]*?)```/.exec(actionDoc)![1]!;
    expect(check).toMatch(/^concurrency:/m);
    expect(check).toContain('merge_group');
  });
});
