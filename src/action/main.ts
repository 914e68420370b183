/**
 * The action's composition root: read the inputs, give the use case (src/app/action-run.ts) the
 * runner through @actions/core, and hold the one top-level catch that fails the step, annotates
 * every error and writes the job summary.
 */
import * as core from '@actions/core';
import { appendFile } from 'node:fs/promises';
import { formatDiagnostic, HydrateError, type Diagnostic } from '../diagnostics.js';
import { runAction, type ActionIO, type JobReport } from '../app/action-run.js';
import type { Logger } from '../ports.js';
import { buildFailureSummary } from '../report/summary.js';
import { escapeLine, escapeText } from '../report/escape.js';
import { readInputs } from './inputs.js';
import { readCheckout } from './checkout.js';

// Names and tool output come from the dry tree: control characters are escaped, and a line that
// would be a workflow command (`::add-mask::`) is shown instead of run.
const logger: Logger = {
  info: (m) => core.info(escapeText(m)),
  warning: (m) => core.warning(escapeText(m)),
  debug: (m) => core.debug(escapeText(m))
};

function annotate(d: Diagnostic): void {
  const props: core.AnnotationProperties = {
    ...(d.file ? { file: escapeLine(d.file) } : {}),
    ...(d.line !== undefined ? { startLine: d.line } : {}),
    ...(d.col !== undefined ? { startColumn: d.col } : {}),
    title: d.unit ? `hydrate: ${escapeLine(d.unit)}` : 'hydrate'
  };
  const text = escapeText(formatDiagnostic({ ...d, file: undefined, line: undefined, col: undefined } as Diagnostic));
  if (d.severity === 'error') core.error(text, props);
  else if (d.severity === 'warning') core.warning(text, props);
  else core.notice(text, props);
}

const io: ActionIO = {
  logger,
  group: (name, fn) => core.group(name, fn),
  annotate,
  notice: (m) => core.notice(m),
  setOutput: (name, value) => core.setOutput(name, value),
  readCheckout
};

export async function run(): Promise<void> {
  // The job summary is set as soon as something was rendered, so a failure still shows it.
  const report: JobReport = {};
  let stepSummary: string | undefined;
  let errors: string[] = [];
  try {
    const inputs = await readInputs();
    stepSummary = inputs.stepSummary;
    await runAction(inputs, io, report);
  } catch (e) {
    const diagnostics = e instanceof HydrateError ? e.diagnostics : [{ severity: 'error' as const, message: (e as Error).message }];
    for (const d of diagnostics) annotate(d);
    errors = diagnostics.map((d) => formatDiagnostic(d));
    core.setFailed(`hydrate failed with ${diagnostics.length} error(s)`);
  } finally {
    const summary = report.summary ? report.summary(errors) : errors.length > 0 ? buildFailureSummary(errors) : '';
    if (summary && stepSummary) await appendFile(stepSummary, summary);
  }
}
