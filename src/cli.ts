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
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, ExitCode, formatDiagnostic, HydrateError, type Diagnostic } from './diagnostics.js';
import { COMMANDS, parseCommandLine, UsageError, wantsJson } from './cli/usage.js';
import { pinsCommand } from './app/pins.js';
import { createFileReader } from './adapters/files.js';
import { createProcessRunner } from './adapters/exec.js';
import { pipelinePorts } from './app/pipeline-ports.js';
import { readRunShards, renderRun, runMode } from './app/render-run.js';
import { loadSettings } from './settings/load-settings.js';
import { refuseOutDir } from './app/out-dir.js';
import type { HydrateOutcome } from './pipeline/hydrate.js';
import { diffTrees } from './diff/tree-diff.js';
import { readYamlTree } from './adapters/yaml-tree.js';
import { formatDiffText } from './report/text.js';
import { escapeLine, escapeText } from './report/escape.js';
import { buildJobSummary } from './report/summary.js';
import { buildComment } from './report/comment.js';
import { diffToJson, renderReport } from './report/json-report.js';
import type { Logger } from './ports.js';
import { VERSION } from './version.js';

// Names and tool output come from the dry tree: control characters and workflow commands are escaped.
const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`${escapeText(m)}\n`),
  warning: (m) => process.stderr.write(`warning: ${escapeText(m)}\n`),
  debug: (m) => {
    if (process.env['HYDRATE_DEBUG']) process.stderr.write(`debug: ${escapeText(m)}\n`);
  }
};

export interface RenderCommand {
  config: string;
  repo?: string;
  out: string;
  only: string[];
  full: boolean;
  json: boolean;
  dryCommit?: string;
  /** `i/n` or `merge` (with shardDir). */
  shard?: string;
  shardDir?: string;
  allowMassDeletion?: boolean;
  repository?: string;
  /** Recorded in shard files; a merge takes files with its own run id only. */
  runId?: string;
  /** Merge: units to render again and compare with their shard's result. */
  shardVerify?: number;
}

/**
 * Renders into `out` (created or updated in place, with pruning; only read, and not created, by a
 * `--shard i/n` run). Prints text or the JSON report.
 */
