/** Validates objects against the FirestartrTerraformWorkspace CRD's openAPIV3Schema (ajv). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

// The CRD is vendored in __tests__/fixtures/crds (see the README there), so a fresh clone tests alone.
const CRD_PATH = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'fixtures', 'crds', 'firestartr.dev_terraformworkspaces.yaml');

/** The CRD's validator; throws when the CRD is missing, so that a check never passes by skipping. */
export function loadWorkspaceValidator(): (o: unknown) => string[] {
  if (!existsSync(CRD_PATH)) throw new Error(`CRD not found at ${CRD_PATH}: it is vendored in __tests__/fixtures/crds`);
  const crd = parse(readFileSync(CRD_PATH, 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] };
  };
  const schema = crd.spec.versions.find((v) => v.name === 'v1')!.schema.openAPIV3Schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addKeyword('x-kubernetes-list-map-keys');
  ajv.addKeyword('x-kubernetes-list-type');
  const validate = ajv.compile({ ...schema, additionalProperties: true });
  return (o) => (validate(o) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}
