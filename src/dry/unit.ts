import type { ArgoApp } from './engines/argocd.js';
import type { RendererName } from '../settings/schema/renderers.js';

export { RENDERER_NAMES, type RendererName } from '../settings/schema/renderers.js';

/** A render unit: one matching dry directory, with the coordinates its match pattern captured. */
export interface Unit {
  /** Stable id: `<renderer>:<dir>`, e.g. `kubernetes:apps/web/clusters/prod`. */
  id: string;
  renderer: RendererName;
  /** Index of the config entry (within its renderer's list) that matched it. */
  entry: number;
  /** Repository-relative POSIX path of the unit's dry directory (no leading `./`, no trailing `/`). */
  dir: string;
  /** Named segments captured by the match pattern, e.g. `{cluster: 'prod', env: 'dev'}`. */
  coordinates: Record<string, string>;
  /** Repository-relative POSIX path in the wet tree where the unit's files go. */
  output: string;
  /** Units of `from: argocd` entries: the Application it renders. */
  argocd?: ArgoApp;
  /** For an entry with `from`: the engine object the unit was discovered from (its `dir` is the object's path). */
  object?: EngineObjectRef;
}

/** An engine object (a Flux Kustomization, an Argo CD Application) by file and identity. */
export interface EngineObjectRef {
  engine: 'flux' | 'argocd';
  /** Repository-relative file holding the object. */
  file: string;
  kind: string;
  namespace: string;
  name: string;
  /** Repository-relative folder of the object's cluster: where the objects it refers to (ConfigMaps, sources) are looked up. */
  scope: string;
}

export function unitId(renderer: RendererName, dir: string): string {
  return `${renderer}:${dir}`;
}
