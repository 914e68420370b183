/**
 * Diagnostics: every problem found in a run is collected as data and reported together
 * (terminal, JSON report, GitHub annotations). Nothing here does I/O.
 */
export type Severity = 'error' | 'warning' | 'notice';

export interface Diagnostic {
  severity: Severity;
  message: string;
  /** Unit id (see `Unit.id`) when the problem belongs to one unit. */
  unit?: string;
  /** Repository-relative POSIX path of the file at fault, when known. */
  file?: string;
  /** 1-based line and column, when known. */
  line?: number;
  col?: number;
}

/** Process exit codes shared by the CLI and the action. */
export const ExitCode = { ok: 0, renderErrors: 1, usage: 2 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error that carries one or more diagnostics. Thrown for problems that stop the run;
 * the single top-level catch (CLI or action) prints every diagnostic and exits with `exitCode`.
 */
export class HydrateError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly exitCode: ExitCodeValue;

  constructor(diagnostics: Diagnostic[] | Diagnostic | string, exitCode: ExitCodeValue = ExitCode.renderErrors) {
    const list: Diagnostic[] =
      typeof diagnostics === 'string'
        ? [{ severity: 'error', message: diagnostics }]
        : Array.isArray(diagnostics)
          ? diagnostics
          : [diagnostics];
    super(list.map(formatDiagnostic).join('\n'));
    this.name = 'HydrateError';
    this.diagnostics = list;
    this.exitCode = exitCode;
  }
}

/** A config or usage problem: exit code 2. */
export class ConfigError extends HydrateError {
  constructor(diagnostics: Diagnostic[] | Diagnostic | string) {
    super(diagnostics, ExitCode.usage);
    this.name = 'ConfigError';
  }
}

/** `file:line:col` (the parts that are known), or '' when there is no file. */
export function formatLocation(d: Pick<Diagnostic, 'file' | 'line' | 'col'>): string {
  if (!d.file) return '';
  let loc = d.file;
  if (d.line !== undefined) {
    loc += `:${d.line}`;
    if (d.col !== undefined) loc += `:${d.col}`;
  }
  return loc;
}

/** One line a diagnostic: `file:line:col: error [unit]: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  const loc = formatLocation(d);
  const unit = d.unit ? ` [${d.unit}]` : '';
  return `${loc ? `${loc}: ` : ''}${d.severity}${unit}: ${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Stable order for reporting: by file, line, col, unit, message. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic): [string, number, number, string, string] => [
    d.file ?? '',
    d.line ?? 0,
    d.col ?? 0,
    d.unit ?? '',
    d.message
  ];
  return [...diagnostics].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      const x = ka[i]!;
      const y = kb[i]!;
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
}
