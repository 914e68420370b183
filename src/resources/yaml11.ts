/**
 * YAML 1.1 as the engines read it.
 *
 * kubectl, Argo CD and Helm read manifests with `sigs.k8s.io/yaml`, which resolves plain scalars
 * with go-yaml v2's YAML 1.1 rules; Flux builds with kustomize (kyaml, go-yaml v3 rules). What
 * these readers do, checked with the real binaries (`kubectl label --local -f FILE x=y -o json`,
 * kubectl 1.32 and 1.35; `kubectl kustomize`, kustomize 5.5 and 5.7):
 *
 * | plain scalar                      | kubectl / Argo CD / Helm (go-yaml v2) | kustomize (go-yaml v3)     |
 * |-----------------------------------|---------------------------------------|----------------------------|
 * | `y` `yes` `on` `n` `no` `off`…    | true / false (any of 3 cases)         | the string                 |
 * | `0644`, `0o17`, `0X1F`, `0b101`   | 420, 15, 31, 5 (Go's ParseInt base 0) | the same numbers           |
 * | `1_000`, `0x_1F`                  | 1000, 31 (underscores dropped)        | the same numbers           |
 * | `08`, `1.`, `.5`, `1e3`           | 8, 1, 0.5, 1000 (floats)              | the same numbers           |
 * | `1:20`, `12:30:00`                | the string (no sexagesimal)           | the string                 |
 * | `2001-12-14`                      | the string, unchanged                 | `2001-12-14T00:00:00Z`     |
 * | `1e400`, `0o-17`                  | the string                            | the string / -15           |
 * | `<<` as a key                     | merge key                             | merge key                  |
 *
 * Reading (`KUBE_TAGS`): Hydrate reads the Kubernetes YAML of the dry tree (plain manifests,
 * tool output, extra artifacts, release files, claims, unit patches) with go-yaml v2's rules,
 * so that it sees what `kubectl apply` sends. `hydrate.yaml` is Hydrate's own config: YAML 1.2.
 *
 * Writing (`WRITE_COMPAT_TAGS`): a string is written plain only when the YAML 1.2 core schema,
 * the `yaml` package's YAML 1.1 schema, go-yaml v2 and go-yaml v3 all read it back as that
 * string; otherwise it is quoted (keys too).
 */
import { Schema, type ScalarTag, type Tags } from 'yaml';

const INT_TAG = 'tag:yaml.org,2002:int';
const FLOAT_TAG = 'tag:yaml.org,2002:float';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64) (no sign); undefined when both fail. */
const GO_INT = /^([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]([0-7]+)|0([0-7]*)|([1-9][0-9]*))$/;
function goParseInt(p: string): bigint | undefined {
  const m = GO_INT.exec(p);
  if (!m) return undefined;
  const [, sign, hex, bin, oct, oct0, dec] = m;
  let v =
    hex !== undefined
      ? BigInt(`0x${hex}`)
      : bin !== undefined
        ? BigInt(`0b${bin}`)
        : oct !== undefined
          ? BigInt(`0o${oct}`)
          : oct0 !== undefined
            ? BigInt(`0o${oct0 || '0'}`)
            : BigInt(dec!);
  if (sign === '-') v = -v;
  if (v >= INT64_MIN && v <= INT64_MAX) return v;
  if (sign === '' && v <= UINT64_MAX) return v;
  return undefined;
}

/** go-yaml's yamlStyleFloat, applied after dropping underscores. */
const GO_YAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** A plain scalar starting with `.`: Go's ParseFloat (underscores only between digits). */
const GO_DOT_FLOAT = /^\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?$/;
/** go-yaml v2's fallback for `0b` followed by a signed binary number (ParseInt(s[2:], 2, 64)). */
const GO_0B_SIGNED = /^0b([-+]?)([01]+)$/;

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The number go-yaml v2 (and so kubectl) makes of a plain scalar that is not a bool, a null or
 * `.inf`/`.nan`; undefined when it stays a string. Its integers and floats both become JSON numbers.
 */
export function goYamlNumber(s: string): number | undefined {
  const c = s.charCodeAt(0);
  if (c === 46 /* . */) return GO_DOT_FLOAT.test(s) ? finite(Number(s.replace(/_/g, ''))) : undefined;
  const digit = c >= 48 && c <= 57;
  if (!digit && c !== 43 /* + */ && c !== 45 /* - */) return undefined;
  const p = s.includes('_') ? s.replace(/_/g, '') : s;
  const i = goParseInt(p);
  if (i !== undefined) return Number(i);
  if (GO_YAML_FLOAT.test(p)) {
    const f = finite(Number(p));
    if (f !== undefined) return f;
  }
  const b = GO_0B_SIGNED.exec(p);
  if (b) {
    const v = BigInt(`0b${b[2]!}`) * (b[1] === '-' ? -1n : 1n);
    if (v >= INT64_MIN && v <= INT64_MAX) return Number(v);
    if (b[1] === '' && v <= UINT64_MAX) return Number(v);
  }
  return undefined;
}

