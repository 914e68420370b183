// Bundles the action (dist/index.js) and the CLI (dist/cli.js) with esbuild. The output is
// deterministic, committed, and checked fresh in CI.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';

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
  banner: { js: banner }
};

await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' });
await build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: `#!/usr/bin/env node\n${banner}` } });
writeFileSync('dist/package.json', JSON.stringify({ type: 'module' }, null, 2) + '\n');
