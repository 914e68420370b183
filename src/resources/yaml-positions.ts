/**
 * The one reader of YAML with positions. Every file Hydrate reads as YAML (Kubernetes manifests,
 * claims, release files, hydrate.yaml, kustomizations) goes through `readYaml`, under one set of
 * limits (alias expansion, nesting depth, size) and with one message per failure; values keep a
 * way back to the `line:col` of their node, and zod issues become diagnostics at that node.
 *
 * Two reading rules, deliberately: `1.1` reads as kubectl and Helm do (`0644` is 420, `on` is
 * true, merge keys merge; see yaml11.ts) and is for Kubernetes files; `1.2` is for files Hydrate
 * or another tool reads under YAML 1.2 (hydrate.yaml, kustomizations, Hydrate's own encodings).
 */
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, Scalar, visit, type Document } from 'yaml';
import type * as z from 'zod';
import type { Diagnostic } from '../diagnostics.js';
import { KUBE_PARSE_OPTIONS } from './yaml11.js';

/** Upper bound on alias expansion, as in the yaml package's default. */
export const MAX_ALIAS_COUNT = 100;

/** Documents nested deeper than this are rejected (YAML bombs; real files stay far below). */
export const MAX_DEPTH = 256;

/** Texts longer than this (in UTF-16 code units) are not parsed. */
export const MAX_YAML_CHARS = 64 * 1024 * 1024;

/** The message for a document nested deeper than MAX_DEPTH. */
export const NESTING_TOO_DEEP = `nesting is too deep (more than ${MAX_DEPTH} levels)`;

/** The message for a text longer than MAX_YAML_CHARS. */
export const TOO_LARGE = `the text is larger than ${MAX_YAML_CHARS / 1024 / 1024} MiB`;

/**
 * Characters go-yaml's reader refuses anywhere in a file, raw ("control characters are not
 * allowed"): C0 controls but tab, LF and CR, DEL, C1 controls but NEL, U+FFFE and U+FFFF. kubectl,
 * Argo CD and Flux refuse such a file whole, so Kubernetes YAML holding one is refused too.
 */
// eslint-disable-next-line no-control-regex
const GO_YAML_REFUSED = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/;

/** The problem of a Kubernetes YAML text holding a character go-yaml refuses, at the first one. */
function refusedCharacter(text: string): YamlProblem | undefined {
  const m = GO_YAML_REFUSED.exec(text);
  if (!m) return undefined;
  const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  const lineStart = text.lastIndexOf('\n', m.index - 1) + 1;
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) line++;
  return {
    line,
    col: m.index - lineStart + 1,
    message: `control character U+${code} is not allowed raw (kubectl refuses the file); write it escaped in a double-quoted string ("\\u${code.toLowerCase()}")`
  };
}

/** The message of a duplicate key, as the `yaml` package words it. */
export const DUPLICATE_KEY = 'Map keys must be unique';

export type YamlVersion = '1.1' | '1.2';
export type PathKey = string | number;

export interface Position {
  line: number;
  col: number;
}

/** A failure to read YAML; `message` is without the `invalid YAML: ` prefix that diagnostics carry. */
export interface YamlProblem extends Position {
  message: string;
}

export interface PositionedDocument {
  /** The document's value (plain JS); null for an empty document, undefined when it could not be read. */
  value: unknown;
  /** Position of the document's content. */
  start: Position;
  /** Position of the value at `path`, or of its closest existing ancestor. */
  positionOf(path: readonly PathKey[]): Position;
  /** Position of the key `path[last]` itself (for unknown keys), falling back to positionOf. */
  keyPositionOf(path: readonly PathKey[]): Position;
  /** The parsed document and its offsets, for readers that locate more than paths (hydrate.yaml). */
  readonly source: { doc: Document; linePos(offset: number): Position };
}

/**
 * Every document of a stream, read under `version`'s rules. A document that cannot be read
 * (syntax, duplicate keys, alias bomb, nesting, size) is left out and reported in `problems`.
 */
