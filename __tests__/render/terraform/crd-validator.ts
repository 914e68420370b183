/** Validates objects against the FirestartrTerraformWorkspace CRD's openAPIV3Schema (ajv). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

const CRD_PATH = path.resolve(process.cwd(), '../shared/reference/crds/firestartr.dev_terraformworkspaces.yaml');

/** undefined (with a visible message) when the CRD is not present on this machine. */
export function loadWorkspaceValidator(): ((o: unknown) => string[]) | undefined {
  if (!existsSync(CRD_PATH)) {
    console.warn(`CRD not found at ${CRD_PATH}: skipping CRD validation`);
    return undefined;
  }
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
