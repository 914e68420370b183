/** The input digest of a Helm release unit covers the files the seed-system keys make it read. */
import { describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import type { Unit } from '../../src/dry/unit.js';
import { unitInputDigest } from '../../src/pipeline/incremental.js';
import { makeInput, tempRepo } from '../render/kubernetes/fixtures.js';

const UNIT: Unit = { id: 'kubernetes:k/c/t/prod', renderer: 'kubernetes', entry: 0, dir: 'k/c/t/prod', coordinates: { cluster: 'c', tenant: 't', env: 'prod' }, output: 'c/t/prod' };

describe('Helm release input digest', () => {
  it('changes with the named patches library, the entry capabilities and coordinate mode, and not with an unrelated file', async () => {
    const repo = await tempRepo({
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'k/c/t/prod.yaml': 'chart: ../../../charts/app\nversion: 0.1.0\npatches: [team]\n',
      'k/c/t/prod/values.yaml': 'a: 1\n',
      'lib/kustomizations/json_patches.yaml': 'team:\n  - target: {kind: ConfigMap}\n    patch: [{op: add, path: /metadata/labels/team, value: a}]\n',
      'unrelated/file.yaml': 'x: 1\n'
    });
    try {
      const files = createFileReader();
      const entry = { match: 'k/{cluster}/{tenant}/{env}', output: '{cluster}/{tenant}/{env}' };
      const digest = async (helm: Record<string, unknown> = {}) =>
        unitInputDigest(UNIT, makeInput(repo.root, { kubernetes: [{ ...entry, helm }] }, []).settings, files, 'tools');
      const first = await digest();
      expect(first.volatile).toBe(false);
      await writeFile(join(repo.root, 'unrelated/file.yaml'), 'x: 2\n');
      expect((await digest()).digest).toBe(first.digest);
      await writeFile(join(repo.root, 'lib/kustomizations/json_patches.yaml'), 'team:\n  - target: {kind: ConfigMap}\n    patch: [{op: add, path: /metadata/labels/team, value: b}]\n');
      const edited = (await digest()).digest;
      expect(edited).not.toBe(first.digest);
      const variants = [
        edited,
        (await digest({ kubeVersion: '1.29' })).digest,
        (await digest({ apiVersions: ['a.io/v1'] })).digest,
        (await digest({ coordinateValues: 'none' })).digest
      ];
      expect(new Set(variants).size).toBe(variants.length);
    } finally {
      await repo.cleanup();
    }
  });
});
