/** Reading YAML as kubectl reads it (go-yaml, YAML 1.1 rules), offline: the consumer's view of a file. */
import { execFileSync } from 'node:child_process';

/**
 * The objects of `file` as kubectl parses them, through `kubectl label --local -o json` (no
 * cluster needed); the label it adds is taken away again, so the objects are as written.
 */
export function kubectlReads(bin: string, file: string): unknown[] {
  const out = execFileSync(bin, ['label', '--local', '-f', file, 'hydrate-test=1', '-o', 'json'], {
    env: { ...process.env, KUBECONFIG: '/dev/null' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024
  });
  const parsed = JSON.parse(out) as Record<string, unknown>;
  const items = parsed['kind'] === 'List' ? (parsed['items'] as Record<string, unknown>[]) : [parsed];
  for (const o of items) {
    const md = o['metadata'] as Record<string, unknown>;
    const labels = md['labels'] as Record<string, unknown>;
    delete labels['hydrate-test'];
    if (Object.keys(labels).length === 0) delete md['labels'];
  }
  return items;
}
