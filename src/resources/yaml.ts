/**
 * YAML in and out. Parsing keeps positions (for `file:line:col` errors) and the `yaml`
 * package's limits (alias expansion is capped by maxAliasCount; duplicate keys are errors).
 * Kubernetes YAML is read with YAML 1.1 rules as kubectl reads it (`yaml11.ts`).
 * Output is one canonical form: 2-space indent, no line folding, LF, trailing newline, and every
 * string that a YAML 1.1 or 1.2 reader could take for something else quoted.
 */
import { Document, Scalar, visit, type ToStringOptions, type DocumentOptions, type SchemaOptions, type CreateNodeOptions } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import { isRecord, type KubeObject } from './resource.js';
import { goYamlNumber, WRITE_COMPAT_TAGS } from './yaml11.js';
import { readYaml, yamlDiagnostic } from './yaml-positions.js';

/**
 * The version of the canonical YAML Hydrate writes. Part of every unit's input digest: when the
 * written form changes (version 2 quotes strings that YAML 1.1 readers take for bools, numbers,
 * nulls or timestamps; version 3 escapes the characters go-yaml refuses raw or takes for line
 * breaks, and double-quotes, on one line, the strings a block scalar or a folded double-quoted
 * scalar did not carry), units kept from an earlier run are rendered again once.
 */
export const CANONICAL_YAML_FORMAT = 3;

export { DUPLICATE_KEY, duplicateKeyOffsets, describeYamlError, isTooDeep, MAX_ALIAS_COUNT, MAX_DEPTH, NESTING_TOO_DEEP } from './yaml-positions.js';

export interface ParsedDocument {
  /** The document's value (plain JS). null for an empty document. */
  value: unknown;
  /** 1-based line/col where the document's content starts. */
  line: number;
  col: number;
}

export interface ParseResult {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

/**
 * Parses every document of a (multi-document) Kubernetes YAML text, with YAML 1.1 rules as
 * kubectl reads it (`0644` is 420, `on` is true, merge keys are merged); `yaml-1.2` reads Hydrate's
 * own encodings back exactly (a canonical text is the same value under both, but for `-0`).
 * Errors carry `file:line:col`.
 * Empty documents (e.g. a trailing `---`) are returned with value null; callers skip them.
 */
export function parseYamlDocuments(text: string, file: string, unit?: string, rules: 'kubernetes' | 'yaml-1.2' = 'kubernetes'): ParseResult {
  const read = readYaml(text, rules === 'kubernetes' ? '1.1' : '1.2');
  return {
    documents: read.documents.map((d) => ({ value: d.value, line: d.start.line, col: d.start.col })),
    diagnostics: read.problems.map((p) => yamlDiagnostic(p, file, unit))
  };
}

/** A mapping, as every Kubernetes object is (the same test as isRecord). */
export function isKubeObject(v: unknown): v is KubeObject {
  return isRecord(v);
}

const WRITE_OPTIONS: DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions = {
  indent: 2,
  lineWidth: 0,
  minContentWidth: 0,
  indentSeq: true,
  aliasDuplicateObjects: false,
  defaultStringType: 'PLAIN',
  defaultKeyType: 'PLAIN',
  // A double-quoted string stays on one line (`\n` escapes): the `yaml` package's folded form of
  // a long one garbles a line of spaces (`"…\n \n…"` reads back with a backslash).
  doubleQuotedMinMultiLineLength: Number.MAX_SAFE_INTEGER,
  version: '1.2',
  compat: WRITE_COMPAT_TAGS
};

/**
 * Characters go-yaml (kubectl, Argo CD, Flux) refuses raw anywhere in a file ("control characters
 * are not allowed": DEL, the C1 controls, U+FFFE, U+FFFF) or reads as line breaks (NEL, LS, PS),
 * and which the `yaml` package writes raw (even inside double quotes).
 */
const GO_YAML_RAW_UNSAFE = /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/;
const GO_YAML_RAW_UNSAFE_ALL = new RegExp(GO_YAML_RAW_UNSAFE.source, 'g');

/**
 * True for a string the `yaml` package would write as a block scalar (`|`) that some reader
 * does not read back: whitespace only with a space or tab (written without an indentation
 * indicator, so every reader takes the first line's spaces for indentation: ` \n` reads as
 * `\n`), or a tab before its first other character (go-yaml: "found a tab character where an
 * indentation space is expected").
 */
function blockScalarMisread(s: string): boolean {
  if (!s.includes('\n')) return false;
  return /^\n*\t/.test(s) || (/^[\t\n ]*$/.test(s) && /[\t ]/.test(s));
}

/** A string written double-quoted whatever the `yaml` package would choose. */
function needsDoubleQuotes(s: string): boolean {
  return GO_YAML_RAW_UNSAFE.test(s) || blockScalarMisread(s);
}

/** True when a string in `value` (a key or a value) needs double quotes. */
function holdsDoubleQuoted(value: unknown): boolean {
  if (typeof value === 'string') return needsDoubleQuotes(value);
  if (Array.isArray(value)) return value.some(holdsDoubleQuoted);
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (needsDoubleQuotes(k) || holdsDoubleQuoted(v)) return true;
  }
  return false;
}

