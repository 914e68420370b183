/**
 * File identities for input digests: every path a unit's closure names gets an id that changes
 * exactly when what a tool would read there changes. A file's id is git's blob id of its content
 * (`sha1("blob <length>\0" + content)`), a directory's id hashes the sorted names and ids of what
 * is below it, a symlink's id its target (and, inside the repository, what it leads to).
 *
 * Two sources give the same ids by construction: a `GitListing` (what `git ls-files` says of the
 * tree, read by src/adapters/git-files.ts: clean tracked files are not read at all), and the
 * files themselves (outside git, and for whatever git does not vouch for: modified, untracked,
 * ignored files, symlinks, submodules).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { FileReader } from '../ports.js';
import { cmp } from '../resources/resource.js';

/** The id of a path that does not exist (an empty directory counts as missing: git cannot see one). */
export const MISSING = 'missing';

/** git's blob id of `content`. */
export function blobId(content: Uint8Array): string {
  const h = createHash('sha1');
  h.update(`blob ${content.length}\u0000`);
  h.update(content);
  return h.digest('hex');
}

import type { GitListing } from '../ports.js';

export type { GitListing };

export interface FileIds {
  /** Which source answered: `git` when a listing was used. */
  readonly source: 'git' | 'content';
  /** The id of a repository-relative path (`''` is the root). */
  id(path: string): Promise<string>;
  /**
   * The id `id` gives, when it is known without reading anything (a clean tracked file, or a path
   * whose id was computed already); else undefined. Saves an asynchronous step per path.
   */
  known?(path: string): string | undefined;
}

function treeId(entries: readonly [string, string][]): string {
  const present = entries.filter(([, id]) => id !== MISSING);
  if (present.length === 0) return MISSING;
  const h = createHash('sha1');
  for (const [name, id] of present) h.update(`${name}\u0000${id}\n`);
  return `d:${h.digest('hex')}`;
}

function symlinkId(target: string, behind: string): string {
  return `s:${createHash('sha1').update(`${target}\u0000${behind}`).digest('hex')}`;
}

const join = (dir: string, name: string): string => (dir === '' ? name : `${dir}/${name}`);

/**
 * Ids over `files` below `repoRoot` (absolute), using `listing` for what git vouches for when
 * given. Answers are memoized: create one per run.
 */
export function createFileIds(files: FileReader, repoRoot: string, listing?: GitListing): FileIds {
  const memo = new Map<string, Promise<string>>();
  /** The answers of `memo` that have arrived. */
  const settled = new Map<string, string>();
  let realRoot: Promise<string> | undefined;
  const root = (): Promise<string> => (realRoot ??= files.realpath(repoRoot).catch(() => repoRoot));
  const abs = (rel: string): string => (rel === '' ? repoRoot : posix.join(repoRoot, rel));

  // Folder → names below it, from everything the listing names.
  const children = new Map<string, Set<string>>();
  const opaqueUnder = (rel: string): boolean => {
    if (!listing || listing.opaque.size === 0) return false;
    for (let p = rel; ; ) {
      if (listing.opaque.has(p)) return true;
      const slash = p.lastIndexOf('/');
      if (slash < 0) return false;
      p = p.slice(0, slash);
    }
  };
  if (listing) {
    const add = (path: string): void => {
      let p = path;
      while (p !== '') {
        const slash = p.lastIndexOf('/');
        const dir = slash < 0 ? '' : p.slice(0, slash);
        let names = children.get(dir);
        const fresh = names === undefined;
        if (!names) children.set(dir, (names = new Set()));
        names.add(slash < 0 ? p : p.slice(slash + 1));
        if (!fresh) return;
        p = dir;
      }
    };
    for (const p of listing.clean.keys()) add(p);
    for (const p of listing.dirty) add(p);
    for (const p of listing.opaque) add(p);
  }

  /** `via`: real targets of the symlinks followed to get here (loops end there); answers under a symlink are not memoized. */
  const id = (rel: string, via: readonly string[]): Promise<string> => {
    if (via.length > 0) return compute(rel, via);
    const answer = settled.get(rel);
    if (answer !== undefined) return Promise.resolve(answer);
    let hit = memo.get(rel);
    if (!hit) {
      hit = compute(rel, via).then((answer) => {
        settled.set(rel, answer);
        return answer;
      });
      memo.set(rel, hit);
    }
    return hit;
  };

  /**
   * `compute`'s answer from the listing alone, when git vouches for everything at or below `rel`
   * (a clean file, or a folder of clean files): no read, no asynchronous step. Else undefined.
   */
  const known = (rel: string): string | undefined => {
    const answer = settled.get(rel);
    if (answer !== undefined || !listing || opaqueUnder(rel)) return answer;
    const clean = listing.clean.get(rel);
    if (clean !== undefined || listing.dirty.has(rel)) return clean;
    const names = children.get(rel);
    if (!names) return undefined;
    const out: [string, string][] = [];
    for (const name of [...names].sort(cmp)) {
      const child = known(join(rel, name));
      if (child === undefined) return undefined;
      out.push([name, child]);
    }
    const tree = treeId(out);
    settled.set(rel, tree);
    return tree;
  };

  const compute = async (rel: string, via: readonly string[]): Promise<string> => {
    if (listing && !opaqueUnder(rel)) {
      const clean = listing.clean.get(rel);
      if (clean !== undefined) return clean;
      if (!listing.dirty.has(rel)) {
        const names = children.get(rel);
        // Not in the listing: missing, or below a symlinked folder: the disk says which.
        if (!names) return fromDisk(rel, via);
        const out: [string, string][] = [];
        for (const name of [...names].sort(cmp)) out.push([name, await id(join(rel, name), via)]);
        return treeId(out);
      }
    }
    return fromDisk(rel, via);
  };

  const fromDisk = async (rel: string, via: readonly string[]): Promise<string> => {
    const st = await files.lstat(abs(rel));
    if (st === undefined) return MISSING;
    if (rel.includes('/') && (st.kind === 'file' || st.kind === 'directory')) {
      // Below a symlinked folder: never read outside the repository.
      const real = await root();
      const target = await files.realpath(abs(rel)).catch(() => undefined);
      if (target === undefined) return MISSING;
      if (target !== real && !target.startsWith(`${real}/`)) return symlinkId(`outside:${target}`, '');
    }
    if (st.kind === 'file') return blobId(await files.readFileBytes(abs(rel)));
    if (st.kind === 'directory') {
      // git never lists the repository's own .git folder.
      const names = (await files.readDir(abs(rel))).map((e) => e.name).filter((n) => !(rel === '' && n === '.git'));
      const out: [string, string][] = [];
      for (const name of names.sort(cmp)) out.push([name, await id(join(rel, name), via)]);
      return treeId(out);
    }
    if (st.kind === 'symlink') {
      let target: string;
      try {
        target = await files.realpath(abs(rel));
      } catch {
        return symlinkId('dangling', '');
      }
      const real = await root();
      if (target !== real && !target.startsWith(`${real}/`)) return symlinkId(`outside:${target}`, '');
      const inside = target === real ? '' : target.slice(real.length + 1);
      if (via.includes(inside)) return symlinkId(inside, 'loop');
      return symlinkId(inside, await id(inside, [...via, inside]));
    }
    return `o:${st.kind}`;
  };

  return { source: listing ? 'git' : 'content', id: (rel) => id(rel, []), known };
}
