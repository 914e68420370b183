import { describe, it, expect } from '@jest/globals';
import { createTerraformRenderer, defaultStateKey } from '../../../src/render/terraform/index.js';
import type { RenderedUnit } from '../../../src/render/renderer.js';
import type { KubeObject } from '../../../src/resources/resource.js';
import { toCanonicalYaml } from '../../../src/resources/yaml.js';
import { exampleRepo, memoryFiles, previousWet, renderInput, settingsFrom, unit } from './fixtures.js';
import { loadWorkspaceValidator } from './crd-validator.js';

const DIR = 'tfworkspaces/aws/shop/prod';
const COORDS = { platform: 'aws', tenant: 'shop', env: 'prod' };

const baseConfig = {
  terraform: [
    {
      match: 'tfworkspaces/{platform}/{tenant}/{env}',
      output: 'tfworkspaces/{platform}/{tenant}/{env}',
      namespace: 'infra',
      resourceTypes: {
        db: { backend: 'be', providers: ['aws'] },
        net: { backend: 'be', providers: ['aws', 'extra'] }
      },
      overrides: [{ when: { env: 'prod' }, resourceTypes: { db: { backend: 'be-prod', providers: ['aws-prod'] } } }]
    }
  ]
};

function claim(name: string, extra = '', values = '      a: 1\n', resourceType = 'db'): string {
  return `kind: TFWorkspaceClaim
name: ${name}
resourceType: ${resourceType}
providers:
  terraform:
    source: remote
    module: git::https://example.com/m.git?ref=v1
${extra}    values:
${values}`;
}

async function render(
  files: Record<string, string>,
  opts: { dir?: string; config?: unknown; previous?: ReturnType<typeof previousWet> } = {}
): Promise<RenderedUnit> {
  const dir = opts.dir ?? DIR;
  const settings = settingsFrom(opts.config ?? baseConfig);
  const results = await createTerraformRenderer().render(
    renderInput(settings, [unit('terraform', dir, COORDS)], memoryFiles(files), opts.previous)
  );
  return results[0]!;
}

