import { excerpt, OrchestratorError } from '../core/errors.js';
import { integerInRange } from './input.js';

/**
 * Lists are read in pages with keyset cursors: a page ends with `next_cursor`, an opaque text
 * that names the last row seen; passing it back returns the rows after it. A page that reached
 * the end has `next_cursor: null`. A page holds at most `limit` rows and about PAGE_BYTES.
 */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export function pageLimit(limit: unknown): number {
  return limit === undefined || limit === null ? DEFAULT_LIMIT : integerInRange('limit', limit, 1, MAX_LIMIT);
}

export function encodeCursor(position: string | number): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T extends string | number>(cursor: unknown, kind: 'number' | 'string'): T | null {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8'));
    if (typeof value === kind) return value as T;
  } catch {
    // fall through to the error below
  }
  throw new OrchestratorError('invalid_input', `cursor '${excerpt(cursor)}' is not one this list gave out; start again without --cursor`);
}

/**
 * A page's items stay under this many bytes of JSON together: a thousand big rows would make one
 * reply too large for a client to take in (an MCP client drops a line over 10 MB). The page then
 * ends early, with its cursor, so nothing is lost.
 */
export const PAGE_BYTES = 1024 * 1024;

/** Every item of a list, read a page at a time from `cursor` (from the start without one). */
export async function everyItem<T>(page: (cursor: string | undefined) => Promise<Page<T>>, cursor?: string): Promise<T[]> {
  const items: T[] = [];
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

/** Builds a page from rows fetched with `limit + 1`: the extra row only tells that more exist. */
export function toPage<R, T>(rows: R[], limit: number, position: (row: R) => string | number, map: (row: R) => T): Page<T> {
  const items: T[] = [];
  let bytes = 0;
  let last: R | undefined;
  for (const row of rows.slice(0, limit)) {
    const item = map(row);
    const size = Buffer.byteLength(JSON.stringify(item) ?? '');
    if (items.length > 0 && bytes + size > PAGE_BYTES) break;
    items.push(item);
    bytes += size;
    last = row;
  }
  const more = rows.length > items.length;
  return { items, next_cursor: more && last !== undefined ? encodeCursor(position(last)) : null };
}