/**
 * One object in canonical YAML: 2-space indent, no folding, keys in their given order
 * (a pure function of the dry input), LF line ends, trailing newline. Written as YAML 1.2 that
 * means the same to YAML 1.1 readers: a string that the YAML 1.1 schema, the 1.2 core schema or
 * go-yaml (kubectl, Argo CD, Flux) would read as a bool, number, null, timestamp or merge key
 * (`on`, `no`, `0644`, `1:20`, `2001-12-14`, `1_000`, `~`, `<<`) is quoted, keys too. A string
 * holding a character go-yaml refuses raw or takes for a line break is double-quoted, with that
 * character escaped (`\u007f`, `\u2028`), and so is a multi-line string that a block scalar
 * would not carry (`blockScalarMisread`).
 */
export function toCanonicalYaml(value: unknown): string {
  const doc = new Document(value, WRITE_OPTIONS);
  if (holdsDoubleQuoted(value)) {
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'string' && needsDoubleQuotes(node.value)) node.type = Scalar.QUOTE_DOUBLE;
      }
    });
  }
  // The characters go-yaml refuses raw are now only inside double-quoted scalars, where an escape means the same.
  const text = doc.toString(WRITE_OPTIONS).replace(GO_YAML_RAW_UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const lf = text.replace(/\r\n?/g, '\n');
  return lf.endsWith('\n') ? lf : `${lf}\n`;
}

/** Several objects as one multi-document stream (`---` between documents). */
export function toCanonicalYamlStream(values: readonly unknown[]): string {
  return joinYamlDocuments(values.map((v) => toCanonicalYaml(v)));
}

/** Canonical documents (each from toCanonicalYaml) as one stream. */
export function joinYamlDocuments(texts: readonly string[]): string {
  return texts.join('---\n');
}

/*
 * A fast path for the diff, which parses every changed wet file on both sides: the canonical
 * form Hydrate writes (block mappings and indented block sequences, one entry per line, plain or
 * simply quoted scalars) is read line by line. Anything else (comments, anchors, tags, block or
 * multi-line scalars, flow collections other than `{}`/`[]`, escapes, non-ASCII, scalars that
 * would resolve to anything but a string, `true`/`false`, `null` or a small decimal integer
 * under YAML 1.2 or under kubectl's YAML 1.1 rules (`on`, `0644`, `1_000`…; the writer quotes
 * such strings, and wet files of earlier versions that did not are read by the full parser),
 * duplicate keys…) makes it give up, and the caller parses with `parseYamlDocuments`. When it
 * answers, the values are the ones `parseYamlDocuments` returns.
 */

/** Gives up on the fast path. */
class NotCanonical extends Error {}
const GIVE_UP = new NotCanonical();

/** Deeper nesting is left to the full parser (which enforces MAX_DEPTH). */
const FAST_MAX_DEPTH = 200;

