/**
 * The Markdown report shared by the pull-request comment and the job summary: a heading, the
 * dry commit, a summary table of units, then one `<details>` section per unit. The body is kept
 * within a character and byte budget by dropping whole sections (never cutting one in half).
 */
import { cmp, describeIdentity } from '../resources/resource.js';
import type { FieldChange, ResourceChange, UnitDiff, DiffReport } from '../diff/wet-diff.js';
import { emptyUnitDiff, isNoise } from '../diff/wet-diff.js';
import { headlineIsEmpty, headlineOf } from './headline.js';
import { escapeLine } from './escape.js';
import { markerComment } from '../ports.js';

export interface ReportContext {
  /** Distinguishes reports (e.g. one comment per target branch); rendered as a hidden marker. */
  marker: string;
  title: string;
  dryRepository?: string;
  dryCommit?: string;
  wetBranch?: string;
  /** Link to the job summary holding the full diff. */
  summaryUrl?: string;
  /** Render errors of units, shown in each unit's section. */
  failures?: { unit: string; message: string }[];
  /** Every unit of the run with its render status: a table after the sections (job summary). */
  units?: readonly UnitStatusRow[];
  /** Why the run failed, one entry each: listed last under "Hydrate failed" (job summary). */
  errors?: readonly string[];
  /** What the diff compares, when not the wet branch: e.g. "the render of the base commit `abc1234`". */
  comparedWith?: string;
  /** Check mode: how the deployed wet branch differs from the render of the base (not this change). */
  drift?: { base: string; report: DiffReport };
}

export interface UnitStatusRow {
  id: string;
  status: string;
  resources: number;
  errors: number;
}

export interface Budget {
  /** Maximum length in UTF-16 code units (never less than the number of characters). */
  maxChars: number;
  /** Maximum length in UTF-8 bytes. */
  maxBytes: number;
}

const MAX_TITLE_CHARS = 200;
const MAX_FAILURE_CHARS = 2000;
/** In the compact form of a section (used when the full one does not fit). */
const COMPACT_MAX_RESOURCES = 100;
const COMPACT_MAX_FIELDS = 20;

