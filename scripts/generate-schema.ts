/**
 * Writes `schema/hydrate.schema.json` (the JSON Schema of `hydrate.yaml`) from the zod schema,
 * so editors can validate and complete config files. Deterministic: running it twice gives
 * the same bytes. Usage: `npm run schema`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import { hydrateConfig } from '../src/settings/schema/config.js';

export const SCHEMA_PATH = 'schema/hydrate.schema.json';

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
export function schemaId(pkg = readPackageJson()): string {
  const major = pkg.version.split('.')[0];
  return `https://raw.githubusercontent.com/${githubRepository(pkg)}/v${major}/${SCHEMA_PATH}`;
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

function main(): void {
  const target = fileURLToPath(new URL(`../${SCHEMA_PATH}`, import.meta.url));
  writeFileSync(target, schemaJson());
  process.stdout.write(`wrote ${SCHEMA_PATH}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
