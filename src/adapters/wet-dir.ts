/**
 * The wet tree on disk: reading the previous state and applying a plan. Each file is written to
 * a temporary sibling and renamed into place; no symlink inside the wet tree is ever followed.
 *
 * An update is made crash-safe by its order: `.hydrate/pending.json` (the index being written)
 * first, then the deletes and the unit files, then the index, the commit point, and last the
 * removal of the pending file. A tree that still holds the pending file was interrupted: the next
 * run reads it as such (`interrupted`), renders every unit again and prunes what either index owns.
 */
import * as fsp from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { HydrateError, hasErrors, type Diagnostic } from '../diagnostics.js';
import type { PreviousWet } from '../render/renderer.js';
import { cmp } from '../resources/resource.js';
import { ownedPaths } from '../wet/layout.js';
import type { WetPlan } from '../wet/plan.js';
import type { WetSnapshot } from '../wet/snapshot.js';
import { recoverIndex } from '../wet/wet-index.js';
import { checkWetPath, INDEX_PATH, parseIndex, PENDING_PATH, type WetIndex } from '../formats/wet-index.js';

/** The file-system calls that change the wet tree (a port, so that tests can fail one of them). */
export interface WetFs {
  writeFile(path: string, data: string, options: { encoding: 'utf8'; mode: number; flag: string }): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  rmdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
}

export const nodeWetFs: WetFs = {
  writeFile: (p, d, o) => fsp.writeFile(p, d, o),
  chmod: (p, m) => fsp.chmod(p, m),
  rename: (a, b) => fsp.rename(a, b),
  unlink: (p) => fsp.unlink(p),
  mkdir: (p, o) => fsp.mkdir(p, o),
  rmdir: (p) => fsp.rmdir(p),
  readdir: (p) => fsp.readdir(p)
};

/** Hydrate's temporary files: `.<name>.hydrate-<pid>-<8 hex>.tmp`, beside the file being written. */
const TEMP_FILE = /^\..+\.hydrate-(\d+)-[0-9a-f]{8}\.tmp$/;

/** File-system errors that mean the wet tree cannot be written, and what to say about them. */
const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'a file name is too long'
};

const FILE_MODE = 0o644;

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function assertSafe(path: string): void {
  const bad = checkWetPath(path);
  if (bad) throw new HydrateError({ severity: 'error', message: `wet tree: ${bad}` });
}

type Kind = 'file' | 'directory' | 'symlink' | 'other' | 'missing';

async function kindOf(abs: string): Promise<Kind> {
  try {
    const st = await fsp.lstat(abs);
    if (st.isSymbolicLink()) return 'symlink';
    if (st.isFile()) return 'file';
    if (st.isDirectory()) return 'directory';
    return 'other';
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw e;
  }
}

/**
 * Checks every component of `path` (the final one included) without following symlinks, asking
 * `kindAt` for the kind of each leading part. Returns the kind of the final component ('missing'
 * when a file stands where a folder should be, unless `blocked` is 'throw'); throws on a symlink.
 */
async function walkPath(
  path: string,
  kindAt: (sofar: string) => Promise<Kind> | Kind,
  goingAway: ReadonlySet<string> = new Set(),
  blocked: 'missing' | 'throw' = 'missing'
): Promise<Kind> {
  const parts = path.split('/');
  let sofar = '';
  for (let i = 0; i < parts.length; i++) {
    sofar = i === 0 ? parts[0]! : `${sofar}/${parts[i]!}`;
    const kind = await kindAt(sofar);
    // A file about to be deleted does not block a path through it.
    if (kind === 'file' && goingAway.has(sofar)) return 'missing';
    if (kind === 'symlink') {
      throw new HydrateError({
        severity: 'error',
        file: sofar,
        message: `refusing to touch ${path}: ${sofar} is a symlink in the wet tree`
      });
    }
    if (kind === 'missing') return 'missing';
    if (i < parts.length - 1 && kind !== 'directory') {
      // A file where a folder should be: nothing can exist below it.
      if (blocked === 'missing') return 'missing';
      throw new HydrateError({ severity: 'error', file: sofar, message: `cannot reach ${path}: ${sofar} is not a folder` });
    }
    if (i === parts.length - 1) return kind;
  }
  return 'missing';
}

