/**
 * Each stored format (run report, shard file, wet index) has one module with its version, its
 * serialiser and its parser: what one writes, the other reads back, and a file of another
 * version or shape is refused with a message that says where.
 */
import { describe, expect, it } from '@jest/globals';
import type { HydrateOutcome } from '../../src/pipeline/hydrate.js';
import type { ResourceChange } from '../../src/diff/wet-diff.js';
import { runReport } from '../../src/report/json-report.js';
import { parseRunReport, RUN_REPORT_VERSION, serializeRunReport } from '../../src/formats/run-report.js';
import { parseShardFile, SHARD_FORMAT, serializeShardFile, type ShardFile } from '../../src/formats/shard-file.js';
import { INDEX_PATH, parseIndex, serializeIndex, WET_INDEX_VERSION, type WetIndex } from '../../src/formats/wet-index.js';
import { report, unitDiff } from '../report/helpers.js';

const change: ResourceChange = {
  kind: 'changed',
  id: { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'api' },
  key: 'api',
  fields: [{ path: 'spec.replicas', from: '2', to: '3' }],
  ignored: 1,
  unified: '-  replicas: 2\n+  replicas: 3\n'
};

const outcome = {
  ok: false,
  diagnostics: [
    { severity: 'error', unit: 'kubernetes:apps/web', file: 'apps/web/a.yaml', line: 3, col: 1, message: 'broken' },
    { severity: 'warning', message: 'slow' }
  ],
  units: [
    { id: 'kubernetes:apps/web', renderer: 'kubernetes', dir: 'apps/web', coordinates: { app: 'web' }, status: 'failed', resources: 0, outputs: [], errors: [{ severity: 'error', message: 'broken' }] }
  ],
  results: [],
  diff: report([unitDiff('kubernetes:apps/web', [change], { coordinates: { app: 'web' } })])
} as unknown as HydrateOutcome;

describe('the run report (hydrate-report.json)', () => {
  it('carries its format version first, then the fields it always had, and reads back as written', () => {
    const text = serializeRunReport(runReport(outcome, { version: '9.9.9', mode: 'push' }));
    const raw = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(raw)).toEqual(['formatVersion', 'version', 'mode', 'ok', 'units', 'errors', 'warnings', 'written', 'diff']);
    expect(raw).toMatchObject({ formatVersion: RUN_REPORT_VERSION, version: '9.9.9', mode: 'push', ok: false, written: null });
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseRunReport(text)).toEqual(raw);
  });

  it('refuses a report of another version or shape, naming the field', () => {
    const raw = JSON.parse(serializeRunReport(runReport(outcome, { version: '9.9.9', mode: 'push' }))) as Record<string, unknown>;
    expect(() => parseRunReport(JSON.stringify({ ...raw, formatVersion: 2 }))).toThrow(/formatVersion/);
    const { formatVersion: _v, ...old } = raw;
    expect(() => parseRunReport(JSON.stringify(old))).toThrow(/formatVersion/);
    expect(() => parseRunReport(JSON.stringify({ ...raw, errors: [{ severity: 'fatal', message: 'x' }] }))).toThrow(/errors\.0\.severity/);
  });
});

describe('the shard file', () => {
  const shard: ShardFile = {
    format: SHARD_FORMAT,
    generator: 'hydrate 9.9.9',
    shard: { index: 1, count: 2 },
    configDigest: 'c',
    assigned: ['kubernetes:a'],
    units: [
      {
        id: 'kubernetes:a',
        status: 'rendered',
        digest: 'd',
        resources: [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, source: { file: 'a/cm.yaml', line: 1 } }],
        artifacts: [],
        diagnostics: [{ severity: 'warning', message: 'w', unit: 'kubernetes:a' }]
      }
    ]
  };

  it('reads back exactly what was written, one line of JSON', () => {
    const text = serializeShardFile(shard);
    expect(text.split('\n')).toHaveLength(2);
    expect(parseShardFile(text)).toEqual({ data: shard });
  });

  it('says what is wrong with a file that is not JSON or not of this format', () => {
    expect(parseShardFile('{')).toEqual({ problem: expect.stringMatching(/^is not valid JSON: /) });
    expect(parseShardFile(JSON.stringify({ ...shard, format: 'hydrate-shard/v2' }))).toEqual({ problem: expect.stringMatching(/^is not a Hydrate shard file \(format: /) });
  });
});

describe('the wet index', () => {
  const index: WetIndex = {
    version: WET_INDEX_VERSION,
    generator: 'hydrate 9.9.9',
    units: { 'kubernetes:a': { renderer: 'kubernetes', dir: 'a', coordinates: {}, output: 'out/a', paths: ['out/a/x.yaml'], digest: 'd' } }
  };

  it('reads back what it wrote, and refuses an index of another version', () => {
    const text = serializeIndex(index);
    expect(serializeIndex(parseIndex(text, INDEX_PATH))).toBe(text);
    expect(() => parseIndex(text.replace('"version": 1', '"version": 2'), INDEX_PATH)).toThrow(/version: expected 1, got 2/);
  });

  it('refuses a unit of a renderer it does not know', () => {
    expect(() => parseIndex(text(index).replace('"renderer": "kubernetes"', '"renderer": "ansible"'), INDEX_PATH)).toThrow('units.kubernetes:a.renderer: expected one of "kubernetes", "terraform", "secrets"');
  });
});

function text(i: WetIndex): string {
  return serializeIndex(i);
}
