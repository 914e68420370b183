/**
 * The image-pin use cases over the dry tree: an image update (dispatch, `hydrate images`) and a
 * promotion (`hydrate promote`). Units come from discovery (the config's entries), files are read
 * through the ports; the planning is pure (src/dry/pins/plan.ts) and the plan is written only
 * when complete.
 */
import type { PipelinePorts } from '../pipeline/hydrate.js';
import type { Settings } from '../settings/settings.js';
import type { ImageUpdate } from '../dry/pins/payload.js';
import type { PinPlan, Selector } from '../dry/pins/plan.js';

export type PinRequest = { kind: 'images'; update: ImageUpdate } | { kind: 'promote'; from: Selector; to: Selector };

/** Plans an image update or a promotion. Throws a `HydrateError` (nothing is written) when a selector matches no unit or an image is used by no selected unit. */
export async function planPins(settings: Settings, ports: PipelinePorts, request: PinRequest): Promise<PinPlan> {
  void settings;
  void ports;
  void request;
  throw new Error('not implemented');
}

/** Writes a plan's edits into `workspace` (the dry repository root). */
export async function applyPinPlan(workspace: string, plan: PinPlan): Promise<void> {
  void workspace;
  void plan;
  throw new Error('not implemented');
}

/** The commit message of a pin change: names the image, its tag or digest, and the sender repository. */
export function pinCommitMessage(plan: PinPlan, update?: ImageUpdate): string {
  void plan;
  void update;
  throw new Error('not implemented');
}
