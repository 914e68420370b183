/** A corpus of scalars that YAML readers disagree on (YAML 1.1 vs 1.2 vs go-yaml), for the YAML 1.1 fidelity tests. */

/** Every upper/lower-case spelling of a word (`on`, `On`, `oN`, `ON`). */
export function caseVariants(word: string): string[] {
  let out = [''];
  for (const ch of word) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    out = out.flatMap((p) => (lower === upper ? [p + ch] : [p + lower, p + upper]));
  }
  return out;
}

/** Strings that some YAML reader takes for something else when written plain. */
export const AWKWARD: string[] = [
  // YAML 1.1 bools, every case variant
  ...['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false'].flatMap(caseVariants),
  // nulls
  ...caseVariants('null'),
  '~',
  '',
  // ints: octal, hex, binary, sexagesimal, underscores, signs
  '0', '00', '0644', '0400', '0777', '08', '09', '0o17', '0O17', '0o-17', '-0o17', '0x1F', '0X1f', '0x_1F', '-0x1F', '+0x1F',
  '0b101', '0B101', '-0b101', '0b-101', '+0b1', '1_000', '1__000', '1_', '+12', '-12', '12', '99999999999999999999',
  '18446744073709551615', '0x1FFFFFFFFFFFFFFFFF', '1:20', '190:20:30', '-1:20', '12:30:00', '1_0:20',
  // floats
  ...['.inf', '+.inf', '-.inf', '.nan'].flatMap(caseVariants), '1e3', '1E3', '1e+3', '1.5e-3', '6.8523015e+5', '685.230_15e+03',
  '685_230.15', '190:20:30.15', '.5', '.5_0', '1.', '-.5', '+1.5', '1e400', '0.', '1_0e3',
  // an exponent alone: the `yaml` package's YAML 1.1 schema reads it as NaN
  'e5', 'E5', 'e00000', 'E123456', 'e+123456', 'e-99999999',
  // timestamps
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '2001-12-15T02:59:43.1Z', '2002-12-14', '2001-1-2',
  '2001-1-2T1:2:3Z',
  // merge and value keys
  '<<', '=',
  // strings that stay plain
  'hello', 'v1', '1.2.3', 'x86_64', '0x', '-', '1.0.0-rc1', 'abc:def', '12:30:60', 'yes please', 'No way'
];

