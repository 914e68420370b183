/** Positions of nodes inside one YAML document, for `file:line:col` in config-like files. */
import { LineCounter, parseDocument } from 'yaml';
import { DUPLICATE_KEY, duplicateKeyOffsets, MAX_ALIAS_COUNT } from '../../resources/yaml.js';
import { KUBE_PARSE_OPTIONS } from '../../resources/yaml11.js';

export interface PositionedDocument {
  value: unknown;
  /** 1-based position of the node at `path`, falling back to its nearest existing parent. */
  positionOf(path: readonly (string | number)[]): { line: number; col: number };
  errors: { message: string; line: number; col: number }[];
}

/**
 * Parses one document with positions. `kubernetes` (the default: release files, unit patches,
 * `Chart.yaml`) reads it with YAML 1.1 rules as kubectl and Helm do; `yaml-1.2` is for files
 * another tool reads itself (a kustomization, read only to find the files it names).
 */
export function parsePositioned(text: string, rules: 'kubernetes' | 'yaml-1.2' = 'kubernetes'): PositionedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...(rules === 'kubernetes' ? KUBE_PARSE_OPTIONS : {}), lineCounter, uniqueKeys: false, prettyErrors: false });
  const errors = doc.errors.map((e) => {
    const p = lineCounter.linePos(e.pos[0]);
    return { message: e.message.split('\n')[0] ?? e.message, line: p.line, col: p.col };
  });
  if (errors.length === 0) {
    for (const offset of duplicateKeyOffsets(doc)) {
      const p = lineCounter.linePos(offset);
      errors.push({ message: DUPLICATE_KEY, line: p.line, col: p.col });
    }
  }
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
