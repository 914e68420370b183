export { createKubernetesRenderer, renderKubernetesUnit, KUSTOMIZATION_FILES, UNIT_PATCHES_FILE } from './kubernetes-renderer.js';
export { helmRelease, helmTemplateArgs, isLocalChart } from './helm-release.js';
export type { HelmRelease } from './helm-release.js';
