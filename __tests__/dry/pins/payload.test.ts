/** The image-update payload: a valid one parses; a malformed one fails with every one of its problems at once. */
import { describe, expect, it } from '@jest/globals';
import { ConfigError, HydrateError } from '../../../src/diagnostics.js';
import { parseImageUpdate } from '../../../src/dry/pins/payload.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function problems(payload: unknown): string[] {
  try {
    parseImageUpdate(payload, 'event.json');
  } catch (e) {
    expect(e).toBeInstanceOf(HydrateError);
    expect(e).toBeInstanceOf(ConfigError);
    return (e as HydrateError).diagnostics.map((d) => `${d.file}: ${d.message}`).sort();
  }
  throw new Error('parsed');
}

describe('parseImageUpdate', () => {
  it('parses the documented payload, reviewers defaulting to none', () => {
    expect(
      parseImageUpdate(
        {
          images: [
            { name: 'ghcr.io/acme/web', tag: '1.2.3', coordinates: { app: 'web', env: 'dev' } },
            { name: 'localhost:5000/acme/worker', digest: DIGEST, units: ['kubernetes/*/acme/dev'] }
          ],
          repository: 'acme/web'
        },
        'client_payload'
      )
    ).toEqual({
      images: [
        { name: 'ghcr.io/acme/web', tag: '1.2.3', coordinates: { app: 'web', env: 'dev' } },
        { name: 'localhost:5000/acme/worker', digest: DIGEST, units: ['kubernetes/*/acme/dev'] }
      ],
      reviewers: [],
      repository: 'acme/web'
    });
    expect(parseImageUpdate({ images: [{ name: 'redis', tag: '7', units: ['a'] }], reviewers: ['alice', 'acme/platform', 'renovate[bot]'] }, 'x').reviewers).toEqual(['alice', 'acme/platform', 'renovate[bot]']);
  });

  it('lists every problem of a payload with several at once', () => {
    expect(
      problems({
        images: [
          { name: 'ghcr.io/acme/web app', tag: '1.2.3', digest: 'sha256:abc', units: [], coordinates: {}, extra: 1 },
          { name: 'ghcr.io/acme/api:1.0' }
        ],
        reviewers: ['bad reviewer'],
        repository: 'not a repo',
        sender: 'x'
      })
    ).toEqual(
      [
        'event.json: image update images[0].name: must be an image name without tag or digest, e.g. ghcr.io/acme/web (lowercase path, no spaces)',
        'event.json: image update images[0].digest: must be sha256: and 64 lowercase hex digits (or sha512: and 128)',
        'event.json: image update images[0].units: must list at least one unit directory glob',
        'event.json: image update images[0]: unknown field "extra"',
        'event.json: image update images[0]: gives both tag and digest: give one',
        'event.json: image update images[0].coordinates: is empty: name at least one coordinate',
        'event.json: image update images[1].name: must be an image name without tag or digest, e.g. ghcr.io/acme/web (lowercase path, no spaces)',
        'event.json: image update images[1]: gives neither tag nor digest: give one',
        'event.json: image update images[1]: selects no unit: give units (globs over unit directories) or coordinates',
        'event.json: image update reviewers[0]: must be a GitHub login or org/team',
        'event.json: image update repository: must be owner/name',
        'event.json: image update: unknown field "sender"'
      ].sort()
    );
  });

  it.each([
    ['an unknown field', { images: [{ name: 'a', tag: '1', units: ['x'] }], image: 'a' }, ['event.json: image update: unknown field "image"']],
    ['a tag and a digest', { images: [{ name: 'a', tag: '1', digest: DIGEST, units: ['x'] }] }, ['event.json: image update images[0]: gives both tag and digest: give one']],
    ['neither tag nor digest', { images: [{ name: 'a', units: ['x'] }] }, ['event.json: image update images[0]: gives neither tag nor digest: give one']],
    ['an image name with a space', { images: [{ name: 'acme/ web', tag: '1', units: ['x'] }] }, ['event.json: image update images[0].name: must be an image name without tag or digest, e.g. ghcr.io/acme/web (lowercase path, no spaces)']],
    ['an upper-case image path', { images: [{ name: 'ghcr.io/Acme/web', tag: '1', units: ['x'] }] }, ['event.json: image update images[0].name: must be an image name without tag or digest, e.g. ghcr.io/acme/web (lowercase path, no spaces)']],
    ['a bad digest', { images: [{ name: 'a', digest: 'sha256:XYZ', units: ['x'] }] }, ['event.json: image update images[0].digest: must be sha256: and 64 lowercase hex digits (or sha512: and 128)']],
    ['a bad tag', { images: [{ name: 'a', tag: '-rc/1', units: ['x'] }] }, ['event.json: image update images[0].tag: must be a tag: letters, digits, _, . and -, at most 128, not starting with . or -']],
    ['no selector', { images: [{ name: 'a', tag: '1' }] }, ['event.json: image update images[0]: selects no unit: give units (globs over unit directories) or coordinates']],
    ['empty units', { images: [{ name: 'a', tag: '1', units: [] }] }, ['event.json: image update images[0].units: must list at least one unit directory glob']],
    ['empty coordinates', { images: [{ name: 'a', tag: '1', coordinates: {} }] }, ['event.json: image update images[0].coordinates: is empty: name at least one coordinate']],
    ['no images', { images: [] }, ['event.json: image update images: must list at least one image']],
    ['a glob that could take minutes to match', { images: [{ name: 'a', tag: '1', units: ['a/*x*y*z*/b'] }] }, ['event.json: image update images[0].units[0]: the pattern "a/*x*y*z*/b" has 4 `*` in the path segment "*x*y*z*": at most 2 per segment are accepted (such patterns can take minutes to match); split it into several patterns']],
    ['not an object', 'hello', ['event.json: image update: Invalid input: expected object, received string']]
  ])('refuses %s', (_what, payload, expected) => {
    expect(problems(payload)).toEqual(expected);
  });
});

describe('schema/image-update.schema.json (generated from the same zod schema)', () => {
  const DIG = `sha256:${'0123456789abcdef'.repeat(4)}`;
  const cases: [string, unknown][] = [
    ['valid, by coordinates', { images: [{ name: 'ghcr.io/acme/web', tag: '1.2.3', coordinates: { env: 'dev' } }], reviewers: ['alice'], repository: 'acme/web' }],
    ['valid, by units and digest', { images: [{ name: 'redis', digest: DIG, units: ['k/*'] }] }],
    ['tag and digest', { images: [{ name: 'redis', tag: '1', digest: DIG, units: ['k/*'] }] }],
    ['neither', { images: [{ name: 'redis', units: ['k/*'] }] }],
    ['no selector', { images: [{ name: 'redis', tag: '1' }] }],
    ['empty coordinates', { images: [{ name: 'redis', tag: '1', coordinates: {} }] }],
    ['space in name', { images: [{ name: 'red is', tag: '1', units: ['k'] }] }],
    ['unknown field', { images: [{ name: 'redis', tag: '1', units: ['k'] }], x: 1 }]
  ];
  it.each(cases)('agrees with parseImageUpdate: %s', async (_what, payload) => {
    const { Ajv } = await import('ajv');
    const { imageUpdateSchemaObject } = await import('../../../scripts/generate-schema.js');
    const validate = new Ajv({ strict: false }).compile(imageUpdateSchemaObject());
    let parsed = true;
    try {
      parseImageUpdate(payload, 'x');
    } catch {
      parsed = false;
    }
    expect(validate(payload)).toBe(parsed);
  });
});
