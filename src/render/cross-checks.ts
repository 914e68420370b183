/**
 * After the last renderer: every reference a unit needs (`requires`) must be provided by some
 * unit (`provides`), e.g. a workspace's `${{ secret:app.db_pass }}` needs a SecretsClaim "app"
 * that declares `db_pass`.
 */
import type { Diagnostic } from '../diagnostics.js';
import { cmp } from '../resources/resource.js';
import type { RenderedUnit } from './renderer.js';

export function crossCheck(results: readonly RenderedUnit[]): Diagnostic[] {
  const provided = new Set<string>();
  for (const r of results) for (const p of r.provides ?? []) provided.add(p.ref);
  const out: Diagnostic[] = [];
  for (const r of results) {
    for (const q of r.requires ?? []) {
      if (provided.has(q.ref)) continue;
      out.push({
        severity: 'error',
        unit: q.unit,
        ...(q.file !== undefined ? { file: q.file } : {}),
        ...(q.line !== undefined ? { line: q.line } : {}),
        ...(q.col !== undefined ? { col: q.col } : {}),
        message: q.message
      });
    }
  }
  return out.sort((a, b) => cmp(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || cmp(a.message, b.message));
}
