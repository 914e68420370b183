/** The renderers Hydrate ships, by name. */
import type { Renderer } from './renderer.js';
import { createKubernetesRenderer } from './kubernetes/index.js';
import { createTerraformRenderer } from './terraform/index.js';
import { createSecretsRenderer } from './secrets/index.js';

export function defaultRenderers(): Renderer[] {
  return [createKubernetesRenderer(), createTerraformRenderer(), createSecretsRenderer()];
}
