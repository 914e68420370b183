/**
 * Targeted JSON6902 patches (`{target, patch}`), applied after a unit is rendered. A patch
 * whose target matches nothing, or an operation that fails, is an error naming where the
 * patch was written and the object it was applied to.
 */
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { Diagnostic } from '../diagnostics.js';
import { apiGroupOf, describeIdentity, identityOf, isIdentity, isRecord, versionOf } from '../resources/resource.js';
import type { KubeObject, Resource } from '../resources/resource.js';
import type * as z from 'zod';
import type { patchTarget, targetedPatch } from '../settings/schema/common.js';

export type PatchTarget = z.infer<typeof patchTarget>;
export type TargetedPatch = z.infer<typeof targetedPatch>;

/** Where a patch was written: used in diagnostics. */
export interface PatchLocation {
  unit: string;
  file?: string;
  line?: number;
  col?: number;
}

export interface LocatedPatch extends TargetedPatch {
  where: PatchLocation;
}

interface Requirement {
  key: string;
  op: 'eq' | 'neq' | 'exists' | 'absent';
  value?: string;
}

const SELECTOR_KEY = '([A-Za-z0-9][A-Za-z0-9._/-]*)';
const SELECTOR_VALUE = '([A-Za-z0-9._-]*)';
const NOT_EQUALS_TERM = new RegExp(`^${SELECTOR_KEY}\\s*!=\\s*${SELECTOR_VALUE}$`);
const EQUALS_TERM = new RegExp(`^${SELECTOR_KEY}\\s*==?\\s*${SELECTOR_VALUE}$`);
const ABSENT_TERM = new RegExp(`^!\\s*${SELECTOR_KEY}$`);
const EXISTS_TERM = new RegExp(`^${SELECTOR_KEY}$`);

/** Parses a label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`; comma = AND). Throws on bad syntax. */
export function parseLabelSelector(selector: string): Requirement[] {
  const out: Requirement[] = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    let m: RegExpExecArray | null;
    if ((m = NOT_EQUALS_TERM.exec(part))) out.push({ key: m[1]!, op: 'neq', value: m[2]! });
    else if ((m = EQUALS_TERM.exec(part))) out.push({ key: m[1]!, op: 'eq', value: m[2]! });
    else if ((m = ABSENT_TERM.exec(part))) out.push({ key: m[1]!, op: 'absent' });
    else if ((m = EXISTS_TERM.exec(part))) out.push({ key: m[1]!, op: 'exists' });
    else throw new Error(`invalid label selector term ${JSON.stringify(part)} in ${JSON.stringify(selector)}`);
  }
  return out;
}

function labelsOf(object: KubeObject): Record<string, unknown> {
  const md = object['metadata'];
  const labels = isRecord(md) ? md['labels'] : undefined;
  return isRecord(labels) ? labels : {};
}

export function matchesLabels(object: KubeObject, requirements: readonly Requirement[]): boolean {
  const labels = labelsOf(object);
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? String(labels[r.key]) : undefined;
    switch (r.op) {
      case 'eq':
        return v === r.value;
      case 'neq':
        return v !== r.value;
      case 'exists':
        return has;
      case 'absent':
        return !has;
    }
  });
}

/** The requirements of a target's label selector (undefined: none). Throws on bad syntax. */
function selectorOf(target: PatchTarget): Requirement[] | undefined {
  return target.labelSelector === undefined ? undefined : parseLabelSelector(target.labelSelector);
}

/**
 * True when `object` is selected by `target` (every field given must match). `requirements` is
 * the target's label selector already parsed (parsed here when not given; throws on bad syntax).
 */
export function matchesTarget(object: KubeObject, target: PatchTarget, requirements: Requirement[] | undefined = selectorOf(target)): boolean {
  const id = identityOf(object);
  if (!isIdentity(id)) return false;
  const apiVersion = String(object['apiVersion']);
  if (target.group !== undefined && target.group !== apiGroupOf(apiVersion)) return false;
  if (target.version !== undefined && target.version !== versionOf(apiVersion)) return false;
  if (target.kind !== undefined && target.kind !== id.kind) return false;
  // An object known by its generateName is targeted by that prefix (its wet name holds a content hash).
  if (target.name !== undefined && target.name !== id.name && target.name !== generateNameOf(object)) return false;
  if (target.namespace !== undefined && target.namespace !== id.namespace) return false;
  if (requirements !== undefined && !matchesLabels(object, requirements)) return false;
  return true;
}

function generateNameOf(object: KubeObject): string | undefined {
  const m = object['metadata'];
  if (!isRecord(m) || m['name'] !== undefined) return undefined;
  return typeof m['generateName'] === 'string' ? m['generateName'] : undefined;
}

function describeTarget(t: PatchTarget): string {
  const parts = Object.entries(t)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.length > 0 ? `{${parts.join(', ')}}` : '{} (everything)';
}

function locate(where: PatchLocation): Omit<Diagnostic, 'severity' | 'message'> {
  return {
    unit: where.unit,
    ...(where.file !== undefined ? { file: where.file } : {}),
    ...(where.line !== undefined ? { line: where.line } : {}),
    ...(where.col !== undefined ? { col: where.col } : {})
  };
}

/**
 * Applies each patch, in order, to every resource its target selects. The input is not
 * modified: patched objects are deep clones.
 */
export function applyTargetedPatches(
  resources: readonly Resource[],
  patches: readonly LocatedPatch[]
): { resources: Resource[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let current: Resource[] = [...resources];
  for (const p of patches) {
    let requirements: Requirement[] | undefined;
    try {
      requirements = selectorOf(p.target);
    } catch (e) {
      diagnostics.push({ severity: 'error', ...locate(p.where), message: `${(e as Error).message}: fix the patch target` });
      continue;
    }
    const selected = current.map((r) => matchesTarget(r.object, p.target, requirements));
    if (!selected.some(Boolean)) {
      diagnostics.push({
        severity: 'error',
        ...locate(p.where),
        message: `patch target ${describeTarget(p.target)} matches no rendered object: fix the target or remove the patch`
      });
      continue;
    }
    current = current.map((r, i) => {
      if (!selected[i]) return r;
      const clone = structuredClone(r.object);
      try {
        const result = fastJsonPatch.applyPatch(clone, p.patch as Operation[], true, true);
        return { ...r, object: result.newDocument };
      } catch (e) {
        const id = identityOf(r.object);
        const what = isIdentity(id) ? describeIdentity(id) : 'object';
        const msg = (e as Error).message.split('\n')[0] ?? String(e);
        diagnostics.push({
          severity: 'error',
          ...locate(p.where),
          message: `patch operation failed on ${what}: ${msg}: check the patch path and op`
        });
        return r;
      }
    });
  }
  return { resources: current, diagnostics };
}
