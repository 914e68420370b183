/**
 * Reading claim files: every YAML document with a way back from a value path (as zod reports it)
 * to the `line:col` of the node in the file. Shared by the terraform and secrets renderers.
 */
import type * as z from 'zod';
import type { Diagnostic } from '../diagnostics.js';
import { cmp } from '../resources/resource.js';
import { readYaml, yamlDiagnostic, zodIssueDiagnostics, type PathKey, type Position, type PositionedDocument } from '../resources/yaml-positions.js';

export type { PathKey, Position };

export type ClaimDocument = PositionedDocument;

/** Every non-empty document of a claim file. Claims are Kubernetes YAML: read with YAML 1.1 rules, as kubectl reads them. */
export function readClaimDocuments(
  text: string,
  file: string,
  unit: string
): { documents: ClaimDocument[]; diagnostics: Diagnostic[] } {
  const read = readYaml(text, '1.1');
  return {
    documents: read.documents.filter((d) => d.value !== null && d.value !== undefined),
    diagnostics: read.problems.map((p) => yamlDiagnostic(p, file, unit))
  };
}

/** Turns zod issues into diagnostics at the offending field. */
export function zodDiagnostics(
  error: z.ZodError,
  doc: Pick<ClaimDocument, 'positionOf' | 'keyPositionOf'>,
  file: string,
  unit: string,
  what: string
): Diagnostic[] {
  return zodIssueDiagnostics(error, doc, { file, unit }, (field, issue) => `invalid ${what}${field ? ` field "${field}"` : ''}: ${issue.message}`);
}

/** The `*.yaml`/`*.yml` files and symlinks directly in a unit directory, sorted by name. */
async function listClaimEntries(
  files: { readDir(path: string): Promise<{ name: string; kind: string }[]> },
  absDir: string
): Promise<{ name: string; kind: string }[]> {
  const entries = await files.readDir(absDir);
  return entries.filter((e) => (e.kind === 'file' || e.kind === 'symlink') && /\.ya?ml$/.test(e.name)).sort((a, b) => cmp(a.name, b.name));
}

/**
 * Reads every claim file of a unit (sorted by name) and returns each file's parsed documents
 * with positions. A symlinked claim file is an error, as a symlinked manifest is: it is never
 * followed. (The input digest reads the files itself: see unitInputDigest in pipeline/incremental.ts.)
 */
export async function readUnitClaimFiles(
  files: { readDir(path: string): Promise<{ name: string; kind: string }[]>; readFile(path: string): Promise<string> },
  repoRoot: string,
  unit: { id: string; dir: string }
): Promise<{ file: string; parsed: ReturnType<typeof readClaimDocuments> }[]> {
  const absDir = `${repoRoot}/${unit.dir}`;
  const out: { file: string; parsed: ReturnType<typeof readClaimDocuments> }[] = [];
  for (const { name, kind } of await listClaimEntries(files, absDir)) {
    const file = `${unit.dir}/${name}`;
    if (kind === 'symlink') {
      const message = `${name} is a symlink: symlinked claim files are not followed; copy the file instead`;
      out.push({ file, parsed: { documents: [], diagnostics: [{ severity: 'error', unit: unit.id, file, message }] } });
      continue;
    }
    const text = await files.readFile(`${absDir}/${name}`);
    out.push({ file, parsed: readClaimDocuments(text, file, unit.id) });
  }
  return out;
}

/** Keys sorted recursively (code-unit order), for canonical JSON. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort(cmp)) {
      out[k] = sortKeysDeep((value as Record<string, unknown>)[k]);
    }
    return out;
  }
  return value;
}
