// Takes the README's picture of a real pull-request comment: renders the demo's comment
// (out/demo-comment.md, written by `npm run demo`) to HTML styled like GitHub's, then screenshots
// it with headless Chromium (Debian: `apt-get install -y chromium`).
//
//   npm run demo && node scripts/screenshot-comment.mjs [--open UNIT] [--out docs/comment.png]
//
// --open names a unit whose <details> section is shown expanded (GitHub shows them collapsed
// until clicked); default kubernetes:apps/web/clusters/prod. CHROMIUM names the browser binary.
// The markdown converter is minimal: it knows what Hydrate's comments hold (headings, lists,
// paragraphs, tables, fenced diffs, inline code and bold, and the HTML tags the comment uses).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    in: { type: 'string', default: path.join(ROOT, 'out', 'demo-comment.md') },
    out: { type: 'string', default: path.join(ROOT, 'docs', 'comment.png') },
    open: { type: 'string', default: 'kubernetes:apps/web/clusters/prod' },
    width: { type: 'string', default: '900' },
    height: { type: 'string', default: '1000' }
  }
});

const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Inline markdown: `code`, **bold**, backslash escapes; HTML tags pass through as GitHub allows them. */
function inline(text) {
  const parts = text.split(/(`[^`]+`)/);
  return parts
    .map((p) => {
      if (p.startsWith('`') && p.endsWith('`') && p.length > 1) return `<code>${escapeHtml(p.slice(1, -1))}</code>`;
      return p.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/\\([[\]\\`*_{}()#+\-.!|<>])/g, '$1');
    })
    .join('');
}

function table(lines) {
  const cells = (l) => l.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
  const align = cells(lines[1]).map((c) => (c.endsWith(':') ? 'right' : 'left'));
  const row = (l, tag) => `<tr>${cells(l).map((c, i) => `<${tag} style="text-align:${align[i]}">${inline(c)}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${row(lines[0], 'th')}</thead><tbody>${lines.slice(2).map((l) => row(l, 'td')).join('')}</tbody></table>`;
}

function codeBlock(lang, lines) {
  const body = lines
    .map((l) => {
      const cls = lang === 'diff' ? (l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '') : '';
      return `<span class="line ${cls}">${escapeHtml(l) || ' '}</span>`;
    })
    .join('');
  return `<pre><code>${body}</code></pre>`;
}

/** Block-level markdown → HTML. */
export function markdownToHtml(md, openUnit) {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.startsWith('```')) {
      const lang = line.slice(3).trim();
      const body = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
      out.push(codeBlock(lang, body));
      i++;
    } else if (/^\s*$/.test(line)) {
      i++;
    } else if (/^<!--.*-->$/.test(line.trim())) {
      i++;
    } else if (/^#{1,6} /.test(line)) {
      const level = line.indexOf(' ');
      out.push(`<h${level}>${inline(line.slice(level + 1))}</h${level}>`);
      i++;
    } else if (/^\s*<\/?(details|summary)/.test(line)) {
      const open = openUnit && line.startsWith('<details>') && line.includes(`<code>${openUnit}</code>`);
      out.push(open ? line.replace('<details>', '<details open>') : line);
      i++;
    } else if (line.startsWith('|')) {
      const rows = [];
      for (; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i]);
      out.push(table(rows));
    } else if (/^\s*[-*] /.test(line)) {
      const items = [];
      for (; i < lines.length && /^\s*[-*] /.test(lines[i]); i++) items.push(`<li>${inline(lines[i].replace(/^\s*[-*] /, ''))}</li>`);
      out.push(`<ul>${items.join('')}</ul>`);
    } else if (/^---+$/.test(line.trim())) {
      out.push('<hr>');
      i++;
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() !== '' && !/^(```|\||#{1,6} |\s*[-*] |<details|<\/details)/.test(lines[i]); i++) para.push(lines[i]);
      out.push(`<p>${inline(para.join('\n'))}</p>`);
    }
  }
  return out.join('\n');
}

const STYLE = `
  body { margin: 0; background: #fff; font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
  .comment { margin: 16px; border: 1px solid #d1d9e0; border-radius: 6px; }
  .header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px; border-radius: 6px 6px 0 0; color: #59636e; }
  .header strong { color: #1f2328; }
  .body { padding: 16px; }
  h2 { font-size: 1.5em; margin: 0 0 16px; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0b3; font-weight: 600; }
  p, ul, table, pre, details { margin: 0 0 16px; }
  ul { padding-left: 2em; }
  code { font: 85% ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; background: #818b981f; padding: .2em .4em; border-radius: 6px; }
  pre { background: #f6f8fa; border-radius: 6px; padding: 16px; overflow: auto; line-height: 1.45; }
  pre code { background: none; padding: 0; font-size: 85%; }
  .line { display: block; }
  .add { color: #116329; background: #dafbe1; }
  .del { color: #82071e; background: #ffebe9; }
  .hunk { color: #6639ba; }
  table { border-collapse: collapse; }
  th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
  tr:nth-child(2n) td { background: #f6f8fa; }
  th { font-weight: 600; }
  summary { cursor: pointer; }
  details > *:not(summary) { margin-left: 0; }
`;

function page(bodyHtml) {
  return `<!doctype html><html><head><meta charset="utf-8"><style>${STYLE}</style></head><body>
<div class="comment"><div class="header"><strong>github-actions</strong> <span>bot</span> commented</div><div class="body">
${bodyHtml}
</div></div></body></html>`;
}

function findChromium() {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter(Boolean);
  for (const c of candidates) {
    if (spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0) return c;
  }
  throw new Error('headless Chromium not found: apt-get install -y chromium (or set CHROMIUM)');
}

if (!existsSync(values.in)) {
  process.stderr.write(`${values.in} not found: run \`npm run demo\` first\n`);
  process.exit(2);
}
const html = page(markdownToHtml(readFileSync(values.in, 'utf8'), values.open));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hydrate-screenshot-'));
try {
  const htmlFile = path.join(tmp, 'comment.html');
  writeFileSync(htmlFile, html);
  const out = path.resolve(values.out);
  const r = spawnSync(
    findChromium(),
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${path.join(tmp, 'profile')}`,
      `--screenshot=${out}`,
      `--window-size=${values.width},${values.height}`,
      `file://${htmlFile}`
    ],
    { encoding: 'utf8', timeout: 120_000 }
  );
  if (r.status !== 0 || !existsSync(out)) {
    process.stderr.write(r.stderr ?? '');
    throw new Error(`chromium exited ${r.status ?? r.signal}`);
  }
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