function spec(o: KubeObject): Record<string, unknown> {
  return o['spec'] as Record<string, unknown>;
}
function byClaim(r: RenderedUnit, name: string): KubeObject {
  const found = r.resources.find((x) => (x.object['metadata'] as { labels: Record<string, string> }).labels['claim-ref'] === name);
  if (!found) throw new Error(`no workspace for ${name}: ${JSON.stringify(r.diagnostics)}`);
  return found.object;
}
function messages(r: RenderedUnit): string[] {
  return r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`);
}

describe('terraform renderer on the example', () => {
  it('renders the three example claims into valid workspaces', async () => {
    const { settings, files } = exampleRepo([DIR]);
    const [r] = await createTerraformRenderer().render(renderInput(settings, [unit('terraform', DIR, COORDS)], memoryFiles(files)));
    expect(r!.diagnostics).toEqual([]);
    expect(r!.status).toBe('rendered');
    expect(r!.resources).toHaveLength(3);

    const db = byClaim(r!, 'shop-db');
    const dbKey = defaultStateKey('shop-db');
    expect(db['apiVersion']).toBe('firestartr.dev/v1');
    expect(db['kind']).toBe('FirestartrTerraformWorkspace');
    expect(db['metadata']).toEqual({
      name: `shop-db-${dbKey}`,
      namespace: 'firestartr',
      labels: { 'claim-ref': 'shop-db' },
      annotations: {
        'firestartr.dev/claim-ref': 'TFWorkspaceClaim/shop-db',
        'firestartr.dev/external-name': 'shop-db',
        'firestartr.dev/policy': 'apply',
        'firestartr.dev/sync-enabled': 'true',
        'firestartr.dev/sync-period': '24h',
        'firestartr.dev/sync-policy': 'observe'
      }
    });
    // The prod override wins for aws-rds.
    expect(spec(db)['context']).toEqual({
      backend: { ref: { kind: 'FirestartrProviderConfig', name: 'aws-backend-prod' } },
      providers: [{ ref: { kind: 'FirestartrProviderConfig', name: 'aws-provider-prod' } }]
    });
    expect(spec(db)['source']).toBe('Remote');
    expect(spec(db)['firestartr']).toEqual({ tfStateKey: dbKey });
    const net = byClaim(r!, 'shop-network');
    const netName = `shop-network-${defaultStateKey('shop-network')}`;
    expect(spec(db)['references']).toEqual([
      { name: 'secret-shop-prod-db-password', ref: { kind: 'Secret', name: 'shop-prod', key: 'db-password' } },
      { name: 'tfworkspace-shop-network-private_subnets', ref: { kind: 'FirestartrTerraformWorkspace', name: netName, key: 'private_subnets' } },
      { name: 'tfworkspace-shop-network-vpc_id', ref: { kind: 'FirestartrTerraformWorkspace', name: netName, key: 'vpc_id' } }
    ]);
    const values = JSON.parse(spec(db)['values'] as string) as Record<string, unknown>;
    expect(values['master_password']).toBe('${{ references.secret-shop-prod-db-password }}');
    expect(values['vpc_id']).toBe('${{ references.tfworkspace-shop-network-vpc_id }}');
    expect(Object.keys(values)).toEqual([...Object.keys(values)].sort());
    expect(spec(db)['writeConnectionSecretToRef']).toEqual({ name: 'shop-db-outputs', outputs: [{ key: 'endpoint' }, { key: 'port' }] });
    expect(r!.requires).toEqual([
      expect.objectContaining({ ref: 'secret:shop-prod/db-password', unit: `terraform:${DIR}`, file: `${DIR}/database.yaml`, line: 17 })
    ]);

    expect(spec(net)['source']).toBe('Inline');
    expect(spec(net)['module']).toContain('output "vpc_id"');
    expect(spec(net)['files']).toEqual([
      { path: 'versions.tf', content: Buffer.from('terraform {\n  required_version = ">= 1.6"\n}\n').toString('base64') }
    ]);
    expect(spec(net)['context']).toEqual({
      backend: { ref: { kind: 'FirestartrProviderConfig', name: 'aws-backend-shared' } },
      providers: [{ ref: { kind: 'FirestartrProviderConfig', name: 'aws-provider-shared' } }]
    });

    const cache = byClaim(r!, 'shop-cache');
    expect((cache['metadata'] as { name: string }).name).toBe('shop-cache-6f1c2b7e-3d4a-4e8f-9a0b-1c2d3e4f5a6b');
    expect(spec(cache)['firestartr']).toEqual({ tfStateKey: '6f1c2b7e-3d4a-4e8f-9a0b-1c2d3e4f5a6b' });
  });

  it('every emitted workspace validates against the CRD schema', async () => {
    const validate = loadWorkspaceValidator();
    const { settings, files } = exampleRepo([DIR]);
    const [r] = await createTerraformRenderer().render(renderInput(settings, [unit('terraform', DIR, COORDS)], memoryFiles(files)));
    expect(r!.resources.length).toBeGreaterThan(0);
    for (const res of r!.resources) expect(validate(res.object)).toEqual([]);
    // The validator does reject a broken workspace.
    expect(validate({ metadata: {}, spec: { source: 'Remote' } }).length).toBeGreaterThan(0);
  });

  it('passes Vault placeholders and ${VAR} substitutions through byte-for-byte', async () => {
    const { settings, files } = exampleRepo([DIR]);
    const [r] = await createTerraformRenderer().render(renderInput(settings, [unit('terraform', DIR, COORDS)], memoryFiles(files)));
    const values = JSON.parse(spec(byClaim(r!, 'shop-db'))['values'] as string) as Record<string, unknown>;
    expect(values['monitoring_token']).toBe('<path:kv/data/shop#monitoring>');
    expect(values['cluster_env']).toBe('${CLUSTER_ENV}');
    expect(toCanonicalYaml(byClaim(r!, 'shop-db'))).toContain('<path:kv/data/shop#monitoring>');
  });
});

describe('state key', () => {
  it('stays the same when the unit dir is renamed and files are reordered', async () => {
    const a = await render({ [`${DIR}/a.yaml`]: claim('one'), [`${DIR}/b.yaml`]: claim('two') });
    const moved = 'tfworkspaces/aws/shop/production';
    const b = await render({ [`${moved}/z.yaml`]: claim('one'), [`${moved}/0.yaml`]: claim('two') }, { dir: moved });
    const key = (r: RenderedUnit, n: string) => (spec(byClaim(r, n))['firestartr'] as { tfStateKey: string }).tfStateKey;
    expect(key(a, 'one')).toBe(defaultStateKey('one'));
    expect(key(b, 'one')).toBe(key(a, 'one'));
    expect(key(b, 'two')).toBe(key(a, 'two'));
    expect(key(a, 'one')).not.toBe(key(a, 'two'));
    expect(key(a, 'one')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps the key of the workspace already deployed', async () => {
    const previous = previousWet({
      'tfworkspaces/old/FirestartrTerraformWorkspace.one-old.yml':
        'apiVersion: firestartr.dev/v1\nkind: FirestartrTerraformWorkspace\nmetadata:\n  name: one-1111\n  labels:\n    claim-ref: one\nspec:\n  firestartr:\n    tfStateKey: "1111"\n'
    });
    const r = await render({ [`${DIR}/a.yaml`]: claim('one') }, { previous });
    expect(r.diagnostics).toEqual([]);
    expect(spec(byClaim(r, 'one'))['firestartr']).toEqual({ tfStateKey: '1111' });
    expect((byClaim(r, 'one')['metadata'] as { name: string }).name).toBe('one-1111');
  });

  it('rejects a claim key that differs from the deployed one, naming both keys', async () => {
    const previous = previousWet({
      'tfworkspaces/old/w.yml':
        'apiVersion: firestartr.dev/v1\nkind: FirestartrTerraformWorkspace\nmetadata:\n  name: one-1111\n  labels:\n    claim-ref: one\nspec:\n  firestartr:\n    tfStateKey: "1111"\n'
    });
    const r = await render({ [`${DIR}/a.yaml`]: claim('one', '    tfStateKey: "2222"\n') }, { previous });
    expect(r.status).toBe('failed');
    expect(r.resources).toEqual([]);
    expect(messages(r)).toEqual([
      `${DIR}/a.yaml:8:17: tfStateKey of claim "one" changes from "1111" (deployed) to "2222": the Terraform state would be orphaned; restore "1111", or add "one" to allowStateKeyChange of this terraform entry to abandon the old state`
    ]);
    const config = { terraform: [{ ...baseConfig.terraform[0]!, allowStateKeyChange: ['one'] }] };
    const allowed = await render({ [`${DIR}/a.yaml`]: claim('one', '    tfStateKey: "2222"\n') }, { previous, config });
    expect(allowed.diagnostics).toEqual([]);
    expect(spec(byClaim(allowed, 'one'))['firestartr']).toEqual({ tfStateKey: '2222' });
  });
});

describe('errors', () => {
  it('names file:line:col of a bad claim field', async () => {
    const text = claim('one').replace('source: remote', 'source: git');
    const r = await render({ [`${DIR}/a.yaml`]: text });
    expect(r.status).toBe('failed');
    expect(messages(r)).toEqual([
      `${DIR}/a.yaml:6:13: invalid TFWorkspaceClaim field "providers.terraform.source": Invalid option: expected one of "remote"|"inline"`
    ]);
  });

  it('names an unknown key at the key itself', async () => {
    const r = await render({ [`${DIR}/a.yaml`]: claim('one') + 'colour: red\n' });
    expect(messages(r)).toEqual([`${DIR}/a.yaml:10:1: invalid TFWorkspaceClaim field "colour": Unrecognized key: "colour"`]);
  });

  it('rejects an unknown resourceType at its line', async () => {
    const r = await render({ [`${DIR}/a.yaml`]: claim('one', '', '      a: 1\n', 'queue') });
    expect(messages(r)).toEqual([
      `${DIR}/a.yaml:3:15: unknown resourceType "queue" in claim "one"; add it to resourceTypes of the terraform entry "tfworkspaces/{platform}/{tenant}/{env}" (known: db, net)`
    ]);
  });

  it('rejects a malformed placeholder at its line', async () => {
    const r = await render({ [`${DIR}/a.yaml`]: claim('one', '', '      a: 1\n      b: "x-${{ secrets:foo }}"\n') });
    expect(messages(r)).toEqual([
      `${DIR}/a.yaml:10:10: malformed placeholder "\${{ secrets:foo }}" in claim "one"; use \${{ secret:<claim>.<key> }} or \${{ tfworkspace:<claim>:outputs.<output> }}`
    ]);
  });

  it('rejects a reference to an unknown workspace and to an undeclared output', async () => {
    const r = await render({
      [`${DIR}/a.yaml`]: claim('one', '', '      a: "${{ tfworkspace:nope:outputs.x }}"\n      b: "${{ tfworkspace:two:outputs.y }}"\n'),
      [`${DIR}/b.yaml`]: claim('two', '    writeConnectionSecretToRef:\n      outputs: [x]\n')
    });
    expect(messages(r)).toEqual([
      `${DIR}/a.yaml:9:10: unknown TFWorkspaceClaim "nope" in placeholder \${{ tfworkspace:nope:outputs.x }} of claim "one"`,
      `${DIR}/a.yaml:10:10: TFWorkspaceClaim "two" does not declare output "y" (placeholder \${{ tfworkspace:two:outputs.y }} in claim "one"); add it to providers.terraform.writeConnectionSecretToRef.outputs of "two"`
    ]);
  });

  it('rejects a cycle between workspaces, listing it', async () => {
    const outputs = '    writeConnectionSecretToRef:\n      outputs: [o]\n';
    const r = await render({
      [`${DIR}/a.yaml`]: claim('aa', outputs, '      x: "${{ tfworkspace:bb:outputs.o }}"\n'),
      [`${DIR}/b.yaml`]: claim('bb', outputs, '      x: "${{ tfworkspace:cc:outputs.o }}"\n'),
      [`${DIR}/c.yaml`]: claim('cc', outputs, '      x: "${{ tfworkspace:aa:outputs.o }}"\n')
    });
    expect(r.status).toBe('failed');
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      'workspace references form a cycle: aa -> bb -> cc -> aa; a workspace cannot depend on its own outputs'
    ]);
    expect(r.diagnostics[0]).toMatchObject({ file: `${DIR}/a.yaml`, line: 11 });
  });

  it('rejects a claim name used twice, pointing at the first', async () => {
    const r = await render({ [`${DIR}/a.yaml`]: claim('one'), [`${DIR}/b.yaml`]: claim('one') });
    expect(messages(r)).toEqual([
      `${DIR}/b.yaml:2:7: duplicate TFWorkspaceClaim "one" (first at ${DIR}/a.yaml:2); claim names must be unique`
    ]);
  });

  it('uses the entry mapping when no override matches the unit', async () => {
    const settings = settingsFrom(baseConfig);
    const [r] = await createTerraformRenderer().render(
      renderInput(settings, [unit('terraform', 'tfworkspaces/aws/shop/dev', { ...COORDS, env: 'dev' })], memoryFiles({ 'tfworkspaces/aws/shop/dev/a.yaml': claim('one') }))
    );
    expect(spec(byClaim(r!, 'one'))['context']).toEqual({
      backend: { ref: { kind: 'FirestartrProviderConfig', name: 'be' } },
      providers: [{ ref: { kind: 'FirestartrProviderConfig', name: 'aws' } }]
    });
  });

  it('resolves a reference to a workspace deployed by a unit outside this run', async () => {
    const previous = previousWet({
      'tfworkspaces/other/w.yml':
        'apiVersion: firestartr.dev/v1\nkind: FirestartrTerraformWorkspace\nmetadata:\n  name: net-abc\n  labels:\n    claim-ref: net\nspec:\n  firestartr:\n    tfStateKey: abc\n  writeConnectionSecretToRef:\n    name: net-outputs\n    outputs:\n      - key: vpc\n'
    });
    const r = await render({ [`${DIR}/a.yaml`]: claim('one', '', '      v: "${{ tfworkspace:net:outputs.vpc }}"\n') }, { previous });
    expect(r.diagnostics).toEqual([]);
    expect(spec(byClaim(r, 'one'))['references']).toEqual([
      { name: 'tfworkspace-net-vpc', ref: { kind: 'FirestartrTerraformWorkspace', name: 'net-abc', key: 'vpc' } }
    ]);
  });

  it('rejects a state key that makes the workspace name invalid', async () => {
    const r = await render({ [`${DIR}/a.yaml`]: claim('one', '    tfStateKey: Key_1\n') });
    expect(messages(r)).toEqual([
      `${DIR}/a.yaml:8:17: workspace name "one-Key_1" (<claim name>-<tfStateKey>) is not a valid DNS-1123 name; use a tfStateKey of lowercase letters, digits and "-"`
    ]);
  });

  it('emits a requires entry for every secret placeholder', async () => {
    const r = await render({ [`${DIR}/a.yaml`]: claim('one', '', '      p: "${{ secret:app.db_pass }}"\n') });
    expect(r.requires).toEqual([
      {
        ref: 'secret:app/db_pass',
        unit: `terraform:${DIR}`,
        file: `${DIR}/a.yaml`,
        line: 9,
        col: 10,
        message: 'unknown secret key "db_pass" in SecretsClaim "app" (placeholder ${{ secret:app.db_pass }} in claim "one"); declare it in that SecretsClaim or fix the placeholder'
      }
    ]);
  });
});
