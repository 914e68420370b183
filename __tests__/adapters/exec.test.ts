import { describe, it, expect } from '@jest/globals';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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

  it('passEnv passes on only the named variables that are set, under `env`', async () => {
    const parent = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HELM_REGISTRY_CONFIG: '/r/config.json', HTTPS_PROXY: 'http://p:3128', GITHUB_TOKEN: 'ghs_secret' };
    const r = await createProcessRunner(parent).run('env', [], { passEnv: ['HELM_REGISTRY_CONFIG', 'HTTPS_PROXY', 'NO_PROXY'], env: { HTTPS_PROXY: 'http://override:1' } });
    const env = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env['HELM_REGISTRY_CONFIG']).toBe('/r/config.json');
    expect(env['HTTPS_PROXY']).toBe('http://override:1');
    expect('NO_PROXY' in env).toBe(false);
    expect(r.stdout).not.toContain('ghs_secret');
  });

  it('workDir() gives an empty folder, or one holding copies (symlinks as links), and removes it', async () => {
    const src = await mkdtemp(join(tmpdir(), 'hydrate-workdir-src-'));
    try {
      await mkdir(join(src, 'chart/templates'), { recursive: true });
      await writeFile(join(src, 'chart/Chart.yaml'), 'name: c\n');
      await symlink('/etc/passwd', join(src, 'chart/templates/link'));
      const runner = createProcessRunner();
      const empty = await runner.workDir!();
      expect(await readdir(empty.path)).toEqual([]);
      await empty.remove();
      expect(existsSync(empty.path)).toBe(false);

      const work = await runner.workDir!([{ from: join(src, 'chart'), to: 'charts/c' }]);
      expect(await readFile(join(work.path, 'charts/c/Chart.yaml'), 'utf8')).toBe('name: c\n');
      expect((await lstat(join(work.path, 'charts/c/templates/link'))).isSymbolicLink()).toBe(true);
      await work.remove();
      expect(existsSync(work.path)).toBe(false);

      await expect(runner.workDir!([{ from: join(src, 'chart'), to: '../escape' }])).rejects.toThrow('cannot copy');

      // Written files replace copies (a copied symlink is replaced, never written through).
      const written = await runner.workDir!([{ from: join(src, 'chart'), to: 'c' }], [
        { path: 'c/Chart.yaml', content: 'name: edited\n' },
        { path: 'c/templates/link', content: 'mine\n' }
      ]);
      expect(await readFile(join(written.path, 'c/Chart.yaml'), 'utf8')).toBe('name: edited\n');
      expect(await readFile(join(written.path, 'c/templates/link'), 'utf8')).toBe('mine\n');
      expect(await readFile(join(src, 'chart/Chart.yaml'), 'utf8')).toBe('name: c\n');
      await written.remove();
      await expect(runner.workDir!([], [{ path: '../escape', content: 'x' }])).rejects.toThrow('cannot write');
    } finally {
      await rm(src, { recursive: true, force: true });
    }
  });
});
