/**
 * The usage docs stay true to the code: every action input and output in action.yml is read or
 * set by the action and documented in the README, and nothing is read that action.yml lacks.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
const action = parse(read('action.yml')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
};
const readme = read('README.md');
const inputsSource = read('src/action/inputs.ts');
const mainSource = read('src/action/main.ts');

describe('action.yml, the code and the README agree', () => {
  it('action.yml is valid YAML that runs the committed bundle on Node 24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(readFileSync(path.join(ROOT, action.runs.main), 'utf8').length).toBeGreaterThan(0);
  });

  it('every input is read by src/action/inputs.ts and documented in the README inputs table', () => {
    const read = new Set([...inputsSource.matchAll(/(?:getInput|booleanInput)\('([a-z-]+)'\)/g)].map((m) => m[1]!));
    expect([...read].sort()).toEqual(Object.keys(action.inputs).sort());
    const table = readme.slice(readme.indexOf('### Inputs'), readme.indexOf('### Outputs'));
    for (const name of Object.keys(action.inputs)) expect(table).toContain(`| \`${name}\` |`);
  });

  it('every output is set by src/action/main.ts and documented in the README outputs table', () => {
    const set = new Set([...mainSource.matchAll(/setOutput\('([a-z-]+)'/g)].map((m) => m[1]!));
    expect([...set].sort()).toEqual(Object.keys(action.outputs).sort());
    const table = readme.slice(readme.indexOf('### Outputs'), readme.indexOf('### Events'));
    for (const name of Object.keys(action.outputs)) expect(table).toContain(`\`${name}\``);
  });
});
