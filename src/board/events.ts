import type { Db, Queryable } from '../store/open.js';
import { iso, parseJson } from './input.js';
import { type Page, decodeCursor, encodeCursor, everyItem, MAX_LIMIT, pageLimit, toPage } from './pagination.js';

/**
 * The append-only event log: every change to the board appends one row in the same
 * transaction as the change. Ids only grow. Watches and waits do not read it to decide (they
 * re-check the tables); it is the history people and later tools read, and on PostgreSQL its
 * insert trigger is what wakes waiters on other machines.
 */
export interface BoardEvent {
  id: number;
  at: string | null;
  type: string;
  subject: string | null;
  actor: string | null;
  data: unknown;
}

export interface NewEvent {
  type: string;
  subject?: string | null;
  actor?: string | null;
  data?: Record<string, unknown>;
}

export async function appendEvent(tx: Queryable, event: NewEvent, at: number): Promise<void> {
  await tx.exec('INSERT INTO events (at, type, subject, actor, data) VALUES (?, ?, ?, ?, ?)', [
    at,
    event.type,
    event.subject ?? null,
    event.actor ?? null,
    JSON.stringify(event.data ?? {}),
  ]);
}

interface EventRow {
  id: number;
  at: number;
  type: string;
  subject: string | null;
  actor: string | null;
  data: string;
}

export class Events {
  constructor(private readonly db: Db) {}

  /**
   * Records a fact that changes no table (a gate's result, a merge, an action a person took in a
   * view), so the log — and every view that follows it — knows it.
   */
  async note(event: NewEvent): Promise<void> {
    await appendEvent(this.db, event, this.db.now());
  }

  /** Every event the options take after the event `after` (an id), oldest first (read a page at a time). */
  async all(options: { subject?: string; subject_prefix?: string; type?: string } = {}, after = 0): Promise<BoardEvent[]> {
    return everyItem((cursor) => this.list({ ...options, cursor, limit: MAX_LIMIT }), after > 0 ? encodeCursor(after) : undefined);
  }

  /** Events oldest first, after the cursor; `subject` (or its start, `subject_prefix`) and `type` narrow them. */
  async list(options: { subject?: string; subject_prefix?: string; type?: string; limit?: number; cursor?: string } = {}): Promise<Page<BoardEvent>> {
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.db.query<EventRow>(
      `SELECT * FROM events
       WHERE id > ? AND (CAST(? AS TEXT) IS NULL OR subject = ?) AND (CAST(? AS TEXT) IS NULL OR type = ?)
         AND (CAST(? AS TEXT) IS NULL OR substr(subject, 1, length(CAST(? AS TEXT))) = CAST(? AS TEXT))
       ORDER BY id LIMIT ?`,
      [after, options.subject ?? null, options.subject ?? null, options.type ?? null, options.type ?? null, options.subject_prefix ?? null, options.subject_prefix ?? null, options.subject_prefix ?? null, limit + 1],
    );
    return toPage(rows, limit, (row) => row.id, toEvent);
  }

  /** The newest event's id (0 on an empty log): events written later have larger ids. */
  async latestId(): Promise<number> {
    const [row] = await this.db.query<{ id: number | null }>('SELECT MAX(id) AS id FROM events');
    return Number(row?.id ?? 0);
  }

  /** The newest events, newest last. */
  async recent(count: number): Promise<BoardEvent[]> {
    const rows = await this.db.query<EventRow>('SELECT * FROM events ORDER BY id DESC LIMIT ?', [pageLimit(count)]);
    return rows.reverse().map(toEvent);
  }
}

function toEvent(row: EventRow): BoardEvent {
  return { id: row.id, at: iso(row.at), type: row.type, subject: row.subject, actor: row.actor, data: parseJson(row.data, {}) };
}
