/**
 * The renderers Hydrate ships, by name: the one place that maps a renderer's name (the names
 * themselves are the config's, `src/settings/schema/renderers.ts`) to its implementation. The
 * pipeline reaches a renderer through here and never names one.
 */
import type { RendererName } from '../settings/schema/renderers.js';
import type { Renderer } from './renderer.js';
import { createKubernetesRenderer } from './kubernetes/index.js';
import { createTerraformRenderer } from './terraform/index.js';
import { createSecretsRenderer } from './secrets/index.js';

const FACTORIES: Record<RendererName, () => Renderer> = {
  kubernetes: createKubernetesRenderer,
  terraform: createTerraformRenderer,
  secrets: createSecretsRenderer
};

const shared = new Map<RendererName, Renderer>();

/** The renderer of that name (one shared instance: renderers keep no state between calls). */
export function rendererFor(name: RendererName): Renderer {
  let r = shared.get(name);
  if (!r) shared.set(name, (r = FACTORIES[name]()));
  return r;
}

/** Every renderer, in the order of their names. */
export function defaultRenderers(): Renderer[] {
  return (Object.keys(FACTORIES) as RendererName[]).map((name) => FACTORIES[name]());
}
