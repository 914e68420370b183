import { describe, it, expect } from '@jest/globals';
import { createSecretsRenderer, validateEsoObject } from '../../../src/render/secrets/index.js';
import { createTerraformRenderer } from '../../../src/render/terraform/index.js';
import { crossCheck } from '../../../src/render/cross-checks.js';
import type { RenderedUnit } from '../../../src/render/renderer.js';
import type { KubeObject } from '../../../src/resources/resource.js';
import { toCanonicalYamlStream } from '../../../src/resources/yaml.js';
import { exampleRepo, memoryFiles, renderInput, settingsFrom, unit } from '../terraform/fixtures.js';

const SDIR = 'secrets/shop/prod';
const TDIR = 'tfworkspaces/aws/shop/prod';

function find(r: RenderedUnit, kind: string, name: string): KubeObject {
  const o = r.resources.find((x) => x.object['kind'] === kind && (x.object['metadata'] as { name: string }).name === name);
  if (!o) throw new Error(`no ${kind} ${name}: ${JSON.stringify(r.diagnostics)}`);
  return o.object;
}

async function renderExample(): Promise<{ secrets: RenderedUnit; terraform: RenderedUnit }> {
  const { settings, files } = exampleRepo([SDIR, TDIR]);
  const reader = memoryFiles(files);
  const [terraform] = await createTerraformRenderer().render(
    renderInput(settings, [unit('terraform', TDIR, { platform: 'aws', tenant: 'shop', env: 'prod' })], reader)
  );
  const [secrets] = await createSecretsRenderer().render(
    renderInput(settings, [unit('secrets', SDIR, { tenant: 'shop', env: 'prod' })], reader)
  );
  return { secrets: secrets!, terraform: terraform! };
}

const config = {
  secrets: [{ match: 'secrets/{tenant}/{env}', output: 'secrets/{tenant}/{env}', namespace: 'ns', refreshInterval: '2h' }]
};

async function renderClaim(text: string): Promise<RenderedUnit> {
  const [r] = await createSecretsRenderer().render(
    renderInput(settingsFrom(config), [unit('secrets', 's/a', {})], memoryFiles({ 's/a/claim.yaml': text }))
  );
  return r!;
}

describe('secrets renderer on the example', () => {
  it('emits the ExternalSecret, Password generator, generating ExternalSecret and PushSecret', async () => {
    const { secrets } = await renderExample();
    expect(secrets.diagnostics).toEqual([]);
    expect(secrets.resources.map((r) => `${r.object['kind']}/${(r.object['metadata'] as { name: string }).name}`)).toEqual([
      'ExternalSecret/shop-prod',
      'Password/shop-db-password',
      'ExternalSecret/db-password',
      'PushSecret/db-password'
    ]);
    const main = find(secrets, 'ExternalSecret', 'shop-prod');
    expect(main['apiVersion']).toBe('external-secrets.io/v1');
    expect(main['metadata']).toEqual({ name: 'shop-prod', namespace: 'shop', labels: { 'claim-ref': 'shop-prod' } });
    expect(main['spec']).toEqual({
      refreshInterval: '10m',
      secretStoreRef: { name: 'shop-prod', kind: 'ClusterSecretStore' },
      target: { name: 'shop-prod', creationPolicy: 'Owner' },
      data: [
        { secretKey: 'stripe_api_key', remoteRef: { key: 'shop/prod/stripe' } },
        { secretKey: 'smtp_password', remoteRef: { key: 'smtp_password' } },
        { secretKey: 'db-password', remoteRef: { key: 'shop/prod/db-password' } }
      ]
    });
    expect(find(secrets, 'Password', 'shop-db-password')).toMatchObject({
      apiVersion: 'generators.external-secrets.io/v1alpha1',
      spec: { length: 32, digits: 6, symbols: 0, noUpper: false, allowRepeat: true }
    });
    expect(find(secrets, 'ExternalSecret', 'db-password')['spec']).toEqual({
      refreshInterval: '0s',
      target: { name: 'db-password', creationPolicy: 'Owner' },
      dataFrom: [{ sourceRef: { generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: 'shop-db-password' } } }]
    });
    expect(find(secrets, 'PushSecret', 'db-password')).toMatchObject({
      apiVersion: 'external-secrets.io/v1alpha1',
      spec: {
        secretStoreRefs: [{ name: 'shop-prod', kind: 'ClusterSecretStore' }],
        selector: { secret: { name: 'db-password' } },
        data: [{ conversionStrategy: 'None', match: { secretKey: 'password', remoteRef: { remoteKey: 'shop/prod/db-password' } } }]
      }
    });
    expect(secrets.provides).toEqual([
      { ref: 'secret:shop-prod/db-password' },
      { ref: 'secret:shop-prod/smtp_password' },
      { ref: 'secret:shop-prod/stripe_api_key' }
    ]);
  });

  it('every emitted object validates with the ESO models, and a broken one does not', async () => {
    const { secrets } = await renderExample();
    // The renderer drops objects that fail validation with an error: none may be missing.
    expect(secrets.diagnostics).toEqual([]);
    expect(secrets.resources.map((r) => r.object['kind']).sort()).toEqual(['ExternalSecret', 'ExternalSecret', 'Password', 'PushSecret']);
    for (const r of secrets.resources) expect(await validateEsoObject(r.object)).toBeUndefined();
    const broken = structuredClone(find(secrets, 'ExternalSecret', 'shop-prod'));
    (broken['spec'] as { target: { creationPolicy: string } }).target.creationPolicy = 'Sometimes';
    expect(await validateEsoObject(broken)).toContain('creationPolicy');
  });

  it('resolves the workspace secret placeholder through cross-checks', async () => {
    const { secrets, terraform } = await renderExample();
    expect(crossCheck([terraform, secrets])).toEqual([]);
    // Without the secrets unit, the reference dangles: an error at the placeholder.
    expect(crossCheck([terraform])).toEqual([
      {
        severity: 'error',
        unit: `terraform:${TDIR}`,
        file: `${TDIR}/database.yaml`,
        line: 17,
        col: 24,
        message:
          'unknown secret key "db-password" in SecretsClaim "shop-prod" (placeholder ${{ secret:shop-prod.db-password }} in claim "shop-db"); declare it in that SecretsClaim or fix the placeholder'
      }
    ]);
  });
});

