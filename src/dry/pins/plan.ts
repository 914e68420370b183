/**
 * Image pins in the dry tree, planned as data: which file changes from which text to which, and
 * which pins of which units change. Pure: the caller reads the files (src/app/pins.ts) and writes
 * the edits; nothing here does I/O.
 */
import { ConfigError } from '../../diagnostics.js';
import type { PinRule } from '../../settings/schema/pins.js';

/** One file's change: repository-relative path, whole text before and after. */
export interface PinEdit {
  path: string;
  before: string;
  after: string;
}

/** One pin that changes: in `unit`, `image` goes from `from` (absent: was not pinned) to `to`, in `file`. */
export interface PinChange {
  unit: string;
  image: string;
  file: string;
  from?: string;
  to: string;
  /** `chart`: a Helm release's chart version (promotion); `image` then names the chart. */
  kind?: 'image' | 'chart';
}

/** What a pin update or a promotion does. `notes`: what could not be done and is reported, never guessed. */
export interface PinPlan {
  edits: PinEdit[];
  changes: PinChange[];
  notes: string[];
}

/** Coordinates a unit must have, e.g. `{env: 'staging'}`. */
export type Selector = Record<string, string>;

const SELECTOR_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `env=staging,cluster=a` → `{env: 'staging', cluster: 'a'}`. Throws a `ConfigError` naming every bad part. */
export function parseSelector(text: string): Selector {
  const out: Selector = {};
  const problems: string[] = [];
  const parts = text.split(',').map((p) => p.trim());
  if (text.trim() === '') problems.push('is empty: give name=value pairs, e.g. env=staging');
  else {
    for (const part of parts) {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq).trim();
      const value = eq < 0 ? '' : part.slice(eq + 1).trim();
      if (eq < 0 || !SELECTOR_NAME.test(name) || value === '' || /[\s/]/.test(value)) {
        problems.push(`"${part}" is not name=value (a coordinate name and a non-empty value without spaces or /)`);
        continue;
      }
      if (name in out && out[name] !== value) problems.push(`names ${name} twice`);
      out[name] = value;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `selector "${text}": ${p}`).join('\n'));
  return out;
}

/** Whether a unit's coordinates match a selector (every named coordinate equal). */
export function matchesSelector(coordinates: Readonly<Record<string, string>>, selector: Selector): boolean {
  return Object.entries(selector).every(([k, v]) => coordinates[k] === v);
}

/** A file of a unit where pins may live, with its text as read. */
export type PinFile =
  /** The unit's kustomization: its `images:` entries. */
  | { role: 'kustomization'; path: string; text: string }
  /** Seed 000's per-unit `images.yaml`: `<service>: {image: <name>:<tag>}`. */
  | { role: 'images'; path: string; text: string }
  /** A Helm release file: its `set` entries named by the rules' paths, and the chart version. */
  | { role: 'release'; path: string; text: string; rules: readonly PinRule[] }
  /** A values or claim file holding values at the rules' paths. */
  | { role: 'values'; path: string; text: string; rules: readonly PinRule[] };

/** A unit as the planner sees it: identity, coordinates, and the files where it may keep pins. */
export interface PinUnit {
  id: string;
  dir: string;
  coordinates: Record<string, string>;
  files: PinFile[];
}
