import { describe, it, expect } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcessRunner } from '../../src/adapters/exec.js';

describe('createProcessRunner', () => {
  it('rejects with code ENOENT for a missing program', async () => {
    const runner = createProcessRunner();
    await expect(runner.run('hydrate-no-such-program-xyz', [])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('writes input to stdin and collects stdout as UTF-8', async () => {
    const r = await createProcessRunner().run('cat', [], { input: 'héllo ✓\n' });
    expect(r).toEqual({ exitCode: 0, stdout: 'héllo ✓\n', stderr: '' });
  });

  it('resolves (does not reject) on a non-zero exit and collects stderr', async () => {
    const r = await createProcessRunner().run('sh', ['-c', 'echo oops >&2; exit 3']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe('oops\n');
  });

  it('passes arguments without a shell', async () => {
    const r = await createProcessRunner().run('printf', ['%s|', '$HOME', 'a b', '`x`']);
    expect(r.stdout).toBe('$HOME|a b|`x`|');
  });

  it('runs with a minimal locale-neutral environment and never passes tokens', async () => {
    const parent = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/home/u', GITHUB_TOKEN: 'ghs_secret', INPUT_TOKEN: 'x', LANG: 'de_DE.UTF-8' };
    const r = await createProcessRunner(parent).run('env', [], { env: { EXTRA: '1' } });
    const env = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env['LANG']).toBe('C');
    expect(env['LC_ALL']).toBe('C');
    expect(env['TZ']).toBe('UTC');
    expect(env['HOME']).toBe('/home/u');
    expect(env['EXTRA']).toBe('1');
    expect(env['GITHUB_TOKEN']).toBeUndefined();
    expect(env['INPUT_TOKEN']).toBeUndefined();
  });

  it('does not inherit GITHUB_TOKEN from the real process environment', async () => {
    process.env['GITHUB_TOKEN'] = 'ghs_should_not_leak';
    try {
      const r = await createProcessRunner().run('env', []);
      expect(r.stdout).not.toContain('ghs_should_not_leak');
      expect(r.stdout).toContain('LANG=C');
    } finally {
      delete process.env['GITHUB_TOKEN'];
    }
  });

  it('uses cwd', async () => {
    const r = await createProcessRunner().run('pwd', [], { cwd: '/' });
    expect(r.stdout).toBe('/\n');
  });

  it('kills a process that exceeds the timeout', async () => {
    const started = Date.now();
    await expect(createProcessRunner().run('sleep', ['10'], { timeoutMs: 200 })).rejects.toThrow(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('which() finds programs on PATH and returns undefined otherwise', async () => {
    const runner = createProcessRunner();
    expect(await runner.which('sh')).toMatch(/\/sh$/);
    expect(await runner.which('hydrate-no-such-program-xyz')).toBeUndefined();
    expect(await createProcessRunner({ PATH: '' }).which('sh')).toBeUndefined();
  });

  it('which() searches PATH once per program and runner (it is asked for every unit)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hydrate-which-'));
    try {
      const tool = join(dir, 'hydrate-test-tool');
      await writeFile(tool, '#!/bin/sh\n', { mode: 0o755 });
      const runner = createProcessRunner({ PATH: dir });
      expect(await runner.which('hydrate-test-tool')).toBe(tool);
      await rm(tool);
      expect(await runner.which('hydrate-test-tool')).toBe(tool);
      expect(await createProcessRunner({ PATH: dir }).which('hydrate-test-tool')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
