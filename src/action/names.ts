/**
 * Checks of names given as action inputs, before anything runs: branch names by the rules of
 * `git check-ref-format --branch` (implemented here, no git process), and PR labels by GitHub's
 * limits. Pure; each returns a message naming the problem, or undefined when the name is fine.
 */

/** GitHub refuses label names longer than this. */
export const MAX_LABEL_LENGTH = 50;

/** Why `name` is not a usable branch name (the part after `refs/heads/`), or undefined. */
export function branchNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '@') return 'it is "@", which git reads as HEAD';
  if (name === 'HEAD') return 'it is "HEAD", which git reads as the checked-out commit, not a branch';
  if (name.startsWith('refs/')) return `give the branch name without "refs/..." (e.g. "${name.replace(/^refs\/(heads\/)?/, '')}")`;
  if (name.startsWith('-')) return 'it begins with "-"';
  // eslint-disable-next-line no-control-regex
  const bad = /[\x00-\x20\x7f~^:?*[\\]/.exec(name);
  if (bad) return `it contains ${describeChar(bad[0])}, which git does not allow in a branch name`;
  if (name.includes('..')) return 'it contains ".."';
  if (name.includes('@{')) return 'it contains "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it begins or ends with "/" or has an empty part ("//")';
  if (name.endsWith('.')) return 'it ends with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `its part "${part}" begins with "."`;
    if (part.endsWith('.lock')) return `its part "${part}" ends with ".lock"`;
  }
  return undefined;
}

/** Why `label` cannot be a GitHub label, or undefined. */
export function labelProblem(label: string): string | undefined {
  if ([...label].length > MAX_LABEL_LENGTH) return `it is longer than GitHub's ${MAX_LABEL_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  const bad = /[\x00-\x1f\x7f]/.exec(label);
  if (bad) return `it contains ${describeChar(bad[0])}`;
  return undefined;
}

function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (c === ' ') return 'a space';
  return code < 0x20 || code === 0x7f ? `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `"${c}"`;
}
