/**
 * YAML in and out. Parsing keeps positions (for `file:line:col` errors) and the `yaml`
 * package's limits (alias expansion is capped by maxAliasCount; duplicate keys are errors).
 * Output is one canonical form: 2-space indent, no line folding, LF, trailing newline.
 */
import { LineCounter, parseAllDocuments, stringify } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import type { KubeObject } from './resource.js';

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

/** Upper bound on alias expansion, as in the yaml package's default. */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses every document of a (multi-document) YAML text. Errors carry `file:line:col`.
 * Empty documents (e.g. a trailing `---`) are returned with value null; callers skip them.
 */
export function parseYamlDocuments(text: string, file: string, unit?: string): ParseResult {
  const lineCounter = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (e) {
    return { documents: [], diagnostics: [{ severity: 'error', ...(unit ? { unit } : {}), file, line: 1, col: 1, message: `invalid YAML: ${describeError(e)}` }] };
  }
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An EmptyStream: no documents at all.
    return { documents, diagnostics };
  }
  for (const doc of list) {
    const errors = doc.errors;
    if (errors.length > 0) {
      for (const e of errors) {
        const pos = lineCounter.linePos(e.pos[0]);
        diagnostics.push({
          severity: 'error',
          ...(unit ? { unit } : {}),
          file,
          line: pos.line,
          col: pos.col,
          message: `invalid YAML: ${/call stack/i.test(e.message) ? `nesting is too deep (more than ${MAX_DEPTH} levels)` : firstLine(e.message)}`
        });
      }
      continue;
    }
    const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    const pos = lineCounter.linePos(start);
    try {
      const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      if (depthExceeds(value, MAX_DEPTH)) throw new RangeError('Maximum call stack size exceeded');
      documents.push({ value, line: pos.line, col: pos.col });
    } catch (e) {
      diagnostics.push({
        severity: 'error',
        ...(unit ? { unit } : {}),
        file,
        line: pos.line,
        col: pos.col,
        message: `invalid YAML: ${describeError(e)}`
      });
    }
  }
  return { documents, diagnostics };
}

/** Documents nested deeper than this are rejected (YAML bombs; Kubernetes objects stay far below). */
export const MAX_DEPTH = 256;

function depthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > limit) return true;
    if (typeof v === 'object' && v !== null) for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

function describeError(e: unknown): string {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return `nesting is too deep (more than ${MAX_DEPTH} levels)`;
  return firstLine((e as Error).message);
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i === -1 ? s : s.slice(0, i);
}

export function isKubeObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * One object in canonical YAML: 2-space indent, no folding, keys in their given order
 * (a pure function of the dry input), LF line ends, trailing newline.
 */
export function toCanonicalYaml(value: unknown): string {
  const text = stringify(value, {
    indent: 2,
    lineWidth: 0,
    minContentWidth: 0,
    indentSeq: true,
    aliasDuplicateObjects: false,
    defaultStringType: 'PLAIN',
    defaultKeyType: 'PLAIN',
    version: '1.2'
  });
  const lf = text.replace(/\r\n?/g, '\n');
  return lf.endsWith('\n') ? lf : `${lf}\n`;
}

/** Several objects as one multi-document stream (`---` between documents). */
export function toCanonicalYamlStream(values: readonly unknown[]): string {
  return values.map((v) => toCanonicalYaml(v)).join('---\n');
}
