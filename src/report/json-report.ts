/**
 * The JSON report of a render (CLI `--json`, the action's `report` output) and of a diff, with a
 * stable key order. Their shape, version and serialiser: src/formats/run-report.ts.
 */
import { cmp } from '../resources/resource.js';
import type { DiffReport, FieldChange, ResourceChange, UnitDiff } from '../diff/wet-diff.js';
import type { HydrateOutcome, UnitReport } from '../pipeline/hydrate.js';
import type { SameType } from '../formats/schemas.js';
import {
  RUN_REPORT_VERSION,
  type DiffJson,
  type FieldChangeJson as JsonFieldChange,
  type RenderJson,
  type ResourceChangeJson,
  type RunReport,
  type UnitDiffJson,
  type UnitJson
} from '../formats/run-report.js';

// The report's schema and the types it is built from stay in step.
const _unit: SameType<UnitJson, UnitReport> = true;
const _status: SameType<UnitDiffJson['status'], UnitDiff['status']> = true;
const _kind: SameType<ResourceChangeJson['kind'], ResourceChange['kind']> = true;
const _field: SameType<JsonFieldChange, FieldChange> = true;

function sorted<T>(r: Record<string, T>, map: (v: T) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort(cmp)) out[k] = map(r[k]!);
  return out;
}

function field(f: FieldChange): JsonFieldChange {
  const out: JsonFieldChange = { path: f.path };
  if (f.from !== undefined) out.from = f.from;
  if (f.to !== undefined) out.to = f.to;
  if (f.redacted) out.redacted = true;
  if (f.reordered) out.reordered = true;
  return out;
}

function resource(r: ResourceChange): ResourceChangeJson {
  return {
    kind: r.kind,
    id: { group: r.id.group, kind: r.id.kind, namespace: r.id.namespace, name: r.id.name },
    key: r.key,
    fields: r.fields.map(field),
    ...(r.ignored ? { ignored: r.ignored } : {}),
    unified: r.unified
  };
}

function unit(u: UnitDiff): UnitDiffJson {
  return {
    unit: u.unit,
    renderer: u.renderer,
    coordinates: sorted(u.coordinates, (v) => v),
    status: u.status,
    added: u.added,
    changed: u.changed,
    removed: u.removed,
    byKind: sorted(u.byKind, (c) => ({ added: c.added, changed: c.changed, removed: c.removed })),
    resources: u.resources.map(resource),
    files: { added: [...u.files.added], changed: [...u.files.changed], removed: [...u.files.removed] }
  };
}

export function diffToJson(report: DiffReport): DiffJson {
  const t = report.totals;
  return {
    changed: report.changed,
    totals: { units: t.units, added: t.added, changed: t.changed, removed: t.removed, failed: t.failed },
    units: report.units.map(unit)
  };
}

/**
 * What a render did: every unit, errors and warnings apart, the files written and deleted (none
 * when the render failed) and the diff. `outDir` is where the CLI wrote.
 */
export function renderReport(outcome: HydrateOutcome, outDir?: string): RenderJson {
  return {
    ok: outcome.ok,
    ...(outDir !== undefined ? { out: outDir } : {}),
    units: outcome.units,
    errors: outcome.diagnostics.filter((d) => d.severity === 'error'),
    warnings: outcome.diagnostics.filter((d) => d.severity !== 'error'),
    written: outcome.plan ? { writes: outcome.plan.writes.map((f) => f.path), deletes: outcome.plan.deletes } : null,
    diff: diffToJson(outcome.diff)
  };
}

/** The run report the action stores (`hydrate-report.json`): the render's report with Hydrate's version and the run's mode. */
export function runReport(outcome: HydrateOutcome, run: { version: string; mode: string }): RunReport {
  return { formatVersion: RUN_REPORT_VERSION, version: run.version, mode: run.mode, ...renderReport(outcome) };
}
