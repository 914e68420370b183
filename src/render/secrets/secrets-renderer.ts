/**
 * The secrets renderer: `SecretsClaim` documents → External Secrets Operator resources
 * (ExternalSecret, PushSecret, Password generator). Every key a claim declares ends up in the
 * Secret named after the claim, which is what `${{ secret:<claim>.<key> }}` refers to.
 * The layout is documented in docs/claims.md.
 */
import type { Diagnostic } from '../../diagnostics.js';
import { cmp, describeIdentity, mustIdentity, type KubeObject, type Resource } from '../../resources/resource.js';
import type { RenderedUnit, Renderer, RenderInput } from '../renderer.js';
import type { SecretsEntry } from '../../settings/schema/secrets.js';
import { readUnitClaimFiles, zodDiagnostics } from '../claim-documents.js';
import { secretsClaim, type SecretsClaim } from './claim.js';

export const EXTERNAL_SECRET_API_VERSION = 'external-secrets.io/v1';
export const PUSH_SECRET_API_VERSION = 'external-secrets.io/v1alpha1';
export const GENERATOR_API_VERSION = 'generators.external-secrets.io/v1alpha1';

type EsoModels = [
  typeof import('@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret'),
  typeof import('@kubernetes-models/external-secrets/external-secrets.io/v1alpha1/PushSecret'),
  typeof import('@kubernetes-models/external-secrets/generators.external-secrets.io/v1alpha1/Password')
];
let esoModels: Promise<EsoModels> | undefined;

/**
 * The typed ESO models, loaded on first use: they bring JSON-schema validators (ajv and its
 * formats) whose set-up would otherwise be part of every run's start, with or without secrets units.
 */
function loadEsoModels(): Promise<EsoModels> {
  // One after the other: they share modules, and jest's module linker fails on concurrent imports of one.
  return (esoModels ??= (async (): Promise<EsoModels> => [
    await import('@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret'),
    await import('@kubernetes-models/external-secrets/external-secrets.io/v1alpha1/PushSecret'),
    await import('@kubernetes-models/external-secrets/generators.external-secrets.io/v1alpha1/Password')
  ])());
}

