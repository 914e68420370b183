/** Positions of nodes inside one YAML document, for `file:line:col` in config-like files. */
import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { MAX_ALIAS_COUNT } from '../../resources/yaml.js';

export interface PositionedDocument {
  value: unknown;
  /** 1-based position of the node at `path`, falling back to its nearest existing parent. */
  positionOf(path: readonly (string | number)[]): { line: number; col: number };
  errors: { message: string; line: number; col: number }[];
}

export function parsePositioned(text: string): PositionedDocument {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const errors = doc.errors.map((e) => {
    const p = lineCounter.linePos(e.pos[0]);
    return { message: e.message.split('\n')[0] ?? e.message, line: p.line, col: p.col };
  });
  let value: unknown;
  if (errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      // Alias bombs and nesting too deep to convert: an error at the document, never a throw.
      const p = lineCounter.linePos(doc.contents?.range?.[0] ?? 0);
      errors.push({ message: /call stack/i.test((e as Error).message) ? 'nesting is too deep' : (e as Error).message, line: p.line, col: p.col });
    }
  }
  return {
    value,
    errors,
    positionOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node && typeof node === 'object' && node.range) {
          const p = lineCounter.linePos(node.range[0]);
          return { line: p.line, col: p.col };
        }
      }
      const start = doc.contents?.range?.[0] ?? 0;
      const p = lineCounter.linePos(start);
      return { line: p.line, col: p.col };
    }
  };
}
