import { describe, it, expect } from '@jest/globals';
import { secretsPolicyGate } from '../../../src/render/policy.js';
import { crossCheck } from '../../../src/render/cross-checks.js';
import { formatDiagnostic } from '../../../src/diagnostics.js';
import type { UnitResult } from '../../../src/render/renderer.js';
import type { KubeObject } from '../../../src/resources/resource.js';
import { unit } from '../terraform/fixtures.js';

const CANARY = 'c4n4ry-S3CR3T-value-0xdeadbeef';
const CANARY_B64 = Buffer.from(CANARY).toString('base64');

function result(objects: KubeObject[], artifacts: UnitResult['artifacts'] = [], id = 'apps/web'): UnitResult {
  const u = unit('kubernetes', id, {});
  return {
    unit: u,
    status: 'rendered',
    resources: objects.map((object, i) => ({ object, unit: u.id, source: { file: `${id}/secret.yaml`, line: 1 + i * 10, col: 1 } })),
    artifacts,
    diagnostics: [],
    digest: ''
  };
}

const plaintext: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'web' },
  data: { password: CANARY_B64 },
  stringData: { token: CANARY }
};

describe('secrets policy gate', () => {
  it('rejects a v1 Secret with data, naming unit, object and file, never the value', () => {
    const diags = secretsPolicyGate([result([plaintext])], []);
    expect(diags).toEqual([
      {
        severity: 'error',
        unit: 'kubernetes:apps/web',
        file: 'apps/web/secret.yaml',
        line: 1,
        col: 1,
        message:
          'plaintext Secret web/db (with data and stringData) in unit kubernetes:apps/web from apps/web/secret.yaml: secrets must not be committed; encrypt it with SOPS, use a SealedSecret, an ExternalSecret (a SecretsClaim) or a Vault placeholder, or allow-list it in policy.allowSecrets with a reason'
      }
    ]);
    const text = JSON.stringify(diags) + diags.map(formatDiagnostic).join('\n');
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(CANARY_B64);
    expect(text).not.toContain('password');
  });

  it('checks YAML artifacts too', () => {
    const content = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\nstringData:\n  key: ${CANARY}\n`;
    const diags = secretsPolicyGate(
      [result([], [{ path: 'extra/leak.yaml', content, source: 'apps/web/extra_artifacts/leak.yaml' }])],
      []
    );
    expect(diags.map((d) => `${d.file}:${d.line}: ${d.message}`)).toEqual([
      'apps/web/extra_artifacts/leak.yaml:5: plaintext Secret leaked (with stringData) in unit kubernetes:apps/web (artifact extra/leak.yaml) from apps/web/extra_artifacts/leak.yaml: secrets must not be committed; encrypt it with SOPS, use a SealedSecret, an ExternalSecret (a SecretsClaim) or a Vault placeholder, or allow-list it in policy.allowSecrets with a reason'
    ]);
    expect(JSON.stringify(diags)).not.toContain(CANARY);
  });

  it('lets through Secrets without data, other API versions, ESO objects and Vault placeholders', () => {
    const diags = secretsPolicyGate(
      [
        result([
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'empty' }, type: 'kubernetes.io/service-account-token' },
          { apiVersion: 'example.com/v1', kind: 'Secret', metadata: { name: 'custom' }, data: { a: 'b' } },
          { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'es' }, spec: {} },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { pw: '<path:kv/data/app#password>' } }
        ])
      ],
      []
    );
    expect(diags).toEqual([]);
  });

  it('honours the allow-list by namespace, name and unit', () => {
    const allow = [{ namespace: 'web', name: 'db', reason: 'test fixture' }];
    expect(secretsPolicyGate([result([plaintext])], allow)).toEqual([]);
    const otherUnit = [{ unit: 'kubernetes:apps/other', namespace: 'web', name: 'db', reason: 'other unit only' }];
    expect(secretsPolicyGate([result([plaintext])], otherUnit)).toHaveLength(1);
    const sameUnit = [{ unit: 'kubernetes:apps/web', namespace: 'web', name: 'db', reason: 'this unit' }];
    expect(secretsPolicyGate([result([plaintext])], sameUnit)).toEqual([]);
    const otherNs = [{ namespace: 'api', name: 'db', reason: 'different namespace' }];
    expect(secretsPolicyGate([result([plaintext])], otherNs)).toHaveLength(1);
  });
});

describe('secrets policy gate: Secrets that are safe in git', () => {
  const sopsSecret = (values: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'web' },
    type: 'Opaque',
    data: values,
    sops: { kms: [], age: [{ recipient: 'age1xyz', enc: '-----BEGIN AGE ENCRYPTED FILE-----' }], lastmodified: '2024-01-01T00:00:00Z', mac: 'ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]', version: '3.8.1' }
  });
  const ENC = 'ENC[AES256_GCM,data:8Jq0Ug==,iv:2YQ3bAQ0+8k=,tag:Zt3Xl9lA7ZcF2+g9Mg==,type:str]';

  it('passes a SOPS-encrypted Secret whose every value is ENC[...]', () => {
    expect(secretsPolicyGate([result([sopsSecret({ password: ENC, user: ENC })])], [])).toEqual([]);
  });

  it('refuses a SOPS Secret with a clear value, naming the key and never the value', () => {
    const diags = secretsPolicyGate([result([sopsSecret({ password: ENC, token: CANARY_B64 })])], []);
    expect(diags).toHaveLength(1);
    expect(diags[0]!.message).toContain('SOPS-encrypted Secret web/db');
    expect(diags[0]!.message).toContain('clear values at data.token');
    expect(diags[0]!.message).not.toContain('data.password');
    expect(JSON.stringify(diags)).not.toContain(CANARY_B64);
    expect(JSON.stringify(diags)).not.toContain(CANARY);
  });

  it('passes SealedSecrets and Secrets whose every value is an ArgoCD Vault Plugin placeholder', () => {
    const sealed: KubeObject = { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 's', namespace: 'web' }, spec: { encryptedData: { a: 'AgBy3i4OJSWK+PiTySYZZA==' } } };
    const avp: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'avp', annotations: { 'avp.kubernetes.io/path': 'kv/data/app' } },
      stringData: { password: '<path:kv/data/app#password>', user: '<path:kv/data/app#user | base64encode>' },
      data: { token: Buffer.from('<path:kv/data/app#token>').toString('base64') }
    };
    expect(secretsPolicyGate([result([sealed, avp])], [])).toEqual([]);
    // A placeholder inside a longer value, or one clear value next to placeholders, is plaintext.
    const mixed: KubeObject = { ...avp, stringData: { password: '<path:kv/data/app#password>', user: CANARY } };
    const embedded: KubeObject = { ...avp, data: undefined, stringData: { url: `postgres://u:<path:kv/data/app#password>@db` } };
    expect(secretsPolicyGate([result([mixed])], [])).toHaveLength(1);
    expect(secretsPolicyGate([result([embedded])], [])).toHaveLength(1);
  });

  it('passes a Secret whose data or stringData holds nothing (data: ~, stringData: ~, data: {})', () => {
    const docs = 'apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: ~\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\nstringData: ~\ndata: {}\n';
    const diags = secretsPolicyGate([result([], [{ path: 'empty.yaml', content: docs, source: 'apps/web/extra_artifacts/empty.yaml' }])], []);
    expect(diags).toEqual([]);
  });

  it('allow-lists a secretGenerator by its generator name, whatever the hash suffix, with globs and a unit scope', () => {
    const generated = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'web' }, data: { k: CANARY_B64 } });
    const allow = [{ unit: 'kubernetes:apps/*', namespace: 'web', generator: 'app-creds', reason: 'dummy credentials of the dev cluster' }];
    expect(secretsPolicyGate([result([generated('app-creds-7fk2dh8m9g')])], allow)).toEqual([]);
    expect(secretsPolicyGate([result([generated('app-creds-t6b5g2c4kd')])], allow)).toEqual([]);
    // Not a kustomize hash suffix, another generator, another unit: refused.
    expect(secretsPolicyGate([result([generated('app-creds-extra')])], allow)).toHaveLength(1);
    expect(secretsPolicyGate([result([generated('app-credentials-7fk2dh8m9g')])], allow)).toHaveLength(1);
    expect(secretsPolicyGate([result([generated('app-creds-7fk2dh8m9g')], [], 'other/web')], allow)).toHaveLength(1);
    // Globs on name and namespace.
    const glob = [{ namespace: 'w*', name: 'public-*', reason: 'public CA bundles' }];
    expect(secretsPolicyGate([result([generated('public-ca')])], glob)).toEqual([]);
    expect(secretsPolicyGate([result([generated('private-ca')])], glob)).toHaveLength(1);
    // `*` stands for any namespace, none included.
    const noNs: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'public-ca' }, data: { k: CANARY_B64 } };
    expect(secretsPolicyGate([result([noNs])], [{ namespace: '*', name: 'public-ca', reason: 'any namespace' }])).toEqual([]);
    expect(secretsPolicyGate([result([noNs])], glob)).toHaveLength(1);
  });
});

