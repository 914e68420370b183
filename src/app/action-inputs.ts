/** What the action was asked to do: its inputs and the runner's environment, read once by src/action/inputs.ts. */
export type Mode = 'pull-request' | 'push' | 'check';

/** How a pin change reaches the dry repository: pushed to its branch, or as a dry pull request. */
export type DryCommit = 'push' | 'pull-request';

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
  /** The checked-out branch of the dry repository (GITHUB_REF `refs/heads/<name>`), if it is a branch. */
  dryBranch?: string;
  /** `repository_dispatch` event type that carries an image update (other types render as on push). */
  dispatchEventType: string;
  /** `workflow_dispatch`: the image update as JSON text (the `payload` input); '' when not given. */
  payload: string;
  /** How a pin change is committed to the dry repository. */
  dryCommit: DryCommit;
  /** `mode: promote`: the coordinate selectors (`env=staging`) to copy pins from and to; the wet side runs as pull-request. */
  promote?: { from: string; to: string };
  tempDir: string;
  stepSummary?: string;
}
