/**
 * The CLI end to end over the real tools (kubectl kustomize, the file system): determinism,
 * atomicity, pruning, unowned files and exit codes, as users see them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile, mkdir, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const CLI = path.join(ROOT, 'src', 'cli.ts');
const LOADER = path.join(ROOT, 'scripts', 'ts-register.mjs');
const NO_HELM = '!kubernetes/platform/web/*';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<CliRun> {
  try {
    const r = await run(process.execPath, ['--import', LOADER, CLI, ...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function treeOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p);
      else out.set(p, await readFile(path.join(dir, p), 'utf8'));
    }
  };
  await walk('');
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

let tmp: string;
let dry: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hydrate-cli-'));
  dry = path.join(tmp, 'dry');
  await cp(path.join(ROOT, 'examples', 'dry'), dry, { recursive: true });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('hydrate render', () => {
  it('writes byte-identical trees across runs, time zones and locales', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    const c = path.join(tmp, 'c');
    const r1 = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', a, '--only', NO_HELM]);
    expect(r1.stderr).not.toMatch(/error/);
    expect(r1.code).toBe(0);
    const r2 = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', b, '--only', NO_HELM], {
      TZ: 'Pacific/Kiritimati',
      LANG: 'tr_TR.UTF-8',
      LC_ALL: 'tr_TR.UTF-8'
    });
    expect(r2.code).toBe(0);
    // A second run over an existing tree changes nothing.
    await cp(a, c, { recursive: true });
    const r3 = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', c, '--only', NO_HELM, '--json']);
    expect(r3.code).toBe(0);
    const report = JSON.parse(r3.stdout) as { written: { writes: string[]; deletes: string[] }; units: { id: string; status: string }[] };
    expect(report.written).toEqual({ writes: [], deletes: [] });
    // Every unit is listed once; unchanged ones are reported as kept.
    const ids = report.units.map((u) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(report.units.find((u) => u.id === 'kubernetes:apps/web/clusters/prod')!.status).toBe('reused');
    const ta = await treeOf(a);
    expect(ta.size).toBeGreaterThan(10);
    expect(await treeOf(b)).toEqual(ta);
    expect(await treeOf(c)).toEqual(ta);
    for (const [p, content] of ta) {
      expect(content.includes('\r')).toBe(false);
      if (p.endsWith('.yml')) expect(content.endsWith('\n')).toBe(true);
    }
  });

  it('prints a JSON report with every unit, its status, resources and outputs', async () => {
    const out = path.join(tmp, 'json');
    const r = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', out, '--only', NO_HELM, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; units: { id: string; status: string; resources: number; outputs: string[]; renderer: string }[] };
    expect(report.ok).toBe(true);
    const web = report.units.find((u) => u.id === 'kubernetes:apps/web/clusters/prod')!;
    expect(web).toMatchObject({ renderer: 'kubernetes', status: 'rendered' });
    expect(web.resources).toBeGreaterThan(0);
    expect(web.outputs.every((p) => p.startsWith('clusters/prod/web/'))).toBe(true);
    expect(report.units.find((u) => u.id === 'kubernetes:kubernetes/platform/web/prod')!.status).toBe('skipped');
    expect(report.units.map((u) => u.renderer).sort()).toEqual(expect.arrayContaining(['terraform', 'secrets']));
  });

  it('records --dry-commit in the wet index, and documents it', async () => {
    const out = path.join(tmp, 'dry-commit');
    const sha = '0123456789abcdef0123456789abcdef01234567';
    const r = await cli(['render', '--config', path.join(dry, 'hydrate.yaml'), '--out', out, '--only', NO_HELM, '--dry-commit', sha]);
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(out, '.hydrate', 'index.json'), 'utf8'))).toMatchObject({ dryCommit: sha });
    expect((await cli(['render', '--help'])).stdout).toContain('[--dry-commit SHA]');
  });

  it('changes nothing when any unit fails, reports every error with file and exits 1', async () => {
    const work = path.join(tmp, 'atomic-dry');
    await cp(dry, work, { recursive: true });
    const out = path.join(tmp, 'atomic-out');
    expect((await cli(['render', '--config', path.join(work, 'hydrate.yaml'), '--out', out, '--only', NO_HELM])).code).toBe(0);
    const before = await treeOf(out);
    // Two independent failures: a kustomization naming a missing file, and broken YAML in a plain unit.
    await writeFile(path.join(work, 'apps/web/clusters/staging/kustomization.yaml'), 'resources:\n  - ../../base\n  - missing.yaml\n');
    await writeFile(path.join(work, 'kubernetes/platform/ops/namespaces/broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n');
    const r = await cli(['render', '--config', path.join(work, 'hydrate.yaml'), '--out', out, '--only', NO_HELM]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apps/web/clusters/staging/kustomization.yaml');
    expect(r.stderr).toContain('missing.yaml');
    expect(r.stderr).toMatch(/kubernetes\/platform\/ops\/namespaces\/broken\.yaml:\d+:\d+: error \[kubernetes:kubernetes\/platform\/ops\/namespaces\]/);
    expect(r.stdout).toContain('was not changed');
    expect(await treeOf(out)).toEqual(before);
  });

  it('prunes exactly the files of units that are gone and leaves unowned files alone', async () => {
    const work = path.join(tmp, 'prune-dry');
    await cp(dry, work, { recursive: true });
    const out = path.join(tmp, 'prune-out');
    expect((await cli(['render', '--config', path.join(work, 'hydrate.yaml'), '--out', out, '--only', NO_HELM])).code).toBe(0);
    await writeFile(path.join(out, 'README.md'), 'wet branch readme\n');
    await mkdir(path.join(out, '.github'), { recursive: true });
    await writeFile(path.join(out, '.github', 'CODEOWNERS'), '* @platform\n');
    await writeFile(path.join(out, 'clusters/staging/web/NOTES.txt'), 'kept\n');
    await rm(path.join(work, 'apps/web/clusters/prod'), { recursive: true });
    const r = await cli(['render', '--config', path.join(work, 'hydrate.yaml'), '--out', out, '--only', NO_HELM]);
    expect(r.code).toBe(0);
    const after = await treeOf(out);
    expect([...after.keys()].filter((p) => p.startsWith('clusters/prod/web/'))).toEqual([]);
    expect(after.get('README.md')).toBe('wet branch readme\n');
    expect(after.get('.github/CODEOWNERS')).toBe('* @platform\n');
    expect(after.get('clusters/staging/web/NOTES.txt')).toBe('kept\n');
    expect(r.stdout).toMatch(/- Deployment\.apps web-prod\/web/);
    const index = JSON.parse(after.get('.hydrate/index.json')!) as { units: Record<string, unknown> };
    expect(Object.keys(index.units)).not.toContain('kubernetes:apps/web/clusters/prod');
  });

  it('exits 2 with every config problem located, and 2 for usage errors', async () => {
    const work = path.join(tmp, 'bad-config');
    await mkdir(work, { recursive: true });
    await writeFile(
      path.join(work, 'hydrate.yaml'),
      'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: out/{cluster}\n  - match: x/{a}\n    output: y/{a}\n    colour: blue\n'
    );
    const r = await cli(['render', '--config', path.join(work, 'hydrate.yaml'), '--out', path.join(work, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hydrate\.yaml:4:\d+: error/);
    expect(r.stderr).toMatch(/hydrate\.yaml:7:\d+: error/);
    await expect(stat(path.join(work, 'out', '.hydrate'))).rejects.toThrow();
    expect((await cli(['render', '--bogus'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('refuses --out that is the repository, holds it, or lies in a unit directory or .git: exit 2, nothing written', async () => {
    const work = path.join(tmp, 'out-checks', 'dry');
    await cp(dry, work, { recursive: true });
    const config = path.join(work, 'hydrate.yaml');
    const before = await treeOf(work);
    const cases: [string, RegExp][] = [
      ['.', /is the dry repository itself/],
      ['..', /contains the dry repository/],
      ['apps/web/clusters/prod/wet', /overlaps the unit directory apps\/web\/clusters\/prod/],
      ['apps/web/base/wet', /overlaps apps\/web\/base, which units read/],
      ['.git/wet', /inside a `\.git` folder/]
    ];
    for (const [out, re] of cases) {
      const r = await cli(['render', '--config', config, '--out', out, '--only', NO_HELM], {}, work);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    expect(await treeOf(work)).toEqual(before);
    // A folder of the repository apart from the units is fine (the default out/wet).
    const ok = await cli(['render', '--config', config, '--only', NO_HELM], {}, work);
    expect(ok.stderr).not.toMatch(/--out/);
    expect(ok.code).toBe(0);
  });

  it('refuses extraArtifacts leaving the repository at config load (exit 2, with the line), copying nothing', async () => {
    const work = path.join(tmp, 'escape', 'repo');
    await mkdir(path.join(work, 'k', 'a'), { recursive: true });
    await mkdir(path.join(tmp, 'escape', 'outside'), { recursive: true });
    await writeFile(path.join(tmp, 'escape', 'outside', 'stolen.txt'), 'ghs_secret\n');
    await writeFile(path.join(work, 'k', 'a', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    await writeFile(path.join(work, 'hydrate.yaml'), 'kubernetes:\n  - match: k/{x}\n    output: "{x}"\n    extraArtifacts: ../../outside\n');
    const out = path.join(tmp, 'escape', 'wet');
    const r = await cli(['render', '--config', path.join(work, 'hydrate.yaml'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hydrate\.yaml:4:\d+: error: kubernetes\[0\]\.extraArtifacts "\.\.\/\.\.\/outside" contains `\.\.`/);
    await expect(stat(out)).rejects.toThrow();
  });

  it('shards through the command line: bad shard flags exit 2; shards then merge equal one render', async () => {
    const config = path.join(dry, 'hydrate.yaml');
    const out = (name: string): string => path.join(tmp, `shard-${name}`);
    const noDir = await cli(['render', '--config', config, '--out', out('x'), '--shard', '1/2']);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('sharding needs a shard directory');
    const badSpec = await cli(['render', '--config', config, '--out', out('x'), '--shard', '3/2', '--shard-dir', out('dir')]);
    expect(badSpec.code).toBe(2);
    expect(badSpec.stderr).toContain('shard index must be between 1 and 2, got 3');

    const single = await cli(['render', '--config', config, '--out', out('single'), '--only', NO_HELM]);
    expect(single.code).toBe(0);
    for (const i of [1, 2]) {
      const r = await cli(['render', '--config', config, '--out', out('merged'), '--only', NO_HELM, '--shard', `${i}/2`, '--shard-dir', out('files')]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`of shard ${i}/2 to ${path.join(out('files'), `hydrate-shard-${i}-of-2.json`)}`);
    }
    // A shard run only reads --out: it does not even create it.
    await expect(stat(out('merged'))).rejects.toThrow();
    const merged = await cli(['render', '--config', config, '--out', out('merged'), '--only', NO_HELM, '--shard', 'merge', '--shard-dir', out('files')]);
    expect(merged.code).toBe(0);
    expect(await treeOf(out('merged'))).toEqual(await treeOf(out('single')));
  });

  it('refuses a match typo (exit 2, at its line) and a mass deletion (exit 1) without writing; --allow-mass-deletion lets it through; warnings print on success', async () => {
    const work = path.join(tmp, 'mass-dry');
    await cp(dry, work, { recursive: true });
    const out = path.join(tmp, 'mass-out');
    const config = path.join(work, 'hydrate.yaml');
    const render = (...extra: string[]): Promise<CliRun> => cli(['render', '--config', config, '--out', out, '--only', NO_HELM, ...extra]);
    expect((await render()).code).toBe(0);
    const before = await treeOf(out);
    const text = await readFile(config, 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes('match: apps/{app}/clusters/{cluster}')) + 1;
    await writeFile(config, text.replace('match: apps/{app}/clusters/{cluster}', 'match: aps/{app}/clusters/{cluster}'));
    const typo = await render();
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(`hydrate.yaml:${line}:12: error: kubernetes[0].match "aps/{app}/clusters/{cluster}" matches no directory (looked under aps)`);
    expect(await treeOf(out)).toEqual(before);

    // Two entries allowed to match nothing: their units would be pruned, more than half of the files.
    await writeFile(
      config,
      text
        .replace('match: apps/{app}/clusters/{cluster}\n    output: clusters/{cluster}/{app}', 'match: aps/{app}/clusters/{cluster}\n    output: clusters/{cluster}/{app}\n    allowEmpty: true')
        .replace('match: kubernetes/{cluster}/{tenant}/{env}\n    output: kubernetes/{cluster}/{tenant}/{env}', 'match: k8s/{cluster}/{tenant}/{env}\n    output: kubernetes/{cluster}/{tenant}/{env}\n    allowEmpty: true')
    );
    const mass = await render();
    expect(mass.code).toBe(1);
    expect(mass.stderr).toMatch(/error: this run would delete \d+ of the \d+ files hydrate owns in the wet tree .*unit kubernetes:apps\/web\/clusters\/prod .*--allow-mass-deletion/);
    expect(mass.stdout).toContain('was not changed');
    expect(await treeOf(out)).toEqual(before);

    const allowed = await render('--allow-mass-deletion');
    expect(allowed.code).toBe(0);
    // The warning about the entry matching nothing is printed although the run succeeded.
    expect(allowed.stderr).toContain('warning: kubernetes[0].match "aps/{app}/clusters/{cluster}" matches no directory');
    expect([...(await treeOf(out)).keys()].filter((p) => p.startsWith('clusters/'))).toEqual([]);
  });

  it('names a missing extra source at its config line and exits 2 without writing', async () => {
    const work = path.join(tmp, 'nosource');
    await cp(dry, work, { recursive: true });
    await rm(path.join(work, 'vendor'), { recursive: true });
    const out = path.join(tmp, 'nosource-out');
    const r = await cli(['render', '--config', path.join(work, 'hydrate.yaml'), '--out', out, '--only', NO_HELM]);
    expect(r.code).toBe(2);
    const config = (await readFile(path.join(work, 'hydrate.yaml'), 'utf8')).split('\n');
    const line = config.findIndex((l) => /^\s+path: vendor\/orchestrations/.test(l)) + 1;
    expect(line).toBeGreaterThan(0);
    expect(r.stderr).toMatch(new RegExp(`^hydrate\\.yaml:${line}:\\d+: error: source "orchestrations" not found at vendor/orchestrations`, 'm'));
    await expect(stat(path.join(out, '.hydrate', 'index.json'))).rejects.toThrow();
  });

  it('runs the bundled CLI through a symlinked bin, as npx and npm link start it', async () => {
    const link = path.join(tmp, 'hydrate-bin');
    await symlink(path.join(ROOT, 'dist', 'cli.js'), link);
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    expect(pkg.bin['hydrate']).toBe('dist/cli.js');
    const r = await run(process.execPath, [link, '--version']);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it("keeps Node's compile cache of the bundled CLI in the user's cache folder, never in a shared one, and runs the same with or without it", async () => {
    // Node 24 runs the bin as npx does; Node 20 (no compile cache) must run it too.
    const node24 = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'ensure-node24.mjs')], { encoding: 'utf8' }).trim();
    const home = await mkdtemp(path.join(tmp, 'home-'));
    const xdg = await mkdtemp(path.join(tmp, 'xdg-'));
    const shared = await mkdtemp(path.join(tmp, 'tmpdir-'));
    const bin = path.join(ROOT, 'dist', 'cli.js');
    const base = { PATH: process.env['PATH'] ?? '', HOME: home, TMPDIR: shared };
    const entries = async (dir: string): Promise<string[]> => readdir(dir, { recursive: true }).catch(() => []);
    const help = (await run(node24, [bin, '--help'], { env: { ...base, XDG_CACHE_HOME: xdg } })).stdout;
    expect(help).toMatch(/^Usage: hydrate /m);
    expect((await entries(path.join(xdg, 'hydrate', 'node-compile-cache'))).length).toBeGreaterThan(0);
    // The second run reads the cache and prints the same.
    expect((await run(node24, [bin, '--help'], { env: { ...base, XDG_CACHE_HOME: xdg } })).stdout).toBe(help);
    // Without XDG_CACHE_HOME (or with a relative one): ~/.cache/hydrate.
    await run(node24, [bin, '--version'], { env: { ...base, XDG_CACHE_HOME: 'relative' } });
    expect((await entries(path.join(home, '.cache', 'hydrate', 'node-compile-cache'))).length).toBeGreaterThan(0);
    // Turned off: nothing written anywhere.
    const off = await mkdtemp(path.join(tmp, 'off-'));
    expect((await run(node24, [bin, '--help'], { env: { ...base, HOME: off, NODE_DISABLE_COMPILE_CACHE: '1' } })).stdout).toBe(help);
    expect(await entries(off)).toEqual([]);
    expect(await entries(shared)).toEqual([]);
    expect((await run(process.execPath, [bin, '--help'], { env: { ...base, HOME: off } })).stdout).toBe(help);
    // A home that does not exist is not created; one where nothing can be made (/proc, where a
    // recursive mkdir never returns) only means no cache.
    const missing = path.join(tmp, 'no-such-home');
    for (const HOME of [missing, '/proc']) {
      expect((await run(node24, [bin, '--help'], { env: { ...base, HOME }, timeout: 20_000 })).stdout).toBe(help);
    }
    await expect(stat(missing)).rejects.toThrow();
  });
});

describe('the command line, as kubectl and helm users expect', () => {
  const version = async (): Promise<string> => (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  it('-h, --help and help print the commands on stdout and exit 0', async () => {
    for (const args of [['-h'], ['--help'], ['help']]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      for (const command of ['render', 'diff', 'demo', 'version']) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      expect(r.stdout).toContain('no colour');
    }
  });

  it('<command> --help (or -h, or help <command>) prints that command\'s flags and runs nothing', async () => {
    for (const args of [['render', '--help'], ['render', '-h'], ['help', 'render'], ['render', '--out', '/nonexistent/x', '--help']]) {
      const r = await cli(args, {}, tmp);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: hydrate render \[--config FILE\]/);
      for (const flag of ['--config', '--repo', '--out', '--only', '--full', '--json', '--dry-commit', '--shard', '--shard-dir']) expect(r.stdout).toContain(`  ${flag} `);
      expect(r.stderr).toBe('');
    }
    const diff = await cli(['diff', '--help']);
    expect(diff.code).toBe(0);
    for (const flag of ['--base', '--head', '--format', '--ignore', '--exit-zero']) expect(diff.stdout).toContain(`  ${flag} `);
    const demo = await cli(['demo', '-h'], {}, tmp);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/^Usage: hydrate demo/);
    expect(demo.stdout).not.toContain('Hydrating');
  });

  it('version and --version print the package version', async () => {
    for (const args of [['version'], ['--version']]) {
      const r = await cli(args);
      expect(r).toEqual({ code: 0, stdout: `${await version()}\n`, stderr: '' });
    }
  });

  it('an unknown command or flag, or a missing value, exits 2 with the usage line on stderr and nothing on stdout', async () => {
    const cases: [string[], RegExp, RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/, /^Usage: hydrate <command>/m],
      [[], /no command given/, /^Usage: hydrate <command>/m],
      [['--bogus'], /unknown flag --bogus/, /^Usage: hydrate <command>/m],
      [['render', '--bogus'], /unknown flag '--bogus'/, /^Usage: hydrate render \[--config FILE\]/m],
      [['render', '--only'], /--only <value>' argument missing/, /^Usage: hydrate render/m],
      [['diff', '--base', 'a'], /diff needs --base DIR and --head DIR/, /^Usage: hydrate diff/m],
      [['version', 'extra'], /unexpected argument 'extra'/, /^Usage: hydrate version/m]
    ];
    for (const [args, message, usage] of cases) {
      const r = await cli(args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(usage);
    }
  });

  it('--json prints one JSON document on stdout for usage and config errors too', async () => {
    const usage = await cli(['render', '--json', '--bogus']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({ errors: [{ severity: 'error', message: "unknown flag '--bogus'" }], exitCode: 2 });
    const diffUsage = await cli(['diff', '--format', 'json', '--base']);
    expect(diffUsage.code).toBe(2);
    expect((JSON.parse(diffUsage.stdout) as { errors: unknown[] }).errors).toHaveLength(1);

    const work = path.join(tmp, 'json-config');
    await mkdir(work, { recursive: true });
    await writeFile(path.join(work, 'hydrate.yaml'), 'version: 1\nkubernetes:\n  - match: apps/{app}\n    output: out/{app}\n    colour: blue\n');
    const config = await cli(['render', '--json', '--config', path.join(work, 'hydrate.yaml'), '--out', path.join(work, 'out')]);
    expect(config.code).toBe(2);
    const doc = JSON.parse(config.stdout) as { errors: { file: string; line: number; message: string }[] };
    expect(doc.errors).toEqual([expect.objectContaining({ file: 'hydrate.yaml', line: 5, message: expect.stringContaining('colour') })]);
  });

  it('two entries rendering to one output: exit 2 at the config line of each entry', async () => {
    const work = path.join(tmp, 'collide');
    for (const d of ['apps/web/base', 'other/web']) {
      await mkdir(path.join(work, d), { recursive: true });
      await writeFile(path.join(work, d, 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${d.split('/')[0]}}\n`);
    }
    await writeFile(path.join(work, 'hydrate.yaml'), 'version: 1\nkubernetes:\n  - match: apps/{app}/base\n    output: out/{app}\n  - match: other/{app}\n    output: out/{app}\n');
    const r = await cli(['render', '--config', path.join(work, 'hydrate.yaml'), '--out', path.join(tmp, 'collide-out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hydrate\.yaml:4:13: error .*apps\/web\/base \(kubernetes\[0\], line 4\), other\/web \(kubernetes\[1\], line 6\) all render to output out\/web/m);
    await expect(stat(path.join(tmp, 'collide-out', '.hydrate'))).rejects.toThrow();
  });

  it('an unquoted {env}/{app} (a YAML flow mapping) gets a hint to quote it', async () => {
    const work = path.join(tmp, 'flow');
    await mkdir(work, { recursive: true });
    for (const output of ['{env}/{app}', '{app}']) {
      await writeFile(path.join(work, 'hydrate.yaml'), `version: 1\nkubernetes:\n  - match: apps/{app}/{env}\n    output: ${output}\n`);
      const r = await cli(['render', '--config', path.join(work, 'hydrate.yaml'), '--out', path.join(work, 'out')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^hydrate\.yaml:4:\d+: error: /m);
      expect(r.stderr).toContain(`quote it, as in output: "${output}"`);
    }
  });
});
