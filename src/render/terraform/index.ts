export { createTerraformRenderer, defaultStateKey } from './terraform-renderer.js';
