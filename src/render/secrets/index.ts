export { createSecretsRenderer, validateEsoObject } from './secrets-renderer.js';
