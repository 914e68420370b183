/**
 * The JSON report of a run (the action's `report` output, `hydrate-report.json`), as stored: its
 * type, its schema, its version (`formatVersion`) and the one parser and serialiser of it. It
 * holds what `hydrate render --json` prints (built by src/report/json-report.ts), with Hydrate's
 * version and the run's mode.
 */
import * as z from 'zod';
import { diagnosticSchema, issueSummary } from './schemas.js';

/** The version of the report's shape: raised when a field changes meaning or goes away (new fields do not raise it). */
export const RUN_REPORT_VERSION = 1;

/**
 * The report's schemas, built on first use: a run that only writes a report never builds them
 * (zod builds a schema's checks when it is defined, a cost paid at every start otherwise).
 */
function buildSchemas() {
  const countsSchema = z.object({ added: z.number().int(), changed: z.number().int(), removed: z.number().int() });

  const fieldChangeJsonSchema = z.object({
    path: z.string(),
    from: z.string().optional(),
    to: z.string().optional(),
    redacted: z.boolean().optional(),
    reordered: z.boolean().optional()
  });

  const resourceChangeJsonSchema = z.object({
    kind: z.enum(['added', 'changed', 'removed']),
    id: z.object({ group: z.string(), kind: z.string(), namespace: z.string(), name: z.string() }),
    key: z.string(),
    fields: z.array(fieldChangeJsonSchema),
    ignored: z.number().int().optional(),
    unified: z.string()
  });

  const unitDiffJsonSchema = z.object({
    unit: z.string(),
    renderer: z.string(),
    coordinates: z.record(z.string(), z.string()),
    status: z.enum(['ok', 'failed', 'new', 'deleted']),
    added: z.number().int(),
    changed: z.number().int(),
    removed: z.number().int(),
    byKind: z.record(z.string(), countsSchema),
    resources: z.array(resourceChangeJsonSchema),
    files: z.object({ added: z.array(z.string()), changed: z.array(z.string()), removed: z.array(z.string()) })
  });

  /** A diff as JSON (`hydrate diff --format json`, and the report's `diff`). */
  const diffJsonSchema = z.object({
    changed: z.boolean(),
    totals: z.object({ units: z.number().int(), added: z.number().int(), changed: z.number().int(), removed: z.number().int(), failed: z.number().int() }),
    units: z.array(unitDiffJsonSchema)
  });

  /** A unit of the run: `UnitReport` of pipeline/hydrate.ts (checked against it in src/report/json-report.ts). */
  const unitJsonSchema = z.object({
    id: z.string(),
    renderer: z.string(),
    dir: z.string(),
    coordinates: z.record(z.string(), z.string()),
    status: z.enum(['rendered', 'failed', 'reused', 'skipped']),
    resources: z.number().int(),
    outputs: z.array(z.string()),
    errors: z.array(diagnosticSchema)
  });

  /** What a render did (`hydrate render --json`): every unit, errors and warnings apart, what was written, the diff. */
  const renderJsonSchema = z.object({
    ok: z.boolean(),
    /** Where the CLI wrote. */
    out: z.string().optional(),
    units: z.array(unitJsonSchema),
    errors: z.array(diagnosticSchema),
    warnings: z.array(diagnosticSchema),
    /** The files written and deleted; null when the render failed. */
    written: z.object({ writes: z.array(z.string()), deletes: z.array(z.string()) }).nullable(),
    diff: diffJsonSchema
  });

  const runReportSchema = renderJsonSchema.extend({
    formatVersion: z.literal(RUN_REPORT_VERSION),
    /** Hydrate's version. */
    version: z.string(),
    /** The run's mode (`push`, `pr`, `check`…). */
    mode: z.string()
  });
  return { fieldChangeJsonSchema, resourceChangeJsonSchema, unitDiffJsonSchema, diffJsonSchema, unitJsonSchema, renderJsonSchema, runReportSchema };
}
type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;
/** The report's zod schemas (also the source of its JSON Schema). */
export function runReportSchemas(): Schemas {
  return (built ??= buildSchemas());
}

export type DiffJson = z.infer<Schemas['diffJsonSchema']>;
export type FieldChangeJson = z.infer<Schemas['fieldChangeJsonSchema']>;
export type ResourceChangeJson = z.infer<Schemas['resourceChangeJsonSchema']>;
export type UnitDiffJson = z.infer<Schemas['unitDiffJsonSchema']>;
export type UnitJson = z.infer<Schemas['unitJsonSchema']>;
export type RenderJson = z.infer<Schemas['renderJsonSchema']>;
export type RunReport = z.infer<Schemas['runReportSchema']>;

/** The file's text: the report's fields in a stable order (`formatVersion`, `version`, `mode`, then the render's), 2-space JSON, trailing newline. */
export function serializeRunReport(report: RunReport): string {
  const { formatVersion, version, mode, ...render } = report;
  return `${JSON.stringify({ formatVersion, version, mode, ...render }, null, 2)}\n`;
}

/** Parses a report's text; throws an Error naming the first problems when it is not JSON or not a report of this version. */
export function parseRunReport(text: string): RunReport {
  const parsed = runReportSchemas().runReportSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`not a Hydrate run report (${issueSummary(parsed.error)})`);
  return parsed.data;
}
