/**
 * The secrets policy gate: secrets never live in git. A core `v1` `Secret` carrying a value in
 * `data` or `stringData`, in any unit's output (resources, or YAML and JSON artifacts, lists
 * expanded as Kubernetes reads them), is an error unless it is safe in git or the config
 * allow-lists it (`policy.allowSecrets`, each with a reason). Safe in git: a SOPS-encrypted
 * Secret (a `sops:` block and every value `ENC[...]`), a Secret whose every value is an ArgoCD
 * Vault Plugin placeholder (`<path:...>`), a Secret that holds nothing (`data: ~`, `data: {}`).
 * Sealed Secrets and ExternalSecrets are other kinds and pass. Messages name keys, never values.
 */
import picomatch from 'picomatch';
import type { Diagnostic } from '../diagnostics.js';
import { expandLists } from '../resources/lists.js';
import { cmp, isRecord, type KubeObject } from '../resources/resource.js';
import { parseYamlDocuments } from '../resources/yaml.js';
import type { HydrateConfig } from '../settings/schema/config.js';
import type { RenderedUnit } from './renderer.js';

export type AllowedSecrets = HydrateConfig['policy']['allowSecrets'];
type AllowedSecret = AllowedSecrets[number];

const SECRET_FIELDS = ['data', 'stringData'] as const;

/** A SOPS-encrypted value: `ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]`. */
const SOPS_VALUE = /^ENC\[[A-Za-z0-9_]+,data:[^\]]*\]$/;
/** An ArgoCD Vault Plugin placeholder as the whole value: `<path:kv/data/app#password>`. */
const AVP_PLACEHOLDER = /^<path:[^<>\n]+>$/;
/** kustomize's name hash suffix (10 characters of its hash alphabet). */
const KUSTOMIZE_HASH = /^[2456789bcdfghkmt]{10}$/;

/** A core `v1` `Secret`. */
function isCoreSecret(o: unknown): o is KubeObject {
  return isRecord(o) && o['apiVersion'] === 'v1' && o['kind'] === 'Secret';
}

/** The values a Secret holds, as `[field.key, value]`; a `data` that is not a mapping counts as one value. */
function secretValues(o: KubeObject): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const f of SECRET_FIELDS) {
    const v = o[f];
    if (v === undefined || v === null) continue;
    if (isRecord(v)) for (const [k, x] of Object.entries(v)) out.push([`${f}.${k}`, x]);
    else out.push([f, v]);
  }
  return out;
}

function isAvpPlaceholder(field: string, v: unknown): boolean {
  if (typeof v !== 'string') return false;
  if (AVP_PLACEHOLDER.test(v)) return true;
  // In `data` the placeholder may be written base64-encoded, as the value Kubernetes decodes.
  if (!field.startsWith('data.') || !/^[A-Za-z0-9+/]+=*$/.test(v)) return false;
  return AVP_PLACEHOLDER.test(Buffer.from(v, 'base64').toString('utf8'));
}

/** How the gate sees a Secret: nothing to check, safe in git, or plaintext (with the keys of clear values, for SOPS). */
export type SecretVerdict =
  | { kind: 'not-a-secret' | 'empty' | 'sops' | 'placeholders' }
  | { kind: 'plaintext'; fields: string[] }
  | { kind: 'sops-clear'; keys: string[] };

export function classifySecret(o: unknown): SecretVerdict {
  if (!isCoreSecret(o)) return { kind: 'not-a-secret' };
  const values = secretValues(o);
  if (values.length === 0) return { kind: 'empty' };
  if (isRecord(o['sops'])) {
    const clear = values.filter(([, v]) => typeof v !== 'string' || !SOPS_VALUE.test(v)).map(([k]) => k);
    return clear.length === 0 ? { kind: 'sops' } : { kind: 'sops-clear', keys: clear };
  }
  if (values.every(([k, v]) => isAvpPlaceholder(k, v))) return { kind: 'placeholders' };
  const fields = SECRET_FIELDS.filter((f) => values.some(([k]) => k === f || k.startsWith(`${f}.`)));
  return { kind: 'plaintext', fields };
}

/** True for an object the gate rejects unless allow-listed: a `v1` Secret holding a clear value. */
export function isPlaintextSecret(o: unknown): o is KubeObject {
  const v = classifySecret(o).kind;
  return v === 'plaintext' || v === 'sops-clear';
}

function nameOf(o: KubeObject): { namespace: string; name: string } {
  const m = isRecord(o['metadata']) ? o['metadata'] : {};
  return {
    namespace: typeof m['namespace'] === 'string' ? m['namespace'] : '',
    name: typeof m['name'] === 'string' ? m['name'] : ''
  };
}

const GLOB_CHARS = /[*?[\]{}!]/;
const matchers = new Map<string, (s: string) => boolean>();