/** Validates an emitted object with the typed ESO models; resolves to the problem or undefined. */
export async function validateEsoObject(object: KubeObject): Promise<string | undefined> {
  const [{ ExternalSecret }, { PushSecret }, { Password }] = await loadEsoModels();
  try {
    const kind = object['kind'];
    const apiVersion = object['apiVersion'];
    if (kind === 'ExternalSecret' && apiVersion === EXTERNAL_SECRET_API_VERSION) new ExternalSecret(object as never).validate();
    else if (kind === 'PushSecret' && apiVersion === PUSH_SECRET_API_VERSION) new PushSecret(object as never).validate();
    else if (kind === 'Password' && apiVersion === GENERATOR_API_VERSION) new Password(object as never).validate();
    else return `no validation model for ${String(apiVersion)} ${String(kind)}`;
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

interface Emitted {
  object: KubeObject;
  path: (string | number)[];
}

/** The ESO objects for one claim, with the claim path each comes from (for error positions). */
export function buildSecretsObjects(
  claim: SecretsClaim,
  entry: SecretsEntry
): { objects: Emitted[]; problems: { path: (string | number)[]; message: string }[] } {
  const es = claim.providers.external_secrets;
  const ns = entry.namespace ? { namespace: entry.namespace } : {};
  const labels = { 'claim-ref': claim.name };
  const store = { name: es.secretStore.name, kind: es.secretStore.kind };
  const objects: Emitted[] = [];
  const problems: { path: (string | number)[]; message: string }[] = [];
  const seenKeys = new Set<string>();
  const data: Record<string, unknown>[] = [];
  if (es.name !== undefined && es.name !== claim.name) {
    problems.push({ path: ['providers', 'external_secrets', 'name'], message: `providers.external_secrets.name "${es.name}" differs from the claim's name "${claim.name}": it must be the claim's name (or be left out)` });
  }

  const external = es.externalSecrets?.secrets ?? [];
  external.forEach((s, i) => {
    const path = ['providers', 'external_secrets', 'externalSecrets', 'secrets', i, 'secretName'];
    if (seenKeys.has(s.secretName)) {
      problems.push({ path, message: `duplicate secret key "${s.secretName}" in SecretsClaim "${claim.name}"` });
      return;
    }
    seenKeys.add(s.secretName);
    data.push({
      secretKey: s.secretName,
      remoteRef: {
        key: s.remoteRef ?? s.secretName,
        ...(s.property ? { property: s.property } : {}),
        ...(s.version ? { version: s.version } : {})
      }
    });
  });

  const generators = new Set<string>();
  es.pushSecrets.forEach((p, i) => {
    const base = ['providers', 'external_secrets', 'pushSecrets', i];
    if (seenKeys.has(p.secretName)) {
      problems.push({ path: [...base, 'secretName'], message: `duplicate secret key "${p.secretName}" in SecretsClaim "${claim.name}"` });
      return;
    }
    if (p.secretName === claim.name) {
      problems.push({
        path: [...base, 'secretName'],
        message: `push secret "${p.secretName}" has the claim's own name; the Secret "${claim.name}" holds every key of the claim, choose another secretName`
      });
      return;
    }
    seenKeys.add(p.secretName);
    const g = p.generator;
    if (!g.existing) {
      if (g.kind !== 'Password' || g.apiVersion !== GENERATOR_API_VERSION) {
        problems.push({
          path: [...base, 'generator', 'kind'],
          message: `generator ${g.apiVersion} ${g.kind} cannot be generated from a claim; only ${GENERATOR_API_VERSION} Password is, set generator.existing: true to refer to one that exists`
        });
        return;
      }
      if (!generators.has(g.name)) {
        generators.add(g.name);
        objects.push({
          path: [...base, 'generator'],
          object: {
            apiVersion: GENERATOR_API_VERSION,
            kind: 'Password',
            metadata: { name: g.name, ...ns, labels },
            spec: {
              length: g.length,
              ...(g.digits !== undefined ? { digits: g.digits } : {}),
              ...(g.symbols !== undefined ? { symbols: g.symbols } : {}),
              noUpper: g.noUpper,
              allowRepeat: g.allowRepeat
            }
          }
        });
      }
    }
    const refresh = p.refreshInterval ?? '0s';
    const remoteKey = p.remoteRef ?? p.secretName;
    objects.push({
      path: base,
      object: {
        apiVersion: EXTERNAL_SECRET_API_VERSION,
        kind: 'ExternalSecret',
        metadata: { name: p.secretName, ...ns, labels },
        spec: {
          refreshInterval: refresh,
          target: { name: p.secretName, creationPolicy: 'Owner' },
          dataFrom: [{ sourceRef: { generatorRef: { apiVersion: g.apiVersion, kind: g.kind, name: g.name } } }]
        }
      }
    });
    objects.push({
      path: base,
      object: {
        apiVersion: PUSH_SECRET_API_VERSION,
        kind: 'PushSecret',
        metadata: { name: p.secretName, ...ns, labels },
        spec: {
          refreshInterval: refresh,
          secretStoreRefs: [store],
          selector: { secret: { name: p.secretName } },
          updatePolicy: 'IfNotExists',
          deletionPolicy: 'None',
          data: [{ conversionStrategy: g.conversionStrategy, match: { secretKey: g.outputKey, remoteRef: { remoteKey } } }]
        }
      }
    });
    // Read the pushed value back, so the claim's Secret holds every key of the claim.
    data.push({ secretKey: p.secretName, remoteRef: { key: remoteKey } });
  });

  if (data.length > 0) {
    objects.unshift({
      path: ['providers', 'external_secrets'],
      object: {
        apiVersion: EXTERNAL_SECRET_API_VERSION,
        kind: 'ExternalSecret',
        metadata: { name: claim.name, ...ns, labels },
        spec: {
          refreshInterval: es.externalSecrets?.refreshInterval ?? entry.refreshInterval,
          secretStoreRef: store,
          target: { name: claim.name, creationPolicy: 'Owner' },
          data
        }
      }
    });
  }
  return { objects, problems };
}

export function createSecretsRenderer(): Renderer {
  return {
    name: 'secrets',
    async render(input: RenderInput): Promise<RenderedUnit[]> {
      const results: RenderedUnit[] = [];
      const claimUnits = new Map<string, string>();
      for (const unit of input.units) {
        const diagnostics: Diagnostic[] = [];
        const resources: Resource[] = [];
        const provides: string[] = [];
        const entry = input.settings.config.secrets[unit.entry];
        if (!entry) {
          diagnostics.push({ severity: 'error', unit: unit.id, message: `no secrets config entry #${unit.entry} for this unit` });
        } else {
          for (const { file, parsed } of await readUnitClaimFiles(input.files, input.repoRoot, unit)) {
            diagnostics.push(...parsed.diagnostics);
            for (const doc of parsed.documents) {
              const r = secretsClaim.safeParse(doc.value);
              if (!r.success) {
                diagnostics.push(...zodDiagnostics(r.error, doc, file, unit.id, 'SecretsClaim'));
                continue;
              }
              const claim = r.data;
              const firstUnit = claimUnits.get(claim.name);
              if (firstUnit !== undefined) {
                diagnostics.push({
                  severity: 'error',
                  unit: unit.id,
                  file,
                  ...doc.positionOf(['name']),
                  message: `duplicate SecretsClaim "${claim.name}" (also in ${firstUnit}); claim names must be unique`
                });
                continue;
              }
              claimUnits.set(claim.name, `${file}`);
              const { objects, problems } = buildSecretsObjects(claim, entry);
              for (const p of problems) diagnostics.push({ severity: 'error', unit: unit.id, file, ...doc.positionOf(p.path), message: p.message });
              for (const o of objects) {
                const problem = await validateEsoObject(o.object);
                if (problem) {
                  diagnostics.push({
                    severity: 'error',
                    unit: unit.id,
                    file,
                    ...doc.positionOf(o.path),
                    message: `${describeIdentity(mustIdentity(o.object))} from SecretsClaim "${claim.name}" is not valid: ${problem}`
                  });
                  continue;
                }
                resources.push({ object: o.object, unit: unit.id, source: { file, ...doc.positionOf(o.path) } });
              }
              const es = claim.providers.external_secrets;
              for (const s of es.externalSecrets?.secrets ?? []) provides.push(`secret:${claim.name}/${s.secretName}`);
              for (const s of es.pushSecrets) provides.push(`secret:${claim.name}/${s.secretName}`);
            }
          }
        }
        const failed = diagnostics.some((d) => d.severity === 'error');
        results.push({
          unit,
          status: failed ? 'failed' : 'rendered',
          resources: failed ? [] : resources,
          artifacts: [],
          diagnostics,
          // A failed unit provides nothing, as in the terraform renderer: cross-checks run only
          // when no unit failed, so they never see a failed unit's references anyway.
          provides: failed ? [] : [...new Set(provides)].sort(cmp).map((ref) => ({ ref })),
          requires: []
        });
      }
      return results;
    }
  };
}
