/** The diff for a terminal: one line per resource, field changes indented, totals last. */
import { describeIdentity } from '../resources/resource.js';
import type { DiffReport, ResourceChange } from '../diff/wet-diff.js';
import { escapeLine } from './escape.js';

const SIGN: Record<ResourceChange['kind'], string> = { added: '+', changed: '~', removed: '-' };

/** One line, control characters escaped (names and values come from the dry tree). */
function oneLine(s: string): string {
  return escapeLine(s.replace(/\r?\n|\r/g, '↵'));
}

export function formatDiffText(report: DiffReport): string {
  const lines: string[] = [];
  for (const u of report.units) {
    if (u.status === 'failed') {
      lines.push(`${oneLine(u.unit)}: render failed (previous output kept)`);
      continue;
    }
    const status = u.status === 'ok' ? '' : ` (${u.status})`;
    lines.push(`${oneLine(u.unit)}${status}: +${u.added} ~${u.changed} -${u.removed}`);
    for (const r of u.resources) {
      lines.push(`  ${SIGN[r.kind]} ${oneLine(describeIdentity(r.id))}`);
      for (const f of r.fields) {
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
      `Total: ${t.added} added, ${t.changed} changed, ${t.removed} removed in ${t.units} unit${t.units === 1 ? '' : 's'}${t.failed > 0 ? ` (${t.failed} failed)` : ''}`
    );
  return `${lines.join('\n')}\n`;
}
