// What the fuzzers share: fast-check arbitraries made from a tool's JSON schema (zod →
// JSON Schema → values that fit it), with hostile values mixed in where a value goes — huge,
// deep, odd Unicode, NUL, paths that climb out or into the repository and the board, ids that
// do not exist, cursors nobody gave out — and the seed, which a failure prints.
import fc from 'fast-check';

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
};

/** The seed of this run: ORCHESTRATOR_FUZZ_SEED to replay one, else a new one (printed with any failure). */
export const SEED = Number(process.env.ORCHESTRATOR_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** How many runs: the quick run in `npm test`, ten times more with ORCHESTRATOR_SLOW_TESTS=1. */
export const runs = (quick: number): number => (process.env.ORCHESTRATOR_SLOW_TESTS ? quick * 10 : quick);

const deep = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`) as unknown;

/** Texts an attacker or a careless script sends. */
export const hostileText = fc.oneof(
  fc.constantFrom(
    '', ' ', '\u0000', 'a\u0000b', '\uD800', 'x\uDFFF', '\uFEFF', '\u202Eevil', 'e\u0301', '😀'.repeat(50), '%ZZ', '%00',
    '../../../../etc/passwd', '/etc/passwd', '.git/config', '.orchestrator/state.db', 'link-out/escape.md', 'docs/folder.md', '/dev/zero',
    'task-does-not-exist', 'appr-does-not-exist', 'agent-nope', 'run-nope', 'msg-nope', 'proc-nope', '__proto__', 'constructor',
    'eyJub3QiOiJ5b3VycyJ9', 'not a cursor', "'; DROP TABLE tasks; --", '${ORCHESTRATOR_TOKEN}', 'postgres://u:pw@h/db',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.nat({ max: 3 }).map((n) => 'x'.repeat([5_000, 100_001, 600_000, 1_100_000][n]!)),
);

const hostileAny: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  fc.constantFrom(-1, 0, 1, 2 ** 53, -(2 ** 53), 1e308, 0.5, true, false, null),
  fc.constant(deep(40)),
  fc.constant([]),
  fc.constant({}),
);

/** Values that fit the schema, with a hostile value instead about one time in `hostility`. */
export function fromSchema(schema: Schema, hostility = 12): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: hostility, arbitrary: fitting(schema, hostility) }, { weight: 1, arbitrary: hostileAny });
}

function fitting(schema: Schema, hostility: number): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => fromSchema(s, hostility)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity));
      return fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) }) }, { weight: 1, arbitrary: hostileText });
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -5, -5), max: Math.min(schema.maximum ?? 1000, 1000) });
    case 'number':
      return fc.double({ min: schema.exclusiveMinimum ?? schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1000, 1000), noNaN: true, minExcluded: schema.exclusiveMinimum !== undefined });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(schema.items ?? {}, hostility), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object': {
      if (schema.properties) {
        // An optional property comes one time in four: a call with every option set is rarely a call anyone makes.
        const required = new Set(schema.required ?? []);
        const fields = Object.entries(schema.properties).map(([key, value]) => [key, required.has(key)
          ? fromSchema(value, hostility)
          : fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fromSchema(value, hostility) })] as const);
        return fc.record(Object.fromEntries(fields)).map((record) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)));
      }
      const values = typeof schema.additionalProperties === 'object' ? fromSchema(schema.additionalProperties, hostility) : hostileAny;
      return fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', '')), values, { maxKeys: 4 });
    }
    default:
      return hostileAny;
  }
}
