/**
 * Redaction of sensitive values before any diff text is produced. For core `Secret` objects
 * every value under `data` and `stringData` is replaced by a placeholder, and on every object
 * the `kubectl.kubernetes.io/last-applied-configuration` annotation likewise. The placeholder
 * only tells whether the value changed between the two sides.
 */
import type { KubeObject } from '../resources/resource.js';

export const REDACTED = '<redacted>';
export const REDACTED_CHANGED = '<redacted (changed)>';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const SECRET_FIELDS = ['data', 'stringData'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A core-group Secret (`apiVersion: v1`, `kind: Secret`). */
export function isSecret(object: KubeObject | undefined): boolean {
  if (!object) return false;
  const apiVersion = object['apiVersion'];
  return object['kind'] === 'Secret' && typeof apiVersion === 'string' && !apiVersion.includes('/');
}

/** True when redaction would change the object: a Secret, or one carrying the last-applied annotation. */
export function needsRedaction(object: KubeObject | undefined): boolean {
  if (!object) return false;
  if (isSecret(object)) return true;
  const metadata = object['metadata'];
  const annotations = isRecord(metadata) ? metadata['annotations'] : undefined;
  return isRecord(annotations) && LAST_APPLIED_ANNOTATION in annotations;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function cloneRecord(v: KubeObject): KubeObject {
  return structuredClone(v) as KubeObject;
}

function redactKey(
  baseHolder: Record<string, unknown> | undefined,
  headHolder: Record<string, unknown> | undefined,
  key: string,
  origBase: unknown,
  origHead: unknown
): void {
  const changed = origBase !== undefined && origHead !== undefined && !sameValue(origBase, origHead);
  if (baseHolder && key in baseHolder) baseHolder[key] = REDACTED;
  if (headHolder && key in headHolder) headHolder[key] = changed ? REDACTED_CHANGED : REDACTED;
}

function redactField(
  base: Record<string, unknown> | undefined,
  head: Record<string, unknown> | undefined,
  field: string
): void {
  const b = base?.[field];
  const h = head?.[field];
  if (b !== undefined && !isRecord(b)) {
    redactKey(base, head, field, b, h);
    return;
  }
  if (h !== undefined && !isRecord(h)) {
    redactKey(base, head, field, b, h);
    return;
  }
  const bm = isRecord(b) ? b : undefined;
  const hm = isRecord(h) ? h : undefined;
  const keys = new Set<string>([...Object.keys(bm ?? {}), ...Object.keys(hm ?? {})]);
  for (const k of keys) redactKey(bm, hm, k, bm?.[k], hm?.[k]);
}

function annotationsOf(o: KubeObject | undefined): Record<string, unknown> | undefined {
  const md = o?.['metadata'];
  if (!isRecord(md)) return undefined;
  const ann = md['annotations'];
  return isRecord(ann) ? ann : undefined;
}

/**
 * Returns redacted deep copies of the old and new version of one object (either may be absent).
 * The inputs are not modified.
 */
export function redactPair(
  base: KubeObject | undefined,
  head: KubeObject | undefined
): { base: KubeObject | undefined; head: KubeObject | undefined } {
  const b = base ? cloneRecord(base) : undefined;
  const h = head ? cloneRecord(head) : undefined;
  if (isSecret(b) || isSecret(h)) {
    for (const field of SECRET_FIELDS) redactField(isSecret(b) ? b : undefined, isSecret(h) ? h : undefined, field);
  }
  const ba = annotationsOf(b);
  const ha = annotationsOf(h);
  if ((ba && LAST_APPLIED_ANNOTATION in ba) || (ha && LAST_APPLIED_ANNOTATION in ha)) {
    redactKey(ba, ha, LAST_APPLIED_ANNOTATION, ba?.[LAST_APPLIED_ANNOTATION], ha?.[LAST_APPLIED_ANNOTATION]);
  }
  return { base: b, head: h };
}

/**
 * True when a field path (as produced by the diff, e.g. `data.password`,
 * `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`) points at or
 * into a redacted location.
 */
export function isRedactedPath(segments: readonly string[], secret: boolean): boolean {
  if (secret && segments.length >= 1 && (segments[0] === 'data' || segments[0] === 'stringData')) return true;
  return (
    segments.length >= 3 &&
    segments[0] === 'metadata' &&
    segments[1] === 'annotations' &&
    segments[2] === LAST_APPLIED_ANNOTATION
  );
}
