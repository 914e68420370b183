// The runner starts the action with Node 24 (action.yml: runs.using node24). The end-to-end tests
// run dist/index.js under that same runtime: this installs it from the npm registry into
// .tools/node24 when the machine's own node is not 24. Prints the path of the binary.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '24.21.0';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prefix = path.join(root, '.tools', 'node24');
const bin = path.join(prefix, 'node_modules', 'node', 'bin', 'node');

function versionOf(file) {
  try {
    return execFileSync(file, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

if (process.version.startsWith('v24.')) {
  process.stdout.write(`${process.execPath}\n`);
} else {
  if (!existsSync(bin) || !versionOf(bin).startsWith('v24.')) {
    process.stderr.write(`installing node@${VERSION} from the npm registry into .tools/node24 (for the end-to-end tests)\n`);
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', prefix, `node@${VERSION}`], {
      stdio: ['ignore', 'ignore', 'inherit']
    });
  }
  const v = versionOf(bin);
  if (!v.startsWith('v24.')) {
    process.stderr.write(`could not install Node 24 (got "${v}")\n`);
    process.exit(1);
  }
  process.stdout.write(`${bin}\n`);
}