/** The marker line of a sticky comment (src/ports.ts: the GitHub adapter finds the comment by it). */
export { markerComment } from '../ports.js';

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${s.slice(0, end)}…`;
}

/** Text safe to put in Markdown/HTML outside code fences: no tags, no Markdown syntax, one line. */
export function escapeText(s: string): string {
  return escapeLine(s.replace(/\r?\n|\r/g, ' ↵ '))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~#!])/g, '\\$1');
}

function code(s: string): string {
  return `<code>${escapeText(s)}</code>`;
}

/** A code fence longer than any backtick run in the content. */
function fenceFor(content: string): string {
  let longest = 0;
  for (const m of content.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

function safeUrl(url: string): string {
  return url.replace(/[\s()<>]/g, (c) => encodeURIComponent(c).replace(/\(/g, '%28').replace(/\)/g, '%29'));
}

function statusLabel(u: UnitDiff): string {
  switch (u.status) {
    case 'failed':
      return '❌ failed';
    case 'new':
      return 'new';
    case 'deleted':
      return 'deleted';
    default:
      return 'ok';
  }
}

const SIGN: Record<ResourceChange['kind'], string> = { added: '+', changed: '~', removed: '-' };

function fieldLine(f: FieldChange): string {
  if (f.reordered) return `- ${code(f.path)}: reordered: ${code(f.from ?? '')} → ${code(f.to ?? '')}`;
  const from = f.from === undefined ? '∅' : code(f.from);
  const to = f.to === undefined ? '∅' : code(f.to);
  return `- ${code(f.path)}: ${from} → ${to}`;
}

function unitSection(u: UnitDiff, failures: readonly string[], compact: boolean): string {
  const lines: string[] = [];
  const counts = u.status === 'failed' ? 'failed' : `+${u.added} ~${u.changed} -${u.removed}`;
  lines.push(`<details><summary>${code(u.unit)} — ${counts}</summary>`, '');
  const coords = Object.keys(u.coordinates).sort(cmp);
  if (coords.length > 0) lines.push(coords.map((k) => code(`${k}=${u.coordinates[k]!}`)).join(' '), '');
  for (const msg of failures) lines.push(`**Render failed:** ${escapeText(cut(msg, MAX_FAILURE_CHARS))}`, '');
  if (u.status === 'failed' && failures.length === 0) lines.push('**Render failed**: the previous output is kept.', '');
  const noise = u.resources.filter(isNoise);
  const shown = noise.length === 0 ? u.resources : u.resources.filter((r) => !isNoise(r));
  // Removed objects first, then the rest in their order.
  const ordered = [...shown.filter((r) => r.kind === 'removed'), ...shown.filter((r) => r.kind !== 'removed')];
  const resources = compact ? ordered.slice(0, COMPACT_MAX_RESOURCES) : ordered;
  if (noise.length > 0) {
    const names = noise.slice(0, MAX_LIST).map((r) => code(describeIdentity(r.id)));
    lines.push(`_${noise.length} object${noise.length === 1 ? '' : 's'} changed only in ignored fields:_ ${names.join(', ')}${noise.length > MAX_LIST ? ` … ${noise.length - MAX_LIST} more` : ''}`, '');
  }
  for (const r of resources) {
    lines.push(`**${SIGN[r.kind]} ${escapeText(describeIdentity(r.id))}** (${r.kind})`, '');
    const fields = compact ? r.fields.slice(0, COMPACT_MAX_FIELDS) : r.fields;
    for (const f of fields) lines.push(fieldLine(f));
    if (fields.length < r.fields.length) lines.push(`- … ${r.fields.length - fields.length} more fields`);
    if (r.ignored) lines.push(`- _${r.ignored} ignored field${r.ignored === 1 ? '' : 's'} (in the diff)_`);
    if (fields.length > 0 || r.ignored) lines.push('');
    if (!compact && r.unified) {
      const fence = fenceFor(r.unified);
      const body = r.unified.endsWith('\n') ? r.unified : `${r.unified}\n`;
      lines.push(`${fence}diff`, `${body}${fence}`, '');
    }
  }
  if (resources.length < ordered.length) {
    lines.push(`… ${ordered.length - resources.length} more resources not shown`, '');
  }
  if (compact && u.resources.length > 0) lines.push('_Text diffs omitted to fit the size limit._', '');
  const files: [string, readonly string[]][] = [
    ['removed', u.files.removed],
    ['added', u.files.added],
    ['changed', u.files.changed]
  ];
  for (const [what, list] of files) {
    if (list.length === 0) continue;
    const shown = compact ? list.slice(0, COMPACT_MAX_RESOURCES) : list;
    lines.push(`Files ${what}: ${shown.map(code).join(', ')}${shown.length < list.length ? ` … ${list.length - shown.length} more` : ''}`, '');
  }
  lines.push('</details>', '', '');
  return lines.join('\n');
}

interface Row {
  unit: UnitDiff;
  failures: string[];
}

function rowsOf(report: DiffReport, ctx: ReportContext): Row[] {
  const failures = new Map<string, string[]>();
  for (const f of ctx.failures ?? []) {
    const list = failures.get(f.unit) ?? [];
    list.push(f.message);
    failures.set(f.unit, list);
  }
  const rows: Row[] = report.units.map((u) => ({ unit: u, failures: failures.get(u.unit) ?? [] }));
  const known = new Set(report.units.map((u) => u.unit));
  for (const [unit, messages] of failures) {
    if (known.has(unit)) continue;
    const i = unit.indexOf(':');
    rows.push({
      unit: emptyUnitDiff(unit, i === -1 ? '' : unit.slice(0, i), {}, 'failed'),
      failures: messages
    });
  }
  return rows.sort((a, b) => deletionRank(a.unit) - deletionRank(b.unit) || cmp(a.unit.unit, b.unit.unit));
}

/** Deletions first: deleted units, then units losing objects or files, then the rest. */
function deletionRank(u: UnitDiff): number {
  if (u.status === 'deleted') return 0;
  return u.removed > 0 || u.files.removed.length > 0 ? 1 : 2;
}

/** Items of a headline line: at most MAX_LIST, then how many more. */
const MAX_LIST = 10;

function listOf(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LIST).map((i) => code(i));
  return `${shown.join(', ')}${items.length > MAX_LIST ? ` … and ${items.length - MAX_LIST} more` : ''}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The "At a glance" lines: what a reviewer must know first (empty when there is nothing to flag). */
