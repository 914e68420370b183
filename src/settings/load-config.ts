/**
 * Reading `hydrate.yaml`: YAML with positions, schema validation, and the checks the schema
 * cannot express (captures used by `output`, safe paths, unique names). Every problem is
 * collected and thrown together as one `ConfigError`, each at `file:line:col`.
 * Pure: the caller reads the file and passes its text.
 */
import { isMap, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';
import type * as z from 'zod';
import { ConfigError, sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { placeholders, patternProblems } from './patterns.js';
import { checkOutputPath, checkRelativePath, extraArtifactsFolder, globProblem, hasGitSegment } from './path-rules.js';
import { RENDERER_NAMES } from './schema/renderers.js';
import { isRecord } from '../resources/resource.js';
import { locateZodIssues, readYamlDocument, type Position, type PositionedDocument } from '../resources/yaml-positions.js';
import { hydrateConfig, type HydrateConfig } from './schema/config.js';
import type { Settings } from './settings.js';
import { parseShardSpec, type ShardMode } from './shard.js';

type PathKey = string | number;

interface Locator {
  file: string;
  doc: Document;
  linePos(offset: number): Position;
  text: string;
}

function asNode(v: unknown): YamlNode | undefined {
  return isMap(v) || isSeq(v) || isScalar(v) ? (v as YamlNode) : undefined;
}

function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out || '(top level)';
}

/** Position of an offset in the text. */
function at(loc: Locator, offset: number): Pick<Diagnostic, 'file' | 'line' | 'col'> {
  const { line, col } = loc.linePos(offset);
  return { file: loc.file, line, col };
}

/** The deepest existing node along `path` and how many path keys it consumed. */
function nearestNode(loc: Locator, path: readonly PathKey[]): { node: YamlNode | undefined; depth: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? asNode(loc.doc.contents) : asNode(loc.doc.getIn(path.slice(0, depth), true));
    if (node?.range) return { node, depth };
  }
  return { node: undefined, depth: 0 };
}

/** The key node of `key` in the map at `mapPath`, when present. */
function keyNode(loc: Locator, mapPath: readonly PathKey[], key: string): YamlNode | undefined {
  const map = mapPath.length === 0 ? loc.doc.contents : loc.doc.getIn(mapPath, true);
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    const k = asNode(pair.key);
    if (k && isScalar(k) && String(k.value) === key) return k;
  }
  return undefined;
}

/** Location of the value at `path`, or of its nearest existing parent. */
function locate(loc: Locator, path: readonly PathKey[], innerOffset?: number): Pick<Diagnostic, 'file' | 'line' | 'col'> {
  const { node, depth } = nearestNode(loc, path);
  if (!node?.range) return { file: loc.file, line: 1, col: 1 };
  let offset = node.range[0];
  if (innerOffset !== undefined && depth === path.length && isScalar(node) && typeof node.value === 'string') {
    // Point inside a single-line scalar when its source text is the value itself.
    const raw = loc.text.slice(node.range[0], node.range[1]);
    if (node.type === 'PLAIN' && raw === node.value) offset += innerOffset;
    else if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && raw.slice(1, -1) === node.value) {
      offset += innerOffset + 1;
    }
  }
  return at(loc, offset);
}

/** The message of a schema issue other than an unknown key: a key the document lacks is named as missing. */
function describeIssue(issue: z.core.$ZodIssue, path: readonly PathKey[], doc: Document): string {
  if (issue.code === 'invalid_type' && path.length > 0 && !doc.hasIn(path)) {
    return `${formatPath(path.slice(0, -1))}: missing required key "${String(path[path.length - 1])}"`;
  }
  return `${formatPath(path)}: ${issue.message}`;
}

/** Schema issues as diagnostics at their node (located by the shared converter), one per unknown key. */
function schemaDiagnostics(error: z.ZodError, document: PositionedDocument, file: string): Diagnostic[] {
  return locateZodIssues(error, document, [], { eachKey: true }).map(({ issue, path, key, position }) => ({
    severity: 'error',
    message: key !== undefined ? `${formatPath(path)}: unknown key "${key}": check the spelling (see schema/hydrate.schema.json)` : describeIssue(issue, path, document.source.doc),
    file,
    ...position
  }));
}

