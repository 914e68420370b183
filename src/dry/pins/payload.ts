/**
 * The image update an application's CI sends (the `client_payload` of a `repository_dispatch`, or
 * the `payload` input of a `workflow_dispatch`): which images, at which tag or digest, for which
 * units. One zod schema is the source of truth for validation and for the generated JSON Schema
 * (`schema/image-update.schema.json`). Pure.
 */
import * as z from 'zod';
import { ConfigError, type Diagnostic } from '../../diagnostics.js';
import { globProblem } from '../select.js';

/**
 * An image name as a registry reference without tag or digest (the distribution reference
 * grammar): an optional registry host (with port), then lowercase path components.
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?)`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const IMAGE_NAME = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
/** A tag: word characters, `.` and `-`, at most 128, not starting with `.` or `-`. */
export const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
/** A digest: `sha256:` and 64 lowercase hex digits (or `sha512:` and 128). */
export const IMAGE_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** A GitHub login (`alice`, `renovate[bot]`) or a team (`org/team`). */
const REVIEWER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\]|\/[A-Za-z0-9._-]{1,100})?$/;
/** `owner/name` of a GitHub repository. */
const REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
/** A coordinate name as a match pattern captures it, and a value as a directory name holds it. */
const COORDINATE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export const imagePinRequest = z
  .object({
    name: z
      .string()
      .max(255)
      .regex(IMAGE_NAME, 'must be an image name without tag or digest, e.g. ghcr.io/acme/web (lowercase path, no spaces)')
      .describe('The image, as the units name it, without tag or digest: e.g. ghcr.io/acme/web'),
    tag: z.string().regex(IMAGE_TAG, 'must be a tag: letters, digits, _, . and -, at most 128, not starting with . or -').optional().describe('The new tag (give tag or digest)'),
    digest: z.string().regex(IMAGE_DIGEST, 'must be sha256: and 64 lowercase hex digits (or sha512: and 128)').optional().describe('The new digest, sha256:… (give tag or digest)'),
    units: z
      .array(z.string().min(1).max(256))
      .min(1, 'must list at least one unit directory glob')
      .optional()
      .describe('Globs over unit directories (or ids), e.g. kubernetes/*/acme/dev'),
    coordinates: z
      .record(z.string().regex(COORDINATE_NAME, 'must be a coordinate name'), z.string().min(1))
      .optional()
      .describe('Coordinates the units must have, e.g. {"app": "web", "env": "dev"}')
  })
  .strict()
  .describe('One image to pin: give tag or digest, and units or coordinates (both: a unit must match both)');

export const imageUpdate = z
  .object({
    images: z.array(imagePinRequest).min(1, 'must list at least one image').max(100).describe('The images to pin'),
    reviewers: z
      .array(z.string().regex(REVIEWER, 'must be a GitHub login or org/team'))
      .max(50)
      .default([])
      .describe('Asked to review the pull requests (bot accounts are left out)'),
    repository: z.string().regex(REPOSITORY, 'must be owner/name').optional().describe('The repository that built the image (named in the commit message and pull request)')
  })
  .strict()
  .describe('An image update: the client_payload of a repository_dispatch sent to the dry repository');

export interface ImagePinRequest {
  name: string;
  tag?: string;
  digest?: string;
  units?: string[];
  coordinates?: Record<string, string>;
}

export interface ImageUpdate {
  images: ImagePinRequest[];
  reviewers: string[];
  repository?: string;
}

/** `images[0].name` from a zod issue path. */
function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks zod cannot express on one field: exactly one of tag and digest; some selector. Run on the raw input, so they are reported with the shape's problems. */
function crossFieldProblems(payload: unknown): { path: string; message: string }[] {
  if (!isRecord(payload) || !Array.isArray(payload['images'])) return [];
  const out: { path: string; message: string }[] = [];
  payload['images'].forEach((image: unknown, i) => {
    if (!isRecord(image)) return;
    const at = `images[${i}]`;
    const hasTag = image['tag'] !== undefined;
    const hasDigest = image['digest'] !== undefined;
    if (hasTag && hasDigest) out.push({ path: at, message: 'gives both tag and digest: give one' });
    if (!hasTag && !hasDigest) out.push({ path: at, message: 'gives neither tag nor digest: give one' });
    const units = image['units'];
    const coordinates = image['coordinates'];
    if (units === undefined && coordinates === undefined) out.push({ path: at, message: 'selects no unit: give units (globs over unit directories) or coordinates' });
    if (isRecord(coordinates) && Object.keys(coordinates).length === 0) out.push({ path: `${at}.coordinates`, message: 'is empty: name at least one coordinate' });
    if (Array.isArray(units)) {
      units.forEach((g: unknown, j) => {
        const bad = typeof g === 'string' ? globProblem(g, 'the') : undefined;
        if (bad) out.push({ path: `${at}.units[${j}]`, message: bad });
      });
    }
  });
  return out;
}

/**
 * Parses an image update. Throws a `HydrateError` listing every problem (each naming its place
 * in the payload, e.g. `images[1].tag`), all at once; `source` names where the payload came from
 * (a file, or `client_payload`).
 */
export function parseImageUpdate(payload: unknown, source: string): ImageUpdate {
  const parsed = imageUpdate.safeParse(payload);
  const problems: { path: string; message: string }[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const path = pathText(issue.path);
        if (issue.code === 'unrecognized_keys') return { path, message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` };
        return { path, message: issue.message };
      });
  problems.push(...crossFieldProblems(payload));
  if (problems.length > 0) {
    const diagnostics: Diagnostic[] = problems.map((p) => ({ severity: 'error', file: source, message: `image update${p.path ? ` ${p.path}` : ''}: ${p.message}` }));
    throw new ConfigError(diagnostics);
  }
  const data = parsed.data!;
  return {
    images: data.images.map((i) => ({
      name: i.name,
      ...(i.tag !== undefined ? { tag: i.tag } : {}),
      ...(i.digest !== undefined ? { digest: i.digest } : {}),
      ...(i.units !== undefined ? { units: i.units } : {}),
      ...(i.coordinates !== undefined ? { coordinates: i.coordinates } : {})
    })),
    reviewers: data.reviewers,
    ...(data.repository !== undefined ? { repository: data.repository } : {})
  };
}
