/** Config for the plain-directory rule and the secrets allow-list: defaults, merging, located errors. */
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../src/diagnostics.js';
import { parseConfig } from '../../src/settings/load-config.js';
import { plainRuleOf } from '../../src/render/kubernetes/plain-dir.js';

function errorsOf(text: string): string[] {
  try {
    parseConfig(text, 'hydrate.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`);
    throw e;
  }
  return [];
}

describe('plain rule config', () => {
  it('defaults to recursing over YAML files; an entry overrides the repository default field by field', () => {
    const none = parseConfig('version: 1\nkubernetes:\n  - {match: "a/{x}", output: "{x}"}\n', 'hydrate.yaml');
    expect(plainRuleOf(none, none.kubernetes[0]!)).toEqual({ recurse: true, include: ['**/*.yaml', '**/*.yml'], exclude: [] });
    const c = parseConfig(
      'version: 1\ndefaults:\n  plain: {recurse: false, exclude: ["tmp/**"]}\nkubernetes:\n  - {match: "a/{x}", output: "{x}"}\n  - {match: "b/{x}", output: "b{x}", plain: {recurse: true}}\n',
      'hydrate.yaml'
    );
    expect(plainRuleOf(c, c.kubernetes[0]!)).toEqual({ recurse: false, include: ['**/*.yaml', '**/*.yml'], exclude: ['tmp/**'] });
    expect(plainRuleOf(c, c.kubernetes[1]!)).toEqual({ recurse: true, include: ['**/*.yaml', '**/*.yml'], exclude: ['tmp/**'] });
  });

  it('locates a wrong plain field and an allow-list entry with neither name nor generator', () => {
    expect(errorsOf('version: 1\nkubernetes:\n  - match: a/{x}\n    output: "{x}"\n    plain: {recurse: "yes", depth: 2}\n')).toEqual([
      '5:22: kubernetes[0].plain.recurse: Invalid input: expected boolean, received string',
      '5:29: kubernetes[0].plain: unknown key "depth": check the spelling (see schema/hydrate.schema.json)'
    ]);
    expect(errorsOf('version: 1\npolicy:\n  allowSecrets:\n    - namespace: web\n      reason: x\n')).toEqual(['4:7: policy.allowSecrets[0]: give `name` or `generator`']);
    expect(errorsOf('version: 1\npolicy:\n  allowSecrets:\n    - {generator: app-creds, reason: dev dummy}\n')).toEqual([]);
  });
});
