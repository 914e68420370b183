import { describe, expect, it } from '@jest/globals';
import { checkObjectNames } from '../../src/resources/names.js';
import type { KubeObject, Resource } from '../../src/resources/resource.js';

const res = (apiVersion: string, kind: string, name: string, namespace?: string): Resource => ({
  object: { apiVersion, kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) } } as KubeObject,
  unit: 'kubernetes:apps/x',
  source: { file: 'apps/x/a.yaml', line: 3, col: 1 }
});
const messages = (...r: Resource[]): string[] => checkObjectNames(r).map((d) => d.message);

describe('checkObjectNames', () => {
  it('accepts what Kubernetes accepts: RBAC names with ":", custom resources with upper case, dotted subdomains', () => {
    expect(
      messages(
        res('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:aggregate-to-view'),
        res('example.com/v1', 'Widget', 'Mixed_Case name'),
        res('v1', 'ConfigMap', 'web.config-1', 'team-a'),
        res('v1', 'Namespace', 'team-a'),
        res('v1', 'Service', 'web'),
        res('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
        res('example.com/v1', 'My-Kind', 'x')
      )
    ).toEqual([]);
  });

  it('refuses names that hold control characters or workflow commands, for any kind, naming unit, object and file', () => {
    const [d] = checkObjectNames([res('example.com/v1', 'Widget', 'x\n::warning::pwned')]);
    expect(d).toMatchObject({ severity: 'error', unit: 'kubernetes:apps/x', file: 'apps/x/a.yaml', line: 3 });
    expect(d!.message).toBe('object "Widget" "x\\n::warning::pwned": metadata.name is not a name Kubernetes accepts: it contains a control character');
    expect(messages(res('v1', 'ConfigMap', 'a\x1b[31m'))[0]).toMatch(/control character/);
  });

  it('refuses "." and "..", "/" and "%", and names over 253 characters', () => {
    expect(messages(res('example.com/v1', 'W', '..'), res('example.com/v1', 'W', 'a/b'), res('example.com/v1', 'W', 'a%2F'), res('example.com/v1', 'W', 'a'.repeat(254)))).toEqual([
      expect.stringContaining('it is ".."'),
      expect.stringContaining('"/" or "%"'),
      expect.stringContaining('"/" or "%"'),
      expect.stringContaining('longer than 253')
    ]);
  });

  it('holds the built-in kinds to their DNS rules', () => {
    expect(messages(res('v1', 'ConfigMap', 'Web'))).toEqual([expect.stringContaining('metadata.name of a ConfigMap must be a DNS-1123 subdomain')]);
    expect(messages(res('apps/v1', 'Deployment', 'web_1'))).toEqual([expect.stringContaining('DNS-1123 subdomain')]);
    expect(messages(res('v1', 'Namespace', 'team.a'))).toEqual([expect.stringContaining('DNS-1123 label')]);
    expect(messages(res('v1', 'Service', '1web'))).toEqual([expect.stringContaining('DNS-1035 label')]);
    // The same kind name in another group is a custom resource: the general rule only.
    expect(messages(res('example.com/v1', 'Deployment', 'Web'))).toEqual([]);
  });

  it('refuses a bad kind and a bad namespace', () => {
    expect(messages(res('v1', 'Config Map', 'x'))).toEqual([expect.stringContaining('kind must be a letter followed by')]);
    expect(messages(res('v1', 'ConfigMap', 'x', 'Team_A'))).toEqual([expect.stringContaining('metadata.namespace "Team_A" must be a DNS-1123 label')]);
  });
});
