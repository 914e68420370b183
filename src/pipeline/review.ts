/**
 * The review of a dry pull request: its own effect, the render of its head against the render of
 * its base, both computed in the run. The base render starts from the head's render as its
 * previous tree, so every unit the pull request does not touch is reused (incremental reuse):
 * only the units it changes render twice. How the deployed wet branch differs from the base
 * render (a pending wet pull request, a failed run, drift) is reported apart.
 */
import { cp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../settings/settings.js';
import { loadSettings } from '../settings/load-settings.js';
import { snapshotFromLayout, type WetSnapshot } from '../wet/snapshot.js';
import { diffWet, type DiffReport } from '../diff/wet-diff.js';
import { formatDiagnostic } from '../diagnostics.js';
import { hydrate, type HydrateOutcome, type PipelinePorts } from './hydrate.js';

export interface ReviewRequest {
  /** The head's render (successful, with its layout) and the settings it was rendered with. */
  head: HydrateOutcome;
  settings: Settings;
  /** The deployed wet branch. */
  wet: WetSnapshot;
  /** A checkout of the base commit. */
  baseRoot: string;
  baseSha: string;
  ports: PipelinePorts;
}

export interface Review {
  /** Base render → head render: what the pull request changes. */
  diff: DiffReport;
  /** Deployed wet branch → base render: what is pending or drifted, not this change. */
  drift: DiffReport;
}

/** Throws an Error saying why when the base cannot be rendered. */
export async function reviewAgainstBase(req: ReviewRequest): Promise<Review> {
  const { head, settings } = req;
  if (!head.layout) throw new Error('the head was not rendered');
  // The head was rendered over the deployed wet branch: its kept files are as the branch holds them.
  const headSnap = snapshotFromLayout(head.layout, req.wet.files);
  const headFiles = headSnap.files;
  const ignore = settings.config.diff.ignore;
  let baseSnap: WetSnapshot = { files: new Map() };
  const configFile = path.join(req.baseRoot, settings.configPath);
  // Without a config at the base, the pull request introduces Hydrate: the base renders nothing.
  if (existsSync(configFile)) {
    const loaded = await loadSettings({ configFile, repoRoot: req.baseRoot, only: settings.only, full: false });
    const configText = loaded.configText;
    // The base render writes nothing: it is the head's config under the same owner, and the
    // deletion guards (which protect what a run writes) do not apply to it.
    const baseSettings: Settings = { ...loaded.settings, allowMassDeletion: true, ...(settings.owner !== undefined ? { owner: settings.owner } : {}) };
    // Extra sources are checked out by the workflow beside the dry tree, not committed to it.
    for (const s of baseSettings.config.sources) {
      const from = path.join(settings.repoRoot, s.path);
      const to = path.join(req.baseRoot, s.path);
      if (!existsSync(to) && existsSync(from) && path.relative(settings.repoRoot, from).split(path.sep)[0] !== '..') {
        await cp(from, to, { recursive: true, verbatimSymlinks: true });
      }
    }
    const base = await hydrate({
      settings: baseSettings,
      configText,
      previous: { index: head.layout.index, readFile: (p) => Promise.resolve(headFiles.get(p)) },
      ports: req.ports,
      dryCommit: req.baseSha
    });
    if (!base.ok || !base.layout) {
      const first = base.diagnostics.find((d) => d.severity === 'error');
      throw new Error(`the base commit ${req.baseSha.slice(0, 7)} does not render${first ? `: ${formatDiagnostic(first)}` : ''}`);
    }
    baseSnap = snapshotFromLayout(base.layout, headFiles);
  }
  return {
    diff: diffWet(baseSnap, headSnap, { ignore }),
    drift: diffWet(req.wet, baseSnap, { ignore })
  };
}
