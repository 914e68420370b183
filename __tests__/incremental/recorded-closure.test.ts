/**
 * Recorded closures: the closure a run records for a unit (and checks on the next run without
 * walking its kustomizations) is exactly the one a fresh walk finds, after any sequence of edits;
 * ids from git (`git ls-files`, with edits committed, staged, unstaged or untracked) and ids from
 * content give the same digests and so the same keep/render decisions; a no-change run in a git
 * checkout reads no kustomization; and incremental output in a git checkout equals a full render.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFileReader } from '../../src/adapters/files.js';
import { createProcessRunner } from '../../src/adapters/exec.js';
import { readGitListing } from '../../src/adapters/git-files.js';
import { applyWetPlan, readWetDir } from '../../src/adapters/wet-dir.js';
import { createFileIds, blobId, type FileIds } from '../../src/pipeline/file-ids.js';
import { hydrate } from '../../src/pipeline/hydrate.js';
import { closureCover, recordedInputDigest, unitInputDigest, type InputDigest } from '../../src/pipeline/incremental.js';
import { parseIndex } from '../../src/formats/wet-index.js';
import { kustomizeClosure } from '../../src/render/kubernetes/closure.js';
import { discoverUnits } from '../../src/dry/discover.js';
import type { Unit } from '../../src/dry/unit.js';
import type { FileReader, Logger } from '../../src/ports.js';
import { silentLogger } from '../../src/ports.js';
import { loadSettings } from '../../src/settings/load-settings.js';
import type { Settings } from '../../src/settings/settings.js';
import { put, readTree } from './dry-fixture.js';

const CONFIG = `version: 1
kubernetes:
  - match: apps/{app}
    output: clusters/prod/{app}
  - match: plain/{env}
    output: plain/{env}
`;

const deployment = (name: string, replicas: number): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: ${replicas}\n  template:\n    spec:\n      containers:\n        - name: ${name}\n          image: ${name}:1\n`;

/** Kustomizations in the styles people write: block lists, flow mappings, block scalars, comments, anchors. */
const OVERLAYS: ((base: string) => string)[] = [
  (base) => `resources:\n  - ../../bases/${base}\nconfigMapGenerator:\n  - name: settings\n    files:\n      - settings.properties\n`,
  (base) => `# flow style\nresources: [../../bases/${base}]\npatches:\n  - {path: replicas.yaml, target: {kind: Deployment}}\nconfigMapGenerator: [{name: settings, files: [settings.properties]}]\n`,
  (base) =>
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../bases/${base}\ncomponents:\n  - ../../components/monitor\npatches:\n  - path: replicas.yaml\n  - patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 3\n    target:\n      kind: Deployment\nlabels: &l\n  - pairs: {team: a}\nconfigMapGenerator:\n  - name: settings\n    files: [settings.properties]\n`
];
const FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

async function generate(root: string): Promise<void> {
  await put(root, 'hydrate.yaml', CONFIG);
  await put(root, '.gitignore', 'local.env\n');
  await put(root, 'docs/README.md', '# docs\n');
  for (const b of ['web', 'api']) {
    await put(root, `bases/${b}/kustomization.yaml`, `resources:\n  - deployment.yaml\n`);
    await put(root, `bases/${b}/deployment.yaml`, deployment(b, 1));
  }
  await put(root, 'components/monitor/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [monitor.yaml]\n');
  await put(root, 'components/monitor/monitor.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: monitor\n');
  for (let i = 0; i < 3; i++) {
    const dir = `apps/a${i}`;
    await put(root, `${dir}/${FILE_NAMES[i]}`, OVERLAYS[i]!(i % 2 === 0 ? 'web' : 'api'));
    await put(root, `${dir}/settings.properties`, `app=a${i}\n`);
    await put(root, `${dir}/replicas.yaml`, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n');
  }
  await put(root, 'plain/dev/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  namespace: dev\n');
}

function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd: root, encoding: 'utf8' });
}

async function gitInit(root: string): Promise<void> {
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'dry');
}

type Edit = { kind: 'content' | 'add-file' | 'outside' | 'add-ref' | 'drop-ref' | 'restyle' | 'delete' | 'ignored' | 'symlink'; pick: number; vcs: 'commit' | 'stage' | 'none' };

let counter = 0;
async function applyEdit(root: string, edit: Edit): Promise<void> {
  counter++;
  const app = `apps/a${edit.pick % 3}`;
  const kfile = async (): Promise<string> => {
    for (const n of FILE_NAMES) {
      try {
        await readFile(path.join(root, app, n));
        return `${app}/${n}`;
      } catch {
        // next name
      }
    }
    return `${app}/kustomization.yaml`;
  };
  switch (edit.kind) {
    case 'content': {
      const targets = ['bases/web/deployment.yaml', 'bases/api/deployment.yaml', `${app}/settings.properties`, 'components/monitor/monitor.yaml', 'plain/dev/cm.yaml'];
      const target = targets[edit.pick % targets.length]!;
      const text = await readFile(path.join(root, target), 'utf8').catch(() => '');
      await put(root, target, `${text}# ${counter}\n`);
      break;
    }
    case 'add-file': {
      // A new file in a folder a unit lists (overlay, base, component, plain dir): no reference names it.
      const dirs = [app, 'bases/web', 'components/monitor', 'plain/dev'];
      await put(root, `${dirs[edit.pick % dirs.length]}/extra-${counter}.yaml`, `# extra ${counter}\n`);
      break;
    }
    case 'outside':
      await put(root, edit.pick % 2 === 0 ? 'docs/README.md' : `docs/new-${counter}.md`, `# ${counter}\n`);
      break;
    case 'add-ref': {
      // The closure grows: a new folder referenced from the overlay (the flow style gets a flow entry).
      const f = await kfile();
      const text = await readFile(path.join(root, f), 'utf8');
      await put(root, `shared/s${counter}/kustomization.yaml`, 'resources: [cm.yaml]\n');
      await put(root, `shared/s${counter}/cm.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s${counter}\n`);
      const ref = `../../shared/s${counter}`;
      const next = text.includes('resources: [') ? text.replace('resources: [', `resources: [${ref}, `) : text.replace(/resources:\n(\s*)- /, (m, ws: string) => `resources:\n${ws}- ${ref}\n${ws}- `);
      await writeFile(path.join(root, f), next);
      break;
    }
    case 'drop-ref': {
      const f = await kfile();
      const text = await readFile(path.join(root, f), 'utf8');
      await writeFile(path.join(root, f), text.replace(/- \.\.\/\.\.\/shared\/s\d+\n\s*/, '').replace(/\.\.\/\.\.\/shared\/s\d+, /, ''));
      break;
    }
    case 'restyle': {
      // Same kustomization, another file name and style: the closure keeps its paths, the digest changes.
      const f = await kfile();
      const text = await readFile(path.join(root, f), 'utf8');
      await unlink(path.join(root, f));
      await writeFile(path.join(root, app, FILE_NAMES[(FILE_NAMES.indexOf(path.basename(f)) + 1) % 3]!), `# restyled ${counter}\n${text}`);
      break;
    }
    case 'delete': {
      const targets = [`${app}/replicas.yaml`, 'plain/dev/cm.yaml', 'docs/README.md'];
      await rm(path.join(root, targets[edit.pick % targets.length]!), { force: true });
      break;
    }
    case 'ignored':
      // git ignores it; kustomize and the plain renderer still see the file.
      await put(root, edit.pick % 2 === 0 ? 'plain/dev/local.env' : `${app}/local.env`, `x=${counter}\n`);
      break;
    case 'symlink': {
      const link = path.join(root, `plain/dev/link-${counter}.yaml`);
      await symlink(edit.pick % 2 === 0 ? '../../bases/web/deployment.yaml' : '../../components', link);
      break;
    }
  }
  if (edit.vcs !== 'none') git(root, 'add', '-A');
  if (edit.vcs === 'commit') git(root, 'commit', '-qm', `edit ${counter}`, '--allow-empty');
}

