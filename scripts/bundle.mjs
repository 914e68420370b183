// Bundles the action (dist/index.js) and the CLI (dist/hydrate-cli.js, started by dist/cli.js) with esbuild, and writes the
// licence notices of every package bundled into them (dist/licenses.txt). The output is
// deterministic, committed, and checked fresh in CI.
import { build } from 'esbuild';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const banner = [
  "import { createRequire as __hydrateCreateRequire } from 'node:module';",
  'const require = __hydrateCreateRequire(import.meta.url);'
].join('\n');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  charset: 'utf8',
  metafile: true,
  // Node's own punycode module is deprecated (DEP0040, printed in every run under Node 24); a
  // bundled dependency (ajv-formats-draft2019) requires it, so the userland package stands in.
  alias: { punycode: 'punycode/punycode.js' },
  banner: { js: banner }
};

const action = await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' });
const cli = await build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/hydrate-cli.js' });
// The bin: a few lines that turn on Node's compile cache and then load dist/hydrate-cli.js.
await build({ ...common, metafile: false, entryPoints: ['src/cli-start.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } });
writeFileSync('dist/package.json', JSON.stringify({ type: 'module' }, null, 2) + '\n');
writeFileSync('dist/licenses.txt', licenseNotices([action.metafile, cli.metafile]));

/** The package folder (under node_modules) of each bundled input, with its licence text. */
function licenseNotices(metafiles) {
  const roots = new Set();
  for (const meta of metafiles) {
    for (const input of Object.keys(meta.inputs)) {
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) roots.add(m[1]);
    }
  }
  const packages = [...roots].map((root) => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const file = readdirSync(root).sort().find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN');
    const text = file && existsSync(path.join(root, file)) ? readFileSync(path.join(root, file), 'utf8').replace(/\r\n/g, '\n').trim() : `(no licence file in the package; package.json says ${license})`;
    return { name: pkg.name, version: pkg.version, license, text };
  });
  const seen = new Set();
  const unique = packages
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1))
    .filter((p) => (seen.has(`${p.name}@${p.version}`) ? false : seen.add(`${p.name}@${p.version}`)));
  const header = 'Third-party software bundled into dist/index.js and dist/hydrate-cli.js, with the licence of each package.\n';
  return `${header}\n${unique.map((p) => `${'='.repeat(78)}\n${p.name}@${p.version} (${p.license})\n${'-'.repeat(78)}\n${p.text}\n`).join('\n')}`;
}
