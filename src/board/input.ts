import { excerpt, OrchestratorError } from '../core/errors.js';
import { isDecimal } from '../core/numbers.js';

/** Checks for values that arrive from people and programs; each failure says what to pass. */

export function requireText(field: string, value: unknown, maxLength = 10_000): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new OrchestratorError('invalid_input', `${field} is required: pass a non-empty text`);
  }
  return checkLength(field, value, maxLength);
}

export function optionalText(field: string, value: unknown, maxLength = 100_000): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new OrchestratorError('invalid_input', `${field} must be text`);
  return checkLength(field, value, maxLength);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A text is stored exactly as sent, or refused: never one over its limit, with a NUL character
 * (PostgreSQL cannot store it) or with half of a UTF-16 surrogate pair (it would come back as
 * U+FFFD).
 */
function checkLength(field: string, value: string, maxLength: number): string {
  if (value.length > maxLength) {
    throw new OrchestratorError('invalid_input', `${field} is ${value.length} characters long; the limit is ${maxLength}`);
  }
  if (value.includes('\u0000')) throw new OrchestratorError('invalid_input', `${field} holds a NUL character; remove it`);
  if (LONE_SURROGATE.test(value)) throw new OrchestratorError('invalid_input', `${field} holds half of a UTF-16 surrogate pair (not a character); send well-formed Unicode`);
  return value;
}

/**
 * Surrounding spaces, tabs and line breaks removed — and nothing else: an invisible character a
 * person typed or pasted (U+FEFF, a no-break space) is kept, as everything else they sent.
 */
export function trimSpace(text: string): string {
  return text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

export function integerInRange(field: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' ? (isDecimal(value) ? Number(value) : Number.NaN) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new OrchestratorError('invalid_input', `${field} must be a whole number from ${min} to ${max}, not '${excerpt(value)}'`);
  }
  return number;
}

/** How deep a JSON value a field may hold: enough for any real metadata, and no stack overflow. */
const MAX_JSON_DEPTH = 32;

/**
 * A JSON object, kept exactly: at most 32 levels deep, and without a `__proto__` key (which a
 * JavaScript object cannot keep as data, so it would be dropped silently).
 */
export function jsonObject(field: string, value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new OrchestratorError('invalid_input', `${field} must be a JSON object such as {"key":"value"}`);
  }
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, level] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (level > MAX_JSON_DEPTH) throw new OrchestratorError('invalid_input', `${field} is nested more than ${MAX_JSON_DEPTH} levels deep`);
    if (Object.prototype.hasOwnProperty.call(current, '__proto__')) throw new OrchestratorError('invalid_input', `${field} has a key named __proto__; use another name`);
    for (const child of Object.values(current)) stack.push([child, level + 1]);
  }
  return value as Record<string, unknown>;
}

export function textList(field: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.trim() === '')) {
    throw new OrchestratorError('invalid_input', `${field} must be a list of non-empty texts`);
  }
  return [...new Set(value.map((item: string) => item.trim()))];
}

export function parseJson(text: string | null | undefined, fallback: unknown): unknown {
  if (text === null || text === undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
