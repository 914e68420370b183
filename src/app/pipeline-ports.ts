/** The ports a run of the pipeline uses, built from the real adapters (for the composition roots). */
import { createProcessRunner } from '../adapters/exec.js';
import { createFileReader } from '../adapters/files.js';
import { readGitListing } from '../adapters/git-files.js';
import type { FileReader, GitListing, Logger, ProcessRunner } from '../ports.js';

export function pipelinePorts(logger: Logger): {
  files: FileReader;
  exec: ProcessRunner;
  logger: Logger;
  gitListing: (repoRoot: string) => Promise<GitListing | undefined>;
} {
  const exec = createProcessRunner();
  return { files: createFileReader(), exec, logger, gitListing: (repoRoot) => readGitListing(exec, repoRoot, logger) };
}
