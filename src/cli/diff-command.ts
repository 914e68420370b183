/** `hydrate diff`: two wet trees compared, as text, Markdown or JSON. */
import path from 'node:path';
import { ConfigError, ExitCode } from '../diagnostics.js';
import { UsageError, type CommandValues } from './usage.js';
import { diffTrees } from '../diff/tree-diff.js';
import { readYamlTree } from '../adapters/yaml-tree.js';
import { formatDiffText } from '../report/text.js';
import { buildJobSummary } from '../report/summary.js';
import { diffToJson } from '../report/json-report.js';

/** `hydrate diff`: exits 1 when the trees differ (as `git diff --exit-code`), unless `exitZero`. */
export async function diffCommand(values: CommandValues<'diff'>): Promise<number> {
  const { base, head, format, ignore, 'exit-zero': exitZero } = values;
  if (!base || !head) throw new UsageError('diff needs --base DIR and --head DIR', 'Usage: hydrate diff --base DIR --head DIR [flags]\nRun \'hydrate diff --help\' for more.');
  if (!['text', 'markdown', 'json'].includes(format)) throw new ConfigError(`unknown --format ${format}: use text, markdown or json`);
  const [b, h] = await Promise.all([readYamlTree(path.resolve(base)), readYamlTree(path.resolve(head))]);
  const report = diffTrees(b, h, { ignore });
  if (format === 'json') process.stdout.write(`${JSON.stringify(diffToJson(report), null, 2)}\n`);
  else if (format === 'markdown') process.stdout.write(buildJobSummary(report, { marker: 'cli', title: 'Hydrate diff' }));
  else process.stdout.write(formatDiffText(report));
  return report.units.length > 0 && !exitZero ? ExitCode.renderErrors : ExitCode.ok;
}