/** Checks the schema cannot express; runs on the raw value so they are reported with schema errors. */
function semanticDiagnostics(value: unknown, loc: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (path: PathKey[], message: string, innerOffset?: number): void => {
    out.push({ severity: 'error', message, ...locate(loc, path, innerOffset) });
  };
  if (!isRecord(value)) return out;

  for (const renderer of RENDERER_NAMES) {
    const entries = value[renderer];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, i) => {
      if (!isRecord(entry)) return;
      const base = `${renderer}[${i}]`;
      const match = entry['match'];
      const output = entry['output'];
      let captured: Set<string> | undefined;
      if (typeof match === 'string' && match !== '') {
        const problems = patternProblems(match);
        for (const p of problems) err([renderer, i, 'match'], `${base}.match "${match}": ${p.message}`, p.offset);
        captured = new Set(placeholders(match).map((p) => p.name));
      }
      const overrides = entry['overrides'];
      if (captured && Array.isArray(overrides)) {
        overrides.forEach((o: unknown, j) => {
          const when = isRecord(o) ? o['when'] : undefined;
          if (!isRecord(when)) return;
          for (const name of Object.keys(when)) {
            if (captured.has(name)) continue;
            const k = keyNode(loc, [renderer, i, 'overrides', j, 'when'], name);
            out.push({
              severity: 'error',
              message: `${base}.overrides[${j}].when uses "${name}", which match "${match as string}" does not capture: use one of ${[...captured].join(', ') || '(none)'}`,
              ...(k?.range ? at(loc, k.range[0]) : locate(loc, [renderer, i, 'overrides', j, 'when']))
            });
          }
        });
      }
      if (typeof output === 'string' && output !== '') {
        const problems = patternProblems(output, { template: true });
        for (const p of problems) err([renderer, i, 'output'], `${base}.output "${output}": ${p.message}`, p.offset);
        if (problems.length === 0) {
          // The literal parts of the template: `.github/...`, `.git/...` or `.hydrate/...` never
          // become a unit's folder (captured values are checked again at discovery).
          const reserved = checkOutputPath(output.replace(/\{[^{}/]*\}/g, 'x'), `${base}.output`);
          if (reserved) err([renderer, i, 'output'], reserved.replace(/"[^"]*"/, `"${output}"`));
        }
        if (captured) {
          for (const ph of placeholders(output)) {
            if (!captured.has(ph.name)) {
              const known = [...captured].map((n) => `{${n}}`).join(', ') || 'none';
              err(
                [renderer, i, 'output'],
                `${base}.output uses {${ph.name}}, which match "${match as string}" does not capture (captured: ${known})`,
                ph.offset
              );
            }
          }
        }
      }
      pathDiagnostics(renderer, entry, i, err);
      const exclude = entry['exclude'];
      if (Array.isArray(exclude)) {
        exclude.forEach((g: unknown, j) => {
          const bad = typeof g === 'string' ? globProblem(g, `${base}.exclude[${j}]`) : undefined;
          if (bad) err([renderer, i, 'exclude', j], bad);
        });
      }
    });
  }

  const pins = value['pins'];
  if (Array.isArray(pins)) {
    pins.forEach((rule: unknown, i) => {
      if (!isRecord(rule)) return;
      for (const field of ['files', 'units'] as const) {
        const globs = rule[field];
        if (!Array.isArray(globs)) continue;
        globs.forEach((g: unknown, j) => {
          const bad = typeof g === 'string' ? globProblem(g, `pins[${i}].${field}[${j}]`) : undefined;
          if (bad) err(['pins', i, field, j], bad);
        });
      }
    });
  }

  const sources = value['sources'];
  if (Array.isArray(sources)) {
    const seen = new Map<string, number>();
    sources.forEach((s: unknown, i) => {
      if (isRecord(s) && typeof s['path'] === 'string' && s['path'] !== '') {
        const rel = s['path'].replace(/^\.\/+/, '').replace(/\/+$/, '');
        const bad = checkRelativePath(rel, `sources[${i}].path`);
        if (bad) err(['sources', i, 'path'], `${bad} (a source is checked out inside the repository)`);
      }
      if (!isRecord(s) || typeof s['name'] !== 'string') return;
      const name = s['name'];
      const first = seen.get(name);
      if (first !== undefined) {
        const firstAt = locate(loc, ['sources', first, 'name']);
        err(['sources', i, 'name'], `sources[${i}]: duplicate source name "${name}" (first at line ${firstAt.line}): give each source its own name`);
      } else {
        seen.set(name, i);
      }
    });
  }

  const order = value['order'];
  if (Array.isArray(order)) {
    const seen = new Set<unknown>();
    order.forEach((r: unknown, i) => {
      if (seen.has(r)) err(['order', i], `order[${i}]: renderer "${String(r)}" is listed more than once: list each renderer at most once`);
      seen.add(r);
    });
  }
  return out;
}

