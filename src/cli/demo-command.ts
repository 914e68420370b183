/** `hydrate demo`: the bundled example rendered onto a copy of its previous wet tree. */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipelinePorts } from '../app/pipeline-ports.js';
import { buildComment } from '../report/comment.js';
import { renderCommand, stderrLogger } from './render-command.js';

/**
 * The bundled example: hydrate examples/dry onto a copy of examples/wet (its previous state).
 * `--write-docs` also regenerates docs/comment-example.md from the comment.
 */
export async function demoCommand(writeDocs = false): Promise<number> {
  const root = findPackageRoot();
  const dry = path.join(root, 'examples', 'dry');
  const previousWet = path.join(root, 'examples', 'wet');
  const out = path.join(root, 'out', 'demo-wet');
  await rm(out, { recursive: true, force: true });
  await mkdir(path.dirname(out), { recursive: true });
  await cp(previousWet, out, { recursive: true });
  const only: string[] = [];
  if (!(await pipelinePorts(stderrLogger).exec.which('helm'))) {
    process.stderr.write('helm is not installed: the Helm release unit is left as it is in the previous wet tree\n');
    only.push('!kubernetes/platform/web/*');
  }
  process.stdout.write(`Hydrating ${path.relative(process.cwd(), dry) || '.'} into ${path.relative(process.cwd(), out)} (previous wet state: examples/wet)\n\n`);
  const { exitCode, outcome } = await renderCommand({ config: path.join(dry, 'hydrate.yaml'), out, only, full: true, json: false });
  const commentFile = path.join(root, 'out', 'demo-comment.md');
  const comment = buildComment(outcome.diff, { marker: 'example/platform:deployment:hydrate.yaml', title: 'Hydrate: render example/platform@0000000 into deployment', dryRepository: 'example/platform', dryCommit: '0000000000000000000000000000000000000000', wetBranch: 'deployment' });
  await writeFile(commentFile, comment);
  if (writeDocs) await writeFile(path.join(root, 'docs', 'comment-example.md'), `${COMMENT_EXAMPLE_HEAD}${comment}`);
  process.stdout.write(`\nThe pull-request comment for this change: ${path.relative(process.cwd(), commentFile)}\n`);
  return exitCode;
}

const COMMENT_EXAMPLE_HEAD = `# Example pull-request comment

This is the comment Hydrate posts for the bundled example (\`npm run demo\` writes it to \`out/demo-comment.md\`; \`npm run demo -- --write-docs\` regenerates this page). GitHub renders the \`<details>\` sections collapsed.

---

`;

function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'examples', 'dry', 'hydrate.yaml'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

