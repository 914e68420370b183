/**
 * Sharding, the pure parts: parsing `i/n`, dealing units to shards, checking a set of shard files
 * before a merge, and the shard file's JSON round trip (which must keep every object exactly).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Unit, RendererName } from '../../src/dry/unit.js';
import type { UnitResult } from '../../src/render/renderer.js';
import type { KubeObject, Resource } from '../../src/resources/resource.js';
import {
  assignShard,
  buildShardFile,
  chooseVerificationSample,
  collectShards,
  shardResultDifference,
  shardUnitResult,
  type MergeExpectation
} from '../../src/pipeline/shards.js';
import { shardFileName, shardFileSchema, type LoadedShard, type ShardFile } from '../../src/formats/shard-file.js';
import { MAX_SHARDS, parseShardSpec, type ShardSpec } from '../../src/settings/shard.js';

const INDEPENDENT: ReadonlySet<string> = new Set(['kubernetes']);
const GENERATOR = 'hydrate 9.9.9';
const CONFIG_DIGEST = 'sha256:config';
const DRY_COMMIT = '1111111111111111111111111111111111111111';

function unit(renderer: RendererName, dir: string): Unit {
  return { id: `${renderer}:${dir}`, renderer, entry: 0, dir, coordinates: {}, output: dir };
}

function result(u: Unit, over: Partial<UnitResult> = {}): UnitResult {
  return {
    unit: u,
    status: 'rendered',
    resources: [
      {
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: u.dir.replace(/\W/g, '-') }, data: { k: 'v' } },
        unit: u.id,
        source: { file: `${u.dir}/cm.yaml`, line: 1, col: 1 }
      }
    ],
    artifacts: [{ path: 'README.md', content: 'hi\n', source: `${u.dir}/extra_artifacts/README.md` }],
    diagnostics: [],
    digest: `digest-of-${u.id}`,
    ...over
  };
}

/** The shard file a well-behaved shard job would write for `units`. */
function shardFor(units: readonly Unit[], spec: ShardSpec, over: Partial<ShardFile> = {}): LoadedShard {
  const assigned = assignShard(units, INDEPENDENT, spec);
  const data = buildShardFile({
    spec,
    generator: GENERATOR,
    configDigest: CONFIG_DIGEST,
    dryCommit: DRY_COMMIT,
    assigned,
    results: assigned.map((u) => result(u)),
    rejected: new Set()
  });
  return { file: `/shards/${shardFileName(spec)}`, data: { ...data, ...over } };
}

function allShards(units: readonly Unit[], count: number): LoadedShard[] {
  return Array.from({ length: count }, (_, k) => shardFor(units, { index: k + 1, count }));
}

function expectation(units: readonly Unit[], over: Partial<MergeExpectation> = {}): MergeExpectation {
  return { generator: GENERATOR, configDigest: CONFIG_DIGEST, dryCommit: DRY_COMMIT, units, independent: INDEPENDENT, ...over };
}

function errorsOf(shards: readonly LoadedShard[], expect: MergeExpectation): string[] {
  const { diagnostics } = collectShards(shards, expect);
  for (const d of diagnostics) if (d.severity !== 'error') throw new Error(`unexpected ${d.severity}: ${d.message}`);
  return diagnostics.map((d) => d.message);
}

const UNITS: Unit[] = [
  unit('kubernetes', 'apps/a/clusters/prod'),
  unit('kubernetes', 'apps/b/clusters/prod'),
  unit('kubernetes', 'apps/c/clusters/prod'),
  unit('kubernetes', 'plain/dev'),
  unit('kubernetes', 'plain/prod'),
  unit('terraform', 'tfworkspaces/aws/shop/prod'),
  unit('secrets', 'secrets/shop/prod')
];

