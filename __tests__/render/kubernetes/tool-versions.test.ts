/**
 * The tool versions in every kubernetes unit's digest: what the real tools print, whatever
 * settings Hydrate starts them with, and asked without Go's collector.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createProcessRunner } from '../../../src/adapters/exec.js';
import { renderToolVersions } from '../../../src/render/kubernetes/tool-versions.js';
import type { ProcessRunner, RunOptions } from '../../../src/ports.js';
import { tool } from '../../helpers/tools.js';

describe('renderToolVersions', () => {
  it('records what kubectl and helm print when run plainly, each version query with Go\'s collector off', async () => {
    const kubectl = tool('kubectl-1.35').bin;
    const helm = tool('helm4').bin;
    const dirs = [path.dirname(kubectl), path.dirname(helm)];
    const env = { ...process.env, PATH: dirs.join(path.delimiter) };
    const runner = createProcessRunner(env);
    const seen: { cmd: string; options: RunOptions | undefined }[] = [];
    const recording: ProcessRunner = {
      ...runner,
      run: (cmd, args, options) => {
        seen.push({ cmd, options });
        return runner.run(cmd, args, options);
      }
    };
    const versions = await renderToolVersions(recording);
    const plain = (cmd: string, args: string[]): string => execFileSync(cmd, args, { env, encoding: 'utf8' }).trim();
    expect(versions).toBe(`kubectl:${plain(kubectl, ['version', '--client'])}\nhelm:${plain(helm, ['version', '--short'])}`);
    expect(versions).toContain('v1.35');
    expect(seen.map((s) => s.cmd).sort()).toEqual(['helm', 'kubectl']);
    for (const s of seen) expect(s.options?.env).toMatchObject({ GOGC: 'off', GOMAXPROCS: '1' });
  });

  it('says which tool it could not ask, and never rejects', async () => {
    const failing: ProcessRunner = {
      run: async (cmd) => (cmd === 'kubectl' ? Promise.reject(new Error('boom')) : { exitCode: 3, stdout: 'x', stderr: '' }),
      which: async (cmd) => (cmd === 'kustomize' ? undefined : `/bin/${cmd}`)
    };
    expect(await renderToolVersions(failing)).toBe('kubectl:unknown\nhelm:unknown');
  });
});
