/**
 * Flux's envsubst (fluxcd/pkg/envsubst, the parser kustomize-controller runs for
 * `postBuild.substitute`), written again from its grammar:
 *
 * - `${var}`; defaults `${var=d}`, `${var:=d}`, `${var:-d}`, `${var:+d}`, `${var:?d}` — all the
 *   same function in Flux: the value when it is not empty, else the default (itself expanded);
 * - case `${var^}`, `${var^^}`, `${var,}`, `${var,,}`; length `${#var}`;
 * - substring `${var:position}`, `${var:position:length}` (negative position counts from the end,
 *   a negative length drops characters from the end; byte offsets, as Go counts);
 * - replace `${var/pattern/string}` (first), `${var//pattern/string}` (all), `${var/#pattern/string}`
 *   (prefix), `${var/%pattern/string}` (suffix), literal strings, `\/` and `\\` escaped;
 * - trim `${var#glob}`, `${var##glob}`, `${var%glob}`, `${var%%glob}` (shortest/longest prefix or
 *   suffix matching a glob whose `*` also matches `/`);
 * - `$$` is a literal `$` (`$${var}` gives `${var}`); `$var` without braces is text.
 *
 * Anything else inside `${...}` (`${var-d}`, `${var+d}`, `${var?d}` without the colon, `${1x}`,
 * a missing `}` after an expression) is a parse error in Flux, which fails the whole build; it is
 * returned as an error here. Unknown variables give '' (Flux's default, non-strict mode), or with
 * `leaveUnknown` (a source that could not be read might define them) stay as written and are listed.
 */

/** One parsed piece of text: literal text or an expression with its source span. */
type Node = { kind: 'text'; value: string } | FuncNode;

interface FuncNode {
  kind: 'func';
  /** The variable. */
  param: string;
  /** The operator (`''` for `${var}`, `:=`, `^^`, `//`, `#`, `:` ...). */
  op: string;
  /** Arguments, each a sequence of nodes (a default may mix text and expressions). */
  args: Node[][];
  /** Offsets of `${` and just after `}` in the source text. */
  start: number;
  end: number;
}

export class EnvsubstError extends Error {
  constructor(
    message: string,
    /** Offset of the `${` that opened the expression. */
    readonly at: number
  ) {
    super(message);
  }
}

const IDENT = /[\p{L}\p{N}_]/u;

class Parser {
  pos = 0;
  private exprStart = 0;
  constructor(readonly s: string) {}

  private fail(message: string): never {
    throw new EnvsubstError(message, this.exprStart);
  }

  private opens(at: number): boolean {
    return this.s[at] === '$' && this.s[at + 1] === '{';
  }

  /** The whole text: text runs and expressions. */
  parseAll(): Node[] {
    const nodes: Node[] = [];
    let text = '';
    while (this.pos < this.s.length) {
      if (this.opens(this.pos)) {
        if (text !== '') nodes.push({ kind: 'text', value: text });
        text = '';
        this.exprStart = this.pos;
        this.pos += 2;
        nodes.push(this.parseFunc(this.pos - 2));
        continue;
      }
      if (this.s[this.pos] === '$' && this.s[this.pos + 1] === '$') {
        text += '$';
        this.pos += 2;
        continue;
      }
      text += this.s[this.pos]!;
      this.pos++;
    }
    if (text !== '') nodes.push({ kind: 'text', value: text });
    return nodes;
  }

  private ident(): string {
    let out = '';
    while (this.pos < this.s.length) {
      const c = String.fromCodePoint(this.s.codePointAt(this.pos)!);
      if (!IDENT.test(c)) break;
      out += c;
      this.pos += c.length;
    }
    return out;
  }

  private rbrace(): void {
    if (this.s[this.pos] !== '}') this.fail('bad substitution');
    this.pos++;
  }

