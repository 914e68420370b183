/**
 * Shard files on disk: a shard job writes `hydrate-shard-<i>-of-<n>.json` into the shard
 * directory (which the workflow uploads as an artifact); the merge job reads every such file
 * from the directory (where the workflow downloaded the artifacts), searching subfolders too.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { HydrateError, type Diagnostic } from '../diagnostics.js';
import { cmp } from '../resources/resource.js';
import { parseShardFile, serializeShardFile, shardFileName, type LoadedShard, type ShardFile } from '../formats/shard-file.js';

const SHARD_FILE = /^hydrate-shard-\d+-of-\d+\.json$/;

/** Writes the shard file atomically (temporary sibling, then rename); returns its path. */
export async function writeShardFile(dir: string, shard: ShardFile): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, shardFileName(shard.shard));
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, serializeShardFile(shard));
  await rename(tmp, file);
  return file;
}

async function findShardFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && depth === 0) {
        throw new HydrateError(`shard directory ${dir} does not exist: download the shard jobs' artifacts into it first`);
      }
      throw e;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < 2) await walk(p, depth + 1);
      else if (e.isFile() && SHARD_FILE.test(e.name)) out.push(p);
    }
  };
  await walk(dir, 0);
  return out.sort(cmp);
}

/** Reads and validates every shard file under `dir`; every unreadable or malformed file is an error, reported together. */
export async function readShardFiles(dir: string): Promise<LoadedShard[]> {
  const files = await findShardFiles(dir);
  const shards: LoadedShard[] = [];
  const problems: Diagnostic[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      problems.push({ severity: 'error', message: `shard file ${file} is not valid JSON: ${(e as Error).message}` });
      continue;
    }
    const parsed = parseShardFile(text);
    if ('problem' in parsed) problems.push({ severity: 'error', message: `shard file ${file} ${parsed.problem}` });
    else shards.push({ file, data: parsed.data });
  }
  if (problems.length > 0) throw new HydrateError(problems);
  return shards;
}