export function readYaml(text: string, version: YamlVersion): { documents: PositionedDocument[]; problems: YamlProblem[] } {
  if (text.length > MAX_YAML_CHARS) return { documents: [], problems: [{ line: 1, col: 1, message: TOO_LARGE }] };
  const refused = version === '1.1' ? refusedCharacter(text) : undefined;
  if (refused) return { documents: [], problems: [refused] };
  const lineCounter = new LineCounter();
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, parseOptions(version, lineCounter)) as Document[];
  } catch (e) {
    return { documents: [], problems: [{ line: 1, col: 1, message: describeYamlError(e) }] };
  }
  const documents: PositionedDocument[] = [];
  const problems: YamlProblem[] = [];
  // A text with no documents gives an EmptyStream: an empty array.
  for (const doc of docs) {
    noBreakAtEnd(doc, text);
    const read = readDocument(doc, lineCounter);
    if (read.problems.length > 0) problems.push(...read.problems);
    else documents.push(read.document);
  }
  return { documents, problems };
}

/**
 * A text that holds one document (a config file, a release file). The document is returned even
 * when it could not be read (value undefined), so that its positions stay usable.
 */
export function readYamlDocument(text: string, version: YamlVersion): { document: PositionedDocument; problems: YamlProblem[] } {
  const lineCounter = new LineCounter();
  const refused = text.length > MAX_YAML_CHARS ? { line: 1, col: 1, message: TOO_LARGE } : version === '1.1' ? refusedCharacter(text) : undefined;
  if (refused) {
    const empty = parseDocument('', parseOptions(version, lineCounter)) as Document;
    return { document: positioned(empty, lineCounter, undefined), problems: [refused] };
  }
  const doc = parseDocument(text, parseOptions(version, lineCounter)) as Document;
  noBreakAtEnd(doc, text);
  return readDocument(doc, lineCounter);
}

/**
 * A block scalar (`|`, `>`, `|+`) that ends the text without a line break has no final line break
 * to keep, as go-yaml (kubectl, kustomize, Flux, Argo CD) reads it; the `yaml` package adds one.
 * Files without a final newline are common, so a ConfigMap's last value would otherwise differ
 * from what the cluster gets.
 */
function noBreakAtEnd(doc: Document, text: string): void {
  if (text === '' || /[\r\n]$/.test(text)) return;
  visit(doc, {
    Scalar(_, node) {
      if ((node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) && typeof node.value === 'string' && node.value.endsWith('\n') && (node.range?.[1] ?? 0) >= text.length) {
        node.value = node.value.slice(0, -1);
      }
    }
  });
}

/** A problem as the diagnostic of a file (and unit). */
export function yamlDiagnostic(problem: YamlProblem, file: string, unit?: string): Diagnostic {
  return { severity: 'error', ...(unit ? { unit } : {}), file, line: problem.line, col: problem.col, message: `invalid YAML: ${problem.message}` };
}

/** A zod issue with its own path (numbers and strings only) and its position in the document. */
export interface LocatedIssue {
  issue: z.core.$ZodIssue;
  /** The issue's path below `base`. */
  path: PathKey[];
  /** For an unknown key: the key (the position is the key's own). */
  key?: string;
  position: Position;
}

/**
 * The one converter from zod issues to positions: each issue at its node (`base` prepended to
 * its path, for a value validated inside the document), an unknown key at the key itself (the
 * first one, or with `eachKey` every one, for a reader that words one diagnostic per key).
 */
export function locateZodIssues(
  error: z.ZodError,
  doc: Pick<PositionedDocument, 'positionOf' | 'keyPositionOf'>,
  base: readonly PathKey[] = [],
  options: { eachKey?: boolean } = {}
): LocatedIssue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.filter((p): p is PathKey => typeof p === 'string' || typeof p === 'number');
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
      const keys = options.eachKey ? issue.keys : issue.keys.slice(0, 1);
      return keys.map((key) => ({ issue, path, key, position: doc.keyPositionOf([...base, ...path, key]) }));
    }
    return [{ issue, path, position: doc.positionOf([...base, ...path]) }];
  });
}

/**
 * Zod issues as diagnostics at the offending node: `message(field, issue)` words each one, where
 * `field` is the dotted path (an unknown key's path ends with the key).
 */
