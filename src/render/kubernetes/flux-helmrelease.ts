/**
 * Flux HelmReleases (`helm.toolkit.fluxcd.io/v2`) in a Flux unit's output whose chart is local —
 * `spec.chart.spec.chart` a path of the GitRepository `flux-system` or one the entry's `flux.sources`
 * names (this repository) — are
 * rendered as helm-controller renders them, and replace the HelmRelease object in the wet tree:
 *
 * - release name `spec.releaseName`, else `[<targetNamespace>-]<name>`; namespace
 *   `spec.targetNamespace`, else the object's;
 * - chart values: `spec.chart.spec.valuesFiles` (paths of the repository) merged in order in place
 *   of the chart's values.yaml (as source-controller packages the chart), else its values.yaml;
 * - then `spec.valuesFrom` in order (ConfigMaps in the unit's own output, else in the YAML below the
 *   folder of the Kustomization's cluster; `valuesKey` default `values.yaml`; `targetPath` sets one
 *   value at a dotted path), then `spec.values`;
 * - CRDs unless `install.crds: Skip`.
 *
 * A chart from a HelmRepository, an OCIRepository, `chartRef` or another GitRepository stays an
 * object, with a notice (helm-controller renders it in the cluster); so does a release with
 * `postRenderers`. A valuesFrom Secret, or a ConfigMap found nowhere, cannot be resolved offline:
 * an error at the HelmRelease's file and line (a warning when `optional`, then left out).
 */
import { posix } from 'node:path';
import { isRecord } from '../../resources/resource.js';
import { readYaml } from '../../resources/yaml-positions.js';
import type { FoundObject } from '../../dry/engines/flux.js';

export interface HelmReleaseRender {
  chart: string;
  releaseName: string;
  namespace: string;
  /** Repository paths replacing the chart's values.yaml, merged in order (empty: the chart's own). */
  valuesFiles: string[];
  /** valuesFrom layers, then spec.values, in merge order. */
  layers: Record<string, unknown>[];
  includeCrds: boolean;
}

export type HelmReleasePlan =
  | { kind: 'keep'; reason: string }
  | { kind: 'problems'; errors: string[]; warnings: string[] }
  | ({ kind: 'render'; warnings: string[] } & HelmReleaseRender);

export const isHelmRelease = (o: Record<string, unknown>): boolean =>
  o['kind'] === 'HelmRelease' && typeof o['apiVersion'] === 'string' && o['apiVersion'].startsWith('helm.toolkit.fluxcd.io/');

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `a.b.c` → `{a: {b: {c: value}}}`; undefined for paths with brackets or escapes Hydrate does not read. */
function atPath(path: string, value: unknown): Record<string, unknown> | undefined {
  if (!/^[^.[\]\\]+(\.[^.[\]\\]+)*$/.test(path)) return undefined;
  const keys = path.split('.');
  let out: Record<string, unknown> = { [keys[keys.length - 1]!]: value };
  for (let i = keys.length - 2; i >= 0; i--) out = { [keys[i]!]: out };
  return out;
}

/**
 * What to do with one HelmRelease. `rendered` are the unit's objects (for valuesFrom ConfigMaps
 * it generates), `below` the YAML objects below the cluster's folder (read on demand).
 */
