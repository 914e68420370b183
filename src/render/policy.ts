/**
 * The secrets policy gate: secrets never live in git. A core `v1` `Secret` carrying `data` or
 * `stringData` in any unit's output (resources or YAML artifacts) is an error unless the config
 * allow-lists it (`policy.allowSecrets`, each with a reason). Messages never include values.
 */
import type { Diagnostic } from '../diagnostics.js';
import { cmp, isRecord, type KubeObject } from '../resources/resource.js';
import { parseYamlDocuments } from '../resources/yaml.js';
import type { HydrateConfig } from '../settings/schema/config.js';
import type { RenderedUnit } from './renderer.js';

export type AllowedSecrets = HydrateConfig['policy']['allowSecrets'];

/** True for an object the gate rejects: apiVersion exactly `v1`, kind Secret, with data or stringData. */
export function isPlaintextSecret(o: unknown): o is KubeObject {
  if (!isRecord(o) || o['apiVersion'] !== 'v1' || o['kind'] !== 'Secret') return false;
  return o['data'] !== undefined || o['stringData'] !== undefined;
}

function nameOf(o: KubeObject): { namespace: string; name: string } {
  const m = isRecord(o['metadata']) ? o['metadata'] : {};
  return {
    namespace: typeof m['namespace'] === 'string' ? m['namespace'] : '',
    name: typeof m['name'] === 'string' ? m['name'] : ''
  };
}

export function secretsPolicyGate(results: readonly RenderedUnit[], allow: AllowedSecrets): Diagnostic[] {
  const out: Diagnostic[] = [];
  const check = (unitId: string, o: unknown, where: { file?: string; line?: number; col?: number }, via: string): void => {
    if (!isPlaintextSecret(o)) return;
    const { namespace, name } = nameOf(o);
    const allowed = allow.some(
      (a) => (a.unit === undefined || a.unit === unitId) && a.namespace === namespace && a.name === name
    );
    if (allowed) return;
    const obj = `Secret ${namespace ? `${namespace}/` : ''}${name || '<unnamed>'}`;
    const fields = ['data', 'stringData'].filter((f) => o[f] !== undefined).join(' and ');
    out.push({
      severity: 'error',
      unit: unitId,
      ...(where.file !== undefined ? { file: where.file } : {}),
      ...(where.line !== undefined ? { line: where.line } : {}),
      ...(where.col !== undefined ? { col: where.col } : {}),
      message: `plaintext ${obj} (with ${fields}) in unit ${unitId}${via}${where.file ? ` from ${where.file}` : ''}: secrets must not be committed; use an ExternalSecret (a SecretsClaim) or a Vault placeholder, or allow-list it in policy.allowSecrets with a reason`
    });
  };
  for (const r of results) {
    for (const res of r.resources) check(r.unit.id, res.object, res.source, '');
    for (const a of r.artifacts) {
      if (!/\.ya?ml$/i.test(a.path)) continue;
      const parsed = parseYamlDocuments(a.content, a.source, r.unit.id);
      for (const d of parsed.documents) check(r.unit.id, d.value, { file: a.source, line: d.line, col: d.col }, ` (artifact ${a.path})`);
    }
  }
  return out.sort((a, b) => cmp(a.unit ?? '', b.unit ?? '') || cmp(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || cmp(a.message, b.message));
}
