/**
 * The terraform renderer: `TFWorkspaceClaim` documents → `firestartr.dev/v1` `FirestartrTerraformWorkspace`.
 * Rules (state key, names, references) are documented in docs/claims.md.
 */
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../../diagnostics.js';
import type { Unit } from '../../dry/unit.js';
import { cmp, isRecord, type KubeObject, type Resource } from '../../resources/resource.js';
import { parseYamlDocuments } from '../../resources/yaml.js';
import type { TerraformEntry } from '../../settings/schema/terraform.js';
import type { PreviousWet, RenderedUnit, Renderer, RenderInput, Required } from '../renderer.js';
import { DNS1123_SUBDOMAIN } from '../../resources/names.js';
import {
  readUnitClaimFiles,
  sortKeysDeep,
  zodDiagnostics,
  type ClaimDocument,
  type Position
} from '../claim-documents.js';
import { tfWorkspaceClaim, type TFWorkspaceClaim } from './claim.js';
import { referenceName, rewritePlaceholders, type Placeholder } from './placeholders.js';

export const WORKSPACE_API_VERSION = 'firestartr.dev/v1';
export const WORKSPACE_KIND = 'FirestartrTerraformWorkspace';
export const CLAIM_REF_LABEL = 'claim-ref';

interface LoadedClaim {
  claim: TFWorkspaceClaim;
  unit: Unit;
  entry: TerraformEntry;
  file: string;
  doc: ClaimDocument;
}

/** What the previous wet tree says about a claim's workspace. */
export interface DeployedWorkspace {
  name: string;
  tfStateKey: string;
  outputs: string[];
}

