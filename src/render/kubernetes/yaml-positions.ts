/** One YAML document with positions, for `file:line:col` in config-like files (see resources/yaml-positions.ts). */
import { readYamlDocument, type Position, type YamlProblem } from '../../resources/yaml-positions.js';

export interface PositionedDocument {
  /** undefined when the document could not be read (see `errors`). */
  value: unknown;
  /** 1-based position of the node at `path`, falling back to its nearest existing parent. */
  positionOf(path: readonly (string | number)[]): Position;
  /** Position of the key `path[last]` itself, falling back to positionOf. */
  keyPositionOf(path: readonly (string | number)[]): Position;
  errors: YamlProblem[];
}

/**
 * Parses one document with positions. `kubernetes` (the default: release files, unit patches,
 * `Chart.yaml`) reads it with YAML 1.1 rules as kubectl and Helm do; `yaml-1.2` is for files
 * another tool reads itself (a kustomization, read only to find the files it names).
 */
export function parsePositioned(text: string, rules: 'kubernetes' | 'yaml-1.2' = 'kubernetes'): PositionedDocument {
  const { document, problems } = readYamlDocument(text, rules === 'kubernetes' ? '1.1' : '1.2');
  return { value: document.value, errors: problems, positionOf: document.positionOf, keyPositionOf: document.keyPositionOf };
}
