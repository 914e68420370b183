export { createTerraformRenderer, defaultStateKey, WORKSPACE_API_VERSION, WORKSPACE_KIND, CLAIM_REF_LABEL } from './terraform-renderer.js';
