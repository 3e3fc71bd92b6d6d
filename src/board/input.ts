import { OrchestratorError } from '../core/errors.js';

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

function checkLength(field: string, value: string, maxLength: number): string {
  if (value.length > maxLength) {
    throw new OrchestratorError('invalid_input', `${field} is ${value.length} characters long; the limit is ${maxLength}`);
  }
  return value;
}

export function integerInRange(field: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new OrchestratorError('invalid_input', `${field} must be a whole number from ${min} to ${max}, not '${String(value)}'`);
  }
  return number;
}

export function jsonObject(field: string, value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new OrchestratorError('invalid_input', `${field} must be a JSON object such as {"key":"value"}`);
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
