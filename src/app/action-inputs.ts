/** What the action was asked to do: its inputs and the runner's environment, read once by src/action/inputs.ts. */
export type Mode = 'pull-request' | 'push' | 'check';

export interface GitHubEvent {
  name: string;
  payload: Record<string, unknown>;
}

export interface ActionInputs {
  workspace: string;
  configFile: string;
  mode: Mode;
  wetBranch: string;
  wetRepository: { owner: string; repo: string };
  dryRepository: { owner: string; repo: string };
  drySha: string;
  token: string;
  prBranch: string;
  labels: string[];
  autoMerge: boolean;
  /** Coordinate names (`group-by`): a pull request per group of changed units; empty: one pull request. */
  groupBy: string[];
  /** Asked to review each new pull request: logins and `org/team`. */
  reviewers: string[];
  /** How auto-merge (or a merge, when GitHub can merge at once) merges. */
  mergeMethod: 'merge' | 'squash' | 'rebase';
  commitMessage: string;
  author: { name: string; email: string };
  only: string[];
  /** Render every unit, ignoring unchanged input digests (always on for scheduled runs: drift). */
  full: boolean;
  allowPullRequestTargetHead: boolean;
  /** This run may delete most or all of what Hydrate owns (see Settings.allowMassDeletion). */
  allowMassDeletion: boolean;
  /** '' (render everything here), `i/n` (render shard i of n and save it) or `merge`. */
  shard: string;
  /** Where shard files are saved (`i/n`) or read from (`merge`). */
  shardDir: string;
  /** Merge: how many units to render again and compare with their shard's result. */
  shardVerify: number;
  /** GITHUB_RUN_ID: recorded in shard files; a merge accepts only files of its own run. */
  runId: string;
  serverUrl: string;
  apiUrl: string;
  runUrl: string;
  event: GitHubEvent;
  tempDir: string;
  stepSummary?: string;
}