/** `walkPath` below `dir` with one lstat per component: for writing, where the tree changes. */
function inspect(dir: string, path: string, goingAway?: ReadonlySet<string>, blocked?: 'missing' | 'throw'): Promise<Kind> {
  return walkPath(path, (sofar) => kindOf(join(dir, sofar)), goingAway, blocked);
}

type Listing = Map<string, Kind>;

function kindOfEntry(e: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): Kind {
  if (e.isSymbolicLink()) return 'symlink';
  if (e.isFile()) return 'file';
  if (e.isDirectory()) return 'directory';
  return 'other';
}

/**
 * `walkPath` for reading: the kind of each component comes from one listing of its folder
 * (cached), instead of one lstat per component per file. A name the listing does not hold (e.g.
 * another case on a case-insensitive file system) and a folder that cannot be listed fall back to
 * lstat, so the answers are the ones `inspect` gives.
 */
function listingInspector(dir: string): { kindAt: (path: string) => Promise<Kind>; listedKind: (path: string) => Kind | undefined } {
  const listings = new Map<string, Listing | undefined>();
  // Synchronous: a few hundred small folders and files are read many times faster so than
  // through the thread pool, and the tree is only read here.
  const list = (rel: string): Listing | undefined => {
    if (listings.has(rel)) return listings.get(rel);
    let listing: Listing | undefined;
    try {
      listing = new Map(readdirSync(rel === '' ? dir : join(dir, rel), { withFileTypes: true }).map((e) => [e.name, kindOfEntry(e)]));
    } catch {
      listing = undefined;
    }
    listings.set(rel, listing);
    return listing;
  };
  const kindAt = (sofar: string): Promise<Kind> | Kind => {
    const slash = sofar.lastIndexOf('/');
    const parent = slash === -1 ? '' : sofar.slice(0, slash);
    return list(parent)?.get(sofar.slice(slash + 1)) ?? kindOf(join(dir, sofar));
  };
  /**
   * What `walkPath` answers, from the listings alone, without a step through the event loop per
   * component; undefined when a listing does not hold a component or it is a symlink (then
   * `walkPath` decides, with its lstat and its error).
   */
  const listedKind = (path: string): Kind | undefined => {
    let start = 0;
    for (;;) {
      const slash = path.indexOf('/', start);
      const parent = start === 0 ? '' : path.slice(0, start - 1);
      const kind = list(parent)?.get(slash === -1 ? path.slice(start) : path.slice(start, slash));
      if (kind === undefined || kind === 'symlink') return undefined;
      if (slash === -1) return kind;
      if (kind !== 'directory') return 'missing';
      start = slash + 1;
    }
  };
  return { kindAt: (path: string) => walkPath(path, kindAt), listedKind };
}

export interface WetDir extends PreviousWet {
  /** The index and every owned file that exists. */
  snapshot(): Promise<WetSnapshot>;
}

/**
 * Opens the wet tree at `dir` (which may not exist yet). A present but invalid index throws a
 * HydrateError telling the user to delete it. The tree is read as it is when first listed: open
 * it again after applying a plan.
 */
