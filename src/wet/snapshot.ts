/**
 * A wet tree as data: its index and the content of the files Hydrate owns. Used to compare
 * the previous and next tree (diffs, reports) without touching the disk.
 */
import { cmp } from '../resources/resource.js';
import type { WetLayout } from './layout.js';
import type { WetIndex } from '../formats/wet-index.js';

export interface WetSnapshot {
  index?: WetIndex;
  /** Wet-relative path → content, the index file included. */
  files: ReadonlyMap<string, string>;
}

/**
 * The tree a layout describes. A layout with kept files (see `WetLayout.kept`) takes their
 * content from `previous`, the files of the tree it was laid out over.
 */
export function snapshotFromLayout(layout: WetLayout, previous?: ReadonlyMap<string, string>): WetSnapshot {
  const entries: [string, string][] = layout.files.map((f) => [f.path, f.content]);
  for (const p of layout.kept) {
    const content = previous?.get(p);
    if (content === undefined) throw new Error(`the wet layout keeps ${p} from the previous tree, which does not hold it`);
    entries.push([p, content]);
  }
  // In path order, as the layout's files are.
  if (layout.kept.length > 0) entries.sort((a, b) => cmp(a[0], b[0]));
  return { index: layout.index, files: new Map(entries) };
}
