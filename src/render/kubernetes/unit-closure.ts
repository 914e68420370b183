/**
 * The closure of a kubernetes unit (what its render reads, and whether that is all it depends
 * on), by the type the renderer will detect for it: the kustomize walk, a Helm release and its
 * chart, a plain folder, a Flux Kustomization or an Argo CD Application.
 */
import type { Unit } from '../../dry/unit.js';
import type { FileReader } from '../../ports.js';
import type { Settings } from '../../settings/settings.js';
import type { KubernetesEntry } from '../../settings/schema/kubernetes.js';
import { cmp } from '../../resources/resource.js';
import { chartClosure, helmClosure, kustomizeClosure, plainClosure, type Closure } from './closure.js';
import { detectUnitType } from './unit-type.js';
import { fluxClosure } from './flux-kustomization.js';
import { listPlainUnit, plainRuleOf } from './plain-dir.js';
import { argoClosure } from './argocd-source.js';

/** The closure of a kubernetes unit, by the type the renderer will detect for it. */
export async function kubernetesClosure(unit: Unit, settings: Settings, files: FileReader): Promise<Closure> {
  const entry = settings.config.kubernetes[unit.entry];
  if (!entry) return { paths: [unit.dir], volatile: true, reason: 'no config entry' };
  // An emit unit writes the object it was discovered from (in the digest's header) with the config: it reads its file only.
  if (unit.emit) return { paths: [unit.emit.file], volatile: false };
  switch (entry.from) {
    case 'argocd':
      return argoClosure(unit, settings, files);
  }
  const root = settings.repoRoot;
  switch (entry.from) {
    case 'flux':
      return fluxClosure(unit, settings, entry, files);
  }
  const detected = await detectUnitType(files, root, unit, entry);
  switch (detected.type) {
    case 'kustomize':
      // With --enable-helm, charts under chartHome and their values files are in the closure; a
      // chart fetched from a repository (or inflated by a generator file) makes it volatile.
      return kustomizeClosure(unit.dir, files, root);
    case 'helm':
      return helmClosure(unit.dir, detected.file, files, root, entry.helm.patchesLibrary);
    case 'chart':
      return chartClosure(unit.dir, entry.helm.valueFiles, entry.type === 'auto' ? detected.releaseFile : undefined);
    case 'missing':
      return { paths: [unit.dir, detected.file], volatile: true, reason: { kustomize: 'no kustomization file', helm: 'Helm release file not found', chart: 'no Chart.yaml' }[detected.want] };
    case 'plain': {
      // With type auto, a release file appearing later turns the unit into a Helm release: digest its path too.
      const own = entry.type === 'auto' ? { paths: [unit.dir, detected.releaseFile], volatile: false } : plainClosure(unit.dir);
      // The unit directory is digested recursively; sub-directories built as kustomizations may read more.
      return plainUnitClosure(own, unit, entry, settings, files);
    }
  }
}

async function plainUnitClosure(own: Closure, unit: Unit, entry: KubernetesEntry, settings: Settings, files: FileReader): Promise<Closure> {
  let listing;
  try {
    listing = await listPlainUnit(files, settings.repoRoot, unit.dir, plainRuleOf(settings.config, entry), entry.extraArtifacts);
  } catch {
    return own; // the renderer reports it
  }
  if (listing.kustomizations.length === 0) return own;
  const paths = new Set(own.paths);
  let volatile = own.volatile;
  let reason = own.reason;
  for (const sub of listing.kustomizations) {
    const c = await kustomizeClosure(sub, files, settings.repoRoot);
    for (const p of c.paths) paths.add(p);
    if (c.volatile && !volatile) {
      volatile = true;
      reason = c.reason;
    }
  }
  if (!volatile && entry.kustomize.enableHelm && settings.config.policy.allowHelm) {
    volatile = true;
    reason = 'kustomize --enable-helm may fetch charts';
  }
  return { paths: [...paths].sort(cmp), volatile, ...(reason !== undefined ? { reason } : {}) };
}
