/** Where a kubernetes unit may pin images: its kustomization or Helm release file, and a per-unit `images.yaml`. */
import type { FileReader } from '../../ports.js';
import type { Settings } from '../../settings/settings.js';
import type { Unit } from '../../dry/unit.js';
import type { PinSource } from '../renderer.js';
import { detectUnitType } from './unit-type.js';

const IMAGES_FILES = ['images.yaml', 'images.yml'];

export async function kubernetesPinSources(unit: Unit, settings: Settings, files: FileReader): Promise<PinSource[]> {
  const entry = settings.config.kubernetes[unit.entry];
  if (!entry) return [];
  const out: PinSource[] = [];
  const type = await detectUnitType(files, settings.repoRoot, unit, entry);
  if (type.type === 'kustomize') out.push({ role: 'kustomization', path: type.file });
  else if (type.type === 'helm') out.push({ role: 'release', path: type.file });
  for (const name of IMAGES_FILES) out.push({ role: 'images', path: `${unit.dir}/${name}` });
  return out;
}
