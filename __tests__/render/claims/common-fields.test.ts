/** Claims as the seed system writes them: the common claim fields on every kind, and providers.external_secrets.name. */
import { describe, expect, it } from '@jest/globals';
import { createSecretsRenderer } from '../../../src/render/secrets/index.js';
import { createTerraformRenderer } from '../../../src/render/terraform/index.js';
import type { RenderedUnit } from '../../../src/render/renderer.js';
import { memoryFiles, renderInput, settingsFrom, unit } from '../terraform/fixtures.js';

const COMMON = `version: "1.0"
type: service
lifecycle: production
system: "system:shop"
owner: "group:platform"
annotations:
  firestartr.dev/claim-source: catalog
`;

async function renderSecrets(text: string): Promise<RenderedUnit> {
  const config = { secrets: [{ match: 's/{x}', output: 's/{x}', namespace: 'ns' }] };
  const [r] = await createSecretsRenderer().render(renderInput(settingsFrom(config), [unit('secrets', 's/a', {})], memoryFiles({ 's/a/claim.yaml': text })));
  return r!;
}

async function renderTerraform(text: string): Promise<RenderedUnit> {
  const config = { terraform: [{ match: 't/{x}', output: 't/{x}', namespace: 'infra', resourceTypes: { db: { backend: 'be', providers: ['aws'] } } }] };
  const [r] = await createTerraformRenderer().render(renderInput(settingsFrom(config), [unit('terraform', 't/a', {})], memoryFiles({ 't/a/claim.yaml': text })));
  return r!;
}

const located = (r: RenderedUnit): string[] => r.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`);

const secretsClaim = (providersName = '') => `kind: SecretsClaim
name: shop-prod
${COMMON}providers:
  external_secrets:
${providersName}    secretStore: {name: store}
    externalSecrets:
      secrets:
        - secretName: token
`;

describe('claims written as the seed system writes them', () => {
  it('a SecretsClaim with version, type, lifecycle, system, owner, annotations and providers.external_secrets.name renders', async () => {
    const r = await renderSecrets(secretsClaim('    name: shop-prod\n'));
    expect(located(r)).toEqual([]);
    expect(r.resources.map((x) => `${x.object['kind']}/${(x.object['metadata'] as { name: string }).name}`)).toEqual(['ExternalSecret/shop-prod']);
  });

  it('providers.external_secrets.name other than the claim name is an error at its file and line', async () => {
    const r = await renderSecrets(secretsClaim('    name: shop-staging\n'));
    expect(r.status).toBe('failed');
    expect(located(r)).toEqual([
      `s/a/claim.yaml:12: providers.external_secrets.name "shop-staging" differs from the claim's name "shop-prod": it must be the claim's name (or be left out)`
    ]);
  });

  it('a TFWorkspaceClaim with the same common fields renders', async () => {
    const r = await renderTerraform(`kind: TFWorkspaceClaim
name: db
resourceType: db
${COMMON}providers:
  terraform:
    source: remote
    module: git::https://example.com/m.git?ref=v1
    values: {a: 1}
`);
    expect(located(r)).toEqual([]);
    expect(r.resources).toHaveLength(1);
  });

  it('an unknown field is still refused, and annotations must be strings', async () => {
    const r = await renderSecrets(secretsClaim().replace('owner: "group:platform"\n', 'ownr: x\n').replace('claim-source: catalog', 'claim-source: {a: 1}'));
    expect(r.status).toBe('failed');
    const text = located(r).join('\n');
    expect(text).toMatch(/ownr/);
    expect(text).toMatch(/annotations/);
  });
});
