import { hydrateConfig } from '../../src/settings/schema/config.js';
import type { Settings } from '../../src/settings/settings.js';
import type { Artifact, UnitResult } from '../../src/render/renderer.js';
import type { KubeObject } from '../../src/resources/resource.js';

export function settingsWith(wet: { layout?: 'per-resource' | 'per-unit'; generatedAttributes?: boolean } = {}): Settings {
  return {
    repoRoot: '/repo',
    configPath: 'hydrate.yaml',
    config: hydrateConfig.parse({ wet: { layout: wet.layout ?? 'per-resource', generatedAttributes: wet.generatedAttributes ?? false } }),
    only: [],
    full: false,
    concurrency: 1,
    toolMemoryMiB: 512
  };
}

export function obj(kind: string, name: string, namespace?: string, apiVersion = 'v1', extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: namespace === undefined ? { name } : { name, namespace },
    ...extra
  };
}

export function unitResult(
  dir: string,
  output: string,
  objects: KubeObject[],
  opts: { artifacts?: Artifact[]; status?: UnitResult['status']; digest?: string; volatile?: boolean; coordinates?: Record<string, string> } = {}
): UnitResult {
  const id = `kubernetes:${dir}`;
  const r: UnitResult = {
    unit: { id, renderer: 'kubernetes', entry: 0, dir, coordinates: opts.coordinates ?? {}, output },
    status: opts.status ?? 'rendered',
    resources: objects.map((object) => ({ object, unit: id, source: { file: `${dir}/kustomization.yaml` } })),
    artifacts: opts.artifacts ?? [],
    diagnostics: [],
    digest: opts.digest ?? `sha256:${dir}`
  };
  if (opts.volatile) r.volatile = true;
  return r;
}

export const meta = { generator: 'hydrate/test' };
