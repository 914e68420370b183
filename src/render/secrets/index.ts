export { createSecretsRenderer, buildSecretsObjects, validateEsoObject } from './secrets-renderer.js';
