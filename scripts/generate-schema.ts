/**
 * Writes `schema/hydrate.schema.json` (the JSON Schema of `hydrate.yaml`) from the zod schema,
 * so editors can validate and complete config files, and `schema/image-update.schema.json` (the
 * payload of an image-update dispatch) from its zod schema. Deterministic: running it twice gives
 * the same bytes. Usage: `npm run schema`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import { hydrateConfig } from '../src/settings/schema/config.js';
import { imageUpdate } from '../src/dry/pins/payload.js';

export const SCHEMA_PATH = 'schema/hydrate.schema.json';
export const IMAGE_UPDATE_SCHEMA_PATH = 'schema/image-update.schema.json';

/** `owner/name` of the GitHub repository named by package.json's `repository` field. */
export function githubRepository(pkg: { repository?: string | { url?: string } } = readPackageJson()): string {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const m = url ? /github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?$/.exec(url) : null;
  if (!m) throw new Error(`package.json: "repository" does not name a GitHub repository (${String(url)})`);
  return `${m[1]}/${m[2]}`;
}

function readPackageJson(): { version: string; repository?: string | { url?: string } } {
  return JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string; repository?: string | { url?: string } };
}

/**
 * A stable URL of the schema: the raw file at the major version's tag (`v0`), which the release
 * workflow moves to every `v0.Y.Z` release.
 */
export function schemaId(pkg = readPackageJson(), file = SCHEMA_PATH): string {
  const major = pkg.version.split('.')[0];
  return `https://raw.githubusercontent.com/${githubRepository(pkg)}/v${major}/${file}`;
}

/**
 * The JSON Schema object for the config, as editors read it (input side: defaults optional), in
 * draft-07: the dialect the common YAML editor extension (yaml-language-server) completes from.
 */
export function schemaObject(): Record<string, unknown> {
  const generated = z.toJSONSchema(hydrateConfig, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: schemaId(),
    title: 'Hydrate configuration (hydrate.yaml)',
    description: 'Which dry directories are rendered by which renderer, and where their output goes in the wet tree.',
    ...rest
  };
}

/** The file contents: 2-space JSON with a trailing newline. */
export function schemaJson(): string {
  return `${JSON.stringify(schemaObject(), null, 2)}\n`;
}

/**
 * The JSON Schema of an image update (a dispatch's client_payload), draft-07. What zod checks
 * across fields is added: each image gives exactly one of tag and digest, and units or
 * coordinates.
 */
export function imageUpdateSchemaObject(): Record<string, unknown> {
  const generated = z.toJSONSchema(imageUpdate, { io: 'input', target: 'draft-7' }) as unknown as Record<string, unknown> & { properties: { images: { items: Record<string, unknown> } } };
  const { $schema, ...rest } = generated;
  const items = rest.properties.images.items;
  items['allOf'] = [{ oneOf: [{ required: ['tag'] }, { required: ['digest'] }] }, { anyOf: [{ required: ['units'] }, { required: ['coordinates'] }] }];
  const coordinates = (items['properties'] as Record<string, Record<string, unknown>>)['coordinates']!;
  coordinates['minProperties'] = 1;
  return {
    $schema,
    $id: schemaId(readPackageJson(), IMAGE_UPDATE_SCHEMA_PATH),
    title: 'Hydrate image update (the client_payload of a repository_dispatch)',
    ...rest
  };
}

export function imageUpdateSchemaJson(): string {
  return `${JSON.stringify(imageUpdateSchemaObject(), null, 2)}\n`;
}

function main(): void {
  for (const [file, text] of [
    [SCHEMA_PATH, schemaJson()],
    [IMAGE_UPDATE_SCHEMA_PATH, imageUpdateSchemaJson()]
  ] as const) {
    writeFileSync(fileURLToPath(new URL(`../${file}`, import.meta.url)), text);
    process.stdout.write(`wrote ${file}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
