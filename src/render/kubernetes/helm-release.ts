/**
 * Helm release files (seed layout: `kubernetes/<cluster>/<tenant>/<env>.yaml` next to the
 * unit directory `<env>/`, which holds the values files).
 */
import * as z from 'zod';
import { targetedPatch } from '../../settings/schema/common.js';
import { releaseExtensions } from './helm-options.js';

/** A pinned chart version: exact semver, no ranges (`^`, `~`, `*`, `x`, `>`, `<`, `=`, `||`). */
const PINNED_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** True when `version` pins a chart to one exact version (no range). */
export function isPinnedVersion(version: string): boolean {
  return PINNED_VERSION.test(version);
}

export const helmRelease = z
  .object({
    chart: z
      .string()
      .min(1)
      .describe('`<repo>/<name>` with `repository`, `oci://…`, or a local path starting with ./ or ../ (relative to the release file)'),
    version: z
      .string({ error: 'version is required: pin the chart to an exact version, e.g. "1.2.3"' })
      .regex(PINNED_VERSION, 'version must be pinned to an exact version like "1.2.3" (no ranges such as ^, ~, *, x, >)'),
    repository: z.string().min(1).optional(),
    releaseName: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).optional(),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).optional(),
    valuesFiles: z.array(z.string().min(1)).optional().describe('Values files relative to the unit directory, in this order'),
    set: z
      .array(z.object({ name: z.string().min(1), value: z.union([z.string(), z.number(), z.boolean()]) }).strict())
      .default([]),
    extraPatches: z.array(targetedPatch).default([]),
    // Seed-system keys (helmfile state values) and render-time capabilities: see helm-options.ts.
    ...releaseExtensions
  })
  .strict();

export type HelmRelease = z.infer<typeof helmRelease>;

/** True when `chart` names a local chart directory (relative to the release file). */
export function isLocalChart(chart: string): boolean {
  return chart.startsWith('./') || chart.startsWith('../');
}

/** A `--set`/`--set-string` value as helm reads it back: `\\` and `,` escaped (a comma would start another assignment). */
export function helmSetValue(value: string): string {
  return value.replace(/[\\,]/g, (c) => `\\${c}`);
}

/**
 * The `helm template` arguments for a release. `chartRef` is the chart as helm should see it
 * (an absolute path for local charts); `valuesFiles` are passed with `--values` in the given
 * order, so later files override earlier ones. Strings use `--set-string` so helm never re-types
 * them. Every option is written `--name=value` and the release name and chart come after `--`,
 * so no value from a release file can be read as an option (such as `--post-renderer`): rendering
 * runs nothing but helm itself. The values are checked beforehand by `helmArgvProblems`.
 */
export function helmTemplateArgs(
  release: HelmRelease & { releaseName: string; namespace: string },
  valuesFiles: readonly string[],
  chartRef: string = release.chart
): string[] {
  const args = ['template', `--version=${release.version}`];
  if (release.repository !== undefined) args.push(`--repo=${release.repository}`);
  args.push(`--namespace=${release.namespace}`, '--include-crds');
  for (const f of valuesFiles) args.push(`--values=${f}`);
  for (const s of release.set) {
    args.push(typeof s.value === 'string' ? `--set-string=${s.name}=${helmSetValue(s.value)}` : `--set=${s.name}=${String(s.value)}`);
  }
  args.push('--', release.releaseName, chartRef);
  return args;
}
