/**
 * What a reviewer must know at a glance, from a diff: objects deleted from the cluster, namespaces
 * created or deleted, CRDs and RBAC changed, images changed (old → new), workloads scaled to zero.
 * Failed units are left out: their objects are kept, not deleted.
 */
import { describeIdentity } from '../resources/resource.js';
import type { DiffReport, ResourceChange } from '../diff/wet-diff.js';

export interface ImageChange {
  from: string;
  to: string;
  /** Objects whose containers moved from `from` to `to`. */
  objects: number;
}

export interface Headline {
  /** Objects removed from the render: deleted from the cluster when the change is applied. */
  deleted: string[];
  namespacesCreated: string[];
  namespacesDeleted: string[];
  /** `name (added|changed|removed)`. */
  crds: string[];
  rbac: string[];
  images: ImageChange[];
  /** `Deployment web/api (3 → 0)`. */
  scaledToZero: string[];
}

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
const IMAGE_PATH = /(?:^|\.)(?:containers|initContainers|ephemeralContainers)\[[^\]]*\]\.image$/;

function isRbac(r: ResourceChange): boolean {
  return r.id.group === 'rbac.authorization.k8s.io' && RBAC_KINDS.has(r.id.kind);
}

function isCrd(r: ResourceChange): boolean {
  return r.id.group === 'apiextensions.k8s.io' && r.id.kind === 'CustomResourceDefinition';
}

export function headlineOf(report: DiffReport): Headline {
  const h: Headline = { deleted: [], namespacesCreated: [], namespacesDeleted: [], crds: [], rbac: [], images: [], scaledToZero: [] };
  const images = new Map<string, ImageChange>();
  for (const u of report.units) {
    if (u.status === 'failed') continue;
    for (const r of u.resources) {
      const what = describeIdentity(r.id);
      if (r.kind === 'removed') h.deleted.push(what);
      if (r.id.group === '' && r.id.kind === 'Namespace') {
        if (r.kind === 'added') h.namespacesCreated.push(r.id.name);
        if (r.kind === 'removed') h.namespacesDeleted.push(r.id.name);
      }
      if (isCrd(r)) h.crds.push(`${r.id.name} (${r.kind})`);
      if (isRbac(r)) h.rbac.push(`${what} (${r.kind})`);
      if (r.kind !== 'changed') continue;
      const seen = new Set<string>();
      for (const f of r.fields) {
        if (f.from !== undefined && f.to !== undefined && !f.redacted && IMAGE_PATH.test(f.path)) {
          const key = `${f.from}\n${f.to}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const e = images.get(key) ?? { from: f.from, to: f.to, objects: 0 };
          e.objects++;
          images.set(key, e);
        }
        if ((f.path === 'spec.replicas' || f.path === 'spec.parallelism') && f.to === '0' && f.from !== '0') {
          h.scaledToZero.push(`${what} (${f.from ?? 'default'} → 0)`);
        }
      }
    }
  }
  h.images = [...images.values()];
  return h;
}

export function headlineIsEmpty(h: Headline): boolean {
  return Object.values(h).every((v) => (v as unknown[]).length === 0);
}