export async function planHelmRelease(
  hr: Record<string, unknown>,
  rendered: readonly Record<string, unknown>[],
  below: () => Promise<readonly FoundObject[]>,
  ownSources: readonly string[] = []
): Promise<HelmReleasePlan> {
  const meta = isRecord(hr['metadata']) ? hr['metadata'] : {};
  const spec = isRecord(hr['spec']) ? hr['spec'] : {};
  const name = str(meta['name']) ?? '';
  const chartBlock = isRecord(spec['chart']) && isRecord(spec['chart']['spec']) ? spec['chart']['spec'] : undefined;
  if (!chartBlock) return { kind: 'keep', reason: spec['chartRef'] !== undefined ? 'its chart is a chartRef (an OCIRepository or HelmChart in the cluster)' : 'it names no chart' };
  const ref = isRecord(chartBlock['sourceRef']) ? chartBlock['sourceRef'] : {};
  if (ref['kind'] !== 'GitRepository' || (ref['name'] !== 'flux-system' && !ownSources.includes(String(ref['name'])))) {
    return { kind: 'keep', reason: `its chart comes from ${String(ref['kind'] ?? 'no source')} ${String(ref['name'] ?? '')}, not this repository` };
  }
  if (spec['postRenderers'] !== undefined) return { kind: 'keep', reason: 'it has postRenderers, which Hydrate does not apply offline' };
  const errors: string[] = [];
  const warnings: string[] = [];
  const chart = posix.normalize(String(chartBlock['chart'] ?? '').replace(/^(\.\/)+/, '').replace(/\/+$/, ''));
  const targetNamespace = str(spec['targetNamespace']);
  const namespace = targetNamespace ?? str(meta['namespace']) ?? 'default';
  const releaseName = str(spec['releaseName']) ?? (targetNamespace ? `${targetNamespace}-${name}` : name);
  if (releaseName.length > 53) errors.push(`release name ${releaseName} is longer than 53 characters (helm-controller shortens it with a hash): set spec.releaseName`);
  const valuesFiles = Array.isArray(chartBlock['valuesFiles']) ? chartBlock['valuesFiles'].map((v) => posix.normalize(String(v).replace(/^(\.\/)+/, ''))) : [];
  const layers: Record<string, unknown>[] = [];
  const from = Array.isArray(spec['valuesFrom']) ? spec['valuesFrom'] : [];
  for (const v of from) {
    if (!isRecord(v)) continue;
    const kind = String(v['kind']);
    const refName = String(v['name']);
    const key = str(v['valuesKey']) ?? 'values.yaml';
    const optional = v['optional'] === true;
    const missing = (why: string): void => {
      (optional ? warnings : errors).push(`valuesFrom ${kind} ${refName}${optional ? ' (optional, left out)' : ''}: ${why}`);
    };
    if (kind === 'Secret') {
      missing('Secret values are never read offline; move the values to a ConfigMap in the repository or to spec.values');
      continue;
    }
    if (kind !== 'ConfigMap') {
      missing('not a ConfigMap or Secret');
      continue;
    }
    // valuesFrom reads the HelmRelease's own namespace.
    const own = str(meta['namespace']) ?? 'default';
    const isIt = (o: Record<string, unknown>): boolean =>
      o['kind'] === 'ConfigMap' && isRecord(o['metadata']) && o['metadata']['name'] === refName && (str(o['metadata']['namespace']) ?? own) === own;
    const cm = rendered.find(isIt) ?? (await below()).find((f) => isIt(f.object))?.object;
    if (!cm) {
      missing('not found in the unit\'s output nor in the repository below the cluster\'s folder');
      continue;
    }
    const data = isRecord(cm['data']) ? cm['data'] : {};
    const raw = data[key];
    if (typeof raw !== 'string') {
      missing(`has no data key ${key}`);
      continue;
    }
    const target = str(v['targetPath']);
    if (target) {
      const layer = atPath(target, raw);
      if (!layer) errors.push(`valuesFrom ${kind} ${refName}: targetPath ${target} uses brackets or escapes, which Hydrate does not read`);
      else layers.push(layer);
      continue;
    }
    const read = readYaml(raw, '1.1');
    const doc = read.documents[0]?.value;
    if (read.problems.length > 0 || (doc !== undefined && doc !== null && !isRecord(doc))) {
      errors.push(`valuesFrom ${kind} ${refName} key ${key} is not a YAML mapping${read.problems[0] ? `: ${read.problems[0].message}` : ''}`);
      continue;
    }
    if (isRecord(doc)) layers.push(doc);
  }
  if (spec['values'] !== undefined) {
    if (isRecord(spec['values'])) layers.push(spec['values']);
    else errors.push('spec.values is not a mapping');
  }
  if (errors.length > 0) return { kind: 'problems', errors, warnings };
  const install = isRecord(spec['install']) ? spec['install'] : {};
  return { kind: 'render', warnings, chart, releaseName, namespace, valuesFiles, layers, includeCrds: install['crds'] !== 'Skip' };
}

/** The dry file and line of a HelmRelease named `name` (or with the unit's namePrefix/nameSuffix taken off) among `objects`. */
export function locateHelmRelease(name: string, objects: readonly FoundObject[], prefix = '', suffix = ''): FoundObject | undefined {
  const names = new Set([name]);
  if (name.startsWith(prefix) && name.endsWith(suffix)) names.add(name.slice(prefix.length, name.length - suffix.length));
  return objects.find((f) => isHelmRelease(f.object) && isRecord(f.object['metadata']) && names.has(String(f.object['metadata']['name'])));
}
