/**
 * A wet tree as data: its index and the content of the files Hydrate owns. Used to compare
 * the previous and next tree (diffs, reports) without touching the disk.
 */
import type { WetLayout } from './layout.js';
import type { WetIndex } from '../formats/wet-index.js';

export interface WetSnapshot {
  index?: WetIndex;
  /** Wet-relative path → content, the index file included. */
  files: ReadonlyMap<string, string>;
}

export function snapshotFromLayout(layout: WetLayout): WetSnapshot {
  return { index: layout.index, files: new Map(layout.files.map((f) => [f.path, f.content])) };
}