export async function readWetDir(dir: string): Promise<WetDir> {
  const { kindAt, listedKind } = listingInspector(dir);
  const read = async (path: string): Promise<string | undefined> => {
    assertSafe(path);
    const kind = await kindAt(path);
    if (kind === 'missing') return undefined;
    if (kind !== 'file') {
      throw new HydrateError({ severity: 'error', file: path, message: `${path} in the wet tree is not a regular file` });
    }
    try {
      return readFileSync(join(dir, path), 'utf8');
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
  };
  const exists = async (path: string): Promise<boolean> => {
    assertSafe(path);
    const kind = listedKind(path) ?? (await kindAt(path));
    if (kind === 'missing') return false;
    if (kind !== 'file') {
      throw new HydrateError({ severity: 'error', file: path, message: `${path} in the wet tree is not a regular file` });
    }
    return true;
  };
  const indexText = await read(INDEX_PATH);
  const committed = indexText === undefined ? undefined : parseIndex(indexText, INDEX_PATH);
  const pendingText = await read(PENDING_PATH);
  let index = committed;
  if (pendingText !== undefined) {
    let pending: WetIndex | undefined;
    try {
      pending = parseIndex(pendingText, PENDING_PATH);
    } catch {
      pending = undefined; // cut short while it was written: nothing else was changed yet
    }
    index = recoverIndex(committed, pending);
  }
  return {
    index,
    ...(pendingText !== undefined ? { interrupted: true } : {}),
    readFile: read,
    exists,
    async snapshot(): Promise<WetSnapshot> {
      const files = new Map<string, string>();
      for (const p of ownedPaths(index)) {
        const content = await read(p);
        if (content !== undefined) files.set(p, content);
      }
      return index === undefined ? { files } : { index, files };
    }
  };
}

/**
 * Applies a plan to the wet tree at `dir`: checks every path first (no symlinks, no unsafe
 * paths), removes Hydrate's own stale temporary files, writes the pending index, deletes, removes
 * the folders those deletes left empty, writes each file atomically (temporary sibling + rename)
 * with mode 0644, the index last, and removes the pending index. Refuses a plan with errors. A
 * file-system error (no space, read-only, …) is a HydrateError naming the wet tree.
 */
export async function applyWetPlan(dir: string, plan: WetPlan, fs: WetFs = nodeWetFs): Promise<void> {
  if (hasErrors(plan.diagnostics)) {
    throw new HydrateError(plan.diagnostics.filter((d: Diagnostic) => d.severity === 'error'));
  }
  const deletes = [...plan.deletes].sort(cmp);
  // The index is the commit point: written after every unit file.
  const writes = [...plan.writes].sort((a, b) => (a.path === INDEX_PATH ? 1 : 0) - (b.path === INDEX_PATH ? 1 : 0) || cmp(a.path, b.path));

  const deleteKinds = new Map<string, Kind>();
  for (const p of deletes) {
    assertSafe(p);
    const kind = await inspect(dir, p);
    if (kind === 'directory' || kind === 'other') {
      throw new HydrateError({ severity: 'error', file: p, message: `refusing to delete ${p}: it is not a regular file` });
    }
    deleteKinds.set(p, kind);
  }
  const deleted = new Set(deletes);
  for (const w of writes) {
    assertSafe(w.path);
    // A folder in the way may be emptied by the deletes; rename fails cleanly if it is not.
    const kind = await inspect(dir, w.path, deleted, 'throw');
    if (kind === 'other') {
      throw new HydrateError({ severity: 'error', file: w.path, message: `cannot write ${w.path}: a non-file is in the way` });
    }
  }
  const pendingKind = await inspect(dir, PENDING_PATH, undefined, 'throw');
  if (pendingKind !== 'missing' && pendingKind !== 'file') {
    throw new HydrateError({ severity: 'error', file: PENDING_PATH, message: `${PENDING_PATH} in the wet tree is not a regular file` });
  }

  let current = '';
  try {
    const empty = writes.length === 0 && deletes.length === 0;
    // A kill leaves its temporary file beside a file the next run writes again (or in .hydrate/).
    await removeStaleTemporaries(dir, empty ? [PENDING_PATH] : [...deletes, ...writes.map((w) => w.path), PENDING_PATH, ...plan.unchanged], fs);
    if (empty) {
      // Nothing to change; a pending index left by a run stopped after its commit point goes.
      if (pendingKind === 'file') await fs.unlink(join(dir, PENDING_PATH));
      return;
    }
    current = PENDING_PATH;
    await fs.mkdir(join(dir, PENDING_PATH.slice(0, PENDING_PATH.lastIndexOf('/'))), { recursive: true });
    await inspect(dir, PENDING_PATH);
    const pending = plan.nextIndex ?? writes.find((w) => w.path === INDEX_PATH)?.content ?? '{}\n';
    await writeAtomically(dir, PENDING_PATH, pending, fs);

    for (const p of deletes) {
      if (deleteKinds.get(p) === 'missing') continue;
      current = p;
      try {
        await fs.unlink(join(dir, p));
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
    }
    await removeEmptyFolders(dir, deletes, fs);

    for (const w of writes) {
      current = w.path;
      const slash = w.path.lastIndexOf('/');
      if (slash !== -1) {
        await fs.mkdir(join(dir, w.path.slice(0, slash)), { recursive: true });
        // mkdir may have created folders; re-check nothing on the way became a symlink.
        await inspect(dir, w.path);
      }
      await writeAtomically(dir, w.path, w.content, fs);
    }
    current = PENDING_PATH;
    await fs.unlink(join(dir, PENDING_PATH));
  } catch (e) {
    const code = errnoCode(e);
    const what = code !== undefined ? WRITE_ERRORS[code] : undefined;
    if (what === undefined) throw e;
    throw new HydrateError({
      severity: 'error',
      message: `cannot write the wet tree ${dir}: ${what} (${code}) at ${current}; the tree may be half-written: fix the cause and run again, and hydrate renders it again in full`
    });
  }
}

/** Writes `content` to a temporary sibling of `path` and renames it into place. */
async function writeAtomically(dir: string, path: string, content: string, fs: WetFs): Promise<void> {
  const abs = join(dir, path);
  const slash = path.lastIndexOf('/');
  const name = slash === -1 ? path : path.slice(slash + 1);
  const tmp = join(abs, '..', `.${name}.hydrate-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, content, { encoding: 'utf8', mode: FILE_MODE, flag: 'wx' });
    await fs.chmod(tmp, FILE_MODE);
    await fs.rename(tmp, abs);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Whether another running process may still be writing its temporary file (this one is not: it cleans before it writes). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

/**
 * Removes the temporary files a killed run left (Hydrate's own name pattern only, regular files
 * only, of processes no longer running) in the folders of the given paths.
 */
async function removeStaleTemporaries(dir: string, paths: readonly string[], fs: WetFs): Promise<void> {
  const folders = new Set<string>();
  for (const p of paths) {
    const slash = p.lastIndexOf('/');
    folders.add(slash === -1 ? '' : p.slice(0, slash));
  }
  for (const folder of [...folders].sort(cmp)) {
    const abs = folder === '' ? dir : join(dir, folder);
    if ((await kindOf(abs)) !== 'directory' || (folder !== '' && (await inspect(dir, folder)) !== 'directory')) continue;
    for (const name of (await fs.readdir(abs)).sort(cmp)) {
      const m = TEMP_FILE.exec(name);
      if (!m || processAlive(Number(m[1]))) continue;
      if ((await kindOf(join(abs, name))) !== 'file') continue;
      await fs.unlink(join(abs, name)).catch((e: unknown) => {
        if (errnoCode(e) !== 'ENOENT') throw e;
      });
    }
  }
}

/** Removes the folders (below `dir`) that contained deleted files and are now empty, deepest first. */
async function removeEmptyFolders(dir: string, deleted: readonly string[], fs: WetFs): Promise<void> {
  const candidates = new Set<string>();
  for (const p of deleted) {
    const parts = p.split('/');
    for (let i = parts.length - 1; i >= 1; i--) candidates.add(parts.slice(0, i).join('/'));
  }
  const ordered = [...candidates].sort((a, b) => b.split('/').length - a.split('/').length || cmp(a, b));
  for (const folder of ordered) {
    const abs = join(dir, folder);
    if ((await kindOf(abs)) !== 'directory') continue;
    const entries = await fs.readdir(abs);
    if (entries.length === 0) await fs.rmdir(abs);
  }
}
