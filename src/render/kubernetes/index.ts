export { createKubernetesRenderer, renderKubernetesUnit, UNIT_PATCHES_FILE } from './kubernetes-renderer.js';
export { KUSTOMIZATION_FILES } from './unit-type.js';
export { helmRelease, helmTemplateArgs, isLocalChart } from './helm-release.js';
export type { HelmRelease } from './helm-release.js';
