/**
 * Validation of object kinds and names, by the rules the Kubernetes API server applies, so that a
 * name it would refuse (or one holding control characters, which reach logs and file names) is
 * an error naming the unit and the object before anything is written.
 *
 * The rules, decided as Kubernetes decides them:
 * - every object: `metadata.name` is a path-segment-safe name (not `.` or `..`, no `/` or `%`:
 *   what the API server demands of every name, e.g. RBAC `system:controller:x` is fine), at most
 *   253 characters, and — Hydrate's own rule — no control characters;
 * - the built-in kinds that Kubernetes validates as DNS-1123 subdomains (ConfigMap, Secret,
 *   Deployment, …: lowercase letters, digits, `-` and `.`), as DNS-1123 labels (Namespace: no
 *   `.`, at most 63) or DNS-1035 labels (Service: begins with a letter) follow those rules;
 *   custom resources and RBAC kinds are held to the general rule only;
 * - `metadata.namespace`, when set, is a DNS-1123 label;
 * - `kind` is a letter followed by letters, digits or `-` (at most 63), as CRDs require.
 * Pure.
 */
import type { Diagnostic } from '../diagnostics.js';
import { apiGroupOf, isRecord, type Resource } from './resource.js';

/** A DNS-1123 label (a namespace, most names): lowercase letters, digits and `-`. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain (dotted labels). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Za-z]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

type Rule = 'subdomain' | 'label' | 'dns1035';

/** `group/kind` → the rule Kubernetes applies to its names ('' group: core). */
const RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ...[
    'ConfigMap', 'Secret', 'Pod', 'ServiceAccount', 'PersistentVolumeClaim', 'PersistentVolume', 'Endpoints',
    'LimitRange', 'ResourceQuota', 'ReplicationController', 'PodTemplate'
  ].map((k): [string, Rule] => [`/${k}`, 'subdomain']),
  ['/Namespace', 'label'],
  ['/Service', 'dns1035'],
  ...['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision'].map((k): [string, Rule] => [`apps/${k}`, 'subdomain']),
  ['batch/Job', 'subdomain'],
  ['batch/CronJob', 'subdomain'],
  ['networking.k8s.io/Ingress', 'subdomain'],
  ['networking.k8s.io/IngressClass', 'subdomain'],
  ['networking.k8s.io/NetworkPolicy', 'subdomain'],
  ['policy/PodDisruptionBudget', 'subdomain'],
  ['autoscaling/HorizontalPodAutoscaler', 'subdomain'],
  ['storage.k8s.io/StorageClass', 'subdomain'],
  ['scheduling.k8s.io/PriorityClass', 'subdomain'],
  ['apiextensions.k8s.io/CustomResourceDefinition', 'subdomain'],
  ['admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'subdomain'],
  ['admissionregistration.k8s.io/MutatingWebhookConfiguration', 'subdomain']
]);

const RULE_TEXT: Record<Rule, string> = {
  subdomain: 'a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters)',
  label: 'a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
  dns1035: 'a DNS-1035 label (lowercase letters, digits and "-", starting with a letter, at most 63 characters)'
};

function ruleProblem(name: string, rule: Rule): string | undefined {
  const ok =
    rule === 'subdomain'
      ? name.length <= 253 && DNS1123_SUBDOMAIN.test(name)
      : name.length <= 63 && (rule === 'label' ? DNS1123_LABEL : DNS1035_LABEL).test(name);
  return ok ? undefined : RULE_TEXT[rule];
}

/** Why `name` cannot be any object's name, or undefined. */
export function generalNameProblem(name: string): string | undefined {
  if (CONTROL.test(name)) return 'it contains a control character';
  if (name === '.' || name === '..') return `it is "${name}"`;
  if (name.includes('/') || name.includes('%')) return 'it contains "/" or "%"';
  if (name.length > 253) return 'it is longer than 253 characters';
  return undefined;
}

/** Errors for objects whose kind, name or namespace Kubernetes (or Hydrate's file names) cannot take. */
export function checkObjectNames(resources: readonly Resource[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of resources) {
    const o = r.object;
    const kind = o['kind'];
    const apiVersion = o['apiVersion'];
    const metadata = isRecord(o['metadata']) ? o['metadata'] : {};
    const name = metadata['name'];
    const namespace = metadata['namespace'];
    // Missing fields are checkIdentities' to report.
    if (typeof kind !== 'string' || typeof name !== 'string' || typeof apiVersion !== 'string' || kind === '' || name === '') continue;
    const what = `object ${JSON.stringify(kind)} ${JSON.stringify(name)}`;
    const err = (message: string): void => {
      out.push({ severity: 'error', unit: r.unit, ...r.source, message: `${what}: ${message}` });
    };
    if (kind.length > 63 || !KIND.test(kind)) {
      err('kind must be a letter followed by letters, digits or "-" (at most 63 characters), as Kubernetes requires');
      continue;
    }
    const general = generalNameProblem(name);
    if (general) {
      err(`metadata.name is not a name Kubernetes accepts: ${general}`);
      continue;
    }
    const rule = RULES.get(`${apiGroupOf(apiVersion)}/${kind}`);
    const specific = rule ? ruleProblem(name, rule) : undefined;
    if (specific) err(`metadata.name of a ${kind} must be ${specific}`);
    if (namespace !== undefined && (typeof namespace !== 'string' || (namespace !== '' && (namespace.length > 63 || !DNS1123_LABEL.test(namespace))))) {
      err(`metadata.namespace ${JSON.stringify(namespace)} must be ${RULE_TEXT.label}`);
    }
  }
  return out;
}