describe('parseShardSpec', () => {
  it('accepts i/n with 1 ≤ i ≤ n ≤ 256, spaces allowed', () => {
    expect(parseShardSpec('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShardSpec('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShardSpec(' 3 / 7 ')).toEqual({ index: 3, count: 7 });
    expect(parseShardSpec(`${MAX_SHARDS}/${MAX_SHARDS}`)).toEqual({ index: MAX_SHARDS, count: MAX_SHARDS });
    expect(parseShardSpec('007/010')).toEqual({ index: 7, count: 10 });
  });

  it.each(['', '2', '2/', '/4', '2-4', '2/4/1', 'a/b', '-1/4', '1.5/4', '2 4', 'merge', '1/1000', '1000/1000'])('rejects the form %j', (s) => {
    const r = parseShardSpec(s);
    expect('error' in r && r.error).toContain(`got "${s}"`);
    expect('error' in r && r.error).toContain('i/n');
  });

  it('rejects index 0, count 0, index above the count and a count above 256', () => {
    const err = (s: string): string => {
      const r = parseShardSpec(s);
      if (!('error' in r)) throw new Error(`${s} was accepted`);
      return r.error;
    };
    expect(err('0/4')).toMatch(/index must be between 1 and 4, got 0/);
    expect(err('0/0')).toMatch(/count must be between 1 and 256, got 0/);
    expect(err('1/0')).toMatch(/count must be between 1 and 256, got 0/);
    expect(err('5/4')).toMatch(/index must be between 1 and 4, got 5/);
    expect(err('257/257')).toMatch(/count must be between 1 and 256, got 257/);
    expect(err('1/257')).toMatch(/count must be between 1 and 256, got 257/);
    expect(err('1/999')).toMatch(/count must be between 1 and 256, got 999/);
  });
});

describe('assignShard', () => {
  const unitArb: fc.Arbitrary<Unit> = fc
    .tuple(
      fc.constantFrom<RendererName>('kubernetes', 'kubernetes', 'terraform', 'secrets'),
      fc.array(fc.constantFrom('a', 'b', 'B', 'z', '0', '-', '.', '_', 'é'), { minLength: 1, maxLength: 6 }).map((s) => s.join(''))
    )
    .map(([r, d]) => unit(r, d));
  const unitsArb = fc.uniqueArray(unitArb, { selector: (u) => u.id, maxLength: 30 });

  it('partitions the independent units into shards of nearly equal size, whatever the input order', () => {
    fc.assert(
      fc.property(unitsArb, fc.integer({ min: 1, max: 8 }), fc.infiniteStream(fc.nat()), (units, n, seeds) => {
        const order = units.map((u) => u.id);
        const kube = units.filter((u) => u.renderer === 'kubernetes').map((u) => u.id);
        const shards = Array.from({ length: n }, (_, k) => assignShard(units, INDEPENDENT, { index: k + 1, count: n }));
        const ids = shards.map((s) => s.map((u) => u.id));
        const all = ids.flat();
        // Disjoint, and together exactly the kubernetes units.
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort()).toEqual([...kube].sort());
        for (const s of shards) for (const u of s) expect(u.renderer).toBe('kubernetes');
        // Sizes differ by at most one.
        const sizes = shards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // The same share whatever order the units come in.
        const shuffled = [...units]
          .map((u) => ({ u, k: seeds.next().value as number }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.u);
        const again = Array.from({ length: n }, (_, k) => assignShard(shuffled, INDEPENDENT, { index: k + 1, count: n }).map((u) => u.id));
        expect(again).toEqual(ids);
        // The input is left as it was.
        expect(units.map((u) => u.id)).toEqual(order);
      }),
      { numRuns: 300 }
    );
  });

  it('does not reorder the caller\'s array', () => {
    const units = [...UNITS].reverse();
    const before = units.map((u) => u.id);
    assignShard(units, INDEPENDENT, { index: 1, count: 2 });
    expect(units.map((u) => u.id)).toEqual(before);
  });
});

describe('collectShards', () => {
  it('accepts a complete set, whatever order the files come in, with one entry per dealt unit', () => {
    for (const count of [1, 2, 3, 5, 8]) {
      const shards = allShards(UNITS, count).reverse();
      const { entries, diagnostics } = collectShards(shards, expectation(UNITS));
      expect(diagnostics).toEqual([]);
      const kube = UNITS.filter((u) => u.renderer === 'kubernetes').map((u) => u.id);
      expect([...entries.keys()].sort()).toEqual([...kube].sort());
      for (const [id, e] of entries) {
        expect(e.unit.id).toBe(id);
        expect(e.shard.data.assigned).toContain(id);
      }
    }
  });

  it('no shard files', () => {
    const errors = errorsOf([], expectation(UNITS));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/no shard files/);
  });

  it('a missing shard', () => {
    const shards = allShards(UNITS, 3).filter((s) => s.data.shard.index !== 2);
    const errors = errorsOf(shards, expectation(UNITS));
    expect(errors).toEqual([expect.stringContaining('shard 2/3 is missing')]);
  });

  it('several missing shards are all named', () => {
    const shards = allShards(UNITS, 4).filter((s) => s.data.shard.index === 3);
    const errors = errorsOf(shards, expectation(UNITS)).join('\n');
    for (const i of [1, 2, 4]) expect(errors).toContain(`shard ${i}/4 is missing`);
    expect(errors).not.toContain('shard 3/4 is missing');
  });

  it('a duplicate index', () => {
    const shards = allShards(UNITS, 2);
    const copy: LoadedShard = { file: '/shards/other/hydrate-shard-1-of-2.json', data: shards[0]!.data };
    const errors = errorsOf([...shards, copy], expectation(UNITS));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('shard 1/2 appears twice');
    expect(errors[0]).toContain('/shards/hydrate-shard-1-of-2.json');
    expect(errors[0]).toContain('/shards/other/hydrate-shard-1-of-2.json');
  });

  it('mixed counts', () => {
    const errors = errorsOf([...allShards(UNITS, 2), ...allShards(UNITS, 3)], expectation(UNITS));
    expect(errors.join('\n')).toMatch(/disagree on the shard count \(2, 3\)/);
  });

  it('an index above the count', () => {
    const shards = allShards(UNITS, 2);
    shards[1] = { file: '/shards/bad.json', data: { ...shards[1]!.data, shard: { index: 3, count: 2 } } };
    const errors = errorsOf(shards, expectation(UNITS)).join('\n');
    expect(errors).toContain('shard 3/2: index greater than the count [/shards/bad.json]');
    expect(errors).toContain('shard 2/2 is missing');
  });

  it('another generator', () => {
    const shards = allShards(UNITS, 2);
    shards[1] = { ...shards[1]!, data: { ...shards[1]!.data, generator: 'hydrate 0.0.1' } };
    const errors = errorsOf(shards, expectation(UNITS));
    expect(errors).toEqual([`shard 2/2 was rendered by hydrate 0.0.1, this job runs ${GENERATOR} [${shards[1]!.file}]`]);
  });

  it('another config digest', () => {
    const shards = allShards(UNITS, 2);
    shards[0] = { ...shards[0]!, data: { ...shards[0]!.data, configDigest: 'sha256:other' } };
    const errors = errorsOf(shards, expectation(UNITS));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('shard 1/2 was rendered with a different config file');
    expect(errors[0]).toContain(shards[0]!.file);
  });

  it('another dry commit', () => {
    const other = '2222222222222222222222222222222222222222';
    const shards = allShards(UNITS, 2);
    shards[0] = { ...shards[0]!, data: { ...shards[0]!.data, dryCommit: other } };
    const errors = errorsOf(shards, expectation(UNITS));
    expect(errors).toEqual([`shard 1/2 was rendered from dry commit ${other}, this job has ${DRY_COMMIT} [${shards[0]!.file}]`]);
  });

  it('a dry commit on one side only', () => {
    const shards = allShards(UNITS, 2);
    const { dryCommit: _dropped, ...withoutCommit } = shards[1]!.data;
    shards[1] = { ...shards[1]!, data: withoutCommit };
    expect(errorsOf(shards, expectation(UNITS))).toEqual([
      `shard 2/2 was rendered from dry commit (none given), this job has ${DRY_COMMIT} [${shards[1]!.file}]`
    ]);
  });

  it('another workflow run, or a run id on one side only', () => {
    const shards = allShards(UNITS, 2).map((s) => ({ ...s, data: { ...s.data, runId: '501' } }));
    expect(errorsOf(shards, expectation(UNITS, { runId: '501' }))).toEqual([]);
    const other = errorsOf(shards, expectation(UNITS, { runId: '502' }));
    expect(other).toHaveLength(2);
    expect(other[0]).toMatch(/^shard 1\/2 was rendered by workflow run 501, this merge is run 502/);
    expect(errorsOf(allShards(UNITS, 2), expectation(UNITS, { runId: '502' }))[0]).toMatch(/workflow run \(none given\), this merge is run 502/);
  });

  it('a shard dealt other units: a unit added since the shards ran', () => {
    const shards = allShards(UNITS, 2);
    const more = [...UNITS, unit('kubernetes', 'apps/aa/clusters/prod')];
    const errors = errorsOf(shards, expectation(more)).join('\n');
    // The new unit sorts second: it shifts every later unit to the other shard.
    expect(errors).toMatch(/shard \d\/2 was dealt other units than this job deals it/);
    expect(errors).toContain('dealt here but not there: kubernetes:apps/aa/clusters/prod');
  });

  it('a shard dealt other units: a unit removed since the shards ran, and `only` differs', () => {
    const shards = allShards(UNITS, 1);
    const fewer = UNITS.filter((u) => u.dir !== 'plain/dev');
    expect(errorsOf(shards, expectation(fewer))).toEqual([
      expect.stringContaining('shard 1/1 was dealt other units than this job deals it (dealt there but not here: kubernetes:plain/dev)')
    ]);
  });

  it('a shard lacking a result for a unit it was dealt', () => {
    const shards = allShards(UNITS, 2);
    const dropped = shards[1]!.data.units[0]!.id;
    shards[1] = { ...shards[1]!, data: { ...shards[1]!.data, units: shards[1]!.data.units.slice(1) } };
    const errors = errorsOf(shards, expectation(UNITS));
    expect(errors).toEqual([`shard 2/2 has no result for unit ${dropped} [${shards[1]!.file}]`]);
  });

  it('reports every inconsistent file at once', () => {
    const shards = allShards(UNITS, 3);
    shards[0] = { ...shards[0]!, data: { ...shards[0]!.data, generator: 'hydrate 0.0.1' } };
    shards[2] = { ...shards[2]!, data: { ...shards[2]!.data, configDigest: 'x' } };
    const errors = errorsOf(shards, expectation(UNITS)).join('\n');
    expect(errors).toContain('shard 1/3 was rendered by hydrate 0.0.1');
    expect(errors).toContain('shard 3/3 was rendered with a different config file');
  });
});

