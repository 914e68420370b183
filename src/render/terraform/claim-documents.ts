/**
 * Reading claim files: every YAML document with a way back from a value path (as zod reports it)
 * to the `line:col` of the node in the file. Shared by the terraform and secrets renderers.
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import type * as z from 'zod';
import type { Diagnostic } from '../../diagnostics.js';
import { cmp } from '../../resources/resource.js';
import { describeYamlError, DUPLICATE_KEY, duplicateKeyOffsets, isTooDeep, MAX_ALIAS_COUNT, NESTING_TOO_DEEP } from '../../resources/yaml.js';
import { KUBE_PARSE_OPTIONS } from '../../resources/yaml11.js';

export type PathKey = string | number;

export interface Position {
  line: number;
  col: number;
}

export interface ClaimDocument {
  value: unknown;
  /** Position of the document's content. */
  start: Position;
  /** Position of the value at `path`, or of its closest existing ancestor. */
  positionOf(path: readonly PathKey[]): Position;
  /** Position of the key `path[last]` itself (for unknown keys), falling back to positionOf. */
  keyPositionOf(path: readonly PathKey[]): Position;
}

export function readClaimDocuments(
  text: string,
  file: string,
  unit: string
): { documents: ClaimDocument[]; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  // Claims are Kubernetes YAML: read with YAML 1.1 rules, as kubectl reads them.
  const docs = parseAllDocuments(text, { ...KUBE_PARSE_OPTIONS, lineCounter, uniqueKeys: false, prettyErrors: false, strict: true });
  const documents: ClaimDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  // A text with no documents gives an EmptyStream: an empty array.
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const p = pos(e.pos[0]);
        diagnostics.push({ severity: 'error', unit, file, ...p, message: `invalid YAML: ${describeYamlError(e)}` });
      }
      continue;
    }
    const duplicates = duplicateKeyOffsets(doc);
    if (duplicates.length > 0) {
      for (const offset of duplicates) diagnostics.push({ severity: 'error', unit, file, ...pos(offset), message: `invalid YAML: ${DUPLICATE_KEY}` });
      continue;
    }
    const start = pos(doc.contents?.range?.[0] ?? doc.range[0]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      diagnostics.push({ severity: 'error', unit, file, ...start, message: `invalid YAML: ${describeYamlError(e)}` });
      continue;
    }
    if (isTooDeep(value)) {
      diagnostics.push({ severity: 'error', unit, file, ...start, message: `invalid YAML: ${NESTING_TOO_DEEP}` });
      continue;
    }
    if (value === null || value === undefined) continue;
    documents.push({
      value,
      start,
      positionOf: (path) => nodePosition(doc, path, false, pos) ?? start,
      keyPositionOf: (path) => nodePosition(doc, path, true, pos) ?? start
    });
  }
  return { documents, diagnostics };
}

function nodePosition(
  doc: Document,
  path: readonly PathKey[],
  wantKey: boolean,
  pos: (offset: number) => Position
): Position | undefined {
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

/** Turns zod issues into diagnostics at the offending field. */
export function zodDiagnostics(
  error: z.ZodError,
  doc: ClaimDocument,
  file: string,
  unit: string,
  what: string
): Diagnostic[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((p): p is PathKey => typeof p === 'string' || typeof p === 'number');
    let position = doc.positionOf(path);
    let field = path.join('.');
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
      const key = issue.keys[0]!;
      position = doc.keyPositionOf([...path, key]);
      field = [...path, key].join('.');
    }
    return {
      severity: 'error' as const,
      unit,
      file,
      ...position,
      message: `invalid ${what}${field ? ` field "${field}"` : ''}: ${issue.message}`
    };
  });
}

/** Every `*.yaml`/`*.yml` file directly in a unit directory, sorted by name. */
export async function listYamlFiles(
  files: { readDir(path: string): Promise<{ name: string; kind: string }[]> },
  absDir: string
): Promise<string[]> {
  const entries = await files.readDir(absDir);
  return entries
    .filter((e) => e.kind === 'file' && /\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort(cmp);
}

/**
 * Reads every claim file of a unit (sorted by name) and returns each file's parsed documents
 * with positions. (The input digest reads them itself: see unitInputDigest in pipeline/incremental.ts.)
 */
export async function readUnitClaimFiles(
  files: { readDir(path: string): Promise<{ name: string; kind: string }[]>; readFile(path: string): Promise<string> },
  repoRoot: string,
  unit: { id: string; dir: string }
): Promise<{ file: string; parsed: ReturnType<typeof readClaimDocuments> }[]> {
  const absDir = `${repoRoot}/${unit.dir}`;
  const out: { file: string; parsed: ReturnType<typeof readClaimDocuments> }[] = [];
  for (const name of await listYamlFiles(files, absDir)) {
    const file = `${unit.dir}/${name}`;
    const text = await files.readFile(`${absDir}/${name}`);
    out.push({ file, parsed: readClaimDocuments(text, file, unit.id) });
  }
  return out;
}

/** Keys sorted recursively (code-unit order), for canonical JSON. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort(cmp)) {
      out[k] = sortKeysDeep((value as Record<string, unknown>)[k]);
    }
    return out;
  }
  return value;
}

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
