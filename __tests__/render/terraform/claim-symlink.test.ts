import { describe, it, expect } from '@jest/globals';
import { createSecretsRenderer } from '../../../src/render/secrets/index.js';
import { createTerraformRenderer } from '../../../src/render/terraform/index.js';
import type { FileReader } from '../../../src/ports.js';
import { memoryFiles, renderInput, ROOT, settingsFrom, unit } from './fixtures.js';

/** `files`, plus `link` (repo-relative) listed as a symlink, as the real file reader lists one. */
function withSymlink(files: Record<string, string>, link: string): FileReader {
  const reader = memoryFiles(files);
  const dir = `${ROOT}/${link.slice(0, link.lastIndexOf('/'))}`;
  const name = link.slice(link.lastIndexOf('/') + 1);
  return {
    ...reader,
    readDir: async (p) => [...(await reader.readDir(p)), ...(p === dir ? [{ name, kind: 'symlink' as const }] : [])],
    readFile: async (p) => {
      if (p === `${ROOT}/${link}`) throw new Error(`the symlink ${link} was followed`);
      return reader.readFile(p);
    }
  };
}

const message = 'link.yaml is a symlink: symlinked claim files are not followed; copy the file instead';

describe('symlinked claim files', () => {
  it('are an error for the terraform renderer, as a symlinked manifest is, and are not read', async () => {
    const settings = settingsFrom({ terraform: [{ match: 't/{env}', output: 't/{env}', namespace: 'infra', resourceTypes: { db: { backend: 'be', providers: ['aws'] } } }] });
    const [r] = await createTerraformRenderer().render(renderInput(settings, [unit('terraform', 't/a', { env: 'a' })], withSymlink({ 't/a/README.md': '' }, 't/a/link.yaml')));
    expect(r!.status).toBe('failed');
    expect(r!.diagnostics).toEqual([{ severity: 'error', unit: 'terraform:t/a', file: 't/a/link.yaml', message }]);
  });

  it('are an error for the secrets renderer too', async () => {
    const settings = settingsFrom({ secrets: [{ match: 's/{env}', output: 's/{env}', namespace: 'ns' }] });
    const [r] = await createSecretsRenderer().render(renderInput(settings, [unit('secrets', 's/a', { env: 'a' })], withSymlink({ 's/a/README.md': '' }, 's/a/link.yaml')));
    expect(r!.status).toBe('failed');
    expect(r!.diagnostics).toEqual([{ severity: 'error', unit: 'secrets:s/a', file: 's/a/link.yaml', message }]);
  });
});
