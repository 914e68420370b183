/**
 * Text from the dry tree (object names and kinds, unit ids from directory names, tool output)
 * reaches terminals and CI logs. Control characters would let it move the cursor or colour the
 * terminal (ANSI escapes), fake lines, or — at the start of a line — issue GitHub workflow
 * commands (`::add-mask::`, `::warning::`, `##[group]`) from a CI log. Every text output goes
 * through one of these. Pure.
 */

// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators and bidi overrides.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.codePointAt(0)!;
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of text: every control character (newlines too) shown as an escape (`\n`, `\x1b`). */
export function escapeLine(s: string): string {
  return s.replace(CONTROL, visible);
}

/** True when a log line would be read as a workflow command by the Actions runner. */
function looksLikeCommand(line: string): boolean {
  const t = line.trimStart();
  return t.startsWith('::') || t.startsWith('##[');
}

/**
 * Text of several lines (a tool's error output): control characters other than newline and tab
 * escaped, `\r\n` read as a newline, and a line that would be a workflow command prefixed with
 * a backslash so the runner shows it instead of running it.
 */
export function escapeText(s: string): string {
  return s
    .replace(/\r\n/g, '\n')
    .replace(CONTROL_BUT_NEWLINE_TAB, visible)
    .split('\n')
    .map((l) => (looksLikeCommand(l) ? `\\${l}` : l))
    .join('\n');
}