describe('secrets claims', () => {
  const head = `kind: SecretsClaim
name: app
providers:
  external_secrets:
    secretStore: {name: store}
`;
  it('uses the entry refreshInterval and remoteRef defaults', async () => {
    const r = await renderClaim(`${head}    externalSecrets:\n      secrets:\n        - secretName: token\n`);
    expect(r.diagnostics).toEqual([]);
    expect(find(r, 'ExternalSecret', 'app')['spec']).toEqual({
      refreshInterval: '2h',
      secretStoreRef: { name: 'store', kind: 'SecretStore' },
      target: { name: 'app', creationPolicy: 'Owner' },
      data: [{ secretKey: 'token', remoteRef: { key: 'token' } }]
    });
  });

  it('does not emit a Password for an existing generator', async () => {
    const r = await renderClaim(
      `${head}    pushSecrets:\n      - secretName: pw\n        generator: {name: shared-gen, existing: true}\n`
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.resources.map((x) => x.object['kind'])).toEqual(['ExternalSecret', 'ExternalSecret', 'PushSecret']);
  });

  it('names file:line:col of a bad claim field', async () => {
    const r = await renderClaim(`${head}    externalSecrets:\n      secrets:\n        - secretName: "bad key!"\n`);
    expect(r.status).toBe('failed');
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`)).toEqual([
      's/a/claim.yaml:8:23: invalid SecretsClaim field "providers.external_secrets.externalSecrets.secrets.0.secretName": must match ^[a-zA-Z0-9._-]+$'
    ]);
  });

  it('rejects a duplicate key', async () => {
    const r = await renderClaim(
      `${head}    externalSecrets:\n      secrets:\n        - secretName: k\n        - secretName: k\n`
    );
    expect(r.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual(['9: duplicate secret key "k" in SecretsClaim "app"']);
  });

  it('a failed unit provides nothing, like a failed terraform unit', async () => {
    const r = await renderClaim(
      `${head}    externalSecrets:\n      secrets:\n        - secretName: k\n        - secretName: k\n        - secretName: other\n`
    );
    expect(r.status).toBe('failed');
    expect(r.resources).toEqual([]);
    expect(r.provides).toEqual([]);
  });

  it('rejects a SecretsClaim name used twice', async () => {
    const text = `kind: SecretsClaim\nname: app\nproviders:\n  external_secrets:\n    secretStore: {name: store}\n`;
    const [r] = await createSecretsRenderer().render(
      renderInput(settingsFrom(config), [unit('secrets', 's/a', {})], memoryFiles({ 's/a/a.yaml': text, 's/a/b.yaml': text }))
    );
    expect(r!.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`)).toEqual([
      's/a/b.yaml:2:7: duplicate SecretsClaim "app" (also in s/a/a.yaml); claim names must be unique'
    ]);
  });

  it('passes Vault placeholders and ${VAR} through byte-for-byte', async () => {
    const r = await renderClaim(
      `${head}    externalSecrets:\n      secrets:\n        - secretName: a\n          remoteRef: "<path:kv/data/app#password>"\n        - secretName: b\n          remoteRef: "\${REMOTE_KEY}"\n`
    );
    expect(r.diagnostics).toEqual([]);
    const yaml = toCanonicalYamlStream(r.resources.map((x) => x.object));
    expect(yaml).toContain('key: <path:kv/data/app#password>');
    expect(yaml).toContain('key: ${REMOTE_KEY}');
  });
});