/** Deterministic UUID (version 5 layout) from sha1 of `tfworkspace/<claim name>`. */
export function defaultStateKey(claimName: string): string {
  const h = createHash('sha1').update(`tfworkspace/${claimName}`).digest();
  const b = Buffer.from(h.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Workspaces already in the previous wet tree, by claim name (label `claim-ref`). */
export async function readDeployedWorkspaces(previous: PreviousWet): Promise<Map<string, DeployedWorkspace>> {
  const out = new Map<string, DeployedWorkspace>();
  const units = previous.index?.units ?? {};
  const paths: string[] = [];
  for (const u of Object.values(units)) {
    if (u.renderer !== 'terraform') continue;
    for (const p of u.paths) if (/\.ya?ml$/.test(p)) paths.push(p);
  }
  paths.sort(cmp);
  for (const p of paths) {
    const text = await previous.readFile(p);
    if (text === undefined) continue;
    for (const d of parseYamlDocuments(text, p).documents) {
      const o = d.value;
      if (!isRecord(o) || o['kind'] !== WORKSPACE_KIND || !isRecord(o['metadata']) || !isRecord(o['spec'])) continue;
      const labels = o['metadata']['labels'];
      const claim = isRecord(labels) ? labels[CLAIM_REF_LABEL] : undefined;
      const name = o['metadata']['name'];
      const fs = o['spec']['firestartr'];
      const key = isRecord(fs) ? fs['tfStateKey'] : undefined;
      if (typeof claim !== 'string' || typeof name !== 'string' || typeof key !== 'string') continue;
      const w = o['spec']['writeConnectionSecretToRef'];
      const outputs =
        isRecord(w) && Array.isArray(w['outputs'])
          ? w['outputs'].flatMap((x) => (isRecord(x) && typeof x['key'] === 'string' ? [x['key']] : []))
          : [];
      if (!out.has(claim)) out.set(claim, { name, tfStateKey: key, outputs });
    }
  }
  return out;
}

/** Backend and providers for a resourceType: matching overrides (later wins) over the entry's map. */
function providerMappingFor(entry: TerraformEntry, unit: Unit, resourceType: string) {
  let mapping = entry.resourceTypes[resourceType];
  for (const o of entry.overrides) {
    const matches = Object.entries(o.when).every(([k, v]) => unit.coordinates[k] === v);
    if (matches && o.resourceTypes[resourceType]) mapping = o.resourceTypes[resourceType];
  }
  return mapping;
}

export function createTerraformRenderer(): Renderer {
  return {
    name: 'terraform',
    async render(input: RenderInput): Promise<RenderedUnit[]> {
      const diagsByUnit = new Map<string, Diagnostic[]>();
      const diag = (unit: Unit, d: Omit<Diagnostic, 'unit' | 'severity'>): void => {
        diagsByUnit.get(unit.id)!.push({ severity: 'error', unit: unit.id, ...d });
      };
      const claims: LoadedClaim[] = [];

      // 1. Load and validate every claim.
      for (const unit of input.units) {
        diagsByUnit.set(unit.id, []);
        const entry = input.settings.config.terraform[unit.entry];
        if (!entry) {
          diag(unit, { message: `no terraform config entry #${unit.entry} for this unit` });
          continue;
        }
        for (const { file, parsed } of await readUnitClaimFiles(input.files, input.repoRoot, unit)) {
          diagsByUnit.get(unit.id)!.push(...parsed.diagnostics);
          for (const doc of parsed.documents) {
            const r = tfWorkspaceClaim.safeParse(doc.value);
            if (!r.success) {
              diagsByUnit.get(unit.id)!.push(...zodDiagnostics(r.error, doc, file, unit.id, 'TFWorkspaceClaim'));
              continue;
            }
            claims.push({ claim: r.data, unit, entry, file, doc });
          }
        }
      }

      // 2. Claim names are unique across all terraform units (they name the workspace).
      const byName = new Map<string, LoadedClaim>();
      for (const c of claims) {
        const first = byName.get(c.claim.name);
        if (first) {
          diag(c.unit, {
            file: c.file,
            ...c.doc.positionOf(['name']),
            message: `duplicate TFWorkspaceClaim "${c.claim.name}" (first at ${first.file}:${first.doc.positionOf(['name']).line}); claim names must be unique`
          });
          continue;
        }
        byName.set(c.claim.name, c);
      }

      // 3. State keys: claim's own, else the deployed one, else derived from the claim name.
      const deployed = await readDeployedWorkspaces(input.previous);
      const resolved = new Map<string, { key: string; name: string }>();
      for (const c of byName.values()) {
        const tf = c.claim.providers.terraform;
        const was = deployed.get(c.claim.name);
        let key: string;
        if (tf.tfStateKey !== undefined) {
          key = tf.tfStateKey;
          if (was && was.tfStateKey !== key && !c.entry.allowStateKeyChange.includes(c.claim.name)) {
            diag(c.unit, {
              file: c.file,
              ...c.doc.positionOf(['providers', 'terraform', 'tfStateKey']),
              message: `tfStateKey of claim "${c.claim.name}" changes from "${was.tfStateKey}" (deployed) to "${key}": the Terraform state would be orphaned; restore "${was.tfStateKey}", or add "${c.claim.name}" to allowStateKeyChange of this terraform entry to abandon the old state`
            });
            continue;
          }
        } else {
          key = was?.tfStateKey ?? defaultStateKey(c.claim.name);
        }
        const name = `${c.claim.name}-${key}`;
        if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
          diag(c.unit, {
            file: c.file,
            ...c.doc.positionOf(['providers', 'terraform', 'tfStateKey']),
            message: `workspace name "${name}" (<claim name>-<tfStateKey>) is not a valid DNS-1123 name; use a tfStateKey of lowercase letters, digits and "-"`
          });
          continue;
        }
        resolved.set(c.claim.name, { key, name });
      }

      // 4. Placeholders in values.
      const built = new Map<string, { values: unknown; placeholders: Placeholder[] }>();
      const edges = new Map<string, { to: string; pos: Position }[]>();
      const requires = new Map<string, Required[]>();
      for (const c of byName.values()) {
        const tf = c.claim.providers.terraform;
        const { value, placeholders, problems } = rewritePlaceholders(tf.values, ['providers', 'terraform', 'values']);
        for (const p of problems) {
          diag(c.unit, {
            file: c.file,
            ...c.doc.positionOf(p.path),
            message: `malformed placeholder "${p.text}" in claim "${c.claim.name}"; use \${{ secret:<claim>.<key> }} or \${{ tfworkspace:<claim>:outputs.<output> }}`
          });
        }
        for (const p of placeholders) {
          const pos = c.doc.positionOf(p.path);
          if (p.kind === 'secret') {
            const list = requires.get(c.unit.id) ?? [];
            list.push({
              ref: `secret:${p.claim}/${p.key}`,
              unit: c.unit.id,
              file: c.file,
              ...pos,
              message: `unknown secret key "${p.key}" in SecretsClaim "${p.claim}" (placeholder ${p.raw} in claim "${c.claim.name}"); declare it in that SecretsClaim or fix the placeholder`
            });
            requires.set(c.unit.id, list);
            continue;
          }
          const target = byName.get(p.claim);
          const targetDeployed = deployed.get(p.claim);
          const outputs = target
            ? (target.claim.providers.terraform.writeConnectionSecretToRef?.outputs ?? [])
            : (targetDeployed?.outputs ?? []);
          if (!target && !targetDeployed) {
            diag(c.unit, { file: c.file, ...pos, message: `unknown TFWorkspaceClaim "${p.claim}" in placeholder ${p.raw} of claim "${c.claim.name}"` });
            continue;
          }
          if (!outputs.includes(p.output)) {
            diag(c.unit, {
              file: c.file,
              ...pos,
              message: `TFWorkspaceClaim "${p.claim}" does not declare output "${p.output}" (placeholder ${p.raw} in claim "${c.claim.name}"); add it to providers.terraform.writeConnectionSecretToRef.outputs of "${p.claim}"`
            });
            continue;
          }
          if (target) {
            const list = edges.get(c.claim.name) ?? [];
            list.push({ to: p.claim, pos });
            edges.set(c.claim.name, list);
          }
        }
        built.set(c.claim.name, { values: value, placeholders });
      }

      // 5. Cycles between workspaces.
      const inCycle = new Set<string>();
      const state = new Map<string, 'visiting' | 'done'>();
      const stack: string[] = [];
      const visit = (n: string): void => {
        state.set(n, 'visiting');
        stack.push(n);
        const out = [...(edges.get(n) ?? [])].sort((a, b) => cmp(a.to, b.to));
        for (const e of out) {
          const s = state.get(e.to);
          if (s === 'visiting') {
            const cycle = [...stack.slice(stack.indexOf(e.to)), e.to];
            const c = byName.get(e.to)!;
            for (const m of cycle) inCycle.add(m);
            const firstEdge = (edges.get(e.to) ?? []).find((x) => x.to === cycle[1]);
            diag(c.unit, {
              file: c.file,
              ...(firstEdge?.pos ?? c.doc.start),
              message: `workspace references form a cycle: ${cycle.join(' -> ')}; a workspace cannot depend on its own outputs`
            });
          } else if (s === undefined) {
            visit(e.to);
          }
        }
        stack.pop();
        state.set(n, 'done');
      };
      for (const n of [...edges.keys()].sort(cmp)) if (!state.has(n)) visit(n);

      // 6. Emit.
      const resourcesByUnit = new Map<string, Resource[]>();
      for (const c of byName.values()) {
        const r = resolved.get(c.claim.name);
        const b = built.get(c.claim.name);
        if (!r || !b || inCycle.has(c.claim.name)) continue;
        const mapping = providerMappingFor(c.entry, c.unit, c.claim.resourceType);
        if (!mapping) {
          const known = Object.keys(c.entry.resourceTypes).sort(cmp);
          diag(c.unit, {
            file: c.file,
            ...c.doc.positionOf(['resourceType']),
            message: `unknown resourceType "${c.claim.resourceType}" in claim "${c.claim.name}"; add it to resourceTypes of the terraform entry "${c.entry.match}"${known.length ? ` (known: ${known.join(', ')})` : ''}`
          });
          continue;
        }
        const object = buildWorkspace(c, r, b, mapping, resolved, deployed);
        const list = resourcesByUnit.get(c.unit.id) ?? [];
        list.push({ object, unit: c.unit.id, source: { file: c.file, ...c.doc.start } });
        resourcesByUnit.set(c.unit.id, list);
      }

      return input.units.map((unit) => {
        const diagnostics = diagsByUnit.get(unit.id) ?? [];
        const failed = diagnostics.some((d) => d.severity === 'error');
        const resources = (resourcesByUnit.get(unit.id) ?? []).sort((a, b) =>
          cmp(String((a.object['metadata'] as Record<string, unknown>)['name']), String((b.object['metadata'] as Record<string, unknown>)['name']))
        );
        const reqs = (requires.get(unit.id) ?? []).sort((a, b) => cmp(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || cmp(a.ref, b.ref));
        return {
          unit,
          status: failed ? 'failed' : 'rendered',
          resources: failed ? [] : resources,
          artifacts: [],
          diagnostics,
          provides: failed
            ? []
            : resources.flatMap((res) => {
                const labels = (res.object['metadata'] as Record<string, Record<string, string>>)['labels'];
                const claim = labels?.[CLAIM_REF_LABEL] ?? '';
                const tf = byName.get(claim)?.claim.providers.terraform;
                return (tf?.writeConnectionSecretToRef?.outputs ?? []).map((o) => ({ ref: `tfworkspace:${claim}/outputs.${o}` }));
              }),
          requires: reqs
        } satisfies RenderedUnit;
      });
    }
  };
}

function buildWorkspace(
  c: LoadedClaim,
  r: { key: string; name: string },
  b: { values: unknown; placeholders: Placeholder[] },
  mapping: { backend: string; providers: string[] },
  resolved: Map<string, { key: string; name: string }>,
  deployed: Map<string, DeployedWorkspace>
): KubeObject {
  const tf = c.claim.providers.terraform;
  const references = new Map<string, { name: string; ref: { kind: string; name: string; key: string } }>();
  for (const p of b.placeholders) {
    const name = referenceName(p);
    if (references.has(name)) continue;
    references.set(
      name,
      p.kind === 'secret'
        ? { name, ref: { kind: 'Secret', name: p.claim, key: p.key } }
        : {
            name,
            ref: {
              kind: WORKSPACE_KIND,
              name: resolved.get(p.claim)?.name ?? deployed.get(p.claim)?.name ?? p.claim,
              key: p.output
            }
          }
    );
  }
  const metadata: Record<string, unknown> = {
    name: r.name,
    ...(c.entry.namespace ? { namespace: c.entry.namespace } : {}),
    labels: { [CLAIM_REF_LABEL]: c.claim.name },
    annotations: {
      'firestartr.dev/claim-ref': `TFWorkspaceClaim/${c.claim.name}`,
      'firestartr.dev/external-name': tf.name ?? c.claim.name,
      'firestartr.dev/policy': c.entry.policy,
      'firestartr.dev/sync-enabled': 'true',
      'firestartr.dev/sync-period': c.entry.syncPeriod,
      'firestartr.dev/sync-policy': 'observe'
    }
  };
  const spec: Record<string, unknown> = {
    context: {
      backend: { ref: { kind: 'FirestartrProviderConfig', name: mapping.backend } },
      providers: mapping.providers.map((name) => ({ ref: { kind: 'FirestartrProviderConfig', name } }))
    },
    firestartr: { tfStateKey: r.key },
    source: tf.source === 'remote' ? 'Remote' : 'Inline',
    module: tf.module,
    values: JSON.stringify(sortKeysDeep(b.values))
  };
  if (tf.files.length > 0) {
    spec['files'] = [...tf.files]
      .sort((x, y) => cmp(x.path, y.path))
      .map((f) => ({ path: f.path, content: Buffer.from(f.content, 'utf8').toString('base64') }));
  }
  if (references.size > 0) {
    spec['references'] = [...references.values()].sort((x, y) => cmp(x.name, y.name));
  }
  if (tf.writeConnectionSecretToRef) {
    spec['writeConnectionSecretToRef'] = {
      name: tf.writeConnectionSecretToRef.name ?? `${c.claim.name}-outputs`,
      outputs: tf.writeConnectionSecretToRef.outputs.map((key) => ({ key }))
    };
  }
  return { apiVersion: WORKSPACE_API_VERSION, kind: WORKSPACE_KIND, metadata, spec };
}
