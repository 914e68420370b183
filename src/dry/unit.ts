import type { ArgoApp } from './engines/argocd.js';

/** A render unit: one matching dry directory, with the coordinates its match pattern captured. */
export type RendererName = 'kubernetes' | 'terraform' | 'secrets';
export const RENDERER_NAMES: readonly RendererName[] = ['kubernetes', 'terraform', 'secrets'];

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
}

export function unitId(renderer: RendererName, dir: string): string {
  return `${renderer}:${dir}`;
}
