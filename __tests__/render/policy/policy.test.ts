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
          'plaintext Secret web/db (with data and stringData) in unit kubernetes:apps/web from apps/web/secret.yaml: secrets must not be committed; use an ExternalSecret (a SecretsClaim) or a Vault placeholder, or allow-list it in policy.allowSecrets with a reason'
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
      'apps/web/extra_artifacts/leak.yaml:5: plaintext Secret leaked (with stringData) in unit kubernetes:apps/web (artifact extra/leak.yaml) from apps/web/extra_artifacts/leak.yaml: secrets must not be committed; use an ExternalSecret (a SecretsClaim) or a Vault placeholder, or allow-list it in policy.allowSecrets with a reason'
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