export function headlineMarkdown(report: DiffReport): string {
  const h = headlineOf(report);
  if (headlineIsEmpty(h)) return '';
  const lines: string[] = [];
  if (h.deleted.length > 0) lines.push(`- ⚠️ **${plural(h.deleted.length, 'object')} will be deleted from the cluster:** ${listOf(h.deleted)}`);
  if (h.namespacesCreated.length > 0) lines.push(`- **Namespaces created:** ${listOf(h.namespacesCreated)}`);
  if (h.namespacesDeleted.length > 0) lines.push(`- ⚠️ **Namespaces deleted:** ${listOf(h.namespacesDeleted)}`);
  if (h.crds.length > 0) lines.push(`- **CRDs changed:** ${listOf(h.crds)}`);
  if (h.rbac.length > 0) lines.push(`- **RBAC changed:** ${listOf(h.rbac)}`);
  if (h.images.length > 0) {
    const shown = h.images.slice(0, MAX_LIST).map((i) => `${code(i.from)} → ${code(i.to)} (${plural(i.objects, 'object')})`);
    lines.push(`- **Images changed:** ${shown.join(', ')}${h.images.length > MAX_LIST ? ` … and ${h.images.length - MAX_LIST} more` : ''}`);
  }
  if (h.scaledToZero.length > 0) lines.push(`- ⚠️ **Scaled to zero:** ${listOf(h.scaledToZero)}`);
  return `${lines.join('\n')}\n\n`;
}

/** One line of counts: objects and units are never counted together. */
export function countsLine(report: DiffReport, rows: number, failed: number): string {
  const t = report.totals;
  const files = report.units.reduce((n, u) => n + u.files.added.length + u.files.changed.length + u.files.removed.length, 0);
  return `**Objects:** ${t.added} added, ${t.changed} changed, ${t.removed} removed${files > 0 ? ` · **files:** ${files} changed` : ''} · in ${plural(rows, 'unit')}${failed > 0 ? ` (${failed} failed)` : ''}.`;
}

function driftSection(drift: NonNullable<ReportContext['drift']>): string {
  const units = drift.report.units.filter((u) => u.status !== 'failed');
  if (units.length === 0) return '';
  const lines = [
    `<details><summary>ℹ️ The deployed wet branch also differs from ${escapeText(drift.base)} in ${plural(units.length, 'unit')}: not part of this change (a pending wet pull request, a failed run or drift)</summary>`,
    ''
  ];
  for (const u of units.slice(0, MAX_LIST)) lines.push(`- ${code(u.unit)}: ${u.added} added, ${u.changed} changed, ${u.removed} removed`);
  if (units.length > MAX_LIST) lines.push(`- … and ${units.length - MAX_LIST} more units`);
  lines.push('', '</details>', '');
  return `${lines.join('\n')}\n`;
}

function header(report: DiffReport, ctx: ReportContext, rows: readonly Row[]): string {
  const lines: string[] = [markerComment(ctx.marker), `## ${escapeText(cut(ctx.title, MAX_TITLE_CHARS))}`, ''];
  const glance = headlineMarkdown(report);
  const from = ctx.dryCommit
    ? `Rendered from ${ctx.dryRepository ? `${code(cut(ctx.dryRepository, 200))} at ` : ''}commit ${code(cut(ctx.dryCommit, 100))}`
    : `Rendered from ${ctx.dryRepository ? code(cut(ctx.dryRepository, 200)) : 'the working tree'}`;
  const against = ctx.comparedWith ? `, compared with ${escapeText(cut(ctx.comparedWith, 300))}` : ctx.wetBranch ? ` into ${code(cut(ctx.wetBranch, 200))}` : '';
  lines.push(`${from}${against}.`, '');
  const failed = rows.filter((r) => r.unit.status === 'failed').length;
  if (rows.length === 0) lines.push('No changes to the rendered output.', '');
  else lines.push(countsLine(report, rows.length, failed), '');
  const drift = ctx.drift ? driftSection(ctx.drift) : '';
  return `${lines.slice(0, 3).join('\n')}\n${glance}${lines.slice(3).join('\n')}\n${drift}`;
}

const TABLE_HEAD = '| Unit | Added | Changed | Removed | Status |\n|---|---:|---:|---:|---|\n';

function tableRow(r: Row): string {
  const u = r.unit;
  const n = (x: number): string => (u.status === 'failed' ? '–' : String(x));
  return `| ${code(u.unit)} | ${n(u.added)} | ${n(u.changed)} | ${n(u.removed)} | ${statusLabel(u)} |\n`;
}

function moreRow(n: number): string {
  return `| … and ${n} more units | | | | |\n`;
}

