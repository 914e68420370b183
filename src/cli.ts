/**
 * The `hydrate` command line: the same engine as the action, with no GitHub at all.
 *   hydrate render [--config FILE] [--repo DIR] [--out DIR] [--only GLOB]... [--full] [--json]
 *                  [--dry-commit SHA] [--shard i/n|merge --shard-dir DIR] [--allow-mass-deletion]
 *                  [--repository NAME]
 *   hydrate diff --base DIR --head DIR [--format text|markdown|json] [--ignore PATH]... [--exit-zero]
 *   hydrate images --payload FILE [--config FILE] [--repo DIR]
 *   hydrate promote --from SELECTOR --to SELECTOR [--config FILE] [--repo DIR]
 *   hydrate demo [--write-docs]
 *   hydrate version | --version | --help | <command> --help
 * The grammar and help texts live in ./cli/usage.ts.
 * Exit codes: 0 ok, 1 render errors (diff: differences found), 2 usage or config errors.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitCode, HydrateError, type Diagnostic } from './diagnostics.js';
import { parseCommandLine, UsageError, wantsJson } from './cli/usage.js';
import { printDiagnostics, renderCommand, renderFlags } from './cli/render-command.js';
import { pinsFlags } from './cli/pins-command.js';
import { diffCommand } from './cli/diff-command.js';
import { demoCommand } from './cli/demo-command.js';
import { escapeText } from './report/escape.js';
import { VERSION } from './version.js';

export { renderCommand, type RenderCommand } from './cli/render-command.js';

/** Runs one command line; resolves to the exit code. `dist/cli.js` starts it after turning on Node's compile cache. */
export async function main(argv: string[]): Promise<number> {
  const json = wantsJson(argv);
  try {
    const invocation = parseCommandLine(argv);
    switch (invocation.kind) {
      case 'help':
        process.stdout.write(`${invocation.text}\n`);
        return ExitCode.ok;
      case 'version':
        process.stdout.write(`${VERSION}\n`);
        return ExitCode.ok;
    }
    switch (invocation.command) {
      case 'render': {
        return (await renderCommand(renderFlags(invocation.values))).exitCode;
      }
      case 'diff':
        return await diffCommand(invocation.values);
      case 'images':
      case 'promote':
        return await pinsFlags(invocation.command, invocation.values);
      case 'demo':
        return await demoCommand(invocation.values['write-docs']);
      case 'version':
        process.stdout.write(`${VERSION}\n`);
        return ExitCode.ok;
    }
  } catch (e) {
    return reportFailure(e, json);
  }
}

/**
 * Every failure, as the caller asked: with `--json` one JSON document on stdout
 * (`{"errors": [...]}`) so a script can always parse it; otherwise the diagnostics on stderr, and
 * for a usage error its usage line.
 */
function reportFailure(e: unknown, json: boolean): number {
  const known = e instanceof HydrateError;
  const diagnostics: Diagnostic[] = known ? e.diagnostics : [{ severity: 'error', message: (e as Error).message ?? String(e) }];
  const exitCode = known ? e.exitCode : ExitCode.renderErrors;
  if (json) {
    process.stdout.write(`${JSON.stringify({ errors: diagnostics, exitCode, ...(e instanceof UsageError ? { usage: e.usage } : {}) }, null, 2)}\n`);
    if (!known) process.stderr.write(`hydrate: ${escapeText((e as Error).stack ?? String(e))}\n`);
    return exitCode;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`hydrate: ${escapeText(e.message)}\n${e.usage}\n`);
  } else if (known) {
    printDiagnostics(e.diagnostics);
  } else {
    process.stderr.write(`hydrate: ${escapeText((e as Error).stack ?? String(e))}\n`);
  }
  return exitCode;
}

/** True when this file is the program being run, also through a symlinked bin (npx, npm link). */
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
