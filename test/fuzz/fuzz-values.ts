import fc from 'fast-check';
import type { JsonSchema, OpenApiDocument, SpecOperation } from '../helpers/openapi-spec';
import { deref, minimalValue } from '../helpers/openapi-spec';

/** Strings that have broken parsers, validators, SQL and file paths elsewhere. */
export const NASTY_STRINGS = [
  '',
  ' ',
  "' OR '1'='1",
  "'; DROP TABLE agents; --",
  '" OR ""="',
  '1; SELECT pg_sleep(0)',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f',
  '..\\..\\windows\\win.ini',
  '/dev/zero',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0644\u0627',
  '\ufeff',
  '𝕳𝖊𝖑𝖑𝖔 👩‍👩‍👧‍👦',
  'ﷺ'.repeat(50),
  '%s%s%s%n',
  '${process.exit()}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  '9223372036854775808',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '__proto__',
  'constructor',
  'prototype',
  'latest',
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'x'.repeat(n)),
);

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 + 1, 1e308, -1e308, 0.5, 1e-320),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Nesting far past any sane config, as JSON text (objects this deep cannot be built by literal). */
function deepJson(depth: number, array: boolean): string {
  return array ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Prototype-pollution shapes; JSON.parse makes `__proto__` an own key, as a wire body would. */
const pollution: fc.Arbitrary<unknown> = fc.constantFrom(
  JSON.parse('{"__proto__": {"polluted": "yes"}}'),
  JSON.parse('{"constructor": {"prototype": {"polluted": "yes"}}}'),
  JSON.parse('{"__proto__": null}'),
  JSON.parse('{"a": {"__proto__": {"polluted": "yes"}}}'),
);

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.constantFrom(null, true, false, [], {}),
  pollution,
  fc.integer({ min: 20, max: 3_000 }).map((depth) => JSON.parse(deepJson(depth, depth % 2 === 0))),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(nastyString, { maxLength: 5 }),
);

/** A body for an operation: valid, valid with one field broken or added, or nothing like it. */
export function bodyArbitrary(
  spec: OpenApiDocument,
  op: SpecOperation,
  valid: Record<string, unknown>,
): fc.Arbitrary<Body> {
  const schema = deref(spec, op.requestBody);
  const fields = [...new Set([...Object.keys(schema.properties ?? {}), ...Object.keys(valid)])];
  const asJson = (value: unknown): Body => ({ kind: 'json', value });
  const arbitraries: Array<fc.Arbitrary<Body>> = [
    fc.constant(asJson(valid)),
    // A valid value generated from the field's own schema (enums, minimums), one field at a time.
    fields.length
      ? fc
          .constantFrom(...fields)
          .map((field) =>
            asJson({ ...valid, [field]: minimalValue(spec, schema.properties?.[field] as JsonSchema) }),
          )
      : fc.constant(asJson(valid)),
    fields.length
      ? fc
          .tuple(fc.constantFrom(...fields), nastyValue)
          .map(([field, value]) => asJson({ ...valid, [field]: value }))
      : fc.constant(asJson(valid)),
    fc
      .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'tenant_id', 'id', 'extra'), nastyValue)
      .map(([key, value]) => ({
        kind: 'raw' as const,
        text: JSON.stringify(valid).replace(/^\{/, `{${JSON.stringify(key)}:${safeStringify(value)},`),
      })),
    nastyValue.map(asJson),
    fc
      .constantFrom('{', '{"name":', 'nul', '[1,2', '"\\ud800"', '{"a":1}{"b":2}', '\u0000', '{"a":1,}')
      .map((text) => ({ kind: 'raw' as const, text })),
  ];
  return fc.oneof(...arbitraries);
}

export type Body = { kind: 'json'; value: unknown } | { kind: 'raw'; text: string } | { kind: 'none' };

export function safeStringify(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** UTF-8 percent-encoding that survives lone surrogates (encodeURIComponent throws on them). */
export function encodePathValue(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9_.~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}
