import type { DiffReport, ResourceChange, UnitDiff } from '../../src/diff/wet-diff.js';

export function unitDiff(unit: string, resources: ResourceChange[], extra: Partial<UnitDiff> = {}): UnitDiff {
  const u: UnitDiff = {
    unit,
    renderer: 'kubernetes',
    coordinates: {},
    status: 'ok',
    added: resources.filter((r) => r.kind === 'added').length,
    changed: resources.filter((r) => r.kind === 'changed').length,
    removed: resources.filter((r) => r.kind === 'removed').length,
    byKind: {},
    resources,
    files: { added: [], changed: [], removed: [] },
    ...extra
  };
  return u;
}

export function report(units: UnitDiff[]): DiffReport {
  const totals = { added: 0, changed: 0, removed: 0, units: units.length, failed: 0 };
  for (const u of units) {
    totals.added += u.added;
    totals.changed += u.changed;
    totals.removed += u.removed;
    if (u.status === 'failed') totals.failed++;
  }
  return { units, totals, changed: units.some((u) => u.status !== 'failed') };
}

export interface Structure {
  opened: number;
  closed: number;
  /** A `<details>` opened before the previous one closed, or a close without open. */
  nestingError: boolean;
  /** Still inside a code fence at the end. */
  openFence: boolean;
}

/** Walks Markdown lines, tracking code fences; counts `<details>` tags outside fences. */
export function structure(body: string): Structure {
  let fence = '';
  let opened = 0;
  let closed = 0;
  let depth = 0;
  let nestingError = false;
  for (const line of body.split('\n')) {
    if (fence) {
      if (/^`+$/.test(line) && line.length >= fence.length) fence = '';
      continue;
    }
    const m = /^(`{3,})/.exec(line);
    if (m) {
      fence = m[1]!;
      continue;
    }
    for (const t of line.matchAll(/<\/?details>/g)) {
      if (t[0] === '<details>') {
        opened++;
        depth++;
        if (depth > 1) nestingError = true;
      } else {
        closed++;
        depth--;
        if (depth < 0) nestingError = true;
      }
    }
  }
  return { opened, closed, nestingError, openFence: fence !== '' };
}

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
