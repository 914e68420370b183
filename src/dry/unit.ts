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
  /** An entry with `emit`: this unit writes the object that deploys another unit's wet folder. */
  emit?: EmitOf;
}

/** What an emit unit writes: the engine object as found (a generated Application filled in), and the unit it deploys. */
export interface EmitOf {
  engine: 'flux' | 'argocd';
  /** The id and wet folder of the unit the object deploys. */
  of: string;
  path: string;
  /** Repository-relative file (or, for an Application an app-of-apps rendered, folder) the object was found in. */
  file: string;
  /** The Flux Kustomization or Argo CD Application as discovery read it. */
  object: Record<string, unknown>;
}

/** The emit unit of a unit discovered from an engine object: it writes the object deploying `unit`'s wet folder to `output`. */
export function emitUnit(unit: Unit, engine: 'flux' | 'argocd', object: Record<string, unknown>, output: string, file: string): Unit {
  return {
    id: `${unit.id}#emit`,
    renderer: unit.renderer,
    entry: unit.entry,
    dir: file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.',
    coordinates: unit.coordinates,
    output,
    emit: { engine, of: unit.id, path: unit.output, file, object }
  };
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