/** Objects as kustomize could emit them: JSON values, with numbers JSON cannot hold among them. */
const numberArb = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e21, 5e-324, Number.MAX_SAFE_INTEGER + 2)
);
const valueArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberArb,
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('yes', 'no', 'null', '~', '0x10', '1e3', '-0', '.nan', '.inf', 'true', '', ' lead', 'a: b', '- x', '#c', 'x\ny\n'),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6, unit: 'grapheme' }), tie('value'), { maxKeys: 4 })
  )
})).value;
const objectArb: fc.Arbitrary<KubeObject> = fc
  .dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'), valueArb, { maxKeys: 5 })
  .map((extra) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, ...extra }));

/** Deep equality that tells NaN, -0 and 0 apart, and checks key order. */
function expectExactly(actual: unknown, expected: unknown, at = '$'): void {
  if (typeof expected === 'number') {
    if (!Object.is(actual, expected)) throw new Error(`${at}: expected ${Object.is(expected, -0) ? '-0' : String(expected)}, got ${Object.is(actual, -0) ? '-0' : String(actual)}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) throw new Error(`${at}: expected an array of ${expected.length}`);
    expected.forEach((v, i) => expectExactly(actual[i], v, `${at}[${i}]`));
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) throw new Error(`${at}: expected an object`);
    const ek = Object.keys(expected);
    const ak = Object.keys(actual);
    if (JSON.stringify(ak) !== JSON.stringify(ek)) throw new Error(`${at}: keys ${JSON.stringify(ak)} instead of ${JSON.stringify(ek)}`);
    for (const k of ek) expectExactly((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${at}.${k}`);
    return;
  }
  if (actual !== expected) throw new Error(`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function roundTrip(file: ShardFile): ShardFile {
  return shardFileSchema.parse(JSON.parse(JSON.stringify(file)));
}

function shardOf(results: UnitResult[], rejected: string[] = []): ShardFile {
  const assigned = results.map((r) => r.unit);
  return buildShardFile({
    spec: { index: 1, count: 1 },
    generator: GENERATOR,
    configDigest: CONFIG_DIGEST,
    assigned,
    results,
    rejected: new Set(rejected)
  });
}

describe('shard file round trip', () => {
  const u = unit('kubernetes', 'apps/a/clusters/prod');
  const resource = (object: KubeObject, line = 3): Resource => ({ object, unit: u.id, source: { file: `${u.dir}/x.yaml`, line, col: 1 } });

  it('keeps NaN, Infinity, -Infinity and -0 exactly, next to plain JSON objects', () => {
    const odd: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'odd', annotations: { note: 'NaN' } },
      spec: { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY, nzero: -0, zero: 0, list: [-0, 1.5, Number.NaN] }
    };
    const plain: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data: { a: '1', n: '-0' }, n: 2 };
    const file = shardOf([result(u, { resources: [resource(odd, 1), resource(plain, 9)] })]);
    const back = roundTrip(file);
    const r = shardUnitResult(back.units[0]!, u);
    expect(r.resources).toHaveLength(2);
    expectExactly(r.resources[0]!.object, odd);
    expectExactly(r.resources[1]!.object, plain);
    const spec = r.resources[0]!.object['spec'] as Record<string, unknown>;
    expect(Number.isNaN(spec['nan'])).toBe(true);
    expect(spec['inf']).toBe(Number.POSITIVE_INFINITY);
    expect(spec['ninf']).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(spec['nzero'], -0)).toBe(true);
    expect(Object.is(spec['zero'], 0)).toBe(true);
    expect(Object.is((spec['list'] as unknown[])[0], -0)).toBe(true);
    expect(r.resources.map((x) => x.source)).toEqual([
      { file: `${u.dir}/x.yaml`, line: 1, col: 1 },
      { file: `${u.dir}/x.yaml`, line: 9, col: 1 }
    ]);
    expect(r.resources.every((x) => x.unit === u.id)).toBe(true);
  });

  it('keeps any object exactly (property)', () => {
    fc.assert(
      fc.property(fc.array(objectArb, { minLength: 1, maxLength: 3 }), (objects) => {
        const file = shardOf([result(u, { resources: objects.map((o, i) => resource(o, i + 1)) })]);
        const r = shardUnitResult(roundTrip(file).units[0]!, u);
        expect(r.resources).toHaveLength(objects.length);
        objects.forEach((o, i) => expectExactly(r.resources[i]!.object, o, `resource[${i}]`));
      }),
      { numRuns: 300 }
    );
  });

  it('keeps status, digest, volatile, artifacts, diagnostics, provides and requires', () => {
    const v = unit('kubernetes', 'plain/dev');
    const full = result(v, {
      digest: 'sha256:abc',
      volatile: true,
      diagnostics: [{ severity: 'warning', message: 'careful', unit: v.id, file: 'plain/dev/a.yaml', line: 2, col: 3 }],
      provides: [{ ref: 'configmap:x' }],
      requires: [{ ref: 'secret:y', unit: v.id, file: 'plain/dev/a.yaml', line: 4, col: 5, message: 'unknown y' }]
    });
    const r = shardUnitResult(roundTrip(shardOf([full])).units[0]!, v);
    expect(r).toEqual({ ...full, resources: full.resources });
    expect(r.status).toBe('rendered');
  });

  it('a failed unit and a rejected unit carry no resources nor artifacts, and stay failed', () => {
    const a = unit('kubernetes', 'apps/a/clusters/prod');
    const b = unit('kubernetes', 'apps/b/clusters/prod');
    const c = unit('kubernetes', 'apps/c/clusters/prod');
    const canary = 'canary-7f3a9e';
    const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: canary } };
    const failed = result(a, { status: 'failed', diagnostics: [{ severity: 'error', unit: a.id, message: 'kustomize failed' }] });
    const rejected = result(b, { resources: [{ object: secret, unit: b.id, source: {} }] });
    const fine = result(c);
    const file = shardOf([fine, rejected, failed], [b.id]);
    const text = JSON.stringify(file);
    expect(text).not.toContain(canary);
    const back = roundTrip(file);
    expect(back.units.map((x) => [x.id, x.status, x.resources.length, x.artifacts.length])).toEqual([
      [a.id, 'failed', 0, 0],
      [b.id, 'failed', 0, 0],
      [c.id, 'rendered', 1, 1]
    ]);
    const ra = shardUnitResult(back.units[0]!, a);
    expect(ra.status).toBe('failed');
    expect(ra.diagnostics).toEqual(failed.diagnostics);
    // The gate's error is not among the unit's diagnostics: the file must still say why it failed,
    // or the merge takes a failed unit without an error, publishes and drops the unit's files.
    const rb = shardUnitResult(back.units[1]!, b);
    expect(rb.status).toBe('failed');
    expect(rb.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', unit: b.id, message: expect.stringMatching(/plaintext Secret in unit kubernetes:apps\/b\/clusters\/prod: the secrets policy rejected/) })
    ]);
  });

  it('a failed unit without an error in a shard file still fails the merge', () => {
    const a = unit('kubernetes', 'apps/a/clusters/prod');
    const r = shardUnitResult({ id: a.id, status: 'failed', digest: 'd', resources: [], artifacts: [], diagnostics: [{ severity: 'warning', message: 'w' }] }, a);
    expect(r.status).toBe('failed');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([expect.objectContaining({ unit: a.id, message: expect.stringContaining(a.id) })]);
  });

  it('a reused unit carries its digest and no output', () => {
    const a = unit('kubernetes', 'apps/a/clusters/prod');
    const file = shardOf([result(a, { status: 'reused', digest: 'sha256:prev' })]);
    const back = roundTrip(file);
    expect(back.units).toEqual([
      { id: a.id, status: 'reused', digest: 'sha256:prev', resources: [], artifacts: [], diagnostics: [] }
    ]);
  });

  it('records the shard, the sorted assigned ids and the units sorted by id', () => {
    const units = [unit('kubernetes', 'z'), unit('kubernetes', 'a'), unit('kubernetes', 'm')];
    const file = buildShardFile({
      spec: { index: 2, count: 3 },
      generator: GENERATOR,
      configDigest: CONFIG_DIGEST,
      dryCommit: DRY_COMMIT,
      assigned: units,
      results: units.map((x) => result(x)),
      rejected: new Set()
    });
    expect(roundTrip(file)).toEqual(file);
    expect(file.shard).toEqual({ index: 2, count: 3 });
    expect(file.assigned).toEqual(['kubernetes:a', 'kubernetes:m', 'kubernetes:z']);
    expect(file.units.map((x) => x.id)).toEqual(['kubernetes:a', 'kubernetes:m', 'kubernetes:z']);
    expect(shardFileName(file.shard)).toBe('hydrate-shard-2-of-3.json');
  });
});

describe('verifying shard results by rendering again', () => {
  const candidates = new Map<string, number>(Array.from({ length: 40 }, (_, k) => [`kubernetes:u${String(k).padStart(2, '0')}`, (k % 4) + 1]));

  it('chooses at least one unit per shard, then up to the count; none for 0', () => {
    for (const seed of ['a', 'b', 'c']) {
      const one = chooseVerificationSample(candidates, 1, seed);
      expect(new Set(one.map((id) => candidates.get(id))).size).toBe(4);
      expect(one).toHaveLength(4);
      const ten = chooseVerificationSample(candidates, 10, seed);
      expect(ten).toHaveLength(10);
      expect(new Set(ten).size).toBe(10);
      for (const id of one) expect(ten).toContain(id);
    }
    expect(chooseVerificationSample(candidates, 0, 'a')).toEqual([]);
    expect(chooseVerificationSample(candidates, 100, 'a')).toHaveLength(40);
  });

  it('is a function of the seed, and different seeds choose different units', () => {
    expect(chooseVerificationSample(candidates, 6, 'seed')).toEqual(chooseVerificationSample(candidates, 6, 'seed'));
    const picks = new Set(['s1', 's2', 's3', 's4', 's5'].map((s) => chooseVerificationSample(candidates, 6, s).join()));
    expect(picks.size).toBeGreaterThan(1);
  });

  it('finds a changed object, an added object, changed artifacts and a different status', () => {
    const u = UNITS[0]!;
    const mine = result(u);
    expect(shardResultDifference(result(u), mine)).toBeUndefined();
    // Through the shard file's JSON, as the merge reads it.
    const viaFile = shardUnitResult(buildShardFile({ spec: { index: 1, count: 1 }, generator: GENERATOR, configDigest: CONFIG_DIGEST, assigned: [u], results: [mine], rejected: new Set() }).units[0]!, u);
    expect(shardResultDifference(viaFile, mine)).toBeUndefined();
    const changed = result(u);
    (changed.resources[0]!.object['data'] as Record<string, string>)['k'] = 'forged';
    expect(shardResultDifference(changed, mine)).toBe('object #1 (ConfigMap apps-a-clusters-prod) differs');
    const added = result(u);
    added.resources.push({ ...added.resources[0]!, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } } });
    expect(shardResultDifference(added, mine)).toBe('the shard has 2 object(s), this job\'s render 1');
    expect(shardResultDifference(result(u, { artifacts: [] }), mine)).toBe('the extra artifacts differ');
    expect(shardResultDifference(result(u, { status: 'failed' }), mine)).toMatch(/says failed/);
  });
});