/** The tag of a scalar that go-yaml v2 reads as a number: int when it reads as an integer. */
function kubeNumberTag(tag: string, integer: boolean): ScalarTag {
  return {
    tag,
    default: true,
    // The `yaml` package only calls `test.test(str)`: a function stands in for a RegExp.
    test: { test: (s: string) => { const n = goYamlNumber(s); return n !== undefined && Number.isInteger(n) === integer; } } as unknown as RegExp,
    resolve: (s: string) => goYamlNumber(s) ?? s,
    stringify: ({ value }) => String(value)
  };
}

/** An explicit `!!int` or `!!float`: go-yaml's number, int or float alike; anything else is an error, as in go-yaml. */
function explicitNumberTag(tag: string): ScalarTag {
  return {
    tag,
    resolve: (s: string, onError: (message: string) => void) => {
      const n = goYamlNumber(s);
      if (n === undefined) onError(`cannot decode ${JSON.stringify(s)} as ${tag.endsWith('int') ? 'an !!int' : 'a !!float'}`);
      return n ?? s;
    },
    stringify: ({ value }) => String(value)
  };
}

const YAML11_TAGS = new Schema({ schema: 'yaml-1.1' }).tags;
const isNumberTag = (t: { tag: string }): boolean => t.tag === INT_TAG || t.tag === FLOAT_TAG || t.tag === 'tag:yaml.org,2002:timestamp';
const FLOAT_SPECIALS = YAML11_TAGS.find((t) => t.tag === FLOAT_TAG && (t as ScalarTag).test?.test('.nan'));

/**
 * Tags for the `yaml` package (with `version: '1.1'`) that resolve plain scalars as go-yaml v2
 * does: YAML 1.1 bools and nulls, `.inf`/`.nan`, numbers as Go parses them, merge keys; no
 * timestamps and no sexagesimal numbers (both stay strings).
 */
export const KUBE_TAGS: Tags = [
  ...YAML11_TAGS.filter((t) => !isNumberTag(t)),
  ...(FLOAT_SPECIALS ? [FLOAT_SPECIALS] : []),
  kubeNumberTag(INT_TAG, true),
  kubeNumberTag(FLOAT_TAG, false),
  explicitNumberTag(INT_TAG),
  explicitNumberTag(FLOAT_TAG)
];

/** The `yaml` parse options of Kubernetes YAML (merged into each parse's own). */
export const KUBE_PARSE_OPTIONS = { version: '1.1', customTags: (): Tags => KUBE_TAGS, merge: true } as const;

/** Date-like strings that go-yaml's timestamp parser may take (it needs `YYYY-` and a day). */
const TIMESTAMP_LIKE = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:$|[Tt ])/;
/** Base prefixes after a sign (`-0o17`, `0o-17`…): some Go reader takes them as numbers. */
const PREFIXED_NUMBER_LIKE = /^[-+]?0[xXoObB][-+]?[0-9a-fA-F_]*$/;

/** True when a Go YAML reader (go-yaml v2 or v3) may read the plain scalar `s` as anything but the string `s`. */
export function goYamlAmbiguous(s: string): boolean {
  return goYamlNumber(s) !== undefined || PREFIXED_NUMBER_LIKE.test(s) || TIMESTAMP_LIKE.test(s) || s === '=';
}

/** YAML 1.1 words: nulls and bools in every spelling the schema knows. */
const YAML11_WORDS = /^(?:~|[Nn]ull|NULL|Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON|N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
/** The `test`s of the YAML 1.1 schema's scalar tags (ints, floats, sexagesimal, timestamps…). */
const YAML11_TESTS: RegExp[] = YAML11_TAGS.flatMap((t) => {
  const test = (t as ScalarTag).test;
  return t.default && test ? [test] : [];
});

/**
 * True when the plain scalar `s` could be read as anything but the string `s` by the `yaml`
 * package's YAML 1.1 schema (bools, nulls, ints, floats, sexagesimal, timestamps, merge `<<`)
 * or by go-yaml. Only strings starting with a digit, a sign or a dot can be numbers, dates or
 * `.inf` (and, for the `yaml` package's 1.1 float, an exponent alone such as `e00000`); the rest
 * only when short enough to be a word or `<<` (most strings return at once).
 */
export function yaml11Ambiguous(s: string): boolean {
  if (s === '') return true;
  const c = s.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) return YAML11_TESTS.some((re) => re.test(s)) || goYamlAmbiguous(s);
  // The `yaml` package's YAML 1.1 float test takes an exponent alone (`e00000` reads as NaN).
  if (c === 101 || c === 69) return YAML11_TESTS.some((re) => re.test(s)) || (s.length <= 5 && YAML11_WORDS.test(s));
  return s.length <= 5 && (YAML11_WORDS.test(s) || s === '<<' || s === '=' || YAML11_TESTS.some((re) => re.test(s)));
}

/**
 * Given as `compat` to `stringify` (whose own schema is YAML 1.2 core), this tag makes it quote
 * every string that `yaml11Ambiguous` names.
 */
export const WRITE_COMPAT_TAGS: Tags = [
  {
    tag: 'tag:hydrate,2026:yaml-1.1-ambiguous',
    default: true,
    test: { test: yaml11Ambiguous } as unknown as RegExp,
    resolve: (s: string) => s
  }
];