  /** After `${`. */
  private parseFunc(start: number): FuncNode {
    const node = (param: string, op: string, args: Node[][] = []): FuncNode => ({ kind: 'func', param, op, args, start, end: this.pos });
    if (this.s[this.pos] === '#') {
      this.pos++;
      const param = this.ident();
      if (param === '') this.fail('bad substitution');
      this.rbrace();
      return node(param, '#len');
    }
    const param = this.ident();
    if (param === '') this.fail('unable to parse variable name');
    const c = this.s[this.pos];
    switch (c) {
      case '}':
        this.pos++;
        return node(param, '');
      case ':': {
        const next = this.s[this.pos + 1];
        if (next === '=' || next === '-' || next === '?' || next === '+') {
          this.pos += 2;
          return this.defaults(start, param, `:${next}`);
        }
        this.pos++;
        const args: Node[][] = [[this.param((ch) => ch !== ':' && ch !== '}', false)]];
        if (this.s[this.pos] === '}') {
          this.pos++;
          return node(param, ':', args);
        }
        if (this.s[this.pos] !== ':') this.fail('bad substitution');
        while (this.s[this.pos] === ':') this.pos++;
        args.push([this.param((ch) => ch !== '}', false)]);
        this.rbrace();
        return node(param, ':', args);
      }
      case '=':
        this.pos++;
        return this.defaults(start, param, '=');
      case ',':
      case '^': {
        let op = '';
        while ((this.s[this.pos] === ',' || this.s[this.pos] === '^') && op.length < 2) op += this.s[this.pos++]!;
        this.rbrace();
        return node(param, op);
      }
      case '/': {
        let op = '/';
        this.pos++;
        const n = this.s[this.pos];
        if (n === '/' || n === '#' || n === '%') {
          op += n;
          this.pos++;
        }
        const args: Node[][] = [this.s[this.pos] === '/' ? [{ kind: 'text', value: '' }] : [this.param((ch) => ch !== '/', true)]];
        if (this.s[this.pos] !== '/') this.fail('bad substitution');
        while (this.s[this.pos] === '/') this.pos++;
        if (this.s[this.pos] === '}') {
          this.pos++;
          return node(param, op, args);
        }
        args.push([this.param((ch) => ch !== '}', true)]);
        this.rbrace();
        return node(param, op, args);
      }
      case '#':
      case '%': {
        let op = '';
        while (this.s[this.pos] === c && op.length < 2) op += this.s[this.pos++]!;
        const args: Node[][] = [[this.param((ch) => ch !== '}', false)]];
        this.rbrace();
        return node(param, op, args);
      }
      default:
        // `${var-d}`, `${var+d}`, `${var?d}`, `${var`: Flux's parser expects the `}` here.
        return this.fail('missing closing brace');
    }
  }

  /** The default's nodes up to `}`. */
  private defaults(start: number, param: string, op: string): FuncNode {
    const arg: Node[] = [];
    for (;;) {
      if (this.s[this.pos] === '}') {
        this.pos++;
        return { kind: 'func', param, op, args: arg.length > 0 ? [arg] : [], start, end: this.pos };
      }
      arg.push(this.param((ch) => ch !== '}', false));
    }
  }

  /** One argument: a nested expression, or text up to a rejected character or a nested `${`. */
  private param(accept: (c: string) => boolean, escapes: boolean): Node {
    if (this.opens(this.pos)) {
      this.pos += 2;
      return this.parseFunc(this.pos - 2);
    }
    let text = '';
    let n = 0;
    while (this.pos < this.s.length && !this.opens(this.pos)) {
      const ch = this.s[this.pos]!;
      const next = this.s[this.pos + 1];
      if (escapes && ((ch === '$' && next === '$') || (ch === '\\' && (next === '/' || next === '\\')))) {
        text += next;
        this.pos += 2;
        n++;
        continue;
      }
      if (!accept(ch)) break;
      text += ch;
      this.pos++;
      n++;
    }
    if (n === 0) this.fail('unable to parse substitution within function');
    return { kind: 'text', value: text };
  }
}

/** Go's byte-offset substring of a UTF-8 string. */
function bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

function substr(s: string, args: string[]): string {
  const b = bytes(s);
  let pos = Number.parseInt(args[0] ?? '', 10);
  if (!/^[+-]?\d+$/.test(args[0] ?? '') || Number.isNaN(pos)) return s;
  if (pos < 0) pos = Math.max(0, b.length + pos);
  if (args.length === 1) return pos < b.length ? b.subarray(pos).toString('utf8') : '';
  if (!/^[+-]?\d+$/.test(args[1] ?? '')) return s;
  const length = Number.parseInt(args[1]!, 10);
  if (length < 0) {
    const end = b.length + length;
    return end < pos ? '' : b.subarray(pos, end).toString('utf8');
  }
  if (pos + length >= b.length) return pos < b.length ? b.subarray(pos).toString('utf8') : '';
  return b.subarray(pos, pos + length).toString('utf8');
}

/** A glob as Flux's envsubst matches it (`*` any run of characters, `/` included; `?` one; `[...]`; `\x`), or undefined when malformed. */
function globRegex(glob: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\') {
      if (i + 1 >= glob.length) return undefined;
      re += escapeRe(glob[++i]!);
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) return undefined;
      let body = glob.slice(i + 1, close);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      if (body === '') return undefined;
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
      i = close;
    } else re += escapeRe(c);
  }
  try {
    return new RegExp(`^${re}$`, 'u');
  } catch {
    return undefined;
  }
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

