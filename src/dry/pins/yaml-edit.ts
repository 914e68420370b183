/**
 * Small edits of YAML text that leave every other byte as it was: a scalar is replaced where it
 * stands (in its quoting style), a key is added on a line of its own at its siblings' indent,
 * and a key is removed with its line. Only when the text's shape does not allow that (a flow
 * mapping, an anchored value) is the document printed again by the `yaml` package's Document API.
 * Pure.
 */
import { isMap, isScalar, parse, parseAllDocuments, Scalar, type Document, type Pair, type YAMLMap } from 'yaml';

export type YamlPath = readonly (string | number)[];

/** A YAML text that cannot be parsed: where, and why. */
export class YamlEditError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly col?: number
  ) {
    super(message);
    this.name = 'YamlEditError';
  }
}

/** Every document of a text; throws `YamlEditError` (with the line) when one does not parse. */
export function parseDocs(text: string): Document.Parsed[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
  for (const d of docs) {
    const e = d.errors[0];
    if (e) throw new YamlEditError(e.message.split('\n')[0]!, e.linePos?.[0].line, e.linePos?.[0].col);
  }
  return docs;
}

/** The node at `path` in `doc`, or undefined. */
export function nodeAt(doc: Document.Parsed, path: YamlPath): unknown {
  return path.length === 0 ? doc.contents : doc.getIn(path, true);
}

/** The text of a scalar as a string value (numbers as written, `1.20` stays `1.20`), or undefined when it is no scalar. */
export function scalarString(text: string, node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (node.value === null || node.value === undefined) return undefined;
  if (node.type === Scalar.PLAIN && node.range) return text.slice(node.range[0], node.range[1]);
  return String(node.value);
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function findPair(map: YAMLMap, key: string | number): Pair | undefined {
  return map.items.find((p) => keyOf(p) === key);
}

/** Whether `value` written plain reads back as the same string in YAML 1.2 and 1.1 (kubectl, helm and kustomize readers alike). */
function plainSafe(value: string): boolean {
  if (value === '' || value !== value.trim() || /[\n\r\t]/.test(value)) return false;
  try {
    const doc = `k: ${value}\n`;
    return parse(doc).k === value && parse(doc, { version: '1.1' }).k === value;
  } catch {
    return false;
  }
}

/** A scalar's text in the given style; plain only when it reads back as this string. */
export function scalarText(value: string, style?: Scalar.Type): string {
  if (style === Scalar.QUOTE_SINGLE && !/[\n\r]/.test(value)) return `'${value.replace(/'/g, "''")}'`;
  if (style === Scalar.QUOTE_DOUBLE || !plainSafe(value)) return JSON.stringify(value);
  return value;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  return i < 0 ? text.length : i;
}

/** A scalar that can be replaced in place: a single-line plain or quoted scalar, no anchor or tag. */
function inlineScalar(text: string, node: unknown): node is Scalar & { range: [number, number, number] } {
  if (!isScalar(node) || !node.range || node.anchor || node.tag) return false;
  if (node.type !== Scalar.PLAIN && node.type !== Scalar.QUOTE_DOUBLE && node.type !== Scalar.QUOTE_SINGLE) return false;
  return !text.slice(node.range[0], node.range[1]).includes('\n');
}

/**
 * Sets the string at `path` (the last element a key of a mapping) in document `docIndex` of
 * `text`, or removes the key when `value` is undefined. The parent mapping must exist. Returns
 * the new text (the same text when nothing changes).
 */
export function setScalar(text: string, docIndex: number, path: YamlPath, value: string | undefined): string {
  const docs = parseDocs(text);
  const doc = docs[docIndex];
  if (!doc) throw new YamlEditError(`document ${docIndex + 1} not found`);
  const key = path[path.length - 1]!;
  const parent = nodeAt(doc, path.slice(0, -1));
  if (!isMap(parent)) throw new YamlEditError(`${path.slice(0, -1).join('.') || 'the document'} is not a mapping`);
  const pair = findPair(parent, key);
  if (value === undefined) {
    if (!pair) return text;
    return removePair(text, doc, parent, pair, path, docs.length);
  }
  if (pair) {
    const node = pair.value;
    if (isScalar(node) && scalarString(text, node) === value && typeof node.value === 'string') return text;
    if (inlineScalar(text, node)) {
      const [start, end] = node.range;
      if (start === end) {
        // An empty value (`newTag:`, `newTag: # none`): the new one gets a space on either side where it needs one.
        const before = /\s/.test(text[start - 1] ?? ' ') ? '' : ' ';
        const after = start >= text.length || /\s/.test(text[start]!) ? '' : ' ';
        return `${text.slice(0, start)}${before}${scalarText(value)}${after}${text.slice(start)}`;
      }
      return text.slice(0, start) + scalarText(value, node.type) + text.slice(end);
    }
    return reprint(doc, docs.length, (d) => d.setIn(path, value), text);
  }
  return addPair(text, doc, parent, String(key), value, path, docs.length);
}

function addPair(text: string, doc: Document.Parsed, parent: YAMLMap, key: string, value: string, path: YamlPath, docCount: number): string {
  const last = parent.items[parent.items.length - 1];
  const first = parent.items[0];
  const entry = `${scalarText(key)}: ${scalarText(value)}`;
  if (last && first && !parent.flow && isScalar(first.key) && first.key.range && inlineScalar(text, last.value)) {
    const indent = first.key.range[0] - lineStart(text, first.key.range[0]);
    const at = lineEnd(text, last.value.range[1]);
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const insertAt = at > 0 && text[at - 1] === '\r' ? at - 1 : at;
    return `${text.slice(0, insertAt)}${eol}${' '.repeat(indent)}${entry}${text.slice(insertAt)}`;
  }
  if (last && parent.flow && inlineScalar(text, last.value)) {
    return `${text.slice(0, last.value.range[1])}, ${entry}${text.slice(last.value.range[1])}`;
  }
  return reprint(doc, docCount, (d) => d.setIn(path, value), text);
}

function removePair(text: string, doc: Document.Parsed, parent: YAMLMap, pair: Pair, path: YamlPath, docCount: number): string {
  const k = pair.key;
  const v = pair.value;
  if (!parent.flow && isScalar(k) && k.range && inlineScalar(text, v)) {
    const start = lineStart(text, k.range[0]);
    const onlyKeyOnLine = text.slice(start, k.range[0]).trim() === '';
    const end = lineEnd(text, v.range[1]);
    const rest = text.slice(v.range[1], end).trim();
    // The key starts its line and the value (with a comment, if any) ends it: remove the whole line.
    if (onlyKeyOnLine && (rest === '' || rest.startsWith('#'))) return text.slice(0, start) + text.slice(Math.min(end + 1, text.length));
  }
  return reprint(doc, docCount, (d) => d.deleteIn(path), text);
}

/** The Document API's way: change the tree and print it again (single-document texts only). */
function reprint(doc: Document.Parsed, docCount: number, change: (d: Document.Parsed) => void, text: string): string {
  if (docCount !== 1) throw new YamlEditError('this value cannot be edited in place in a file of several documents: write it as a block mapping entry');
  change(doc);
  const out = doc.toString({ lineWidth: 0 });
  return text.endsWith('\n') || out.endsWith('\n') ? out : out.slice(0, -1);
}