/**
 * Paths of a kubernetes entry that are joined onto a unit directory: `extraArtifacts` is a
 * sub-folder of the unit (no `..`, not absolute, no `.git`); `helm.releaseFile` may leave the
 * unit folder (the default is beside it) but is never absolute and never names `.git`. Where
 * they lead once symlinks are resolved is checked when a unit reads them.
 */
function pathDiagnostics(
  renderer: string,
  entry: Record<string, unknown>,
  i: number,
  err: (path: PathKey[], message: string) => void
): void {
  if (renderer !== 'kubernetes') return;
  const extra = entry['extraArtifacts'];
  if (typeof extra === 'string') {
    const bad = checkRelativePath(extraArtifactsFolder(extra), `kubernetes[${i}].extraArtifacts`);
    if (bad) err([renderer, i, 'extraArtifacts'], `${bad} (it names a folder inside each unit directory)`);
  }
  const helm = entry['helm'];
  const releaseFile = isRecord(helm) ? helm['releaseFile'] : undefined;
  if (typeof releaseFile === 'string') {
    const sample = releaseFile.split('{dir}').join('dir');
    const what = `kubernetes[${i}].helm.releaseFile "${releaseFile}"`;
    if (sample.startsWith('/') || sample.includes('\\')) {
      err([renderer, i, 'helm', 'releaseFile'], `${what} must be a relative POSIX path (from the repository root, with {dir} for the unit directory)`);
    } else if (hasGitSegment(sample)) {
      err([renderer, i, 'helm', 'releaseFile'], `${what} names \`.git\`: git's own folder is never read`);
    }
  }
}

/**
 * Parses and validates the text of a config file. `file` is its repo-relative path, used in
 * diagnostics. Throws one `ConfigError` listing every problem.
 */
export function parseConfig(text: string, file: string): HydrateConfig {
  const { document, problems } = readYamlDocument(text, '1.2');
  const loc: Locator = { file, doc: document.source.doc, linePos: document.source.linePos, text };
  if (problems.length > 0) {
    throw new ConfigError(problems.map((p) => withFlowMappingHint({ severity: 'error', message: `invalid YAML: ${p.message}`, file, line: p.line, col: p.col }, text)));
  }
  const value: unknown = document.value ?? {};
  const diagnostics: Diagnostic[] = [];
  const parsed = hydrateConfig.safeParse(value);
  if (!parsed.success) diagnostics.push(...schemaDiagnostics(parsed.error, document, file));
  diagnostics.push(...semanticDiagnostics(value, loc));
  if (diagnostics.length > 0 || !parsed.success) {
    throw new ConfigError(sortDiagnostics(dedupe(diagnostics)).map((d) => withFlowMappingHint(d, text)));
  }
  return parsed.data;
}

/**
 * `output: {env}/{app}` unquoted: YAML reads `{env}` as a flow mapping, so the line is invalid
 * YAML (or, for `output: {env}`, a mapping where a string belongs). The error says to quote it.
 */
