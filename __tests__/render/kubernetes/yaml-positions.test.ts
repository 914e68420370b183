/** Release files, unit patches and Chart.yaml are read as kubectl and Helm read YAML (1.1); kustomizations, only for their paths, as YAML 1.2. */
import { describe, expect, it } from '@jest/globals';
import { parsePositioned } from '../../../src/render/kubernetes/yaml-positions.js';

describe('parsePositioned', () => {
  it('reads with YAML 1.1 rules by default: octal, 1.1 bools, merge keys', () => {
    const doc = parsePositioned('base: &b {mode: 0644, debug: on}\nvalues:\n  <<: *b\n  at: 1:20\n');
    expect(doc.errors).toEqual([]);
    expect(doc.value).toEqual({ base: { mode: 420, debug: true }, values: { mode: 420, debug: true, at: '1:20' } });
    expect(doc.positionOf(['values', 'at'])).toEqual({ line: 4, col: 7 });
  });

  it('reads YAML 1.2 when asked (a kustomization is read by kustomize itself)', () => {
    expect(parsePositioned('mode: 0644\ndebug: on\n', 'yaml-1.2').value).toEqual({ mode: 644, debug: 'on' });
  });

  it('reports a duplicate key with its line, in a large mapping too', () => {
    const lines = ['values:'];
    for (let i = 0; i < 20_000; i++) lines.push(`  k${i}: ${i}`);
    lines.push('  k3: again');
    const doc = parsePositioned(`${lines.join('\n')}\n`);
    expect(doc.errors).toEqual([{ message: 'Map keys must be unique', line: lines.length, col: 3 }]);
  });
});
