/**
 * The resource model shared by every stage: a Kubernetes-style object plus where it came from.
 */
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../diagnostics.js';

export type KubeObject = Record<string, unknown>;

export interface SourceRef {
  /** Repository-relative POSIX path of the dry file the object came from (best effort). */
  file?: string;
  line?: number;
  col?: number;
}

export interface Resource {
  object: KubeObject;
  /** Unit id that produced it. */
  unit: string;
  source: SourceRef;
}

export interface ResourceIdentity {
  /** API group ('' for the core group). */
  group: string;
  kind: string;
  /** '' for cluster-scoped or unset. */
  namespace: string;
  name: string;
}

/** A mapping (not null, not an array): what a parsed YAML object is. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The API group of an `apiVersion`: `apps` of `apps/v1`, '' of `v1` (the core group). */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** The version of an `apiVersion`: `v1` of `apps/v1` and of `v1`. */
export function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
}

/**
 * The name an object with `metadata.generateName` and no `metadata.name` is known by in the wet
 * tree: the prefix plus the first 8 hex digits of the sha256 of its content (JSON, key order
 * kept). The API server adds a random suffix when it creates the object; this one is a pure
 * function of the object, so two such objects of one unit stay apart and keep their names from
 * run to run.
 */
export function generatedNameOf(object: KubeObject, generateName: string): string {
  return `${generateName}${createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 8)}`;
}

/**
 * The identity of an object, or a diagnostic message naming what is missing
 * (`apiVersion`, `kind`, `metadata.name`). Objects are never silently dropped. An object with
 * `metadata.generateName` and no name is named by `generatedNameOf`.
 */
export function identityOf(object: KubeObject): ResourceIdentity | { missing: string[] } {
  const missing: string[] = [];
  const apiVersion = object['apiVersion'];
  const kind = object['kind'];
  const metadata = object['metadata'];
  let name = isRecord(metadata) ? metadata['name'] : undefined;
  if (name === undefined && isRecord(metadata) && typeof metadata['generateName'] === 'string' && metadata['generateName'] !== '') {
    name = generatedNameOf(object, metadata['generateName']);
  }
  const namespace = isRecord(metadata) ? metadata['namespace'] : undefined;
  if (typeof apiVersion !== 'string' || apiVersion === '') missing.push('apiVersion');
  if (typeof kind !== 'string' || kind === '') missing.push('kind');
  if (typeof name !== 'string' || name === '') missing.push('metadata.name');
  if (missing.length > 0) return { missing };
  return {
    group: apiGroupOf(apiVersion as string),
    kind: kind as string,
    namespace: typeof namespace === 'string' ? namespace : '',
    name: name as string
  };
}

export function isIdentity(x: ResourceIdentity | { missing: string[] }): x is ResourceIdentity {
  return !('missing' in x);
}

/** Identity of an object already validated; throws if it has none. */
export function mustIdentity(object: KubeObject): ResourceIdentity {
  const id = identityOf(object);
  if (!isIdentity(id)) throw new Error(`object has no ${id.missing.join(', ')}`);
  return id;
}

/** `group/kind/namespace/name` with empty parts kept, e.g. `apps/Deployment/web/api`, `/ConfigMap//cm`. */
export function identityKey(id: ResourceIdentity): string {
  return `${id.group}/${id.kind}/${id.namespace}/${id.name}`;
}

/** Human form: `Deployment web/api` or `ClusterRole admin` (with group when not core: `Deployment.apps web/api`). */
export function describeIdentity(id: ResourceIdentity): string {
  const kind = id.group ? `${id.kind}.${id.group}` : id.kind;
  return id.namespace ? `${kind} ${id.namespace}/${id.name}` : `${kind} ${id.name}`;
}

/** Compare identities in the canonical order: group, kind, namespace, name (code-unit order, locale-free). */
export function compareIdentity(a: ResourceIdentity, b: ResourceIdentity): number {
  return (
    cmp(a.group, b.group) || cmp(a.kind, b.kind) || cmp(a.namespace, b.namespace) || cmp(a.name, b.name)
  );
}

/** Locale-independent string comparison (UTF-16 code units). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Checks a list of resources for missing identity fields and duplicates within one unit.
 * Returns diagnostics (errors) naming the unit and the source file.
 */
export function checkIdentities(resources: readonly Resource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, Resource>();
  for (const r of resources) {
    const id = identityOf(r.object);
    if (!isIdentity(id)) {
      out.push({
        severity: 'error',
        unit: r.unit,
        ...r.source,
        message: `document has no ${id.missing.join(', ')}; every rendered document needs apiVersion, kind and metadata.name`
      });
      continue;
    }
    const key = `${r.unit}\u0000${identityKey(id)}`;
    const first = seen.get(key);
    if (first) {
      const where = first.source.file ? ` (first at ${first.source.file}${first.source.line ? `:${first.source.line}` : ''})` : '';
      out.push({
        severity: 'error',
        unit: r.unit,
        ...r.source,
        message: `duplicate object ${describeIdentity(id)} in one unit${where}`
      });
    } else {
      seen.set(key, r);
    }
  }
  return out;
}