/** `pattern` matches `value`: equality, or a glob (`*`, `?`, `[...]`, `{a,b}`; no extglobs). */
export function globMatches(pattern: string, value: string): boolean {
  if (!GLOB_CHARS.test(pattern)) return pattern === value;
  // `*` means any: also none (a Secret without a namespace).
  if (value === '') return /^\*+$/.test(pattern);
  let m = matchers.get(pattern);
  if (!m) {
    m = picomatch(pattern, { dot: true, noextglob: true });
    matchers.set(pattern, m);
  }
  return m(value);
}

/** True when an allow-list entry covers the Secret `namespace/name` in unit `unitId`. */
export function allowEntryMatches(a: AllowedSecret, unitId: string, namespace: string, name: string): boolean {
  if (a.unit !== undefined && !globMatches(a.unit, unitId)) return false;
  if (!globMatches(a.namespace, namespace)) return false;
  if (a.name !== undefined && globMatches(a.name, name)) return true;
  if (a.generator !== undefined) {
    // A secretGenerator's Secret is named `<generator name>-<hash of its content>`.
    const dash = name.lastIndexOf('-');
    if (dash > 0 && KUSTOMIZE_HASH.test(name.slice(dash + 1)) && globMatches(a.generator, name.slice(0, dash))) return true;
    if (globMatches(a.generator, name)) return true; // generatorOptions.disableNameSuffixHash
  }
  return false;
}

const ADVICE =
  'secrets must not be committed; encrypt it with SOPS, use a SealedSecret, an ExternalSecret (a SecretsClaim) or a Vault placeholder, or allow-list it in policy.allowSecrets with a reason';

interface Where {
  file?: string;
  line?: number;
  col?: number;
}

function at(where: Where): Where {
  return {
    ...(where.file !== undefined ? { file: where.file } : {}),
    ...(where.line !== undefined ? { line: where.line } : {}),
    ...(where.col !== undefined ? { col: where.col } : {})
  };
}

/** A JSON artifact as one document (JSON, read as kubectl reads a .json manifest), or its syntax error with line and column. */
function parseJsonArtifact(text: string, file: string): ReturnType<typeof parseYamlDocuments> {
  try {
    return { documents: [{ value: JSON.parse(text) as unknown, line: 1, col: 1 }], diagnostics: [] };
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    const offset = pos ? Math.min(Number(pos[1]), text.length) : 0;
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const col = offset - before.lastIndexOf('\n');
    // The engine's own words may quote the text around the fault (a value): say only where it is.
    return { documents: [], diagnostics: [{ severity: 'error', file, line, col, message: pos ? `invalid JSON at line ${line}, column ${col}` : 'invalid JSON' }] };
  }
}

export function secretsPolicyGate(results: readonly RenderedUnit[], allow: AllowedSecrets): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (unitId: string, o: unknown, where: Where, via: string): void => {
    const verdict = classifySecret(o);
    if (verdict.kind !== 'plaintext' && verdict.kind !== 'sops-clear') return;
    const { namespace, name } = nameOf(o as KubeObject);
    if (allow.some((a) => allowEntryMatches(a, unitId, namespace, name))) return;
    const obj = `Secret ${namespace ? `${namespace}/` : ''}${name || '<unnamed>'}`;
    const from = where.file ? ` from ${where.file}` : '';
    const message =
      verdict.kind === 'sops-clear'
        ? `SOPS-encrypted ${obj} in unit ${unitId}${via}${from} has clear values at ${verdict.keys.join(', ')}: encrypt every value (check the SOPS rule's encrypted_regex or unencrypted_suffix), or allow-list it in policy.allowSecrets with a reason`
        : `plaintext ${obj} (with ${verdict.fields.join(' and ')}) in unit ${unitId}${via}${from}: ${ADVICE}`;
    out.push({ severity: 'error', unit: unitId, ...at(where), message });
  };
  for (const r of results) {
    for (const res of r.resources) {
      const items = expandLists(res.object);
      const via = items.length === 1 && items[0] === res.object ? '' : ' (in a list)';
      for (const o of items) check(r.unit.id, o, res.source, via);
    }
    for (const a of r.artifacts) {
      if (!/\.(ya?ml|json)$/i.test(a.path)) continue;
      const parsed = /\.json$/i.test(a.path) ? parseJsonArtifact(a.content, a.source) : parseYamlDocuments(a.content, a.source, r.unit.id);
      // An artifact nobody can read cannot be checked: Argo CD or Flux may still apply it.
      for (const d of parsed.diagnostics) {
        out.push({
          ...d,
          unit: r.unit.id,
          message: `extra artifact ${a.path} cannot be parsed, so it cannot be checked for Secrets: ${d.message}; fix it or remove it`
        });
      }
      for (const d of parsed.documents) {
        const items = expandLists(d.value);
        const via = items.length === 1 && items[0] === d.value ? ` (artifact ${a.path})` : ` (artifact ${a.path}, in a list)`;
        for (const o of items) check(r.unit.id, o, { file: a.source, line: d.line, col: d.col }, via);
      }
    }
  }
  return out.sort((a, b) => cmp(a.unit ?? '', b.unit ?? '') || cmp(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || cmp(a.message, b.message));
}