export function zodIssueDiagnostics(
  error: z.ZodError,
  doc: Pick<PositionedDocument, 'positionOf' | 'keyPositionOf'>,
  where: { file: string; unit?: string },
  message: (field: string, issue: z.core.$ZodIssue) => string
): Diagnostic[] {
  return locateZodIssues(error, doc).map(({ issue, path, key, position }) => ({
    severity: 'error' as const,
    ...(where.unit ? { unit: where.unit } : {}),
    file: where.file,
    ...position,
    message: message([...path, ...(key !== undefined ? [key] : [])].join('.'), issue)
  }));
}

function parseOptions(version: YamlVersion, lineCounter: LineCounter) {
  return { ...(version === '1.1' ? KUBE_PARSE_OPTIONS : { version: '1.2' as const }), lineCounter, uniqueKeys: false, prettyErrors: false, strict: true };
}

function readDocument(doc: Document, lineCounter: LineCounter): { document: PositionedDocument; problems: YamlProblem[] } {
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const problems: YamlProblem[] = doc.errors.map((e) => ({ ...pos(e.pos[0]), message: describeYamlError(e) }));
  if (problems.length === 0) {
    for (const offset of duplicateKeyOffsets(doc)) problems.push({ ...pos(offset), message: DUPLICATE_KEY });
  }
  let value: unknown;
  if (problems.length === 0) {
    const start = pos(doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0);
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      if (isTooDeep(value)) {
        value = undefined;
        problems.push({ ...start, message: NESTING_TOO_DEEP });
      }
    } catch (e) {
      // Alias bombs and nesting too deep to convert: a problem at the document, never a throw.
      value = undefined;
      problems.push({ ...start, message: describeYamlError(e) });
    }
  }
  return { document: positioned(doc, lineCounter, value), problems };
}

function positioned(doc: Document, lineCounter: LineCounter, value: unknown): PositionedDocument {
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const start = pos(doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0);
  return {
    value,
    start,
    positionOf: (path) => nodePosition(doc, path, false, pos) ?? start,
    keyPositionOf: (path) => nodePosition(doc, path, true, pos) ?? start,
    source: { doc, linePos: pos }
  };
}

function nodePosition(doc: Document, path: readonly PathKey[], wantKey: boolean, pos: (offset: number) => Position): Position | undefined {
  let node: unknown = doc.contents;
  let best: Position | undefined = rangeStart(node, pos);
  for (let i = 0; i < path.length; i++) {
    const k = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(k));
      if (!pair) return best;
      if (last && wantKey) return rangeStart(pair.key, pos) ?? best;
      node = pair.value;
      best = rangeStart(node, pos) ?? rangeStart(pair.key, pos) ?? best;
    } else if (isSeq(node) && typeof k === 'number') {
      const item = node.items[k];
      if (item === undefined) return best;
      node = item;
      best = rangeStart(node, pos) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function rangeStart(node: unknown, pos: (offset: number) => Position): Position | undefined {
  if (isNode(node) && node.range) return pos(node.range[0]);
  return undefined;
}

/**
 * Offsets of the keys that repeat an earlier key of the same mapping, in one pass with a Set per
 * mapping (the `yaml` package's own `uniqueKeys` check is quadratic in the mapping's size).
 * Keys are compared as the converted object names them (`1` and `"1"`, `on` and `true` under
 * YAML 1.1, collide); merge keys (`<<`) may repeat; keys that are collections or aliases are
 * not compared.
 */
export function duplicateKeyOffsets(doc: Pick<Document, 'contents'>): number[] {
  const out: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && typeof key.value !== 'symbol') {
          const name = key.value === null ? '' : String(key.value);
          if (seen.has(name)) out.push(key.range?.[0] ?? node.range?.[0] ?? 0);
          else seen.add(name);
        } else stack.push(key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    }
  }
  return out.sort((a, b) => a - b);
}

/** True when a converted document nests deeper than MAX_DEPTH. */
export function isTooDeep(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > MAX_DEPTH) return true;
    if (typeof v === 'object' && v !== null) for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

/** The first line of a YAML parse or conversion error; a stack overflow (nesting too deep to parse or convert) says so. */
export function describeYamlError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (/call stack/i.test(message)) return NESTING_TOO_DEEP;
  const i = message.indexOf('\n');
  return i === -1 ? message : message.slice(0, i);
}
