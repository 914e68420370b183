/** The versions of the kubernetes renderer's tools (kustomize or kubectl, helm), part of each of its units' digests. */
import type { ProcessRunner } from '../../ports.js';

const VERSION_COMMANDS: [string, string[]][] = [
  ['kustomize', ['version']],
  ['kubectl', ['version', '--client']],
  ['helm', ['version', '--short']]
];

/** The versions of the rendering tools on PATH, asked once per run (tool upgrades change every digest). Never rejects. */
export async function renderToolVersions(exec: ProcessRunner): Promise<string> {
  const found = await Promise.all(VERSION_COMMANDS.map(([cmd]) => exec.which(cmd).then((p) => p !== undefined, () => false)));
  // The renderer prefers kustomize over kubectl: only the one it uses matters.
  const wanted = VERSION_COMMANDS.filter(([cmd], i) => found[i] && !(cmd === 'kubectl' && found[0]));
  const versions = await Promise.all(
    wanted.map(async ([cmd, args]) => {
      try {
        // Printing a version allocates little: without Go's collector and with one thread it takes
        // about 20 ms less CPU time (kubectl), on every run. The output is the same.
        const r = await exec.run(cmd, args, { timeoutMs: 30_000, env: { GOGC: 'off', GOMAXPROCS: '1', GOMEMLIMIT: '256MiB' } });
        return `${cmd}:${r.exitCode === 0 ? r.stdout.trim() : 'unknown'}`;
      } catch {
        return `${cmd}:unknown`;
      }
    })
  );
  return versions.length > 0 ? versions.join('\n') : 'no render tools';
}
