import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A short unique id such as `task-mhx3k2a1-7f3abq9x`: a prefix naming the kind of thing, the time
 * in base 36 (so ids of one kind sort roughly by creation) and 8 random characters (41 bits).
 */
export function newId(prefix: string, now: number): string {
  const bytes = randomBytes(8);
  let random = '';
  for (const byte of bytes) random += ALPHABET[byte % 36];
  return `${prefix}-${now.toString(36)}-${random}`;
}
