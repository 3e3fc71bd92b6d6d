import { excerpt, OrchestratorError } from './errors.js';

/** Written in decimal (`5`, `-2.5`, `1e3`): not `0x5`, `0b1`, `Infinity` or an empty text, which `Number()` would take. */
export function isDecimal(text: string): boolean {
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim());
}

/** A number a person wrote in decimal, or one clear error naming the field. */
export function decimal(field: string, text: string): number {
  if (!isDecimal(text)) throw new OrchestratorError('invalid_input', `${field} must be a decimal number, not '${excerpt(text)}'`);
  return Number(text);
}
