/** The diff for a terminal: one line per resource, field changes indented, totals last. */
import { describeIdentity } from '../resources/resource.js';
import { isNoise, type DiffReport, type ResourceChange } from '../diff/wet-diff.js';
import { headlineIsEmpty, headlineOf } from './headline.js';
import { escapeLine } from './escape.js';

const SIGN: Record<ResourceChange['kind'], string> = { added: '+', changed: '~', removed: '-' };

/** One line, control characters escaped (names and values come from the dry tree). */
function oneLine(s: string): string {
  return escapeLine(s.replace(/\r?\n|\r/g, '↵'));
}

function headlineText(report: DiffReport): string[] {
  const h = headlineOf(report);
  if (headlineIsEmpty(h)) return [];
  const out: string[] = [];
  const list = (xs: readonly string[]): string => (xs.length > 10 ? `${xs.slice(0, 10).join(', ')} … and ${xs.length - 10} more` : xs.join(', '));
  if (h.deleted.length > 0) out.push(`! ${h.deleted.length} object${h.deleted.length === 1 ? '' : 's'} will be deleted from the cluster: ${list(h.deleted)}`);
  if (h.namespacesCreated.length > 0) out.push(`! namespaces created: ${list(h.namespacesCreated)}`);
  if (h.namespacesDeleted.length > 0) out.push(`! namespaces deleted: ${list(h.namespacesDeleted)}`);
  if (h.crds.length > 0) out.push(`! CRDs changed: ${list(h.crds)}`);
  if (h.rbac.length > 0) out.push(`! RBAC changed: ${list(h.rbac)}`);
  if (h.images.length > 0) out.push(`! images changed: ${list(h.images.map((i) => `${i.from} → ${i.to} (${i.objects})`))}`);
  if (h.scaledToZero.length > 0) out.push(`! scaled to zero: ${list(h.scaledToZero)}`);
  return [...out, ''];
}

export function formatDiffText(report: DiffReport): string {
  const lines: string[] = headlineText(report);
  for (const u of report.units) {
    if (u.status === 'failed') {
      lines.push(`${oneLine(u.unit)}: render failed (previous output kept)`);
      continue;
    }
    const status = u.status === 'ok' ? '' : ` (${u.status})`;
    lines.push(`${oneLine(u.unit)}${status}: +${u.added} ~${u.changed} -${u.removed}`);
    const noise = u.resources.filter(isNoise);
    if (noise.length > 0) lines.push(`  ~ ${noise.length} object${noise.length === 1 ? '' : 's'} changed only in ignored fields: ${noise.map((r) => oneLine(describeIdentity(r.id))).join(', ')}`);
    for (const r of u.resources) {
      if (isNoise(r)) continue;
      lines.push(`  ${SIGN[r.kind]} ${oneLine(describeIdentity(r.id))}${r.ignored ? ` (${r.ignored} ignored field${r.ignored === 1 ? '' : 's'})` : ''}`);
      for (const f of r.fields) {
        if (f.reordered) {
          lines.push(`      ${f.path}: reordered: ${oneLine(f.from ?? '')} → ${oneLine(f.to ?? '')}`);
          continue;
        }
        const from = f.from === undefined ? '(none)' : oneLine(f.from);
        const to = f.to === undefined ? '(none)' : oneLine(f.to);
        lines.push(`      ${oneLine(f.path)}: ${from} → ${to}`);
      }
    }
    for (const p of u.files.added) lines.push(`  + file ${oneLine(p)}`);
    for (const p of u.files.changed) lines.push(`  ~ file ${oneLine(p)}`);
    for (const p of u.files.removed) lines.push(`  - file ${oneLine(p)}`);
  }
  const t = report.totals;
  if (report.units.length === 0) lines.push('No changes.');
  else
    lines.push(
      `Total: objects ${t.added} added, ${t.changed} changed, ${t.removed} removed; in ${t.units} unit${t.units === 1 ? '' : 's'}${t.failed > 0 ? ` (${t.failed} failed)` : ''}`
    );
  return `${lines.join('\n')}\n`;
}
