/**
 * The command line's grammar: the usage texts, `-h`/`--help` on the tool and on every command,
 * `--version`, and the parsing of each command's flags. Pure: it returns what to do and never
 * prints. A mistake on the command line is a `UsageError` (exit 2) carrying the usage line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../diagnostics.js';
import { VERSION } from '../version.js';

type Options = NonNullable<ParseArgsConfig['options']>;

interface CommandSpec {
  /** One-line synopsis (without the leading `hydrate `). */
  synopsis: string;
  summary: string;
  /** What `hydrate <command> --help` prints below the synopsis. */
  details: string;
  options: Options;
}

const HELP_OPTION: Options = { help: { type: 'boolean', short: 'h', default: false } };

export const COMMANDS = {
  render: {
    synopsis: `render [--config FILE] [--repo DIR] [--out DIR] [--only GLOB]... [--full] [--json]
              [--dry-commit SHA] [--shard i/n|merge --shard-dir DIR] [--allow-mass-deletion]
              [--repository NAME] [--run-id ID] [--shard-verify N]`,
    summary: 'render every unit of a dry repository into a wet tree',
    details: `Renders every unit into --out, creating it or updating it in place with pruning.

Options:
  --config FILE       the config file (default: hydrate.yaml)
  --repo DIR          the dry repository root (default: the config file's folder)
  --out DIR           the wet tree to write (default: out/wet)
  --only GLOB         only units whose directory or id matches; !GLOB excludes (repeatable)
  --full              render every unit, even those whose inputs did not change
  --json              print a JSON report on stdout (errors too: {"errors": [...]})
  --dry-commit SHA    record the dry commit rendered from in the wet index
  --shard i/n         render shard i of n into --shard-dir (--out is only read)
  --shard merge       assemble the shard files in --shard-dir into --out
  --shard-dir DIR     where shard files are saved or read
  --run-id ID         recorded in shard files; a merge takes shard files with its own run id only
  --shard-verify N    a merge renders N units again itself to check the shards' results
                      (default 3, at least one per shard)
  --allow-mass-deletion
                      let this run delete more than half of the files hydrate owns in --out (or
                      all of them), run a config without entries, and let units that rendered
                      objects render none
  --repository NAME   the dry repository, recorded as the owner of its units in the wet index
                      (default: the repository folder's name); units another config owns are
                      never pruned or overwritten
  -h, --help          show this help`,
    options: {
      config: { type: 'string', default: 'hydrate.yaml' },
      repo: { type: 'string' },
      out: { type: 'string', default: 'out/wet' },
      only: { type: 'string', multiple: true, default: [] },
      full: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'dry-commit': { type: 'string' },
      shard: { type: 'string' },
      'shard-dir': { type: 'string' },
      'allow-mass-deletion': { type: 'boolean', default: false },
      repository: { type: 'string' },
      'run-id': { type: 'string' },
      'shard-verify': { type: 'string' }
    }
  },
  diff: {
    synopsis: 'diff --base DIR --head DIR [--format text|markdown|json] [--ignore PATH]... [--exit-zero]',
    summary: 'compare two trees of YAML files by object identity',
    details: `Compares any two trees of YAML files by object identity (group, kind, namespace, name).
Exits 1 when the trees differ (as git diff --exit-code), 0 when they do not.

Options:
  --base DIR          the tree before
  --head DIR          the tree after
  --format FORMAT     text (default), markdown (the job summary) or json
  --ignore PATH       hide a field path from the field summary (repeatable),
                      e.g. 'metadata.annotations["checksum/*"]'
  --exit-zero         exit 0 also when the trees differ
  -h, --help          show this help`,
    options: {
      base: { type: 'string' },
      head: { type: 'string' },
      format: { type: 'string', default: 'text' },
      ignore: { type: 'string', multiple: true, default: [] },
      'exit-zero': { type: 'boolean', default: false }
    }
  },
  images: {
    synopsis: 'images --payload FILE [--config FILE] [--repo DIR]',
    summary: 'pin images in the dry tree as an image update asks (no git)',
    details: `Reads an image update (the JSON a dispatch sends: docs/dispatch.md) and sets each image's
tag or digest where the selected units pin it: a kustomization's images: entry, images.yaml, or
the config's pins rules. Writes the dry tree in place (nothing when any problem is found) and
prints the changes. Running it again changes nothing.

Options:
  --payload FILE      the image update (JSON)
  --config FILE       the config file (default: hydrate.yaml)
  --repo DIR          the dry repository root (default: the config file's folder)
  -h, --help          show this help`,
    options: {
      payload: { type: 'string' },
      config: { type: 'string', default: 'hydrate.yaml' },
      repo: { type: 'string' }
    }
  },
  promote: {
    synopsis: 'promote --from SELECTOR --to SELECTOR [--config FILE] [--repo DIR]',
    summary: "copy image pins and chart versions from one environment's units to another's (no git)",
    details: `Copies the image pins (and Helm chart versions) of the units matching --from into the units
matching --to whose other coordinates are the same, e.g. --from env=staging --to env=prod.
Writes the dry tree in place and prints the changes, and, as notes, what could not be copied.

Options:
  --from SELECTOR     coordinates of the source units: name=value[,name=value]
  --to SELECTOR       coordinates of the target units
  --config FILE       the config file (default: hydrate.yaml)
  --repo DIR          the dry repository root (default: the config file's folder)
  -h, --help          show this help`,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      config: { type: 'string', default: 'hydrate.yaml' },
      repo: { type: 'string' }
    }
  },
  demo: {
    synopsis: 'demo [--write-docs]',
    summary: 'render the bundled example and write the pull-request comment it would post',
    details: `Hydrates examples/dry onto a copy of examples/wet (its previous state) into out/demo-wet,
prints the diff, and writes the pull-request comment to out/demo-comment.md.

Options:
  --write-docs        also regenerate docs/comment-example.md
  -h, --help          show this help`,
    options: { 'write-docs': { type: 'boolean', default: false } }
  },
  version: {
    synopsis: 'version',
    summary: 'print the version',
    details: `Prints the version of hydrate (as --version does).

Options:
  -h, --help          show this help`,
    options: {}
  }
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

