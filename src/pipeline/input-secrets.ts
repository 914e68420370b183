/**
 * Secret values a unit's inputs hold, so that text a tool prints about them (kustomize echoes the
 * node it choked on; a YAML error quotes its line) never reaches a log, an annotation, the job
 * summary or the JSON report. The values are those of every Secret-like field in the files the
 * unit reads (its closure): `data` (as written and base64-decoded) and `stringData` of any object
 * of kind `Secret`, in any document or `List`, and the literals, env files and files of a
 * kustomization's `secretGenerator`.
 */
import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import type { Unit } from '../dry/unit.js';
import type { FileReader } from '../ports.js';
import { closureContents } from '../render/closure-contents.js';
import type { Settings } from '../settings/settings.js';
import { unitClosure } from './incremental.js';

export const REDACTED_VALUE = '<redacted>';
/** Shorter values are not redacted: they would mangle ordinary words of a message. */
export const MIN_REDACTED_LENGTH = 4;
const KUSTOMIZATION = /(^|\/)(kustomization\.ya?ml|Kustomization)$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalars(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) scalars(x, out);
  else if (isRecord(v)) for (const x of Object.values(v)) scalars(x, out);
}

function decodeBase64(v: string): string | undefined {
  const clean = v.replace(/\s+/g, '');
  if (clean === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  const bytes = Buffer.from(clean, 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function fromObject(o: unknown, out: string[], depth = 0): void {
  if (depth > 8) return;
  if (Array.isArray(o)) {
    for (const x of o) fromObject(x, out, depth + 1);
    return;
  }
  if (!isRecord(o)) return;
  if (Array.isArray(o['items'])) fromObject(o['items'], out, depth + 1);
  if (o['kind'] !== 'Secret') return;
  const data: string[] = [];
  scalars(o['data'], data);
  for (const d of data) {
    out.push(d);
    const decoded = decodeBase64(d);
    if (decoded !== undefined) out.push(decoded);
  }
  scalars(o['stringData'], out);
}

function documents(text: string): unknown[] {
  const out: unknown[] = [];
  try {
    for (const doc of parseAllDocuments(text, { merge: true, uniqueKeys: false })) {
      try {
        out.push(doc.toJS({ maxAliasCount: 1000 }));
      } catch {
        // An unreadable document holds nothing we can name.
      }
    }
  } catch {
    // Not YAML.
  }
  return out;
}

/** `KEY=value` lines of an env file. */
function envValues(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && l.includes('='))
    .map((l) => l.slice(l.indexOf('=') + 1));
}

/** Every Secret-like value in `contents` (repository-relative path → text), unordered, unique. */
export function secretValues(contents: ReadonlyMap<string, string>): Set<string> {
  const out: string[] = [];
  for (const [path, text] of contents) {
    if (!/\.(ya?ml|json)$/.test(path) && !KUSTOMIZATION.test(path)) continue;
    const docs = documents(text);
    for (const d of docs) fromObject(d, out);
    if (!KUSTOMIZATION.test(path)) continue;
    const dir = posix.dirname(path);
    for (const k of docs) {
      const generators = isRecord(k) ? k['secretGenerator'] : undefined;
      if (!Array.isArray(generators)) continue;
      for (const g of generators) {
        if (!isRecord(g)) continue;
        for (const l of Array.isArray(g['literals']) ? g['literals'] : []) {
          if (typeof l === 'string' && l.includes('=')) out.push(l.slice(l.indexOf('=') + 1).replace(/^(["'])(.*)\1$/s, '$2'));
        }
        const envs = [g['envs'], g['env']].flatMap((e) => (Array.isArray(e) ? e : typeof e === 'string' ? [e] : []));
        for (const e of envs) {
          const text = typeof e === 'string' ? contents.get(posix.normalize(posix.join(dir, e))) : undefined;
          if (text !== undefined) out.push(...envValues(text));
        }
        for (const f of Array.isArray(g['files']) ? g['files'] : []) {
          if (typeof f !== 'string') continue;
          const text = contents.get(posix.normalize(posix.join(dir, f.includes('=') ? f.slice(f.indexOf('=') + 1) : f)));
          if (text !== undefined) out.push(text);
        }
      }
    }
  }
  const values = new Set<string>();
  for (const v of out) {
    const variants = [v, v.trim(), ...v.split(/\r?\n/).map((l) => l.trim())];
    for (const x of variants) {
      if (x.length < MIN_REDACTED_LENGTH) continue;
      values.add(x);
      // As a tool quotes it: JSON/Go escapes (\n, \", \\).
      const escaped = JSON.stringify(x).slice(1, -1);
      if (escaped !== x) values.add(escaped);
    }
  }
  return values;
}

/** `text` with every occurrence of every value replaced, longest values first. */
export function redactValues(text: string, values: ReadonlySet<string>): string {
  if (values.size === 0) return text;
  let out = text;
  for (const v of [...values].sort((a, b) => b.length - a.length)) if (out.includes(v)) out = out.split(v).join(REDACTED_VALUE);
  return out;
}

/**
 * The text of every file in a closure (repository-relative path → text), symlinks inside the
 * repository followed; files that are not text are left out (they are no YAML to read).
 */
async function closureTexts(files: FileReader, repoRoot: string, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [p, entry] of await closureContents(files, repoRoot, paths)) {
    if (p.includes('\u0000') || !(entry.startsWith('file:') || entry.includes('\u0000file:'))) continue;
    try {
      out.set(p, await files.readFile(posix.join(repoRoot, p)));
    } catch {
      // Not UTF-8: a binary file holds no YAML.
    }
  }
  return out;
}

/**
 * The unit's diagnostics with the Secret values of its inputs redacted from their messages.
 * Reads the unit's closure only when it has diagnostics (a failed or warned unit).
 */
export async function redactUnitDiagnostics(unit: Unit, diagnostics: readonly Diagnostic[], settings: Settings, files: FileReader): Promise<Diagnostic[]> {
  if (diagnostics.length === 0) return [...diagnostics];
  let values: Set<string>;
  try {
    const closure = await unitClosure(unit, settings, files);
    values = secretValues(await closureTexts(files, settings.repoRoot, closure.paths));
  } catch {
    // The inputs cannot be read again: keep nothing that could quote them.
    return diagnostics.map((d) => ({ ...d, message: `${unit.id}: the message was withheld: the unit's inputs could not be read again to redact Secret values from it` }));
  }
  return diagnostics.map((d) => {
    const message = redactValues(d.message, values);
    return message === d.message ? d : { ...d, message };
  });
}
