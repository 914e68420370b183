/** The names of Hydrate's renderers: each is also the config's key for its entries (`kubernetes: [...]`). */
export const RENDERER_NAMES = ['kubernetes', 'terraform', 'secrets'] as const;
export type RendererName = (typeof RENDERER_NAMES)[number];