export async function renderCommand(cmd: RenderCommand, logger: Logger = stderrLogger): Promise<{ exitCode: number; outcome: HydrateOutcome }> {
  const { settings, configText } = await loadSettings({
    configFile: cmd.config,
    ...(cmd.repo ? { repoRoot: cmd.repo } : {}),
    only: cmd.only,
    full: cmd.full,
    ...(cmd.shard !== undefined ? { shard: cmd.shard } : {}),
    ...(cmd.shardDir !== undefined ? { shardDir: path.resolve(cmd.shardDir) } : {}),
    ...(cmd.allowMassDeletion ? { allowMassDeletion: true } : {}),
    ...(cmd.repository !== undefined ? { repository: cmd.repository } : {})
  });
  const outDir = path.resolve(cmd.out);
  await refuseOutDir(outDir, cmd.out, settings, createFileReader());
  if (runMode(settings) !== 'shard-part') await mkdir(outDir, { recursive: true });
  const shards = await readRunShards(settings);
  const { outcome, shardFile } = await renderRun(outDir, {
    settings,
    configText,
    ports: pipelinePorts(logger),
    ...(cmd.dryCommit ? { dryCommit: cmd.dryCommit } : {}),
    ...(shards ? { shards } : {}),
    ...(cmd.runId ? { runId: cmd.runId } : {}),
    ...(cmd.shardVerify !== undefined ? { shardVerify: cmd.shardVerify } : {})
  });
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify({ ...renderReport(outcome, outDir), ...(shardFile ? { shardFile } : {}) }, null, 2)}\n`);
  } else if (shardFile) {
    printShard(outcome, shardFile);
  } else {
    printOutcome(outcome, outDir);
  }
  return { exitCode: outcome.ok ? ExitCode.ok : outcome.exitCode, outcome };
}

function printOutcome(outcome: HydrateOutcome, outDir: string): void {
  const out = process.stdout;
  for (const u of outcome.units) {
    out.write(`${u.status.padEnd(8)} ${escapeLine(u.id)}  (${u.resources} resources)\n`);
  }
  if (!outcome.ok) {
    printDiagnostics(outcome.diagnostics);
    out.write(`\nhydrate: render failed; ${outDir} was not changed\n`);
    return;
  }
  // Warnings and notices are shown on success too (on stderr, like progress).
  printDiagnostics(outcome.diagnostics);
  const plan = outcome.plan!;
  out.write(`\nwrote ${plan.writes.length} file(s), removed ${plan.deletes.length}, unchanged ${plan.unchanged.length} in ${outDir}\n\n`);
  out.write(formatDiffText(outcome.diff));
}

function printShard(outcome: HydrateOutcome, shardFile: string): void {
  const out = process.stdout;
  for (const u of outcome.units) out.write(`${u.status.padEnd(8)} ${escapeLine(u.id)}  (${u.resources} resources)\n`);
  printDiagnostics(outcome.diagnostics);
  out.write(`\nsaved ${outcome.units.length} unit(s) of shard ${outcome.shard!.shard.index}/${outcome.shard!.shard.count} to ${shardFile}\n`);
}

function printDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(`${escapeText(formatDiagnostic(d))}\n`);
}

/** `hydrate diff`: exits 1 when the trees differ (as `git diff --exit-code`), unless `exitZero`. */
async function diffCommand(base: string, head: string, format: string, ignore: string[], exitZero: boolean): Promise<number> {
  const [b, h] = await Promise.all([readYamlTree(path.resolve(base)), readYamlTree(path.resolve(head))]);
  const report = diffTrees(b, h, { ignore });
  if (format === 'json') process.stdout.write(`${JSON.stringify(diffToJson(report), null, 2)}\n`);
  else if (format === 'markdown') process.stdout.write(buildJobSummary(report, { marker: 'cli', title: 'Hydrate diff' }));
  else process.stdout.write(formatDiffText(report));
  return report.units.length > 0 && !exitZero ? ExitCode.renderErrors : ExitCode.ok;
}

function wholeNumber(flag: string, value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new ConfigError(`${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

/**
 * The bundled example: hydrate examples/dry onto a copy of examples/wet (its previous state).
 * `--write-docs` also regenerates docs/comment-example.md from the comment.
 */
async function demoCommand(writeDocs = false): Promise<number> {
  const root = findPackageRoot();
  const dry = path.join(root, 'examples', 'dry');
  const previousWet = path.join(root, 'examples', 'wet');
  const out = path.join(root, 'out', 'demo-wet');
  await rm(out, { recursive: true, force: true });
  await mkdir(path.dirname(out), { recursive: true });
  await cp(previousWet, out, { recursive: true });
  const only: string[] = [];
  if (!(await createProcessRunner().which('helm'))) {
    process.stderr.write('helm is not installed: the Helm release unit is left as it is in the previous wet tree\n');
    only.push('!kubernetes/platform/web/*');
  }
  process.stdout.write(`Hydrating ${path.relative(process.cwd(), dry) || '.'} into ${path.relative(process.cwd(), out)} (previous wet state: examples/wet)\n\n`);
  const { exitCode, outcome } = await renderCommand({ config: path.join(dry, 'hydrate.yaml'), out, only, full: true, json: false });
  const commentFile = path.join(root, 'out', 'demo-comment.md');
  const comment = buildComment(outcome.diff, { marker: 'example/platform:deployment:hydrate.yaml', title: 'Hydrate: render example/platform@0000000 into deployment', dryRepository: 'example/platform', dryCommit: '0000000000000000000000000000000000000000', wetBranch: 'deployment' });
  await writeFile(commentFile, comment);
  if (writeDocs) await writeFile(path.join(root, 'docs', 'comment-example.md'), `${COMMENT_EXAMPLE_HEAD}${comment}`);
  process.stdout.write(`\nThe pull-request comment for this change: ${path.relative(process.cwd(), commentFile)}\n`);
  return exitCode;
}

const COMMENT_EXAMPLE_HEAD = `# Example pull-request comment

This is the comment Hydrate posts for the bundled example (\`npm run demo\` writes it to \`out/demo-comment.md\`; \`npm run demo -- --write-docs\` regenerates this page). GitHub renders the \`<details>\` sections collapsed.

---

`;

function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'examples', 'dry', 'hydrate.yaml'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

async function main(argv: string[]): Promise<number> {
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
        const values = invocation.values;
        const { exitCode } = await renderCommand({
          config: values.config,
          ...(values.repo ? { repo: values.repo } : {}),
          out: values.out,
          only: values.only,
          full: values.full,
          json: values.json,
          ...(values['dry-commit'] ? { dryCommit: values['dry-commit'] } : {}),
          ...(values.shard !== undefined ? { shard: values.shard } : {}),
          ...(values['shard-dir'] !== undefined ? { shardDir: values['shard-dir'] } : {}),
          ...(values['allow-mass-deletion'] ? { allowMassDeletion: true } : {}),
          ...(values.repository !== undefined ? { repository: values.repository } : {}),
          ...(values['run-id'] ? { runId: values['run-id'] } : {}),
          ...(values['shard-verify'] !== undefined ? { shardVerify: wholeNumber('--shard-verify', values['shard-verify']) } : {})
        });
        return exitCode;
      }
      case 'diff': {
        const values = invocation.values;
        if (!values.base || !values.head) throw new UsageError('diff needs --base DIR and --head DIR', 'Usage: hydrate diff --base DIR --head DIR [flags]\nRun \'hydrate diff --help\' for more.');
        if (!['text', 'markdown', 'json'].includes(values.format)) throw new ConfigError(`unknown --format ${values.format}: use text, markdown or json`);
        return await diffCommand(values.base, values.head, values.format, values.ignore, values['exit-zero']);
      }
      case 'images':
      case 'promote': {
        const v = invocation.values as { config: string; repo?: string; payload?: string; from?: string; to?: string };
        const missing = invocation.command === 'images' ? (v.payload ? '' : '--payload FILE') : v.from && v.to ? '' : '--from and --to';
        if (missing) throw new UsageError(`${invocation.command} needs ${missing}`, `Usage: hydrate ${COMMANDS[invocation.command].synopsis}`);
        const common = { config: v.config, ...(v.repo ? { repo: v.repo } : {}) };
        const { text } = await pinsCommand(invocation.command === 'images' ? { ...common, kind: 'images', payload: v.payload! } : { ...common, kind: 'promote', from: v.from!, to: v.to! }, pipelinePorts(stderrLogger));
        process.stdout.write(escapeText(text));
        return ExitCode.ok;
      }
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
