/**
 * The wet index (`.hydrate/index.json` in the wet tree): which unit owns which paths, and the
 * digest of each unit's inputs. Pruning removes exactly the owned paths no longer produced.
 */
import type { RendererName } from '../dry/unit.js';

export const INDEX_PATH = '.hydrate/index.json';

export interface WetIndexUnit {
  renderer: RendererName;
  dir: string;
  coordinates: Record<string, string>;
  output: string;
  /** Wet-relative paths the unit owns, sorted. */
  paths: string[];
  digest: string;
  /** How many objects the unit rendered (reported for a unit kept from an earlier run). */
  resources?: number;
  volatile?: boolean;
  /** What the unit provides to other units (see `Provided` in render/renderer.ts), sorted. */
  provides?: string[];
  /**
   * The dry paths the digest covers (files, and folders read whole) → their ids (a file's git
   * blob id; a folder's id covers its listing and everything below it). A later run recomputes
   * the digest over these paths with today's ids and walks the unit's kustomizations only when
   * it differs. Absent for volatile units and in indexes of older versions.
   */
  closure?: Record<string, string>;
}

export interface WetIndex {
  version: 1;
  /** Hydrate version that wrote it. */
  generator: string;
  /** Dry commit SHA when known. */
  dryCommit?: string;
  /** Digest of the config file contents. */
  configDigest?: string;
  /** Unit id → entry; keys sorted when serialized. */
  units: Record<string, WetIndexUnit>;
  /** Paths owned by Hydrate outside any unit (e.g. `.gitattributes` files), sorted. */
  shared?: string[];
}
