// Checks that a release is consistent before it is published, and prints its CHANGELOG section.
//   node scripts/release-check.mjs [vX.Y.Z]
// package.json's version, src/version.ts's VERSION and the newest released CHANGELOG section must
// be one version; with a tag, the tag must name it too. Exit 1 with every disagreement listed.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = process.env.HYDRATE_RELEASE_ROOT ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const tag = process.argv[2];
const problems = [];

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const code = /export const VERSION = '([^']+)'/.exec(readFileSync(path.join(root, 'src', 'version.ts'), 'utf8'))?.[1];
const changelog = readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
const headings = [...changelog.matchAll(/^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?\s*$/gm)];
const released = headings.find((h) => h[1] !== 'Unreleased');

if (!/^\d+\.\d+\.\d+$/.test(pkg)) problems.push(`package.json version "${pkg}" is not X.Y.Z`);
if (code !== pkg) problems.push(`src/version.ts says ${code ?? '(no VERSION)'}, package.json says ${pkg}`);
if (!released) problems.push('CHANGELOG.md has no released section (## [X.Y.Z] - YYYY-MM-DD)');
else {
  if (released[1] !== pkg) problems.push(`CHANGELOG.md's newest release is ${released[1]}, package.json says ${pkg}`);
  if (!released[2]) problems.push(`CHANGELOG.md's section ${released[1]} has no date`);
}
if (tag !== undefined && tag !== `v${pkg}`) problems.push(`tag ${tag} does not name version ${pkg} (expected v${pkg})`);

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`release-check: ${p}\n`);
  process.exit(1);
}
const start = released.index + released[0].length;
const next = headings.find((h) => h.index > released.index);
const body = changelog.slice(start, next ? next.index : changelog.search(/^\[[^\]]+\]: /m) >= 0 ? changelog.search(/^\[[^\]]+\]: /m) : undefined).trim();
process.stdout.write(`${body}\n`);
