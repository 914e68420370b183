/**
 * Guards against deleting by accident: a config left without entries, a unit that suddenly
 * renders nothing, and a run that would delete most of what Hydrate owns all stop the run (with
 * a summary of what would go) unless the run allows mass deletion (`--allow-mass-deletion`,
 * action input `allow-mass-deletion`) or the entry allows empty units (`allowEmpty`). Pure.
 */
import type { Diagnostic } from '../diagnostics.js';
import type { UnitResult } from '../render/renderer.js';
import { cmp } from '../resources/resource.js';
import type { Settings } from '../settings/settings.js';
import type { WetPlan } from './plan.js';
import { isNeverOwned } from './wet-index.js';
import type { WetIndex } from '../formats/wet-index.js';

/** A run may delete at most this share of the files Hydrate owns (and never all of them) unless allowed. */
export const MASS_DELETION_SHARE = 0.5;
const LISTED = 20;
const HOW_TO_ALLOW = 'if this is intended, run again with --allow-mass-deletion (action input allow-mass-deletion: true)';

function counted(path: string): boolean {
  return !path.endsWith('/.gitattributes') && path !== '.gitattributes' && !isNeverOwned(path);
}

function entryCount(settings: Settings): number {
  const c = settings.config;
  return c.kubernetes.length + c.terraform.length + c.secrets.length;
}

/**
 * A config without any entry while the wet index holds units this config rendered: every one of
 * them would be pruned. `own` is the previous index without other configs' units.
 */
export function checkEmptyConfig(settings: Settings, own: WetIndex | undefined): Diagnostic[] {
  const units = Object.keys(own?.units ?? {}).length;
  if (entryCount(settings) > 0 || units === 0 || settings.allowMassDeletion) return [];
  return [
    {
      severity: 'error',
      file: settings.configPath,
      message: `${settings.configPath} has no kubernetes, terraform or secrets entries, but the wet tree holds ${units} unit(s) rendered by it: this run would delete all of them; restore the entries, or ${HOW_TO_ALLOW}`
    }
  ];
}

/**
 * Units that rendered objects before and none now, although their directory is still there, and
 * a plan deleting more than MASS_DELETION_SHARE of the owned files (or all of them). `own` is the
 * previous index without other configs' units; `next` the index the plan writes.
 */
export function checkDeletions(settings: Settings, own: WetIndex | undefined, next: WetIndex, plan: WetPlan, results: readonly UnitResult[]): Diagnostic[] {
  if (!own || settings.allowMassDeletion) return [];
  const out: Diagnostic[] = [];
  const deleted = new Set(plan.deletes.filter(counted));

  for (const r of results) {
    if (r.status === 'failed' || r.resources.length > 0) continue;
    const before = own.units[r.unit.id];
    if (!before) continue;
    // Object files (YAML) that go; an artifacts-only unit losing a non-YAML file is not "empty".
    const gone = before.paths.filter((p) => deleted.has(p) && /\.ya?ml$/.test(p));
    if (gone.length === 0) continue;
    const entry = settings.config[r.unit.renderer][r.unit.entry];
    if (entry?.allowEmpty === true) continue;
    out.push({
      severity: 'error',
      unit: r.unit.id,
      file: r.unit.dir,
      message: `unit ${r.unit.id} rendered no objects, where the wet tree holds ${gone.length} file(s) it rendered before (${gone.slice(0, 3).join(', ')}${gone.length > 3 ? ', …' : ''}); its directory ${r.unit.dir} is still there, so this looks like a mistake; set allowEmpty: true on ${r.unit.renderer}[${r.unit.entry}] if the unit may be empty, or ${HOW_TO_ALLOW}`
    });
  }

  // Nothing deleted: no share of the owned files to count.
  if (deleted.size === 0) return out;
  const owned = new Set<string>();
  for (const u of Object.values(own.units)) for (const p of u.paths) if (counted(p)) owned.add(p);
  const n = [...deleted].filter((p) => owned.has(p)).length;
  if (owned.size > 0 && n > 0 && (n === owned.size || n > owned.size * MASS_DELETION_SHARE)) {
    const removedUnits = Object.keys(own.units).filter((id) => !(id in next.units)).sort(cmp);
    const lines: string[] = [];
    for (const id of removedUnits.slice(0, LISTED)) lines.push(`unit ${id} (${own.units[id]!.paths.filter(counted).length} file(s))`);
    if (removedUnits.length > LISTED) lines.push(`… ${removedUnits.length - LISTED} more unit(s)`);
    const partly = Object.keys(own.units)
      .filter((id) => id in next.units)
      .map((id) => [id, own.units[id]!.paths.filter((p) => deleted.has(p)).length] as const)
      .filter(([, k]) => k > 0);
    for (const [id, k] of partly.slice(0, LISTED)) lines.push(`${k} file(s) of unit ${id}`);
    if (partly.length > LISTED) lines.push(`… files of ${partly.length - LISTED} more unit(s)`);
    out.push({
      severity: 'error',
      file: settings.configPath,
      message: `this run would delete ${n} of the ${owned.size} files hydrate owns in the wet tree (${Math.round((100 * n) / owned.size)} %${n === owned.size ? ', all of them' : `, more than ${MASS_DELETION_SHARE * 100} %`}): ${lines.join('; ')}; check the config (a \`match\` that no longer matches, a removed entry); ${HOW_TO_ALLOW}`
    });
  }
  return out;
}
