import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { schemaJson, SCHEMA_PATH } from '../../scripts/generate-schema.js';

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
