import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { HydrateError } from '../../src/diagnostics.js';
import { layoutWet, perResourceNames } from '../../src/wet/layout.js';
import { checkWetPath, INDEX_PATH, parseIndex, serializeIndex } from '../../src/formats/wet-index.js';
import { meta, obj, settingsWith, unitResult } from './helpers.js';

const paths = (l: { files: { path: string }[] }): string[] => l.files.map((f) => f.path);

describe('per-resource naming', () => {
  it('names objects <Kind>.<name>.yml when nothing collides', () => {
    const l = layoutWet(
      [unitResult('apps/web', 'web', [obj('Service', 'api', 'prod'), obj('Deployment', 'api', 'prod', 'apps/v1'), obj('ClusterRole', 'reader', undefined, 'rbac.authorization.k8s.io/v1')])],
      settingsWith(),
      meta
    );
    expect(l.diagnostics).toEqual([]);
    expect(paths(l)).toEqual([INDEX_PATH, 'web/ClusterRole.reader.yml', 'web/Deployment.api.yml', 'web/Service.api.yml']);
    const svc = l.files.find((f) => f.path === 'web/Service.api.yml')!;
    expect(svc.content).toBe('apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: prod\n');
  });

  it('adds the namespace only to the colliding objects (_no-namespace for a namespaced object without one)', () => {
    const l = layoutWet(
      [unitResult('u', 'out', [obj('ConfigMap', 'cfg', 'a'), obj('ConfigMap', 'cfg', 'b'), obj('ConfigMap', 'cfg'), obj('ConfigMap', 'other', 'a')])],
      settingsWith(),
      meta
    );
    expect(l.diagnostics).toEqual([]);
    // A ConfigMap is namespaced: without a namespace it lands in the one it is applied to, never "_cluster".
    expect(paths(l)).toEqual([INDEX_PATH, 'out/ConfigMap._no-namespace.cfg.yml', 'out/ConfigMap.a.cfg.yml', 'out/ConfigMap.b.cfg.yml', 'out/ConfigMap.other.yml']);
  });

  it('writes _cluster only for cluster-scoped kinds: built-in ones and those a CRD of the unit declares Cluster', () => {
    const crd = (kind: string, scope: string): Record<string, unknown> => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${kind.toLowerCase()}s.example.com` },
      spec: { group: 'example.com', scope, names: { kind, plural: `${kind.toLowerCase()}s` } }
    });
    const l = layoutWet(
      [
        unitResult('u', 'out', [
          obj('ClusterRole', 'x', undefined, 'rbac.authorization.k8s.io/v1'),
          obj('ClusterRole', 'x', 'odd', 'rbac.authorization.k8s.io/v1'),
          obj('Widget', 'w', undefined, 'example.com/v1'),
          obj('Widget', 'w', 'a', 'example.com/v1'),
          obj('Gadget', 'g', undefined, 'example.com/v1'),
          obj('Gadget', 'g', 'a', 'example.com/v1'),
          obj('Thing', 't', undefined, 'other.io/v1'),
          obj('Thing', 't', 'a', 'other.io/v1'),
          crd('Widget', 'Cluster'),
          crd('Gadget', 'Namespaced')
        ])
      ],
      settingsWith(),
      meta
    );
    expect(l.diagnostics).toEqual([]);
    expect(paths(l).filter((p) => /\.(x|w|g|t)\.yml$/.test(p))).toEqual([
      'out/ClusterRole._cluster.x.yml',
      'out/ClusterRole.odd.x.yml',
      'out/Gadget._no-namespace.g.yml',
      'out/Gadget.a.g.yml',
      'out/Thing._no-namespace.t.yml',
      'out/Thing.a.t.yml',
      'out/Widget._cluster.w.yml',
      'out/Widget.a.w.yml'
    ]);
  });

  it('adds the group when the namespace is not enough (core for the core group)', () => {
    const l = layoutWet(
      [unitResult('u', 'out', [obj('Event', 'e', 'ns', 'v1'), obj('Event', 'e', 'ns', 'events.k8s.io/v1'), obj('Event', 'e', 'other', 'v1')])],
      settingsWith(),
      meta
    );
    expect(l.diagnostics).toEqual([]);
    expect(paths(l)).toEqual([INDEX_PATH, 'out/Event.core.ns.e.yml', 'out/Event.events.k8s.io.ns.e.yml', 'out/Event.other.e.yml']);
  });

  it('treats names equal ignoring ASCII case as colliding', () => {
    const l = layoutWet([unitResult('u', 'out', [obj('Role', 'Admin', 'a', 'rbac.authorization.k8s.io/v1'), obj('Role', 'admin', 'b', 'rbac.authorization.k8s.io/v1')])], settingsWith(), meta);
    expect(l.diagnostics).toEqual([]);
    expect(paths(l)).toEqual([INDEX_PATH, 'out/Role.a.Admin.yml', 'out/Role.b.admin.yml']);
  });

  it('reports identities that differ only in case as an error', () => {
    const l = layoutWet([unitResult('u', 'out', [obj('Role', 'Admin', 'a'), obj('Role', 'admin', 'a'), obj('Role', 'x', 'a')])], settingsWith(), meta);
    expect(l.diagnostics).toHaveLength(1);
    expect(l.diagnostics[0]!.message).toContain('differ only in case');
    expect(l.diagnostics[0]!.unit).toBe('kubernetes:u');
    expect(paths(l)).toEqual([INDEX_PATH, 'out/Role.x.yml']);
  });

  it('escalates only as far as needed', () => {
    const ids = [
      { group: '', kind: 'A', namespace: '', name: 'x' },
      { group: '', kind: 'A', namespace: 'n', name: 'y' }
    ];
    expect(perResourceNames(ids).names).toEqual(['A.x.yml', 'A.y.yml']);
  });
});

describe('per-unit layout', () => {
  it('writes one manifest.yaml stream sorted by identity', () => {
    const l = layoutWet(
      [unitResult('u', 'out', [obj('Service', 'b', 'n'), obj('Deployment', 'a', 'n', 'apps/v1'), obj('ConfigMap', 'c', 'n')])],
      settingsWith({ layout: 'per-unit' }),
      meta
    );
    expect(paths(l)).toEqual([INDEX_PATH, 'out/manifest.yaml']);
    const text = l.files[1]!.content;
    const kinds = [...text.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
    expect(kinds).toEqual(['ConfigMap', 'Service', 'Deployment']);
    expect(text.split('---\n')).toHaveLength(3);
    expect(l.index.units['kubernetes:u']!.paths).toEqual(['out/manifest.yaml']);
  });
});

describe('artifacts, attributes and path collisions', () => {
  it('copies artifacts verbatim and writes .gitattributes per unit', () => {
    const l = layoutWet(
      [unitResult('u', 'out', [obj('ConfigMap', 'c', 'n')], { artifacts: [{ path: 'extra/README.txt', content: 'raw\r\ntext', source: 'u/README.txt' }] })],
      settingsWith({ generatedAttributes: true }),
      meta
    );
    expect(l.diagnostics).toEqual([]);
    expect(paths(l)).toEqual([INDEX_PATH, 'out/.gitattributes', 'out/ConfigMap.c.yml', 'out/extra/README.txt']);
    expect(l.files.find((f) => f.path === 'out/extra/README.txt')!.content).toBe('raw\r\ntext');
    expect(l.files.find((f) => f.path === 'out/.gitattributes')!.content).toBe('* linguist-generated=true\n');
    expect(l.index.units['kubernetes:u']!.paths).toEqual(['out/.gitattributes', 'out/ConfigMap.c.yml', 'out/extra/README.txt']);
  });

  it('writes no .gitattributes for a unit at the root', () => {
    const l = layoutWet([unitResult('u', '', [obj('ConfigMap', 'c', 'n')])], settingsWith({ generatedAttributes: true }), meta);
    expect(paths(l)).toEqual([INDEX_PATH, 'ConfigMap.c.yml']);
  });

  it('reports an artifact colliding with a resource file, naming unit and source', () => {
    const l = layoutWet(
      [unitResult('u', 'out', [obj('ConfigMap', 'c', 'n')], { artifacts: [{ path: 'configmap.C.yml', content: 'x', source: 'u/files/cm.yml' }] })],
      settingsWith(),
      meta
    );
    expect(l.diagnostics).toHaveLength(1);
    expect(l.diagnostics[0]).toMatchObject({ severity: 'error', unit: 'kubernetes:u', file: 'u/files/cm.yml' });
    expect(l.diagnostics[0]!.message).toContain('artifact from u/files/cm.yml');
    expect(l.diagnostics[0]!.message).toContain('only in case');
  });

  it('reports two units writing the same path', () => {
    const l = layoutWet([unitResult('a', 'same', [obj('ConfigMap', 'c')]), unitResult('b', 'same', [obj('ConfigMap', 'c')])], settingsWith(), meta);
    expect(l.diagnostics).toHaveLength(1);
    expect(l.diagnostics[0]!.message).toContain('unit kubernetes:a');
    expect(l.diagnostics[0]!.unit).toBe('kubernetes:b');
  });

  it('rejects unsafe artifact paths and the reserved index folder', () => {
    const l = layoutWet(
      [
        unitResult('u', 'out', [], { artifacts: [{ path: '../escape', content: 'x', source: 'u/a' }, { path: '/abs', content: 'x', source: 'u/b' }] }),
        unitResult('v', '.hydrate', [obj('ConfigMap', 'c')])
      ],
      settingsWith(),
      meta
    );
    expect(l.diagnostics.map((d) => d.unit)).toEqual(['kubernetes:u', 'kubernetes:u', 'kubernetes:v']);
    expect(paths(l)).toEqual([INDEX_PATH]);
  });

  it('skips failed units', () => {
    const l = layoutWet([unitResult('a', 'a', [obj('ConfigMap', 'c')], { status: 'failed' }), unitResult('b', 'b', [obj('ConfigMap', 'c')])], settingsWith(), meta);
    expect(paths(l)).toEqual([INDEX_PATH, 'b/ConfigMap.c.yml']);
    expect(Object.keys(l.index.units)).toEqual(['kubernetes:b']);
  });
});

describe('determinism', () => {
  it('is byte-identical whatever the order of results and resources', () => {
    const objects = [
      obj('ConfigMap', 'cfg', 'a'),
      obj('ConfigMap', 'cfg', 'b'),
      obj('Deployment', 'web', 'a', 'apps/v1', { spec: { replicas: 2 } }),
      obj('Service', 'web', 'a'),
      obj('Event', 'e', 'a', 'events.k8s.io/v1'),
      obj('Event', 'e', 'a', 'v1')
    ];
    const build = (order: number[][], unitOrder: number[], layout: 'per-resource' | 'per-unit') => {
      const results = [
        unitResult('x', 'x', order[0]!.map((i) => objects[i]!), { coordinates: { z: '1', a: '2' } }),
        unitResult('y', 'y', order[1]!.map((i) => objects[i]!)),
        unitResult('z', 'z', order[2]!.map((i) => objects[i]!), { artifacts: [{ path: 'b.txt', content: 'b', source: 'z/b' }, { path: 'a.txt', content: 'a', source: 'z/a' }] })
      ];
      return layoutWet(unitOrder.map((i) => results[i]!), settingsWith({ layout, generatedAttributes: true }), { ...meta, dryCommit: 'abc' });
    };
    const identity = [0, 1, 2, 3, 4, 5];
    const perm = fc.shuffledSubarray(identity, { minLength: 6, maxLength: 6 });
    for (const layout of ['per-resource', 'per-unit'] as const) {
      const expected = JSON.stringify(build([identity, identity, identity], [0, 1, 2], layout));
      fc.assert(
        fc.property(perm, perm, perm, fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }), (a, b, c, u) => {
          expect(JSON.stringify(build([a, b, c], u, layout))).toBe(expected);
        }),
        { numRuns: 100 }
      );
    }
  });
});

describe('wet index', () => {
  it('records units and serializes with sorted keys', () => {
    const l = layoutWet(
      [unitResult('b', 'b', [obj('ConfigMap', 'c')], { digest: 'd2', volatile: true, coordinates: { z: '1', a: '2' } }), unitResult('a', 'a', [obj('ConfigMap', 'c')], { digest: 'd1' })],
      settingsWith(),
      { generator: 'hydrate/1.2.3', dryCommit: 'abc', configDigest: 'cfg' }
    );
    const text = l.files.find((f) => f.path === INDEX_PATH)!.content;
    expect(text).toBe(serializeIndex(l.index));
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('"kubernetes:a"')).toBeLessThan(text.indexOf('"kubernetes:b"'));
    expect(text.indexOf('"a": "2"')).toBeLessThan(text.indexOf('"z": "1"'));
    expect(text.indexOf('"configDigest"')).toBeLessThan(text.indexOf('"dryCommit"'));
    expect(l.index.units['kubernetes:b']).toEqual({
      renderer: 'kubernetes', dir: 'b', coordinates: { z: '1', a: '2' }, output: 'b', paths: ['b/ConfigMap.c.yml'], digest: 'd2', resources: 1, volatile: true,
      // What hydrate wrote, so that pruning can tell its files from edited ones.
      hashes: { 'b/ConfigMap.c.yml': createHash('sha256').update(l.files.find((f) => f.path === 'b/ConfigMap.c.yml')!.content).digest('hex') }
    });
    expect(l.index.units['kubernetes:a']!.volatile).toBeUndefined();
    const back = parseIndex(text, INDEX_PATH);
    expect(back).toEqual(l.index);
    expect(serializeIndex(back)).toBe(text);
  });

  it.each([
    ['not json', '{', 'not JSON'],
    ['wrong version', JSON.stringify({ version: 2, generator: 'g', units: {} }), 'version'],
    ['unsafe path', JSON.stringify({ version: 1, generator: 'g', units: { u: { renderer: 'kubernetes', dir: 'd', coordinates: {}, output: 'o', paths: ['../../etc/passwd'], digest: 'x' } } }), 'unsafe path'],
    ['bad renderer', JSON.stringify({ version: 1, generator: 'g', units: { u: { renderer: 'helm', dir: 'd', coordinates: {}, output: 'o', paths: [], digest: 'x' } } }), 'renderer']
  ])('rejects an invalid index (%s)', (_name, text, why) => {
    let caught: unknown;
    try {
      parseIndex(text, INDEX_PATH);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(HydrateError);
    const d = (caught as HydrateError).diagnostics[0]!;
    expect(d.file).toBe(INDEX_PATH);
    expect(d.message).toMatch(new RegExp(`^wet index \\.hydrate/index\\.json is invalid: .*${why}.*; restore it from an earlier commit of the wet tree \\(git checkout <commit> -- \\.hydrate/index\\.json\\), or delete it together with the folders hydrate renders into, then run again$`));
  });
});

describe('naming properties', () => {
  it('gives distinct names ignoring case, or reports the objects', () => {
    const part = fc.constantFrom('a', 'A', 'b');
    const id = fc.record({ group: fc.constantFrom('', 'apps', 'x.io'), kind: fc.constantFrom('Kind', 'kind'), namespace: fc.constantFrom('', 'n', 'N'), name: part });
    fc.assert(
      fc.property(fc.uniqueArray(id, { selector: (i) => `${i.group}/${i.kind}/${i.namespace}/${i.name}`, maxLength: 12 }), (ids) => {
        const { names, collisions } = perResourceNames(ids);
        const given = names.filter((n): n is string => n !== undefined);
        expect(new Set(given.map((n) => n.toLowerCase())).size).toBe(given.length);
        const reported = new Set(collisions.flat());
        names.forEach((n, i) => {
          expect(n === undefined).toBe(reported.has(i));
          if (n !== undefined) expect(n.startsWith(`${ids[i]!.kind}.`) && n.endsWith(`.${ids[i]!.name}.yml`)).toBe(true);
        });
      }),
      { numRuns: 300 }
    );
  });
});

describe('file and folder clashes', () => {
  it('reports a path that is a file of one unit and a folder of another', () => {
    const l = layoutWet(
      [unitResult('a', 'x', [], { artifacts: [{ path: 'y', content: 'f', source: 'a/y' }] }), unitResult('b', 'x/y', [obj('ConfigMap', 'c')])],
      settingsWith(),
      meta
    );
    expect(l.diagnostics).toHaveLength(1);
    expect(l.diagnostics[0]!.message).toContain('x/y is a file');
  });

  it('writes no manifest for a unit without objects in per-unit layout', () => {
    const l = layoutWet([unitResult('a', 'x', [])], settingsWith({ layout: 'per-unit' }), meta);
    expect(paths(l)).toEqual([INDEX_PATH]);
    expect(l.index.units['kubernetes:a']!.paths).toEqual([]);
  });
});

describe('serializeIndex', () => {
  /** The stored form by its definition: keys sorted at every level (undefined left out), 2-space JSON, a newline. */
  const reference = (value: unknown): string => {
    const sort = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(sort);
      if (typeof v !== 'object' || v === null) return v;
      const out = Object.create(null) as Record<string, unknown>;
      for (const k of Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined) out[k] = sort(x);
      }
      return out;
    };
    return `${JSON.stringify(sort(value), null, 2)}\n`;
  };

  it('writes keys sorted at every level, whatever order records were built in, sorted or not (property)', () => {
    // Keys that sort differently as strings and as array indexes, and values of every kind a record holds.
    const key = fc.oneof(fc.constantFrom('10', '9', '2', 'a', 'B', 'b', '_', 'a/b', 'a-b', '\u00e9'), fc.string({ maxLength: 4 }));
    const leaf = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(undefined));
    const record = fc.dictionary(key, leaf, { maxKeys: 8 });
    const entry = fc.record({
      renderer: fc.constant('kubernetes'),
      paths: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      closure: fc.oneof(record, record.map((r) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))),
      hashes: record,
      coordinates: record,
      volatile: fc.option(fc.boolean(), { nil: undefined })
    });
    fc.assert(
      fc.property(fc.dictionary(key, entry, { maxKeys: 5 }), fc.option(fc.string(), { nil: undefined }), (units, dryCommit) => {
        const index = { version: 1, generator: 'g', dryCommit, units } as unknown as Parameters<typeof serializeIndex>[0];
        expect(serializeIndex(index)).toBe(reference(index));
      })
    );
  });
});

describe('checkWetPath', () => {
  /** The rules one by one, in the order the messages are chosen. */
  const reference = (p: string): string | undefined => {
    if (p === '') return 'path is empty';
    if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return `path "${p}" is absolute`;
    if (p.includes('\\')) return `path "${p}" contains a backslash`;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(p)) return `path ${JSON.stringify(p)} contains a control character`;
    for (const segment of p.split('/')) {
      if (segment === '') return `path "${p}" has an empty segment`;
      if (segment === '.' || segment === '..') return `path "${p}" contains a \`${segment}\` segment`;
    }
    return undefined;
  };

  it('accepts and refuses what the rules say, with their message (property)', () => {
    const char = fc.constantFrom('a', 'B', '.', '/', '\\', ':', 'C', ' ', '-', '\u0000', '\u001f', '\u007f', '\u00e9', '\n');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 12 }).map((cs) => cs.join('')), (p) => {
        expect(checkWetPath(p)).toBe(reference(p));
      }),
      { numRuns: 5000 }
    );
    for (const p of ['a/b.yml', 'x/.gitattributes', '..a/b', 'a/..b', 'a/b..', 'C:/x', 'c:x', './a', 'a/.', 'a/../b', 'a//b', 'a/', '.hydrate/index.json']) {
      expect([p, checkWetPath(p)]).toEqual([p, reference(p)]);
    }
  });
});
