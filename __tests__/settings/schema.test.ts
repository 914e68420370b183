import { describe, it, expect } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { githubRepository, schemaId, schemaJson, SCHEMA_PATH } from '../../scripts/generate-schema.js';

const committed = readFileSync(fileURLToPath(new URL(`../../${SCHEMA_PATH}`, import.meta.url)), 'utf8');

describe('schema/hydrate.schema.json', () => {
  it('is up to date with the zod schema (run `npm run schema` after changing it)', () => {
    expect(committed).toBe(schemaJson());
  });

  it('is deterministic, 2-space JSON with a trailing newline', () => {
    expect(schemaJson()).toBe(schemaJson());
    expect(committed.endsWith('}\n')).toBe(true);
    expect(committed.split('\n')[1]).toMatch(/^ {2}"\$schema"/);
    const parsed = JSON.parse(committed) as Record<string, unknown>;
    expect(parsed['$id']).toEqual(expect.any(String));
    expect(parsed['title']).toEqual(expect.any(String));
    expect(parsed['$schema']).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('has a stable $id: the raw file at the major tag of the repository package.json names', () => {
    const parsed = JSON.parse(committed) as Record<string, unknown>;
    expect(parsed['$id']).toBe('https://raw.githubusercontent.com/hydrate-gitops/hydrate/v0/schema/hydrate.schema.json');
    expect(schemaId({ version: '1.4.2', repository: { url: 'git+https://github.com/acme/hydrate.git' } })).toBe(
      'https://raw.githubusercontent.com/acme/hydrate/v1/schema/hydrate.schema.json'
    );
    expect(githubRepository({ repository: 'git@github.com:acme/tool.git' })).toBe('acme/tool');
    expect(() => githubRepository({ repository: { url: 'https://gitlab.com/acme/tool.git' } })).toThrow(/GitHub/);
  });

  it('the README and docs name the same repository: the action, the schema line, the CHANGELOG links', () => {
    const repo = githubRepository();
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const docs = ['README.md', 'CHANGELOG.md', 'CONTRIBUTING.md', ...readdirSync(`${root}docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const text = docs.map((f) => readFileSync(`${root}${f}`, 'utf8')).join('\n');
    expect(text).not.toMatch(/<owner>|OWNER\//);
    for (const m of text.matchAll(/uses: ([\w.-]+\/hydrate)@/g)) expect(m[1]).toBe(repo);
    for (const m of text.matchAll(/github\.com\/([\w.-]+\/hydrate)\//g)) expect(m[1]).toBe(repo);
    const readme = readFileSync(`${root}README.md`, 'utf8');
    expect(readme).toContain(`uses: ${repo}@v0`);
    expect(readme).toContain(`# yaml-language-server: $schema=${schemaId()}`);
  });

  it('accepts a sample config and rejects unknown keys and wrong types', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(committed) as object);
    const sample = parse(
      [
        'version: 1',
        'sources:',
        '  - name: charts',
        '    path: vendor/charts',
        'kubernetes:',
        '  - match: apps/{app}/clusters/{cluster}',
        '    output: clusters/{cluster}/{app}',
        '    exclude: [apps/legacy/**]',
        'terraform:',
        '  - match: tf/{tenant}/{env}',
        '    output: tf/{tenant}/{env}',
        '    resourceTypes:',
        '      github: { backend: gh-backend, providers: [gh] }',
        'policy:',
        '  concurrency: 4',
        ''
      ].join('\n')
    ) as unknown;
    expect(validate(sample)).toBe(true);
    expect(validate({ kubernetes: [{ match: 'a/{x}', output: 'o/{x}', typo: true }] })).toBe(false);
    expect(validate({ policy: { concurrency: 'many' } })).toBe(false);
    expect(validate({ kubernetes: [{ output: 'o' }] })).toBe(false);
  });
});