const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('content', 'add-file', 'outside', 'add-ref', 'drop-ref', 'restyle', 'delete', 'ignored', 'symlink' as const),
  pick: fc.nat({ max: 11 }),
  vcs: fc.constantFrom('commit', 'stage', 'none' as const)
}) as fc.Arbitrary<Edit>;

async function unitsOf(settings: Settings): Promise<Unit[]> {
  return (await discoverUnits(settings, createFileReader())).units;
}

async function idsFrom(root: string, source: 'git' | 'content', logger: Logger = silentLogger): Promise<FileIds> {
  const files = createFileReader();
  if (source === 'content') return createFileIds(files, root);
  const listing = await readGitListing(createProcessRunner(), root, logger);
  expect(listing).toBeDefined();
  return createFileIds(files, root, listing);
}

describe('file ids', () => {
  it('are git blob ids, from git and from content alike', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'hydrate-ids-'));
    try {
      await generate(root);
      await gitInit(root);
      await writeFile(path.join(root, 'bases/web/deployment.yaml'), deployment('web', 7)); // modified, not staged
      await put(root, 'bases/web/new.yaml', 'x: 1\n'); // untracked
      const rev = git(root, 'hash-object', 'bases/web/kustomization.yaml').trim();
      for (const source of ['git', 'content'] as const) {
        const ids = await idsFrom(root, source);
        expect(ids.source).toBe(source);
        expect(await ids.id('bases/web/kustomization.yaml')).toBe(rev);
        expect(await ids.id('bases/web/deployment.yaml')).toBe(git(root, 'hash-object', 'bases/web/deployment.yaml').trim());
        expect(await ids.id('bases/web/new.yaml')).toBe(blobId(Buffer.from('x: 1\n')));
        expect(await ids.id('bases/nope')).toBe('missing');
      }
      const [g, c] = [await idsFrom(root, 'git'), await idsFrom(root, 'content')];
      for (const p of ['', 'bases', 'bases/web', 'apps/a1', 'plain/dev']) expect([p, await g.id(p)]).toEqual([p, await c.id(p)]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('read the content of files git does not vouch for: assume-unchanged, skip-worktree, eol=crlf, symlinked folders', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'hydrate-ids-'));
    try {
      await generate(root);
      await put(root, '.gitattributes', 'apps/a0/*.properties eol=crlf\n');
      await gitInit(root);
      // git would report neither edit: its index says the files are unchanged.
      git(root, 'update-index', '--assume-unchanged', 'bases/web/deployment.yaml');
      git(root, 'update-index', '--skip-worktree', 'bases/api/deployment.yaml');
      await writeFile(path.join(root, 'bases/web/deployment.yaml'), deployment('web', 4));
      await writeFile(path.join(root, 'bases/api/deployment.yaml'), deployment('api', 4));
      expect(git(root, 'ls-files', '-m')).toBe('');
      // Checked out with CRLF: the working-tree file is not its blob.
      expect(await readFile(path.join(root, 'apps/a0/settings.properties'), 'utf8')).toBe('app=a0\n');
      await rm(path.join(root, 'apps/a0/settings.properties'));
      git(root, 'checkout', '--', 'apps/a0/settings.properties');
      expect(await readFile(path.join(root, 'apps/a0/settings.properties'), 'utf8')).toBe('app=a0\r\n');
      // A path below a symlinked folder, which git does not list.
      await symlink('bases', path.join(root, 'linked'));
      const [g, c] = [await idsFrom(root, 'git'), await idsFrom(root, 'content')];
      expect(g.source).toBe('git');
      for (const p of ['bases/web/deployment.yaml', 'bases/api/deployment.yaml', 'apps/a0/settings.properties', 'apps/a0', 'linked', 'linked/web/deployment.yaml']) {
        expect([p, await g.id(p)]).toEqual([p, await c.id(p)]);
      }
      expect(await g.id('bases/web/deployment.yaml')).toBe(blobId(Buffer.from(deployment('web', 4))));
      expect(await g.id('linked/web/deployment.yaml')).toBe(await g.id('bases/web/deployment.yaml'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('come from content, with a debug line, when the tree is not a git checkout or has a filter attribute', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'hydrate-ids-'));
    try {
      await generate(root);
      const lines: string[] = [];
      const logger: Logger = { info() {}, warning() {}, debug: (m) => lines.push(m) };
      expect(await readGitListing(createProcessRunner(), root, logger)).toBeUndefined();
      expect(lines.join('\n')).toMatch(/dry file ids from content \(git: /);
      await gitInit(root);
      expect(await readGitListing(createProcessRunner(), root, logger)).toBeDefined();
      // A clean filter is a program git would run to compare contents: git is not asked.
      await put(root, '.gitattributes', '*.yaml filter=evil\n');
      git(root, 'config', 'filter.evil.clean', `sh -c 'touch ${path.join(root, 'ran')}; cat'`);
      lines.length = 0;
      await writeFile(path.join(root, 'bases/web/deployment.yaml'), deployment('web', 9));
      expect(await readGitListing(createProcessRunner(), root, logger)).toBeUndefined();
      expect(lines.join('\n')).toMatch(/filter attribute evil/);
      await expect(readFile(path.join(root, 'ran'))).rejects.toThrow();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('recorded closures', () => {
  it('equal a fresh walk after any edits, and git ids and content ids give the same decisions (property)', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-recorded-'));
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(editArb, { minLength: 1, maxLength: 5 }), async (edits) => {
          run++;
          const root = path.join(tmp, `dry-${run}`);
          await generate(root);
          await gitInit(root);
          const { settings } = await loadSettings({ configFile: path.join(root, 'hydrate.yaml') });
          const files = createFileReader();
          const walk = async (ids: FileIds): Promise<Map<string, InputDigest>> => {
            const out = new Map<string, InputDigest>();
            for (const u of await unitsOf(settings)) out.set(u.id, await unitInputDigest(u, settings, files, 'tools', ids));
            return out;
          };
          let recorded = await walk(await idsFrom(root, 'git'));
          for (const edit of edits) {
            await applyEdit(root, edit);
            const byGit = await idsFrom(root, 'git');
            const byContent = await idsFrom(root, 'content');
            const fresh = await walk(byGit);
            const freshContent = await walk(byContent);
            for (const u of await unitsOf(settings)) {
              const f = fresh.get(u.id)!;
              // The same digest (and so the same keep/render decision) from either source of ids.
              expect([u.id, freshContent.get(u.id)!.digest]).toEqual([u.id, f.digest]);
              const before = recorded.get(u.id);
              for (const ids of [byGit, byContent]) {
                const quick = await recordedInputDigest(u, settings, before, ids, 'tools');
                // Checked without a walk exactly when a walk finds the same digest...
                expect([u.id, edit.kind, quick !== undefined]).toEqual([u.id, edit.kind, before !== undefined && !before.volatile && f.digest === before.digest]);
                // ...and then the closure recorded is the one the walk finds, path for path and id for id.
                if (quick) expect([u.id, quick.closure]).toEqual([u.id, f.closure]);
              }
              if (f.closure) {
                const walked = u.dir.startsWith('apps/') ? (await kustomizeClosure(u.dir, files, root)).paths : undefined;
                if (walked) expect(Object.keys(f.closure)).toEqual(closureCover(walked));
              }
            }
            // Edits outside every closure keep every unit.
            if (edit.kind === 'outside' || (edit.kind === 'delete' && edit.pick % 3 === 2)) {
              for (const [id, f] of fresh) expect([id, f.digest]).toEqual([id, recorded.get(id)?.digest]);
            }
            // A file added to a folder a unit lists changes that unit.
            if (edit.kind === 'add-file' && edit.pick % 4 === 3) expect(fresh.get('kubernetes:plain/dev')!.digest).not.toBe(recorded.get('kubernetes:plain/dev')!.digest);
            recorded = fresh;
          }
        }),
        { numRuns: 12 }
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('a recorded closure', () => {
  it('is the closure without what lies inside its folders', () => {
    expect(closureCover(['b/x.yaml', 'a', 'a/k.yaml', 'a/sub/p.yaml', 'ab/k.yaml', 'b'])).toEqual(['a', 'ab/k.yaml', 'b']);
    expect(closureCover(['', 'a'])).toEqual(['']);
  });

  it('from a tampered index is not read outside the repository, and an invalid one is refused', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'hydrate-tamper-'));
    try {
      await generate(root);
      const { settings } = await loadSettings({ configFile: path.join(root, 'hydrate.yaml') });
      const unit = (await unitsOf(settings)).find((u) => u.id === 'kubernetes:plain/dev')!;
      const reads: string[] = [];
      const inner = createFileReader();
      const files: FileReader = { ...inner, readFileBytes: (p) => (reads.push(p), inner.readFileBytes(p)), readDir: (p) => (reads.push(p), inner.readDir(p)) };
      const ids = createFileIds(files, root);
      const honest = await unitInputDigest(unit, settings, files, 'tools', ids);
      expect(await recordedInputDigest(unit, settings, honest, ids, 'tools')).toEqual(honest);
      for (const bad of ['../outside', 'plain/../../x', '/etc', '.git/config', 'plain/.git']) {
        expect(await recordedInputDigest(unit, settings, { ...honest, closure: { ...honest.closure, [bad]: 'x' } }, ids, 'tools')).toBeUndefined();
      }
      expect(reads.filter((p) => !p.startsWith(`${root}/`))).toEqual([]);
      const index = (closure: unknown): string =>
        JSON.stringify({ version: 1, generator: 'g', units: { u: { renderer: 'kubernetes', dir: 'd', coordinates: {}, output: 'o', paths: [], digest: 'x', closure } } });
      expect(parseIndex(index({ 'a/b': 'd:1' }), 'i.json').units['u']!.closure).toEqual({ 'a/b': 'd:1' });
      expect(() => parseIndex(index({ 'a/b': 1 }), 'i.json')).toThrow(/units\.u\.closure/);
      expect(() => parseIndex(index(['a']), 'i.json')).toThrow(/units\.u\.closure/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

/** A reader counting what is read, by path. */
function countingReader(): { files: FileReader; reads: string[] } {
  const inner = createFileReader();
  const reads: string[] = [];
  return {
    reads,
    files: {
      ...inner,
      readFile: (p) => (reads.push(p), inner.readFile(p)),
      readFileBytes: (p) => (reads.push(p), inner.readFileBytes(p))
    }
  };
}

describe('incremental runs in a git checkout', () => {
  async function render(dry: string, out: string, full: boolean, files: FileReader = createFileReader(), logger: Logger = silentLogger) {
    const { settings, configText } = await loadSettings({ configFile: path.join(dry, 'hydrate.yaml'), full, concurrency: 2, allowMassDeletion: true });
    await mkdir(out, { recursive: true });
    const exec = createProcessRunner();
    const outcome = await hydrate({ settings, configText, previous: await readWetDir(out), ports: { files, exec, logger, gitListing: (root) => readGitListing(exec, root, logger) } });
    expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    await applyWetPlan(out, outcome.plan!);
    return outcome.units;
  }

  it('render onto the previous tree what a full render gives, after any edits committed, staged, unstaged or untracked (property)', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-gitprop-'));
    let run = 0;
    try {
      await fc.assert(
        // A symlinked manifest is refused by the plain renderer (the digest-level property covers symlinks).
        fc.asyncProperty(fc.array(editArb.filter((e) => e.kind !== 'symlink'), { minLength: 1, maxLength: 3 }), async (edits) => {
          run++;
          const dry = path.join(tmp, `dry-${run}`);
          const wet = path.join(tmp, `wet-${run}`);
          await generate(dry);
          await gitInit(dry);
          await render(dry, wet, false);
          for (const [i, edit] of edits.entries()) {
            await applyEdit(dry, edit);
            const lines: string[] = [];
            await render(dry, wet, false, createFileReader(), { info() {}, warning() {}, debug: (m) => lines.push(m) });
            expect(lines.join('\n')).toMatch(/file ids from git\)/);
            const full = path.join(tmp, `full-${run}-${i}`);
            await render(dry, full, true);
            expect(await readTree(wet)).toEqual(await readTree(full));
            await rm(full, { recursive: true, force: true });
          }
        }),
        { numRuns: 4 }
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 300_000);

  it('decide a no-change run without reading a dry file, and a changed unit by its new inputs; output equals a full render', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-gitrun-'));
    const dry = path.join(tmp, 'dry');
    const wet = path.join(tmp, 'wet');
    try {
      await generate(dry);
      await gitInit(dry);
      await render(dry, wet, false);
      const index = JSON.parse(await readFile(path.join(wet, '.hydrate/index.json'), 'utf8')) as { units: Record<string, { closure?: Record<string, string> }> };
      expect(index.units['kubernetes:apps/a2']!.closure).toMatchObject({
        'apps/a2': expect.stringMatching(/^d:/),
        'bases/web': expect.stringMatching(/^d:/),
        'components/monitor': expect.stringMatching(/^d:/)
      });

      const counted = countingReader();
      const lines: string[] = [];
      const logger: Logger = { info: (m) => lines.push(m), warning() {}, debug: (m) => lines.push(m) };
      const again = await render(dry, wet, false, counted.files, logger);
      expect(again.map((u) => u.status)).toEqual(again.map(() => 'reused'));
      // Only the config file is read: every kustomization and manifest is known by its git blob id.
      expect(counted.reads.filter((p) => p.startsWith(dry) && !p.endsWith('hydrate.yaml'))).toEqual([]);
      expect(lines.join('\n')).toMatch(/4 unit\(s\) checked against their recorded closure, 0 walked \(file ids from git\)/);

      // An unstaged edit (git's index blob is stale) and an untracked file in a listed folder.
      await writeFile(path.join(dry, 'bases/api/deployment.yaml'), deployment('api', 5));
      await put(dry, 'plain/dev/more.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n  namespace: dev\n');
      const after = new Map((await render(dry, wet, false)).map((u) => [u.id, u.status]));
      expect(Object.fromEntries(after)).toEqual({
        'kubernetes:apps/a0': 'reused',
        'kubernetes:apps/a1': 'rendered',
        'kubernetes:apps/a2': 'reused',
        'kubernetes:plain/dev': 'rendered'
      });
      const full = path.join(tmp, 'full');
      await render(dry, full, true);
      expect(await readTree(wet)).toEqual(await readTree(full));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
