/**
 * What a closure's files hold, read for any renderer's unit: the contents of every file at or
 * below a closure's paths, symlinks recorded by target. The input-secrets redaction reads a
 * unit's inputs with it (pipeline/input-secrets.ts).
 */
import { posix } from 'node:path';
import type { FileReader } from '../ports.js';
import { cmp } from '../resources/resource.js';
import { digestOfBytes } from './digest.js';

/**
 * Appends `(key, kind and content)` for every file at or below `abs`, recorded under `key`
 * (repo-relative); a missing path is recorded as such. A symlink is recorded by its target and,
 * when the target lies inside the repository, by what it leads to (tools follow it): a folder is
 * walked (once per real folder, so loops end), a file read.
 */
async function readTree(files: FileReader, tree: Tree, abs: string, key: string): Promise<void> {
  const st = await files.lstat(abs);
  if (st === undefined) {
    if (!tree.out.has(key)) tree.out.set(key, 'missing');
    return;
  }
  if (st.kind === 'directory') {
    const entries = (await files.readDir(abs)).map((e) => e.name).sort(cmp);
    if (entries.length === 0 && !tree.out.has(key)) tree.out.set(key, 'empty-dir');
    for (const name of entries) await readTree(files, tree, posix.join(abs, name), key === '' ? name : `${key}/${name}`);
    return;
  }
  if (tree.out.has(key)) return;
  // Bytes, not text: a file that is not UTF-8 (a binary artifact) still has a digest.
  if (st.kind === 'file') tree.out.set(key, `file:${digestOfBytes(await files.readFileBytes(abs))}`);
  else if (st.kind === 'symlink') {
    let target: string | undefined;
    try {
      target = await files.realpath(abs);
    } catch {
      target = undefined;
    }
    tree.out.set(key, `symlink:${target ?? 'dangling'}`);
    if (target === undefined || (target !== tree.realRoot && !target.startsWith(`${tree.realRoot}/`))) return;
    const behind = await files.lstat(target);
    if (behind?.kind === 'file') tree.out.set(key, `symlink:${target}\u0000file:${digestOfBytes(await files.readFileBytes(target))}`);
    else if (behind?.kind === 'directory' && !tree.followed.has(target)) {
      tree.followed.add(target);
      tree.out.delete(key);
      await readTree(files, tree, target, key);
      tree.out.set(`${key}\u0000symlink`, target);
    }
  } else tree.out.set(key, st.kind);
}

interface Tree {
  out: Map<string, string>;
  realRoot: string;
  /** Real folders already walked through a symlink. */
  followed: Set<string>;
}

/**
 * `(path, content)` of every file at or below the closure's paths, sorted by path; directories
 * are walked, symlinks recorded by target (and followed inside the repository), missing paths
 * recorded as missing (their appearance must change a digest).
 */
export async function closureContents(files: FileReader, repoRoot: string, paths: readonly string[]): Promise<[string, string][]> {
  let realRoot = repoRoot;
  try {
    realRoot = await files.realpath(repoRoot);
  } catch {
    // A missing root: nothing below it can be followed.
  }
  const tree: Tree = { out: new Map(), realRoot, followed: new Set() };
  for (const p of paths) await readTree(files, tree, p === '' ? repoRoot : posix.join(repoRoot, p), p);
  return [...tree.out.entries()].sort(([a], [b]) => cmp(a, b));
}