describe('secrets policy gate: objects as Kubernetes reads them', () => {
  const secretYaml = (name: string): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\nstringData:\n  key: ${CANARY}\n`;

  it('catches a Secret inside kind: List and SecretList, in resources and in artifacts', () => {
    const list: KubeObject = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, plaintext] };
    const secretList: KubeObject = { apiVersion: 'v1', kind: 'SecretList', metadata: {}, items: [{ ...plaintext, metadata: { name: 'in-secret-list' } }] };
    const artifact = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: List\n    items:\n      - ${secretYaml('nested').split('\n').join('\n        ').trimEnd()}\n`;
    const diags = secretsPolicyGate([result([list, secretList], [{ path: 'list.yaml', content: artifact, source: 'apps/web/extra_artifacts/list.yaml' }])], []);
    expect(diags.map((d) => d.message.split(': secrets must')[0])).toEqual([
      'plaintext Secret nested (with stringData) in unit kubernetes:apps/web (artifact list.yaml, in a list) from apps/web/extra_artifacts/list.yaml',
      'plaintext Secret web/db (with data and stringData) in unit kubernetes:apps/web (in a list) from apps/web/secret.yaml',
      'plaintext Secret in-secret-list (with data and stringData) in unit kubernetes:apps/web (in a list) from apps/web/secret.yaml'
    ]);
    expect(JSON.stringify(diags)).not.toContain(CANARY);
  });

  it('catches a Secret in a .json artifact', () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'json-secret' }, data: { k: CANARY_B64 } });
    const diags = secretsPolicyGate([result([], [{ path: 'secret.json', content: json, source: 'apps/web/extra_artifacts/secret.json' }])], []);
    expect(diags).toHaveLength(1);
    expect(diags[0]!.message).toContain('plaintext Secret json-secret');
    expect(diags[0]!.file).toBe('apps/web/extra_artifacts/secret.json');
  });

  it('refuses a YAML artifact that does not parse, naming file and line', () => {
    const broken = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  key: "${CANARY}\n  other: [\n`;
    const diags = secretsPolicyGate([result([], [{ path: 'broken.yaml', content: broken, source: 'apps/web/extra_artifacts/broken.yaml' }])], []);
    expect(diags.length).toBeGreaterThan(0);
    expect(diags[0]).toEqual(expect.objectContaining({ severity: 'error', unit: 'kubernetes:apps/web', file: 'apps/web/extra_artifacts/broken.yaml', line: expect.any(Number) }));
    expect(diags[0]!.message).toContain('extra artifact broken.yaml cannot be parsed');
    expect(JSON.stringify(diags)).not.toContain(CANARY);
  });

  it('reads a .json artifact as JSON (tabs and all), and refuses one that does not parse at its line', async () => {
    const tabbed = '{\n\t"apiVersion": "v1",\n\t"kind": "ConfigMap",\n\t"metadata": {"name": "dash"}\n}\n';
    expect(secretsPolicyGate([result([], [{ path: 'dash.json', content: tabbed, source: 'apps/web/extra_artifacts/dash.json' }])], [])).toEqual([]);
    const broken = `{\n  "kind": "Secret",\n  "data": {"k": "${CANARY_B64}",}\n}\n`;
    const diags = secretsPolicyGate([result([], [{ path: 's.json', content: broken, source: 'apps/web/extra_artifacts/s.json' }])], []);
    expect(diags).toEqual([expect.objectContaining({ severity: 'error', file: 'apps/web/extra_artifacts/s.json', line: 3 })]);
    expect(diags[0]!.message).toMatch(/^extra artifact s\.json cannot be parsed, so it cannot be checked for Secrets: invalid JSON at line 3, column \d+; fix it or remove it$/);
    expect(JSON.stringify(diags)).not.toContain(CANARY_B64);
  });
});

describe('cross-checks', () => {
  it('reports each unmatched requires at its file:line with its message', () => {
    const a = result([]);
    a.requires = [
      { ref: 'secret:app/x', unit: a.unit.id, file: 'f.yaml', line: 3, col: 5, message: 'unknown secret key "x"' },
      { ref: 'secret:app/y', unit: a.unit.id, file: 'f.yaml', line: 4, message: 'unknown secret key "y"' }
    ];
    const b = result([], [], 'apps/b');
    b.provides = [{ ref: 'secret:app/y' }];
    expect(crossCheck([a, b])).toEqual([
      { severity: 'error', unit: a.unit.id, file: 'f.yaml', line: 3, col: 5, message: 'unknown secret key "x"' }
    ]);
    b.provides.push({ ref: 'secret:app/x' });
    expect(crossCheck([a, b])).toEqual([]);
  });
});
