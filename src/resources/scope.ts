/**
 * Whether a kind is cluster-scoped: the built-in kinds Kubernetes serves cluster-scoped, a few
 * widely used custom resources, and the CustomResourceDefinitions found next to the objects.
 */
import { isRecord, type KubeObject, type ResourceIdentity } from './resource.js';

/** `group/kind` of cluster-scoped kinds (core group ''). */
const BUILT_IN = new Set<string>([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'authentication.k8s.io/TokenReview',
  'authentication.k8s.io/SelfSubjectReview',
  'authorization.k8s.io/SelfSubjectAccessReview',
  'authorization.k8s.io/SelfSubjectRulesReview',
  'authorization.k8s.io/SubjectAccessReview',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress',
  'networking.k8s.io/ServiceCIDR',
  'node.k8s.io/RuntimeClass',
  'policy/PodSecurityPolicy',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'resource.k8s.io/DeviceClass',
  'resource.k8s.io/ResourceSlice',
  'scheduling.k8s.io/PriorityClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass',
  'storagemigration.k8s.io/StorageVersionMigration',
  'internal.apiserver.k8s.io/StorageVersion',
  // Widely used custom resources, for when their CRD is not rendered alongside.
  'cert-manager.io/ClusterIssuer',
  'external-secrets.io/ClusterSecretStore',
  'external-secrets.io/ClusterExternalSecret',
  'external-secrets.io/ClusterGenerator',
  'kyverno.io/ClusterPolicy',
  'gateway.networking.k8s.io/GatewayClass',
  'snapshot.storage.k8s.io/VolumeSnapshotClass',
  'snapshot.storage.k8s.io/VolumeSnapshotContent',
  'karpenter.sh/NodePool',
  'karpenter.k8s.aws/EC2NodeClass'
]);

/** `group/kind` → scope, from the CustomResourceDefinitions among `objects`. */
export function crdScopes(objects: Iterable<KubeObject>): Map<string, 'Cluster' | 'Namespaced'> {
  const out = new Map<string, 'Cluster' | 'Namespaced'>();
  for (const o of objects) {
    if (o['kind'] !== 'CustomResourceDefinition' || typeof o['apiVersion'] !== 'string' || !o['apiVersion'].startsWith('apiextensions.k8s.io/')) continue;
    const spec = o['spec'];
    if (!isRecord(spec) || typeof spec['group'] !== 'string' || !isRecord(spec['names'])) continue;
    const kind = spec['names']['kind'];
    if (typeof kind !== 'string') continue;
    out.set(`${spec['group']}/${kind}`, spec['scope'] === 'Cluster' ? 'Cluster' : 'Namespaced');
  }
  return out;
}

/** True when objects of this identity's kind are cluster-scoped (a CRD in `crds` decides over the built-in list). */
export function isClusterScoped(id: Pick<ResourceIdentity, 'group' | 'kind'>, crds?: ReadonlyMap<string, string>): boolean {
  const key = `${id.group}/${id.kind}`;
  const fromCrd = crds?.get(key);
  if (fromCrd !== undefined) return fromCrd === 'Cluster';
  return BUILT_IN.has(key);
}
