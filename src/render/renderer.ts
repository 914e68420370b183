/**
 * The one interface every renderer implements (in the spirit of kpt's resource-list functions):
 * it takes its units and returns, per unit, resources and diagnostics, plus what each unit
 * provides to and requires from others (checked across renderers after the last one, by
 * cross-checks.ts). Renderers are pure apart from the ports they are handed.
 */
import type { Diagnostic } from '../diagnostics.js';
import type { FileReader, Logger, ProcessRunner } from '../ports.js';
import type { Resource } from '../resources/resource.js';
import type { Settings } from '../settings/settings.js';
import type { RendererName, Unit } from '../dry/unit.js';
import type { WetIndex } from '../formats/wet-index.js';

/** A file copied verbatim into the unit's output folder (e.g. seed 000's extra_artifacts). */
export interface Artifact {
  /** Path relative to the unit's output folder (POSIX, validated safe). */
  path: string;
  content: string;
  /** Repository-relative dry file it was copied from. */
  source: string;
}

/**
 * A named thing a unit makes available to other units (e.g. `secret:app-tenant-env/rds_pass`,
 * `tfworkspace:my-db/outputs.registry`), and a reference a unit needs resolved. After the last
 * renderer, every `requires` must match some unit's `provides`, or it is an error at its file:line.
 */
export interface Provided {
  ref: string;
}
export interface Required {
  ref: string;
  unit: string;
  file?: string;
  line?: number;
  col?: number;
  /** What to say when nothing provides it, e.g. `unknown secret key "rds_pass" in claim "x"`. */
  message: string;
}

export type UnitStatus = 'rendered' | 'failed' | 'reused';

export interface UnitResult {
  unit: Unit;
  status: UnitStatus;
  resources: Resource[];
  artifacts: Artifact[];
  diagnostics: Diagnostic[];
  /** Digest of everything the unit read (files, config entry, tool versions). */
  digest: string;
  /** True when the digest cannot see every input (remote base, unpinned chart): always re-render. */
  volatile?: boolean;
  /** The closure the digest covers (path → id), recorded in the wet index (see pipeline/incremental.ts). */
  closure?: Record<string, string>;
  provides?: Provided[];
  requires?: Required[];
}

/**
 * What a renderer returns for a unit. The pipeline adds the input digest and the volatile flag,
 * which it computes before rendering from everything the unit reads (pipeline/incremental.ts).
 */
export type RenderedUnit = Omit<UnitResult, 'digest' | 'volatile' | 'closure'>;

/** What the wet tree looked like before this run: its index and a reader for its files. */
export interface PreviousWet {
  index: WetIndex | undefined;
  /** Reads a file of the previous wet tree by wet-relative path; undefined when absent. */
  readFile(path: string): Promise<string | undefined>;
  /**
   * Whether a file is at that path, without reading it (the same errors as `readFile`); when
   * absent, callers ask `readFile`.
   */
  exists?(path: string): Promise<boolean>;
  /** The last write to the tree was interrupted: it may be half-written (`index` then covers both states). */
  interrupted?: boolean;
}

export interface RenderInput {
  /** The units of this renderer selected for this run, in canonical order. */
  units: readonly Unit[];
  settings: Settings;
  /** Absolute path of the dry repository root. */
  repoRoot: string;
  files: FileReader;
  exec: ProcessRunner;
  logger: Logger;
  previous: PreviousWet;
  /**
   * Discovery reads what a unit renders (an Argo CD app-of-apps): the engine objects an entry's
   * `emit` leaves out of the wet tree are kept in the result.
   */
  forDiscovery?: boolean;
}

/**
 * What a unit's render reads (its inputs' closure) and whether that is all it depends on. The
 * pipeline digests the closure's files to decide whether a unit may keep its previous output
 * (pipeline/incremental.ts); a volatile unit (a chart fetched from a repository, a remote base)
 * depends on more than the digest can see and is rendered every time.
 */
export interface UnitClosure {
  /** Repository-relative paths (files and directories; directories are read recursively), sorted, unique. */
  paths: string[];
  volatile: boolean;
  /** Why the unit is volatile, or why its closure is what it is. */
  reason?: string;
}

export interface Renderer {
  readonly name: RendererName;
  /**
   * True when each unit renders on its own (no upstream results, nothing shared between units):
   * its units may be spread over workers and over shard jobs, and kept or re-rendered one by one.
   * Otherwise the renderer's units render together, in one call, in the job that publishes.
   */
  readonly independent?: boolean;
  render(input: RenderInput): Promise<RenderedUnit[]>;
  /**
   * The closure of a unit and its volatility, computed before rendering without running a tool.
   * Without it, a unit reads its own folder and nothing else, and is not volatile.
   */
  closure?(unit: Unit, settings: Settings, files: FileReader): Promise<UnitClosure>;
  /**
   * The versions of the tools the renderer runs, asked once per run; part of each of its units'
   * digests (a tool upgrade renders them again). Never rejects. Without it, the renderer runs no tool.
   */
  toolVersions?(exec: ProcessRunner): Promise<string>;
  /**
   * The files of a unit that may pin image versions in this renderer's own formats (an image
   * update or a promotion edits them, src/app/pins.ts); files that do not exist are skipped by the
   * caller. Without it, only the config's `pins` rules say where a unit pins an image.
   */
  pinSources?(unit: Unit, settings: Settings, files: FileReader): Promise<PinSource[]>;
}

/** A file a unit may pin images in: a kustomization's `images:`, a Helm release file, or an `images.yaml`. */
export interface PinSource {
  role: 'kustomization' | 'release' | 'images';
  path: string;
}
