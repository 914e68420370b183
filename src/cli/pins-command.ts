/** `hydrate images` and `hydrate promote`: the pins use case (src/app/pins.ts) on the working tree, its changes printed. */
import { ExitCode } from '../diagnostics.js';
import { pinsCommand } from '../app/pins.js';
import { pipelinePorts } from '../app/pipeline-ports.js';
import { escapeText } from '../report/escape.js';
import { COMMANDS, UsageError, type CommandValues } from './usage.js';
import { stderrLogger } from './render-command.js';

export async function pinsFlags(command: 'images' | 'promote', values: CommandValues<'images'> | CommandValues<'promote'>): Promise<number> {
  const v = values as { config: string; repo?: string; payload?: string; from?: string; to?: string };
  const missing = command === 'images' ? (v.payload ? '' : '--payload FILE') : v.from && v.to ? '' : '--from and --to';
  if (missing) throw new UsageError(`${command} needs ${missing}`, `Usage: hydrate ${COMMANDS[command].synopsis}`);
  const common = { config: v.config, ...(v.repo ? { repo: v.repo } : {}) };
  const { text } = await pinsCommand(command === 'images' ? { ...common, kind: 'images', payload: v.payload! } : { ...common, kind: 'promote', from: v.from!, to: v.to! }, pipelinePorts(stderrLogger));
  process.stdout.write(escapeText(text));
  return ExitCode.ok;
}
