export { createKubernetesRenderer, renderKubernetesUnit } from './kubernetes-renderer.js';
export { helmRelease, helmTemplateArgs } from './helm-release.js';
