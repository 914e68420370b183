/** Jest runs the TypeScript sources as ESM through ts-jest (type-checking is `npm run typecheck`). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/**
 * A suite that runs a program is an integration test: a real tool or the CLI (through
 * __tests__/helpers, a fixture or src/cli.ts), git, or a process runner, in the suite or in a
 * module of __tests__ it imports. `npm run test:unit` (HYDRATE_TESTS=unit) leaves them out and
 * runs every other suite; `npm test` runs all. Read from the suites themselves, so a new suite
 * lands on the right side without a list to keep.
 */
const RUNS_A_PROGRAM =
  /helpers\/(tools|cli|kubectl|git-http-server|chart-repo)\.js|src\/cli\.js'|createProcessRunner\(|from 'node:child_process'|createGit\(|new GitClient\(/;
const LOCAL_IMPORT = /^\s*import\s[^;]*?from\s*'(\.{1,2}\/[^']+)\.js'/gm;

/** True when the file, or a module of __tests__ it imports, runs a program. */
function runsAProgram(file, seen = new Set()) {
  if (seen.has(file)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  if (RUNS_A_PROGRAM.test(text)) return true;
  return [...text.matchAll(LOCAL_IMPORT)]
    .map((m) => path.resolve(path.dirname(file), `${m[1]}.ts`))
    .some((dep) => dep.startsWith(path.join(ROOT, '__tests__')) && runsAProgram(dep, seen));
}

function suites(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? suites(p) : e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const integration = () => suites(path.join(ROOT, '__tests__')).filter((f) => runsAProgram(f));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  ...(process.env.HYDRATE_TESTS === 'unit' ? { testPathIgnorePatterns: ['/node_modules/', ...integration().map((f) => `^${escape(f)}$`)] } : {}),
  testTimeout: 60000,
  maxWorkers: 2
};
