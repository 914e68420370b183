/**
 * Field paths hidden from the field summary (`diff.ignore` in hydrate.yaml, `hydrate diff
 * --ignore`): patterns over the diff's field paths, such as `metadata.annotations["checksum/*"]`
 * or `metadata.labels["helm.sh/chart"]`. `*` matches within one path segment (within the quotes
 * of a quoted key, anything but a quote), `**` anything. A pattern also covers every path below
 * it (`metadata.labels` hides every label). Hidden changes stay in the unified diff.
 */

export type FieldMatcher = (path: string) => boolean;

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function compile(pattern: string): RegExp {
  let re = '';
  let quoted = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '"') quoted = !quoted;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') {
      re += quoted ? '[^"]*' : '[^.[\\]]*';
    } else {
      re += escapeRe(c);
    }
  }
  // The path itself, or anything below it.
  return new RegExp(`^${re}(?:$|[.[])`);
}

/** A matcher for the patterns, or undefined when there are none. */
export function fieldMatcher(patterns: readonly string[] | undefined): FieldMatcher | undefined {
  const list = (patterns ?? []).map((p) => p.trim()).filter((p) => p !== '');
  if (list.length === 0) return undefined;
  const res = list.map(compile);
  return (path) => res.some((re) => re.test(path));
}
