/**
 * The field-level diff of two versions of one object. Lists are matched item by item the way
 * Kubernetes' strategic merge patch matches them — by their merge key (`name`, `containerPort`,
 * `mountPath`, ...) — rather than by position, so that a reorder reads as "reordered", an
 * insertion as one added item, and a change as a change of the right item. Field paths name the
 * item: `spec.template.spec.containers[name=web].image`.
 */
import { isRedactedPath } from './redact.js';

export interface FieldChange {
  /** e.g. `spec.template.spec.containers[name=web].image`. */
  path: string;
  from?: string;
  to?: string;
  redacted?: boolean;
  /** The list holds the same items in another order; `from`/`to` list the items in order. */
  reordered?: boolean;
}

/** Longest rendered field value before it is cut with an ellipsis. */
export const MAX_VALUE_CHARS = 200;

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  for (const k of ak) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual((a as Rec)[k], (b as Rec)[k])) return false;
  }
  return true;
}

export function compactValue(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (v === undefined) s = '';
  else if (v === null || typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else s = JSON.stringify(v) ?? String(v);
  if (s.length > MAX_VALUE_CHARS) {
    // Do not split a surrogate pair.
    let end = MAX_VALUE_CHARS - 1;
    const code = s.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end -= 1;
    s = `${s.slice(0, end)}…`;
  }
  return s;
}

const SIMPLE_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

function keyPath(parent: string, key: string): string {
  if (SIMPLE_KEY.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * Merge keys of Kubernetes' built-in types (the `patchMergeKey` / `listMapKey` tags of
 * k8s.io/api), by the name of the list field. Each entry is tried in order; a key set is used
 * only when it identifies every item of both lists uniquely. Lists not named here (custom
 * resources, `rules` of RBAC, `tolerations` without keys ...) fall back to `name` when it is
 * unique, then to matching equal items by value.
 */
const MERGE_KEYS: Record<string, readonly (readonly string[])[]> = {
  containers: [['name']],
  initContainers: [['name']],
  ephemeralContainers: [['name']],
  volumes: [['name']],
  env: [['name']],
  imagePullSecrets: [['name']],
  resourceClaims: [['name']],
  schedulingGates: [['name']],
  webhooks: [['name']],
  hostAliases: [['ip']],
  volumeMounts: [['mountPath']],
  volumeDevices: [['devicePath']],
  ownerReferences: [['uid']],
  // Container ports (containerPort, protocol); Service ports (port, protocol).
  ports: [['containerPort', 'protocol'], ['port', 'protocol'], ['name']],
  topologySpreadConstraints: [['topologyKey', 'whenUnsatisfiable']],
  tolerations: [['key'], ['key', 'effect'], ['key', 'operator', 'effect', 'value']],
  conditions: [['type']]
};
/** Fields of a key set that default when absent (`protocol: TCP`). */
const KEY_DEFAULTS: Record<string, string> = { protocol: 'TCP' };
const GENERIC_KEYS: readonly (readonly string[])[] = [['name']];

function keyValue(item: Rec, key: string): string | undefined {
  const v = item[key] ?? KEY_DEFAULTS[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** `name=web`, `containerPort=53,protocol=UDP` (a defaulted field is left out). */
function keyLabel(item: Rec, keys: readonly string[]): string | undefined {
  const parts: string[] = [];
  for (const k of keys) {
    const v = keyValue(item, k);
    if (v === undefined) {
      // Only the first field of a key set is required; the others may default.
      if (parts.length === 0) return undefined;
      continue;
    }
    if (KEY_DEFAULTS[k] === v && parts.length > 0) continue;
    parts.push(`${k}=${v}`);
  }
  return parts.join(',');
}

/** The values of the key set, for lists of items: `web`, `53/UDP`. */
function keyDisplay(label: string): string {
  return label
    .split(',')
    .map((p) => p.slice(p.indexOf('=') + 1))
    .join('/');
}

/** The key function of a list of mappings, or undefined when none identifies its items. */
function chooseKeys(field: string, a: readonly unknown[], b: readonly unknown[]): readonly string[] | undefined {
  const candidates = [...(MERGE_KEYS[field] ?? []), ...GENERIC_KEYS];
  outer: for (const keys of candidates) {
    for (const list of [a, b]) {
      const seen = new Set<string>();
      for (const item of list) {
        if (!isRec(item)) continue outer;
        const label = keyLabel(item, keys);
        if (label === undefined || seen.has(label)) continue outer;
        seen.add(label);
      }
    }
    return keys;
  }
  return undefined;
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function scalarLabel(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

class Differ {
  readonly out: FieldChange[] = [];
  constructor(private readonly secret: boolean) {}

  private push(fc: FieldChange, segments: readonly string[]): void {
    if (isRedactedPath(segments, this.secret)) fc.redacted = true;
    this.out.push(fc);
  }

  private added(path: string, segments: readonly string[], v: unknown): void {
    this.push({ path, to: compactValue(v) }, segments);
  }

  private removed(path: string, segments: readonly string[], v: unknown): void {
    this.push({ path, from: compactValue(v) }, segments);
  }

  value(a: unknown, b: unknown, path: string, segments: string[], field: string): void {
    if (a === b) return;
    if (isRec(a) && isRec(b)) {
      for (const k of Object.keys(a)) {
        const inB = Object.prototype.hasOwnProperty.call(b, k);
        // Equal scalars (most of an object): no path to build.
        if (inB && a[k] === b[k]) continue;
        const p = keyPath(path, k);
        const s = [...segments, k];
        if (!inB) this.removed(p, s, a[k]);
        else this.value(a[k], b[k], p, s, k);
      }
      for (const k of Object.keys(b)) {
        if (!Object.prototype.hasOwnProperty.call(a, k)) this.added(keyPath(path, k), [...segments, k], b[k]);
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      this.list(a, b, path, segments, field);
      return;
    }
    if (deepEqual(a, b)) return;
    this.push({ path, from: compactValue(a), to: compactValue(b) }, segments);
  }

  private list(a: readonly unknown[], b: readonly unknown[], path: string, segments: string[], field: string): void {
    if (a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))) return;
    if (a.every(isScalar) && b.every(isScalar)) {
      this.byLabel(a, b, path, segments, (v) => scalarLabel(v), (label) => `[=${label}]`, (label) => label, false);
      return;
    }
    const keys = chooseKeys(field, a, b);
    if (keys) {
      this.byLabel(a, b, path, segments, (v) => keyLabel(v as Rec, keys)!, (label) => `[${label}]`, keyDisplay, true);
      return;
    }
    this.unkeyed(a, b, path, segments);
  }

  /**
   * Items matched by a label (their merge key, or their value for scalars; repeated labels are
   * told apart by occurrence). Matched items are diffed in place; a changed order of the matched
   * items is one "reordered" change.
   */
  private byLabel(
    a: readonly unknown[],
    b: readonly unknown[],
    path: string,
    segments: string[],
    labelOf: (v: unknown) => string,
    selector: (label: string) => string,
    display: (label: string) => string,
    recurse: boolean
  ): void {
    const labels = (list: readonly unknown[]): string[] => {
      const seen = new Map<string, number>();
      return list.map((v) => {
        const l = labelOf(v);
        const n = seen.get(l) ?? 0;
        seen.set(l, n + 1);
        return n === 0 ? l : `${l}#${n + 1}`;
      });
    };
    const la = labels(a);
    const lb = labels(b);
    const ia = new Map(la.map((l, i) => [l, i]));
    const ib = new Map(lb.map((l, i) => [l, i]));
    for (let i = 0; i < a.length; i++) {
      const j = ib.get(la[i]!);
      const p = `${path}${selector(la[i]!)}`;
      const s = [...segments, String(i)];
      if (j === undefined) this.removed(p, s, a[i]);
      else if (recurse) this.value(a[i], b[j], p, [...segments, String(j)], '');
    }
    for (let j = 0; j < b.length; j++) {
      if (!ia.has(lb[j]!)) this.added(`${path}${selector(lb[j]!)}`, [...segments, String(j)], b[j]);
    }
    const commonA = la.filter((l) => ib.has(l));
    const commonB = lb.filter((l) => ia.has(l));
    if (commonA.some((l, i) => l !== commonB[i])) {
      const show = (ls: string[]): string => compactValue(ls.map(display).join(', '));
      this.push({ path, from: show(commonA), to: show(commonB), reordered: true }, segments);
    }
  }

  /**
   * A list of mappings without a key (RBAC `rules`, Ingress `rules`, ...): equal items are matched
   * by value wherever they are; the items left are paired in order and diffed by position.
   */
  private unkeyed(a: readonly unknown[], b: readonly unknown[], path: string, segments: string[]): void {
    const usedB = new Set<number>();
    const matchA = new Array<number | undefined>(a.length);
    for (let i = 0; i < a.length; i++) {
      // Prefer the same position, then the first equal item not taken.
      if (i < b.length && !usedB.has(i) && deepEqual(a[i], b[i])) {
        matchA[i] = i;
        usedB.add(i);
        continue;
      }
      for (let j = 0; j < b.length; j++) {
        if (!usedB.has(j) && deepEqual(a[i], b[j])) {
          matchA[i] = j;
          usedB.add(j);
          break;
        }
      }
    }
    const leftA = a.map((_, i) => i).filter((i) => matchA[i] === undefined);
    const leftB = b.map((_, j) => j).filter((j) => !usedB.has(j));
    const pairs = Math.min(leftA.length, leftB.length);
    for (let k = 0; k < pairs; k++) {
      const i = leftA[k]!;
      const j = leftB[k]!;
      matchA[i] = j;
      this.value(a[i], b[j], `${path}[${j}]`, [...segments, String(j)], '');
    }
    for (let k = pairs; k < leftA.length; k++) this.removed(`${path}[${leftA[k]!}]`, [...segments, String(leftA[k]!)], a[leftA[k]!]);
    for (let k = pairs; k < leftB.length; k++) this.added(`${path}[${leftB[k]!}]`, [...segments, String(leftB[k]!)], b[leftB[k]!]);
    const order = matchA.filter((j): j is number => j !== undefined);
    if (order.some((j, k) => k > 0 && j < order[k - 1]!)) {
      const from = matchA.flatMap((j, i) => (j === undefined ? [] : [String(i)]));
      const to = [...order].sort((x, y) => x - y).map((j) => String(matchA.indexOf(j)));
      this.push({ path, from: from.join(', '), to: to.join(', '), reordered: true }, segments);
    }
  }
}

/** The field changes from `base` to `head` (both already redacted); `secret` marks a core Secret. */
export function fieldChanges(base: unknown, head: unknown, secret: boolean): FieldChange[] {
  const d = new Differ(secret);
  d.value(base, head, '', [], '');
  return d.out;
}
