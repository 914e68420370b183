/**
 * The shape of src/ stays as docs/architecture.md draws it. The import graph is read with a simple
 * regex over import/export lines (like the docs-sync test reads action.yml): the core imports no
 * process or Actions APIs, only the composition roots construct adapters, renderers do not import
 * each other, adapters do not reach up into the report, pipeline or application layers, and no
 * folder-level import cycle appears; the pipeline reaches renderers only through their interface.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SRC = path.join(ROOT, 'src');

interface SourceFile {
  /** Relative to src/, with forward slashes, e.g. `render/kubernetes/index.ts`. */
  rel: string;
  text: string;
  /** Import specifiers, as written. */
  imports: string[];
  /** Relative imports resolved to a path relative to src/ (`.ts`). */
  local: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

const files: SourceFile[] = walk(SRC)
  .sort()
  .map((abs) => {
    const rel = path.relative(SRC, abs).split(path.sep).join('/');
    const text = readFileSync(abs, 'utf8');
    const imports = [...text.matchAll(IMPORT), ...text.matchAll(DYNAMIC)].map((m) => (m[1] ?? m[2])!);
    const local = imports
      .filter((s) => s.startsWith('.'))
      .map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(rel), s)).replace(/\.js$/, '.ts'));
    return { rel, text, imports, local };
  });

/** The folder a file belongs to: its top-level folder under src/, or the file itself at the top (`cli.ts`). */
function folder(rel: string): string {
  const i = rel.indexOf('/');
  return i < 0 ? rel : rel.slice(0, i);
}

const CORE = ['dry', 'render', 'resources', 'wet', 'diff', 'report', 'settings'];
const COMPOSITION_ROOTS = (rel: string): boolean => ['index.ts', 'action/main.ts', 'cli.ts'].includes(rel) || rel.startsWith('app/');
const inCore = (rel: string): boolean => CORE.includes(folder(rel));

describe('the import graph of src/', () => {
  it('is read: every file has been found and most import something', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.find((f) => f.rel === 'app/action-run.ts')?.local).toContain('pipeline/hydrate.ts');
    for (const f of files) for (const l of f.local) expect(files.some((g) => g.rel === l) ? l : `${f.rel} → missing ${l}`).toBe(l);
  });

  it('the entry points only compose: src/action/main.ts and src/cli.ts hold well under 100 lines of logic each', () => {
    for (const rel of ['action/main.ts', 'cli.ts']) {
      const text = files.find((f) => f.rel === rel)!.text.replace(/\/\*[\s\S]*?\*\//g, '');
      const logic = text.split('\n').filter((l) => l.trim() !== '' && !/^\s*(\/\/|import\s|export\s.*\bfrom\s)/.test(l));
      expect({ rel, lines: logic.length < 80 }).toEqual({ rel, lines: true });
    }
  });

  it('the core imports neither node:child_process nor @actions/*', () => {
    const bad = files
      .filter((f) => inCore(f.rel))
      .flatMap((f) => f.imports.filter((s) => /^(node:)?child_process$|^@actions\//.test(s)).map((s) => `${f.rel} imports ${s}`));
    expect(bad).toEqual([]);
  });

  it('the core imports node:fs only where the config file is read (everything else takes a FileReader)', () => {
    // The one place a config file is read (by every entry point and the pull request's base review):
    // it stays beside the config parser. Every other core file reaches files through a FileReader.
    const KNOWN = new Set(['settings/load-settings.ts']);
    const users = files.filter((f) => inCore(f.rel) && f.imports.some((s) => /^(node:)?fs(\/promises)?$/.test(s))).map((f) => f.rel);
    expect(users.filter((r) => !KNOWN.has(r))).toEqual([]);
  });

  it('only the composition roots construct adapters', () => {
    // Known: the publish path and the dry-base reader build their own git client when none is
    // passed, and the git client its own process runner (to go behind the composition roots).
    const KNOWN = new Set(['publish/wet-branch.ts', 'adapters/dry-base.ts', 'adapters/git.ts']);
    const CONSTRUCT = /(?<!function\s)\b(?:createProcessRunner|createGitHub|createFileReader|createGit)\(|\bnew\s+GitClient\(/;
    const bad = files.filter((f) => !COMPOSITION_ROOTS(f.rel) && !KNOWN.has(f.rel) && CONSTRUCT.test(f.text)).map((f) => f.rel);
    expect(bad).toEqual([]);
  });

  it('a renderer folder does not import another renderer folder', () => {
    const renderer = (rel: string): string | undefined => /^render\/([^/]+)\//.exec(rel)?.[1];
    const bad = files.flatMap((f) => {
      const own = renderer(f.rel);
      if (!own) return [];
      return f.local.filter((l) => renderer(l) !== undefined && renderer(l) !== own).map((l) => `${f.rel} → ${l}`);
    });
    expect(bad).toEqual([]);
  });

  it('outside src/render/, nothing imports a renderer\'s own folder, and the pipeline never names a renderer', () => {
    // A renderer's specifics (its closure, its volatility, its tool versions) reach the pipeline
    // through the Renderer interface; src/render/registry.ts is the one place that maps names to renderers.
    const reach = files
      .filter((f) => folder(f.rel) !== 'render')
      .flatMap((f) => f.local.filter((l) => /^render\/[^/]+\//.test(l)).map((l) => `${f.rel} → ${l}`));
    expect(reach).toEqual([]);
    const names = files
      .filter((f) => ['pipeline', 'app'].includes(folder(f.rel)))
      .filter((f) => /['"](?:kubernetes|terraform|secrets)['"]/.test(f.text))
      .map((f) => f.rel);
    expect(names).toEqual([]);
  });

  it('adapters import nothing from report/, pipeline/ or app/', () => {
    const bad = files
      .filter((f) => folder(f.rel) === 'adapters')
      .flatMap((f) => f.local.filter((l) => ['report', 'pipeline', 'app'].includes(folder(l))).map((l) => `${f.rel} → ${l}`));
    expect(bad).toEqual([]);
  });

  it('no folder-level import cycle appears', () => {
    const edges = new Map<string, Set<string>>();
    for (const f of files) {
      for (const l of f.local) {
        const [a, b] = [folder(f.rel), folder(l)];
        if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
      }
    }
    // Strongly connected components (Tarjan): each with more than one folder is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[] = [];
    let next = 0;
    const visit = (v: string): void => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      for (const w of edges.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        if (scc.length > 1) cycles.push(scc.sort().join(' ↔ '));
      }
    };
    for (const v of [...new Set(files.map((f) => folder(f.rel)))].sort()) if (!index.has(v)) visit(v);
    expect(cycles.sort()).toEqual([]);
  });
});
