/**
 * `emit` on a `from: flux` / `from: argocd` entry: for each unit, the engine object that deploys
 * its wet folder, written by an emit unit (src/dry/unit.ts `emitUnit`) into the entry's
 * `emit.output`. The object keeps what changes how the engine applies (dependsOn, interval,
 * prune, wait, health checks, decryption, service account; Argo CD's project, destination and
 * sync policy) and leaves out what Hydrate already applied (Flux's targetNamespace, namePrefix,
 * nameSuffix, patches, images, components, commonMetadata, postBuild; Argo CD's kustomize, Helm
 * and directory options), so nothing is applied twice. Its source is the wet branch.
 *
 * With `emit`, the engine objects of this repository found in a unit's rendered output (a Flux
 * Kustomization whose source is the GitRepository `flux-system` or one `flux.sources` names; an Argo CD Application or
 * ApplicationSet whose repoURL is this repository) are left out: the emitted objects replace them.
 */
import { isRecord } from '../../resources/resource.js';
import type { EmitOf } from '../../dry/unit.js';
import { normalizeRepoURL } from '../../dry/engines/argocd.js';
import type { KubernetesEntry } from '../../settings/schema/kubernetes.js';

/** Spec fields of a Flux Kustomization that Hydrate applies when it renders (and the source it replaces). */
export const FLUX_APPLIED_FIELDS = ['targetNamespace', 'namePrefix', 'nameSuffix', 'patches', 'images', 'components', 'ignoreMissingComponents', 'commonMetadata', 'postBuild', 'path', 'sourceRef'];

function metadataOf(o: Record<string, unknown>, keep: readonly string[]): Record<string, unknown> {
  const m = isRecord(o['metadata']) ? o['metadata'] : {};
  const out: Record<string, unknown> = {};
  for (const k of keep) if (m[k] !== undefined) out[k] = m[k];
  return out;
}

/** The object that deploys `emit.path` of the wet branch. */
export function emittedObject(emit: EmitOf, entry: KubernetesEntry): Record<string, unknown> {
  const spec = isRecord(emit.object['spec']) ? emit.object['spec'] : {};
  const cfg = entry.emit!;
  const path = emit.path === '' ? './' : `./${emit.path}`;
  if (emit.engine === 'flux') {
    const kept: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec)) if (!FLUX_APPLIED_FIELDS.includes(k)) kept[k] = v;
    const ref = cfg.sourceRef!;
    return {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: metadataOf(emit.object, ['name', 'namespace', 'labels', 'annotations']),
      spec: { ...kept, path, sourceRef: { kind: ref.kind, name: ref.name, ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}) } }
    };
  }
  const { source: _source, sources: _sources, ...kept } = spec;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: metadataOf(emit.object, ['name', 'namespace', 'labels', 'annotations', 'finalizers']),
    spec: { ...kept, source: { repoURL: cfg.repoURL!, targetRevision: cfg.targetRevision!, path: emit.path === '' ? '.' : emit.path } }
  };
}

/**
 * Whether a rendered object is an engine object of this repository that an emitted object
 * replaces (see the module comment).
 */
export function replacedByEmit(o: Record<string, unknown>, entry: KubernetesEntry): boolean {
  if (!entry.emit || typeof o['apiVersion'] !== 'string') return false;
  const spec = isRecord(o['spec']) ? o['spec'] : {};
  if (entry.from === 'flux') {
    const ref = isRecord(spec['sourceRef']) ? spec['sourceRef'] : {};
    const own = ['flux-system', ...(entry.flux?.sources ?? [])];
    return o['apiVersion'].startsWith('kustomize.toolkit.fluxcd.io/') && o['kind'] === 'Kustomization' && ref['kind'] === 'GitRepository' && own.includes(String(ref['name']));
  }
  if (!o['apiVersion'].startsWith('argoproj.io/') || (o['kind'] !== 'Application' && o['kind'] !== 'ApplicationSet')) return false;
  const ours = new Set(['.', ...(entry.argocd?.repoURLs ?? [])].map((u) => (u === '.' ? '.' : normalizeRepoURL(u))));
  const appSpec = o['kind'] === 'ApplicationSet' ? (isRecord(spec['template']) && isRecord(spec['template']['spec']) ? spec['template']['spec'] : {}) : spec;
  const sources = [appSpec['source'], ...(Array.isArray(appSpec['sources']) ? appSpec['sources'] : [])].filter(isRecord);
  return sources.length > 0 && sources.every((s) => typeof s['repoURL'] === 'string' && ours.has(s['repoURL'] === '.' ? '.' : normalizeRepoURL(s['repoURL'])));
}