export function withFlowMappingHint(d: Diagnostic, text: string): Diagnostic {
  if (d.line === undefined) return d;
  const line = text.split(/\r?\n/)[d.line - 1] ?? '';
  const m = /^\s*(?:-\s+)?([\w.-]+):\s*(\{[\w-]*\}\S*)\s*(?:#.*)?$/.exec(line);
  if (!m) return d;
  return { ...d, message: `${d.message} (a value starting with "{" is a YAML flow mapping: quote it, as in ${m[1]}: "${m[2]}")` };
}

function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface BuildSettingsOptions {
  /** Absolute path of the dry repository root. */
  repoRoot: string;
  /** Repository-relative path of the config file. */
  configPath: string;
  config: HydrateConfig;
  only?: readonly string[];
  full?: boolean;
  concurrency?: number;
  /** CPU cores of this machine: the default number of workers. */
  cores?: number;
  /** Memory of this machine in bytes: bounds each tool's heap (see Settings.toolMemoryMiB). */
  memoryBytes?: number;
  /** `i/n` to render one shard, `merge` to assemble the shards (both need `shardDir`). */
  shard?: string;
  shardDir?: string;
  allowMassDeletion?: boolean;
  owner?: string;
  locations?: Settings['locations'];
}

/** Where each renderer entry's `match` (else the entry itself) is in the config text, by `<renderer>[<i>]`. */
export function entryLocations(text: string): Record<string, { line: number; col: number }> {
  const { doc, linePos } = readYamlDocument(text, '1.2').document.source;
  const out: Record<string, { line: number; col: number }> = {};
  for (const renderer of RENDERER_NAMES) {
    const list = doc.get(renderer, true);
    if (!isSeq(list)) continue;
    list.items.forEach((item, i) => {
      const node = (isMap(item) ? asNode(item.get('match', true)) : undefined) ?? asNode(item);
      if (node?.range) out[`${renderer}[${i}]`] = linePos(node.range[0]);
    });
  }
  return out;
}

/** The settings every stage receives. Concurrency: given value, else `policy.concurrency`, else the cores (else 2). */
export function buildSettings(options: BuildSettingsOptions): Settings {
  const concurrency = options.concurrency ?? options.config.policy.concurrency ?? Math.max(1, options.cores ?? 2);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError(`concurrency must be a positive integer, got ${String(concurrency)}`);
  }
  const shard = shardMode(options.shard, options.shardDir);
  const refused = (options.only ?? []).map((p) => globProblem(p, 'only')).filter((m): m is string => m !== undefined);
  if (refused.length > 0) throw new ConfigError(refused.map((message) => ({ severity: 'error', message })));
  return {
    repoRoot: options.repoRoot,
    configPath: options.configPath,
    config: options.config,
    only: [...(options.only ?? [])],
    full: options.full ?? false,
    concurrency,
    toolMemoryMiB: toolMemoryMiB(options.memoryBytes, concurrency),
    ...(shard ? { shard } : {}),
    ...(options.allowMassDeletion ? { allowMassDeletion: true } : {}),
    ...(options.owner !== undefined ? { owner: options.owner } : {}),
    ...(options.locations ? { locations: options.locations } : {})
  };
}

export const MAX_TOOL_MEMORY_MIB = 512;
const MIN_TOOL_MEMORY_MIB = 64;

/** Half the machine's memory shared among the workers, between 64 and 512 MiB. */
function toolMemoryMiB(memoryBytes: number | undefined, workers: number): number {
  if (memoryBytes === undefined) return MAX_TOOL_MEMORY_MIB;
  const share = Math.floor(memoryBytes / 2 / workers / 2 ** 20);
  return Math.max(MIN_TOOL_MEMORY_MIB, Math.min(MAX_TOOL_MEMORY_MIB, share));
}

function shardMode(value: string | undefined, dir: string | undefined): ShardMode | undefined {
  const v = value?.trim() ?? '';
  if (v === '') return undefined;
  if (!dir) throw new ConfigError('sharding needs a shard directory (action input shard-dir, CLI --shard-dir)');
  if (v === 'merge') return { kind: 'merge', dir };
  const spec = parseShardSpec(v);
  if ('error' in spec) throw new ConfigError(spec.error);
  return { kind: 'part', spec, dir };
}

/**
 * Where each renderer entry of a config text starts: `kubernetes[1]` → its line and column
 * (of its `match`, or of the entry). For messages that point at entries after the config was loaded.
 */
export function entryPositions(text: string, file: string): Map<string, Pick<Diagnostic, 'file' | 'line' | 'col'>> {
  const out = new Map<string, Pick<Diagnostic, 'file' | 'line' | 'col'>>();
  const { doc, linePos } = readYamlDocument(text, '1.2').document.source;
  const loc: Locator = { file, doc, linePos, text };
  for (const renderer of RENDERER_NAMES) {
    const list = doc.getIn([renderer]);
    if (!isSeq(list)) continue;
    list.items.forEach((_, i) => {
      out.set(`${renderer}[${i}]`, locate(loc, [renderer, i, 'match']));
      out.set(`${renderer}[${i}].output`, locate(loc, [renderer, i, 'output']));
    });
  }
  const sources = doc.getIn(['sources']);
  if (isSeq(sources)) sources.items.forEach((_, i) => out.set(`sources[${i}]`, locate(loc, ['sources', i, 'path'])));
  return out;
}