class Meter {
  chars = 0;
  bytes = 0;
  constructor(private readonly budget: Budget) {}
  fits(...parts: string[]): boolean {
    let c = this.chars;
    let b = this.bytes;
    for (const p of parts) {
      c += p.length;
      b += byteLength(p);
    }
    return c <= this.budget.maxChars && b <= this.budget.maxBytes;
  }
  add(s: string): void {
    this.chars += s.length;
    this.bytes += byteLength(s);
  }
}

const UNITS_HEAD = '### Units\n\n| unit | status | resources | errors |\n|---|---|---:|---:|\n';

function unitStatusRow(u: UnitStatusRow): string {
  return `| ${code(u.id)} | ${escapeText(u.status)} | ${u.resources} | ${u.errors} |\n`;
}

function fraction(budget: Budget, f: number): Budget {
  return { maxChars: Math.floor(budget.maxChars * f), maxBytes: Math.floor(budget.maxBytes * f) };
}

/** As many of `items` as fit in `budget` after `head`, then `more(n)` for the `n` left out. */
function fitList(head: string, items: readonly string[], more: (n: number) => string, budget: Budget): string {
  const meter = new Meter(budget);
  meter.add(head);
  let text = head;
  let i = 0;
  while (i < items.length && meter.fits(items[i]!, more(items.length))) {
    meter.add(items[i]!);
    text += items[i]!;
    i++;
  }
  return i < items.length ? text + more(items.length - i) : text;
}

/**
 * The unit table and the failure list that end a job summary, within `budget`: the failures
 * first take up to half of it, the table the rest.
 */
export function buildTrailer(parts: Pick<ReportContext, 'units' | 'errors'>, budget: Budget): string {
  const errors = parts.errors ?? [];
  const failed =
    errors.length === 0
      ? ''
      : `${fitList('## Hydrate failed\n\n', errors.map((e) => `- ${escapeText(cut(e, MAX_FAILURE_CHARS))}\n`), (n) => `- … ${n} more errors\n`, fraction(budget, 0.5))}\n`;
  const units = parts.units ?? [];
  const left = new Meter(budget);
  left.add(failed);
  const rest = { maxChars: budget.maxChars - left.chars, maxBytes: budget.maxBytes - left.bytes };
  const table = units.length === 0 ? '' : `${fitList(UNITS_HEAD, units.map(unitStatusRow), (n) => `| … and ${n} more units | | | |\n`, { maxChars: rest.maxChars - 1, maxBytes: rest.maxBytes - 1 })}\n`;
  return table + failed;
}

/**
 * Builds the Markdown body within `budget`. `overflow(n)` is the line that replaces the `n`
 * sections that did not fit.
 */
export function buildMarkdown(
  report: DiffReport,
  ctx: ReportContext,
  budget: Budget,
  overflow: (n: number) => string
): string {
  const rows = rowsOf(report, ctx);
  const meter = new Meter(budget);
  const out: string[] = [];
  const head = header(report, ctx, rows);
  out.push(head);
  meter.add(head);
  // The unit table and failures (job summary) take at most half of the budget.
  const trailer = buildTrailer(ctx, fraction(budget, 0.5));
  const reserve = `${overflow(rows.length)}\n${trailer}`;

  if (rows.length > 0) {
    const tableRows = rows.map(tableRow);
    const all = TABLE_HEAD + tableRows.join('');
    if (meter.fits(all, '\n', reserve)) {
      out.push(all, '\n');
      meter.add(all + '\n');
    } else {
      let text = TABLE_HEAD;
      let i = 0;
      const tail = moreRow(rows.length);
      const probe = new Meter(budget);
      probe.add(head + TABLE_HEAD);
      while (i < tableRows.length && probe.fits(tableRows[i]!, tail, '\n', reserve)) {
        probe.add(tableRows[i]!);
        text += tableRows[i]!;
        i++;
      }
      text += moreRow(rows.length - i);
      out.push(text, '\n');
      meter.add(text + '\n');
    }
  }

  let shown = 0;
  for (const r of rows) {
    let section = unitSection(r.unit, r.failures, false);
    if (!meter.fits(section, reserve)) {
      section = unitSection(r.unit, r.failures, true);
      if (!meter.fits(section, reserve)) break;
    }
    out.push(section);
    meter.add(section);
    shown++;
  }
  if (shown < rows.length) out.push(`${overflow(rows.length - shown)}\n`);
  out.push(trailer);
  return out.join('');
}

export { safeUrl };
