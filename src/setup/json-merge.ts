import { OrchestratorError } from '../core/errors.js';

/** JSON files we merge into: parsed, checked to be an object, written back in their own style. */

export type JsonObject = Record<string, unknown>;

export function parseJsonFile(path: string, text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const where = ` at ${lineAndColumn(text, firstErrorOffset(text))}`;
    throw new OrchestratorError(
      'invalid_input',
      `${path} is not valid JSON${where} (${(error as Error).message.split('\n')[0]}); fix it or move it away, then run setup again — nothing was changed`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OrchestratorError('invalid_input', `${path} does not hold a JSON object; fix it or move it away, then run setup again — nothing was changed`);
  }
  return value as JsonObject;
}

/**
 * Where JSON text first goes wrong (Node 20's JSON.parse does not say): a small scanner of
 * the JSON grammar that stops at the first character that cannot continue it.
 */
export function firstErrorOffset(text: string): number {
  let i = 0;
  const skip = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const expect = (char: string) => (text[i] === char ? i++ : fail());
  const token = (pattern: RegExp) => {
    pattern.lastIndex = i;
    const match = pattern.exec(text);
    if (!match) fail();
    i += match![0].length;
  };
  const value = (): void => {
    skip();
    const char = text[i];
    if (char === '{' || char === '[') {
      const close = char === '{' ? '}' : ']';
      i++;
      skip();
      if (text[i] === close) return void i++;
      for (;;) {
        if (close === '}') {
          skip();
          token(/"(?:[^"\\\u0000-\u001f]|\\.)*"/y);
          skip();
          expect(':');
        }
        value();
        skip();
        if (text[i] === ',') i++;
        else return void expect(close);
      }
    }
    if (char === '"') return token(/"(?:[^"\\\u0000-\u001f]|\\.)*"/y);
    token(/-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y);
  };
  try {
    value();
    skip();
    if (i < text.length) fail();
  } catch (offset) {
    if (typeof offset === 'number') return offset;
    throw offset;
  }
  return text.length;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

/** Serialises like the original: its indentation and whether it ended with a newline. */
export function formatLike(value: JsonObject, original: string | null): string {
  const indent = (original === null ? null : /\n([ \t]+)"/.exec(original)?.[1]) ?? '  ';
  const newline = original === null || original.endsWith('\n') ? '\n' : '';
  return JSON.stringify(value, null, indent.includes('\t') ? '\t' : indent.length) + newline;
}

/** The object at `key` (created when absent); a non-object there is a conflict we do not overwrite. */
export function objectAt(parent: JsonObject, key: string, path: string): JsonObject {
  const value = parent[key];
  if (value === undefined) return (parent[key] = {}) as JsonObject;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OrchestratorError('invalid_input', `${path}: "${key}" is not an object; fix it, then run setup again — nothing was changed`);
  }
  return value as JsonObject;
}

export function arrayAt(parent: JsonObject, key: string, path: string): unknown[] {
  const value = parent[key];
  if (value === undefined) return (parent[key] = []) as unknown[];
  if (!Array.isArray(value)) throw new OrchestratorError('invalid_input', `${path}: "${key}" is not a list; fix it, then run setup again — nothing was changed`);
  return value;
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
