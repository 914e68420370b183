/** Hydrate's version, recorded in the wet index and in commit trailers. Kept equal to package.json (checked by a test). */
export const VERSION = '0.1.0';