// Every pattern of the YAML 1.2 core schema that resolves a plain scalar to something else than a string.
const CORE_NON_STRING = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/
];
// What the YAML 1.1 rules of kubectl (`yaml11.ts`) resolve to a bool, a null or `.inf`/`.nan`;
// numbers are `goYamlNumber`'s.
const KUBE_NON_STRING = /^(?:~|[Nn]ull|NULL|Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON|N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const SMALL_INT = /^(?:0|[1-9][0-9]{0,14})$/;
/** Printable ASCII only. */
const PRINTABLE = /^[\x20-\x7e]*$/;
/** Characters a plain scalar may not start with (`-`, `?`, `:` may, when a non-space follows). */
const INDICATORS = new Set([...',[]{}#&*!|>\'"%@`']);

function plainValue(s: string): unknown {
  if (s === '' || !PRINTABLE.test(s)) throw GIVE_UP;
  const c = s[0]!;
  if (INDICATORS.has(c) || c === ' ') throw GIVE_UP;
  if ((c === '-' || c === '?' || c === ':') && (s.length === 1 || s[1] === ' ')) throw GIVE_UP;
  if (s.endsWith(' ') || s.endsWith(':') || s.includes(': ') || s.includes(' #')) throw GIVE_UP;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null') return null;
  if (SMALL_INT.test(s)) return Number(s);
  for (const re of CORE_NON_STRING) if (re.test(s)) throw GIVE_UP;
  if (KUBE_NON_STRING.test(s) || goYamlNumber(s) !== undefined) throw GIVE_UP;
  return s;
}

/** A quoted scalar spanning all of `s`, or undefined when `s` is not quoted. */
function quotedValue(s: string): string | undefined {
  const q = s[0];
  if (q !== '"' && q !== "'") return undefined;
  if (s.length < 2 || s[s.length - 1] !== q || !PRINTABLE.test(s)) throw GIVE_UP;
  const inner = s.slice(1, -1);
  if (inner.includes(q) || (q === '"' && inner.includes('\\'))) throw GIVE_UP;
  return inner;
}

function inlineValue(s: string): unknown {
  if (s === '{}') return {};
  if (s === '[]') return [];
  const quoted = quotedValue(s);
  return quoted !== undefined ? quoted : plainValue(s);
}

/** `key` of a `key: value` or `key:` line content, and where the value starts; undefined when the content is no mapping entry. */
function splitEntry(content: string): { key: string; rest: string; quoted: boolean } | undefined {
  const q = content[0];
  if (q === '"' || q === "'") {
    const close = content.indexOf(q, 1);
    if (close === -1 || content[close + 1] !== ':') return undefined;
    const rest = content.slice(close + 2);
    if (rest !== '' && rest[0] !== ' ') throw GIVE_UP;
    const key = quotedValue(content.slice(0, close + 1))!;
    return { key, rest, quoted: true };
  }
  let colon = content.indexOf(': ');
  if (colon === -1) {
    if (!content.endsWith(':')) return undefined;
    colon = content.length - 1;
  }
  const key = plainValue(content.slice(0, colon));
  if (typeof key !== 'string') throw GIVE_UP;
  return { key, rest: content.slice(colon + 1), quoted: false };
}

class CanonicalReader {
  i = 0;
  constructor(
    /** Lines of one document, without line ends. */
    readonly lines: string[]
  ) {}

  indentOf(k: number): number {
    const line = this.lines[k]!;
    let n = 0;
    while (line.charCodeAt(n) === 32) n++;
    if (n === line.length || line[n] === '#') throw GIVE_UP; // blank or comment line
    return n;
  }

  /** The value of an entry whose text after `key:` is `rest`, the entry's line being at `indent`. */
  entryValue(rest: string, indent: number, depth: number): unknown {
    if (rest !== '') {
      if (rest[0] !== ' ') throw GIVE_UP;
      const value = inlineValue(rest.slice(1));
      this.i++;
      return value;
    }
    this.i++;
    if (this.i >= this.lines.length) return null;
    const next = this.indentOf(this.i);
    const content = this.lines[this.i]!.slice(next);
    const seq = content === '-' || content.startsWith('- ');
    if (next > indent) return seq ? this.sequence(next, depth + 1) : this.mapping(next, depth + 1);
    if (next === indent && seq) throw GIVE_UP; // a sequence not indented below its key
    return null;
  }

  mapping(indent: number, depth: number): Record<string, unknown> {
    if (depth > FAST_MAX_DEPTH) throw GIVE_UP;
    const out: Record<string, unknown> = {};
    while (this.i < this.lines.length) {
      const n = this.indentOf(this.i);
      if (n < indent) break;
      if (n > indent) throw GIVE_UP;
      const content = this.lines[this.i]!.slice(n);
      const entry = splitEntry(content);
      if (!entry) throw GIVE_UP;
      const { key, rest, quoted } = entry;
      // A plain `<<` is a merge key (YAML 1.1); a quoted one is the string.
      if (key === '__proto__' || (key === '<<' && !quoted) || Object.prototype.hasOwnProperty.call(out, key)) throw GIVE_UP;
      out[key] = this.entryValue(rest, indent, depth);
    }
    return out;
  }

  sequence(indent: number, depth: number): unknown[] {
    if (depth > FAST_MAX_DEPTH) throw GIVE_UP;
    const out: unknown[] = [];
    while (this.i < this.lines.length) {
      const n = this.indentOf(this.i);
      if (n < indent) break;
      if (n > indent) throw GIVE_UP;
      const line = this.lines[this.i]!;
      if (line[n] !== '-' || line[n + 1] !== ' ') throw GIVE_UP;
      const content = line.slice(n + 2);
      if (content === '' || content[0] === ' ' || content === '-' || content.startsWith('- ')) throw GIVE_UP;
      if (splitEntry(content)) {
        // `- key: value`: a mapping whose first entry shares the dash's line.
        this.lines[this.i] = `${' '.repeat(n + 2)}${content}`;
        out.push(this.mapping(n + 2, depth + 1));
      } else {
        out.push(inlineValue(content));
        this.i++;
      }
    }
    return out;
  }
}

/**
 * The documents of a wet file in Hydrate's canonical form, each a mapping; undefined when the
 * text is not (or not certainly) in that form, and must be parsed by `parseYamlDocuments`.
 */
export function parseCanonicalYaml(text: string): unknown[] | undefined {
  if (text === '' || !text.endsWith('\n') || text.includes('\r') || text.includes('\t')) return undefined;
  const lines = text.slice(0, -1).split('\n');
  const docs: string[][] = [[]];
  for (const line of lines) {
    if (line.startsWith('---') || line.startsWith('...') || line.startsWith('%')) {
      if (line !== '---') return undefined;
      docs.push([]);
    } else docs[docs.length - 1]!.push(line);
  }
  const values: unknown[] = [];
  try {
    for (const doc of docs) {
      if (doc.length === 0) return undefined;
      const reader = new CanonicalReader(doc);
      if (reader.indentOf(0) !== 0) return undefined;
      const value = reader.mapping(0, 1);
      if (reader.i !== doc.length) return undefined;
      values.push(value);
    }
  } catch (e) {
    if (e instanceof NotCanonical) return undefined;
    throw e;
  }
  return values;
}