const reverse = (s: string): string => [...s].reverse().join('');

function trim(s: string, glob: string, longest: boolean): string {
  const re = globRegex(glob);
  if (!re) return s;
  const chars = [...s];
  let found: string | undefined;
  for (let i = 0; i < chars.length; i++) {
    const prefix = chars.slice(0, chars.length - i).join('');
    if (re.test(prefix)) {
      found = prefix;
      if (longest) break;
    }
  }
  return found !== undefined && found !== '' ? s.slice(found.length) : s;
}

function apply(op: string, v: string, args: string[]): string {
  switch (op) {
    case ',':
      return v === '' ? v : String.fromCodePoint(v.codePointAt(0)!).toLowerCase() + v.slice(String.fromCodePoint(v.codePointAt(0)!).length);
    case ',,':
      return v.toLowerCase();
    case '^':
      return v === '' ? v : String.fromCodePoint(v.codePointAt(0)!).toUpperCase() + v.slice(String.fromCodePoint(v.codePointAt(0)!).length);
    case '^^':
      return v.toUpperCase();
    case '#len':
      return String(bytes(v).length);
    case '#':
      return args.length === 0 ? String(bytes(v).length) : trim(v, args[0]!, false);
    case '##':
      return args.length === 0 ? v : trim(v, args[0]!, true);
    case '%':
      return args.length === 0 ? v : reverse(trim(reverse(v), reverse(args[0]!), false));
    case '%%':
      return args.length === 0 ? v : reverse(trim(reverse(v), reverse(args[0]!), true));
    case ':':
      return args.length === 0 ? v : substr(v, args);
    case '/#':
      return args.length === 2 && v.startsWith(args[0]!) ? args[1]! + v.slice(args[0]!.length) : v;
    case '/%':
      return args.length === 2 && v.endsWith(args[0]!) ? v.slice(0, v.length - args[0]!.length) + args[1]! : v;
    case '/':
      return args.length === 0 ? v : replaceOnce(v, args[0]!, args[1] ?? '');
    case '//':
      return args.length === 0 ? v : replaceAll(v, args[0]!, args[1] ?? '');
    default:
      // ``, `=`, `:=`, `:-`, `:+`, `:?` and case operators Flux does not name: the value, else the default.
      return v === '' && args.length > 0 ? args.join('') : v;
  }
}

/** Go's strings.Replace(s, old, new, 1): an empty `old` inserts at the start. */
function replaceOnce(s: string, old: string, rep: string): string {
  const i = s.indexOf(old);
  return i < 0 ? s : s.slice(0, i) + rep + s.slice(i + old.length);
}

/** Go's strings.Replace(s, old, new, -1): an empty `old` inserts before every character and at the end. */
function replaceAll(s: string, old: string, rep: string): string {
  if (old === '') return rep + [...s].map((c) => c + rep).join('');
  return s.split(old).join(rep);
}

export interface EnvsubstResult {
  text: string;
  /** Variables left as written (`leaveUnknown`), sorted. */
  left: string[];
}

/**
 * Substitutes `vars` into `text` as Flux does; throws EnvsubstError for what Flux's parser
 * refuses. With `leaveUnknown`, an expression over an unknown variable stays as written.
 */
export function envsubst(text: string, vars: ReadonlyMap<string, string>, leaveUnknown: boolean): EnvsubstResult {
  const nodes = new Parser(text).parseAll();
  const left = new Set<string>();
  const evalNodes = (list: readonly Node[]): string => list.map(evalNode).join('');
  const evalNode = (n: Node): string => {
    if (n.kind === 'text') return n.value;
    const args = n.args.map(evalNodes);
    const value = vars.get(n.param);
    if (value === undefined && leaveUnknown) {
      left.add(n.param);
      return text.slice(n.start, n.end);
    }
    return apply(n.op, value ?? '', args);
  };
  return { text: evalNodes(nodes), left: [...left].sort() };
}

/** The expression opened at `at`, for messages (up to its `}` or the end of the line, at most 80 characters). */
export function expressionAt(text: string, at: number): string {
  const nl = text.indexOf('\n', at);
  const line = text.slice(at, nl < 0 ? undefined : nl);
  const close = line.indexOf('}');
  const expr = close < 0 ? line : line.slice(0, close + 1);
  return expr.length > 80 ? `${expr.slice(0, 77)}...` : expr;
}
