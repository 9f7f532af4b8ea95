import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';

/**
 * fast-check arbitraries generated from JSON Schema (the OpenAPI document's and the frame
 * schemas): mostly values the schema accepts or nearly accepts, mixed with values no schema
 * expects, so that both the validator and the code behind it are exercised.
 */

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  additionalProperties?: boolean | JsonSchema;
}

/** Values no schema expects: wrong types, odd text, edges of numbers. */
export const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\u202Eevil',
    '🙂‍↔️',
    '0000-01-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '9223372036854775808',
    '-1',
    'null',
    '../..',
    '%00',
    "'; drop table users; --",
  ),
  fc.constantFrom(0, -1, 1e20, -1e20, 2 ** 53, 2 ** 63, 1.5, Number.MAX_VALUE, -0),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.string({ minLength: 300, maxLength: 2000 }),
);

const EXTRA_FIELDS = ['org_id', 'role', 'created_by', 'user_id', 'id', 'version', '__proto__'];

export interface Pools {
  /** Real ids to use for a string of this name (path params, body ids), so cases go deep. */
  forName(name: string): string[];
}

export function arbitraryFor(
  schema: JsonSchema,
  resolve: (ref: string) => JsonSchema,
  pools: Pools,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const near = nearValid(schema, resolve, pools, name, depth);
  return fc.oneof({ arbitrary: near, weight: 12 }, { arbitrary: nasty, weight: 1 });
}

function nearValid(
  s: JsonSchema,
  resolve: (ref: string) => JsonSchema,
  pools: Pools,
  name: string,
  depth: number,
): fc.Arbitrary<unknown> {
  if (s.$ref) return nearValid(resolve(s.$ref), resolve, pools, name, depth);
  const alts = s.anyOf ?? s.oneOf;
  if (alts?.length)
    return fc.oneof(...alts.map((a) => nearValid(a, resolve, pools, name, depth + 1)));
  if (s.allOf?.length) return nearValid(s.allOf[0]!, resolve, pools, name, depth + 1);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      if (depth > 4) return fc.constant({});
      const props = s.properties ?? {};
      const rec = fc.record(
        Object.fromEntries(
          Object.entries(props).map(([k, v]) => [k, arbitraryFor(v, resolve, pools, k, depth + 1)]),
        ),
        { requiredKeys: s.required?.filter((k) => k in props) ?? [] },
      );
      // Now and then a field the schema does not name: it must be refused or ignored.
      return fc.oneof(
        { arbitrary: rec, weight: 9 },
        {
          arbitrary: fc
            .tuple(rec, fc.constantFrom(...EXTRA_FIELDS), nasty)
            .map(([r, k, v]) => ({ ...(r as object), [k]: v })),
          weight: 1,
        },
      );
    }
    case 'array': {
      const max = Math.min(s.maxItems ?? 4, 4);
      const item = s.items ? arbitraryFor(s.items, resolve, pools, name, depth + 1) : nasty;
      return fc.oneof(
        fc.array(item, { maxLength: max }),
        fc.array(item, { minLength: max + 1, maxLength: max + 2 }),
      );
    }
    case 'integer': {
      const min = s.minimum ?? -1000;
      const max = s.maximum ?? 1_000_000;
      return fc.oneof(
        {
          arbitrary: fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }),
          weight: 4,
        },
        {
          arbitrary: fc.constantFrom(min, max, min - 1, max + 1, 0, 1e20, 2 ** 53, -(2 ** 53), 0.5),
          weight: 1,
        },
      );
    }
    case 'number': {
      const min = s.minimum ?? -1e6;
      const max = s.maximum ?? 1e12;
      return fc.oneof(
        { arbitrary: fc.double({ min, max, noNaN: true }), weight: 4 },
        { arbitrary: fc.constantFrom(min, max, min - 1, max + 1, 1e20, -1e20), weight: 1 },
      );
    }
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 'false', 1, 0));
    case 'null':
      return fc.constant(null);
    case 'string':
      return stringFor(s, pools, name);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringFor(s: JsonSchema, pools: Pools, name: string): fc.Arbitrary<unknown> {
  const ids = pools.forName(name);
  const own: fc.Arbitrary<unknown>[] = [];
  // Real ids three times as often as any other kind of string: most cases should go deep.
  if (ids.length) own.push(...Array<fc.Arbitrary<unknown>>(3).fill(fc.constantFrom(...ids)));
  switch (s.format) {
    case 'uuid':
      own.push(fc.uuid(), fc.constantFrom('not-a-uuid', '00000000-0000-0000-0000-000000000000'));
      break;
    case 'date-time':
      own.push(
        fc
          .date({ min: new Date('1960-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
          .map((d) => d.toISOString()),
        fc.constantFrom('2026-11-24T10:30:00+05:30', '2016-12-31T23:59:60Z', '9999-01-01T00:00Z'),
      );
      break;
    case 'email':
      own.push(
        fc.emailAddress(),
        fc.constantFrom('a@b', 'x'.repeat(250) + '@e.test', 'no-at-sign'),
      );
      break;
    default:
      if (s.pattern)
        own.push(fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length < 80));
  }
  const maxLength = Math.min(s.maxLength ?? 60, 60);
  own.push(
    fc.string({ minLength: s.minLength ?? 0, maxLength }),
    fc.string({ unit: 'grapheme', minLength: s.minLength ?? 0, maxLength: 20 }),
  );
  const weighted = own.map((arbitrary) => ({ arbitrary, weight: 4 }));
  if (s.maxLength !== undefined && s.maxLength < 5000)
    weighted.push({ arbitrary: fc.constant('x'.repeat(s.maxLength + 1)), weight: 1 });
  return fc.oneof(...weighted);
}

/** `gc()` without starting Node with --expose-gc (the vitest workers are not). */
export function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** heapUsed after two full collections, in MB. */
export function settledHeapMb(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** The seed and run count of a fuzz run: FUZZ_SEED replays a failure fast-check printed. */
export function fuzzParams(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env['FUZZ_SEED'];
  return {
    numRuns,
    ...(seed !== undefined && { seed: Number(seed) }),
    endOnFailure: true,
  };
}
