import { describe, it, expect } from '@jest/globals';
import { fieldChanges, type FieldChange } from '../../src/diff/field-diff.js';

type Obj = Record<string, unknown>;

function deploy(podSpec: Obj): Obj {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'web' }, spec: { template: { spec: podSpec } } };
}

const C = 'spec.template.spec.containers';

function diff(a: Obj, b: Obj): FieldChange[] {
  return fieldChanges(a, b, false);
}

describe('fieldChanges: lists matched by merge key', () => {
  const web = { name: 'web', image: 'nginx:1.25' };
  const sidecar = { name: 'sidecar', image: 'envoy:1' };
  const log = { name: 'log', image: 'fluent:2' };

  it('reads a container reorder as one "reordered" change, not two changed containers', () => {
    const out = diff(deploy({ containers: [sidecar, web] }), deploy({ containers: [web, sidecar] }));
    expect(out).toEqual([{ path: C, from: 'sidecar, web', to: 'web, sidecar', reordered: true }]);
  });

  it('reads a container inserted in the middle as one added item', () => {
    const out = diff(deploy({ containers: [sidecar, web] }), deploy({ containers: [sidecar, log, web] }));
    expect(out).toEqual([{ path: `${C}[name=log]`, to: JSON.stringify(log) }]);
  });

  it('names the right container when one changes after a reorder and an insertion', () => {
    const out = diff(
      deploy({ containers: [sidecar, web] }),
      deploy({ containers: [{ ...web, image: 'nginx:1.27' }, log, sidecar] })
    );
    expect(out).toContainEqual({ path: `${C}[name=web].image`, from: 'nginx:1.25', to: 'nginx:1.27' });
    expect(out).toContainEqual({ path: `${C}[name=log]`, to: JSON.stringify(log) });
    expect(out).toContainEqual({ path: C, from: 'sidecar, web', to: 'web, sidecar', reordered: true });
    expect(out.filter((f) => f.path.includes('sidecar'))).toEqual([]);
    expect(out).toHaveLength(3);
  });

  it('reads the rename of one container as that container removed and the new one added', () => {
    const out = diff(deploy({ containers: [sidecar, web] }), deploy({ containers: [sidecar, { ...web, name: 'app' }] }));
    expect(out).toEqual([
      { path: `${C}[name=web]`, from: JSON.stringify(web) },
      { path: `${C}[name=app]`, to: JSON.stringify({ ...web, name: 'app' }) }
    ]);
  });

  it('matches env vars by name: a new order is a reorder, a new value is a change of that var', () => {
    const env = [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
      { name: 'C', value: '3' }
    ];
    const c = (e: Obj[]): Obj => deploy({ containers: [{ name: 'web', image: 'x', env: e }] });
    expect(diff(c(env), c([env[2]!, env[0]!, env[1]!]))).toEqual([
      { path: `${C}[name=web].env`, from: 'A, B, C', to: 'C, A, B', reordered: true }
    ]);
    expect(diff(c(env), c([env[0]!, { name: 'B', value: 'two' }, env[2]!]))).toEqual([
      { path: `${C}[name=web].env[name=B].value`, from: '2', to: 'two' }
    ]);
  });

  it('matches container ports by containerPort (and protocol), Service ports by port', () => {
    const c = (ports: Obj[]): Obj => deploy({ containers: [{ name: 'web', image: 'x', ports }] });
    const out = diff(
      c([{ containerPort: 80, name: 'http' }, { containerPort: 53, protocol: 'UDP' }]),
      c([{ containerPort: 9090, name: 'metrics' }, { containerPort: 80, name: 'web', protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }])
    );
    expect(out).toEqual([
      { path: `${C}[name=web].ports[containerPort=80].name`, from: 'http', to: 'web' },
      { path: `${C}[name=web].ports[containerPort=80].protocol`, to: 'TCP' },
      { path: `${C}[name=web].ports[containerPort=9090]`, to: JSON.stringify({ containerPort: 9090, name: 'metrics' }) }
    ]);
    const svc = (ports: Obj[]): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports } });
    expect(
      diff(
        svc([{ port: 53, protocol: 'TCP', targetPort: 53 }, { port: 53, protocol: 'UDP', targetPort: 53 }]),
        svc([{ port: 53, protocol: 'UDP', targetPort: 5353 }, { port: 53, protocol: 'TCP', targetPort: 53 }])
      )
    ).toEqual([
      { path: 'spec.ports[port=53,protocol=UDP].targetPort', from: '53', to: '5353' },
      { path: 'spec.ports', from: '53, 53/UDP', to: '53/UDP, 53', reordered: true }
    ]);
  });

  it('matches volumeMounts by mountPath and volumes by name', () => {
    const out = diff(
      deploy({ volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', emptyDir: {} }], containers: [{ name: 'web', volumeMounts: [{ name: 'a', mountPath: '/a' }, { name: 'b', mountPath: '/b' }] }] }),
      deploy({ volumes: [{ name: 'b', emptyDir: {} }], containers: [{ name: 'web', volumeMounts: [{ name: 'b', mountPath: '/a' }] }] })
    );
    expect(out).toEqual([
      { path: 'spec.template.spec.volumes[name=a]', from: JSON.stringify({ name: 'a', emptyDir: {} }) },
      { path: `${C}[name=web].volumeMounts[mountPath=/a].name`, from: 'a', to: 'b' },
      { path: `${C}[name=web].volumeMounts[mountPath=/b]`, from: JSON.stringify({ name: 'b', mountPath: '/b' }) }
    ]);
  });

  it('matches scalar lists by value: a new order is a reorder, an insertion one added value', () => {
    const cm = (args: unknown[]): Obj => deploy({ containers: [{ name: 'web', args }] });
    expect(diff(cm(['--a', '--b', 1]), cm(['--a', '--x', '--b', 1]))).toEqual([{ path: `${C}[name=web].args[="--x"]`, to: '--x' }]);
    expect(diff(cm(['--a', '--b']), cm(['--b', '--a']))).toEqual([
      { path: `${C}[name=web].args`, from: '"--a", "--b"', to: '"--b", "--a"', reordered: true }
    ]);
    expect(diff(cm(['--a', 1, true]), cm(['--a', 2, true]))).toEqual([
      { path: `${C}[name=web].args[=1]`, from: '1' },
      { path: `${C}[name=web].args[=2]`, to: '2' }
    ]);
  });

  it('matches items without a key (RBAC rules) by value, then pairs what is left in order', () => {
    const role = (rules: Obj[]): Obj => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r' }, rules });
    const pods = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
    const cms = { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] };
    const secrets = { apiGroups: [''], resources: ['secrets'], verbs: ['get'] };
    expect(diff(role([pods, cms]), role([secrets, pods, cms]))).toEqual([{ path: 'rules[0]', to: JSON.stringify(secrets) }]);
    expect(diff(role([pods, cms]), role([pods, { ...cms, verbs: ['get', 'list'] }]))).toEqual([{ path: 'rules[1].verbs[="list"]', to: 'list' }]);
    expect(diff(role([pods, cms]), role([cms, pods]))).toEqual([{ path: 'rules', from: '0, 1', to: '1, 0', reordered: true }]);
  });

  it('falls back to a unique name for lists it does not know, to position when names repeat', () => {
    const cr = (items: Obj[]): Obj => ({ apiVersion: 'x.io/v1', kind: 'Thing', metadata: { name: 't' }, spec: { stages: items } });
    expect(diff(cr([{ name: 'a', n: 1 }, { name: 'b', n: 2 }]), cr([{ name: 'b', n: 3 }, { name: 'a', n: 1 }]))).toEqual([
      { path: 'spec.stages[name=b].n', from: '2', to: '3' },
      { path: 'spec.stages', from: 'a, b', to: 'b, a', reordered: true }
    ]);
    expect(diff(cr([{ name: 'a', n: 1 }, { name: 'a', n: 2 }]), cr([{ name: 'a', n: 1 }, { name: 'a', n: 5 }]))).toEqual([
      { path: 'spec.stages[1].n', from: '2', to: '5' }
    ]);
  });

  it('marks redacted paths of Secrets', () => {
    const s = (v: string): Obj => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: v } });
    expect(fieldChanges(s('<redacted>'), s('<redacted (changed)>'), true)).toEqual([
      { path: 'data.k', from: '<redacted>', to: '<redacted (changed)>', redacted: true }
    ]);
  });
});
