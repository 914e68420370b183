/**
 * External sources (`sources:` in the config): other repositories the workflow checks out
 * inside the dry repository before Hydrate runs. Hydrate only checks they are there.
 */
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import type { FileReader } from '../ports.js';
import type { Settings } from '../settings/settings.js';
import { checkInsideRepo, checkRelativePath, checkRepoPath } from './path-safety.js';
import type { EntryPositions } from './discover.js';

/** One error per source that is missing, not a directory, unsafe, or outside the repository. */
export async function checkSources(settings: Settings, files: FileReader, positions: EntryPositions = new Map()): Promise<Diagnostic[]> {
  const found: Diagnostic[] = [];
  const file = settings.configPath;
  const hint = `(see sources in ${file})`;
  for (const [i, source] of settings.config.sources.entries()) {
    // Each error points at the source's `path` line when the config text is known.
    const out = { push: (d: Diagnostic): number => found.push({ ...d, ...positions.get(`sources[${i}]`) }) };
    const rel = source.path.replace(/^\.\/+/, '').replace(/\/+$/, '');
    const unsafe = checkRelativePath(rel, `path of source "${source.name}"`);
    if (unsafe) {
      out.push({ severity: 'error', file, message: `${unsafe} ${hint}` });
      continue;
    }
    const abs = join(settings.repoRoot, rel);
    const st = await files.lstat(abs);
    let exists = st !== undefined;
    if (st?.kind === 'symlink') {
      exists = await files.realpath(abs).then(
        () => true,
        () => false
      );
    }
    if (!exists) {
      out.push({
        severity: 'error',
        file,
        message: `source "${source.name}" not found at ${rel}: check ${source.repository ?? 'it'} out there before running hydrate ${hint}`
      });
      continue;
    }
    const outside = (await checkInsideRepo(settings.repoRoot, abs, files)) ?? (await checkRepoPath(settings.repoRoot, rel, files, 'its path'));
    if (outside) {
      out.push({ severity: 'error', file, message: `source "${source.name}" at ${rel}: ${outside} ${hint}` });
      continue;
    }
    const target = await files.lstat(await files.realpath(abs));
    if (target?.kind !== 'directory') {
      out.push({ severity: 'error', file, message: `source "${source.name}" at ${rel} is not a directory: check the repository out there ${hint}` });
    }
  }
  return found;
}
