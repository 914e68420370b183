/**
 * How a Kubernetes unit is rendered, decided from what its directory holds (or the entry's
 * `type`). One detector, used by the renderer and by the incremental planner's input digest, so
 * the two can never disagree about a unit.
 */
import { posix } from 'node:path';
import type { Unit } from '../../dry/unit.js';
import type { FileReader } from '../../ports.js';
import { isRecord } from '../../resources/resource.js';
import type { KubernetesEntry } from '../../settings/schema/kubernetes.js';
import { parsePositioned } from './yaml-positions.js';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

export type DetectedUnitType =
  | { type: 'kustomize'; file: string }
  | { type: 'helm'; file: string }
  /** A Helm chart directory (`Chart.yaml`), rendered as Argo CD renders a chart source. */
  | { type: 'chart'; file: string; releaseFile: string }
  | { type: 'plain'; releaseFile: string }
  /** The entry asks for a type whose marker file is missing. */
  | { type: 'missing'; want: 'kustomize' | 'helm' | 'chart'; file: string };

/** The release file of a unit: the entry's `helm.releaseFile` with `{dir}` replaced. */
export function releaseFileOf(entry: KubernetesEntry, unit: Pick<Unit, 'dir'>): string {
  return entry.helm.releaseFile.split('{dir}').join(unit.dir);
}

/** The kustomization file of a directory (repository-relative), or undefined. */
export async function kustomizationFileIn(files: FileReader, repoRoot: string, dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const rel = dir === '' ? name : `${dir}/${name}`;
    if ((await files.lstat(posix.join(repoRoot, rel)))?.kind === 'file') return rel;
  }
  return undefined;
}

export async function detectUnitType(
  files: FileReader,
  repoRoot: string,
  unit: Pick<Unit, 'dir'>,
  entry: KubernetesEntry
): Promise<DetectedUnitType> {
  const want = entry.type;
  const releaseFile = releaseFileOf(entry, unit);
  if (want === 'auto' || want === 'kustomize') {
    const file = await kustomizationFileIn(files, repoRoot, unit.dir);
    if (file) return { type: 'kustomize', file };
    if (want === 'kustomize') return { type: 'missing', want, file: unit.dir };
  }
  if (want === 'auto' || want === 'helm') {
    const abs = posix.join(repoRoot, releaseFile);
    if ((await files.lstat(abs)) !== undefined) {
      if (want === 'helm') return { type: 'helm', file: releaseFile };
      let text: string;
      try {
        text = await files.readFile(abs);
      } catch {
        // Unreadable (or not UTF-8): rendering it as a release reports the error with the file.
        return { type: 'helm', file: releaseFile };
      }
      const v = parsePositioned(text).value;
      if (isRecord(v) && 'chart' in v) return { type: 'helm', file: releaseFile };
    } else if (want === 'helm') {
      return { type: 'missing', want, file: releaseFile };
    }
  }
  if (want === 'auto' || want === 'chart') {
    const file = unit.dir === '' ? 'Chart.yaml' : `${unit.dir}/Chart.yaml`;
    if ((await files.lstat(posix.join(repoRoot, file)))?.kind === 'file') return { type: 'chart', file, releaseFile };
    if (want === 'chart') return { type: 'missing', want, file };
  }
  return { type: 'plain', releaseFile };
}
