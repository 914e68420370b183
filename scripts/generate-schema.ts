/**
 * Writes `schema/hydrate.schema.json` (the JSON Schema of `hydrate.yaml`) from the zod schema,
 * so editors can validate and complete config files. Deterministic: running it twice gives
 * the same bytes. Usage: `npm run schema`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import { hydrateConfig } from '../src/settings/schema/config.js';

export const SCHEMA_ID = 'urn:hydrate:config:v1';
export const SCHEMA_PATH = 'schema/hydrate.schema.json';

/**
 * The JSON Schema object for the config, as editors read it (input side: defaults optional), in
 * draft-07: the dialect the common YAML editor extension (yaml-language-server) completes from.
 */
export function schemaObject(): Record<string, unknown> {
  const generated = z.toJSONSchema(hydrateConfig, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: SCHEMA_ID,
    title: 'Hydrate configuration (hydrate.yaml)',
    description: 'Which dry directories are rendered by which renderer, and where their output goes in the wet tree.',
    ...rest
  };
}

/** The file contents: 2-space JSON with a trailing newline. */
export function schemaJson(): string {
  return `${JSON.stringify(schemaObject(), null, 2)}\n`;
}

function main(): void {
  const target = fileURLToPath(new URL(`../${SCHEMA_PATH}`, import.meta.url));
  writeFileSync(target, schemaJson());
  process.stdout.write(`wrote ${SCHEMA_PATH}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
