/**
 * Reads a tree for `hydrate diff`: the files its wet index owns (when it has one) and every
 * `*.yaml` / `*.yml` file below it. Symlinks are never followed; `.git` is skipped.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cmp } from '../resources/resource.js';
import type { WetSnapshot } from '../wet/snapshot.js';
import { readWetDir } from './wet-dir.js';

async function yamlFiles(root: string, rel: string, out: string[]): Promise<void> {
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => cmp(a.name, b.name))) {
    const p = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== '.git') await yamlFiles(root, p, out);
    } else if (e.isFile() && (e.name.endsWith('.yaml') || e.name.endsWith('.yml'))) {
      out.push(p);
    }
  }
}

export async function readYamlTree(dir: string): Promise<WetSnapshot> {
  const wet = await readWetDir(dir);
  const snapshot = await wet.snapshot();
  const files = new Map(snapshot.files);
  const found: string[] = [];
  await yamlFiles(dir, '', found);
  for (const p of found) if (!files.has(p)) files.set(p, await readFile(join(dir, p), 'utf8'));
  return snapshot.index ? { index: snapshot.index, files } : { files };
}