const NAMES = Object.keys(COMMANDS) as CommandName[];

export const USAGE = `Usage: hydrate <command> [flags]

Commands:
${NAMES.map((n) => `  ${n.padEnd(10)}${COMMANDS[n].summary}`).join('\n')}

Flags:
  -h, --help          show help (also after a command: hydrate render --help)
  --version           print the version

Exit codes: 0 ok, 1 render errors (diff: differences found), 2 usage or config errors.
Progress goes to stderr, results to stdout; the output is plain text (no colour).
Run 'hydrate <command> --help' for a command's flags.`;

/** `hydrate <command> --help`. */
export function commandHelp(name: CommandName): string {
  return `Usage: hydrate ${COMMANDS[name].synopsis}\n\n${COMMANDS[name].summary}.\n${COMMANDS[name].details}`;
}

/** A mistake on the command line: exit 2, with the usage line of the command (or of the tool). */
export class UsageError extends ConfigError {
  constructor(
    message: string,
    readonly usage: string
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

function usageLine(name?: CommandName): string {
  return name ? `Usage: hydrate ${COMMANDS[name].synopsis}\nRun 'hydrate ${name} --help' for more.` : `Usage: hydrate <command> [flags]\nRun 'hydrate --help' for the commands.`;
}

/** The flags of one command, as parsed. */
export type CommandValues<N extends CommandName> = ReturnType<typeof parseArgs<{ options: (typeof COMMANDS)[N]['options']; strict: true; allowPositionals: false }>>['values'];

export type Invocation =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { [N in CommandName]: { kind: 'run'; command: N; values: CommandValues<N> } }[CommandName];

/** Whether the caller asked for JSON on stdout (`--json`, or `diff --format json`): errors are JSON then too. */
export function wantsJson(argv: readonly string[]): boolean {
  const args = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
  return args.some((a, i) => a === '--json' || a === '--format=json' || (a === '--format' && args[i + 1] === 'json'));
}

/** Reads the command line. Throws `UsageError` for an unknown command or flag, or a missing value. */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given', usageLine());
  if (first === '-h' || first === '--help') return { kind: 'help', text: USAGE };
  if (first === '--version') return { kind: 'version' };
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { kind: 'help', text: USAGE };
    if (!isCommand(topic)) throw new UsageError(`unknown command "${topic}"`, usageLine());
    return { kind: 'help', text: commandHelp(topic) };
  }
  if (first.startsWith('-')) throw new UsageError(`unknown flag ${first}: flags come after the command`, usageLine());
  if (!isCommand(first)) throw new UsageError(`unknown command "${first}"`, usageLine());
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...rest], options: { ...COMMANDS[first].options, ...HELP_OPTION }, strict: true, allowPositionals: false }));
  } catch (e) {
    if (!(e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))) throw e;
    // A command's help wins over the rest of its line: `hydrate render --bogus --help` helps.
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', text: commandHelp(first) };
    throw new UsageError(parseArgsMessage(e.message), usageLine(first));
  }
  if (values['help']) return { kind: 'help', text: commandHelp(first) };
  if (first === 'version') return { kind: 'version' };
  delete values['help'];
  return { kind: 'run', command: first, values } as Invocation;
}

function isCommand(name: string): name is CommandName {
  return (NAMES as string[]).includes(name);
}

/** Node's parseArgs messages, shortened: "Unknown option '--bogus'. To specify a positional ..." */
function parseArgsMessage(message: string): string {
  return message.split('. ')[0]!.replace(/^Unknown option/, 'unknown flag').replace(/^Unexpected argument/, 'unexpected argument');
}

export { VERSION };
