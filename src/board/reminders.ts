import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { iso, parseJson, requireText } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';

/**
 * Reminders (design A): a text brought back to a session when its trigger fires — `keyword`
 * (one of its words appears in what the session is doing, case-insensitive, as a whole word),
 * `event` (a Claude Code hook event such as SessionStart), or `always` (every match). A reminder
 * may expire, or fire only once (it is dismissed when it fires). Matching marks what it returns
 * as fired; Claude Code hooks (`orchestrate reminder match --hook`) inject it as context.
 */
export type ReminderTrigger = 'keyword' | 'event' | 'always';
export type ReminderMatch = 'word' | 'substring';

export interface Reminder {
  id: string;
  text: string;
  trigger: ReminderTrigger;
  words: string[];
  /** How a keyword is found: a whole word (default) or anywhere, as design A did. */
  match: ReminderMatch;
  event: string | null;
  once: boolean;
  expires_at: string | null;
  fired_count: number;
  last_fired_at: string | null;
  dismissed_at: string | null;
  created_by: string | null;
  created_at: string | null;
}

interface ReminderRow {
  seq: number;
  id: string;
  text: string;
  trigger_kind: ReminderTrigger;
  words: string;
  match_kind: string;
  event: string | null;
  once: number;
  expires_at: number | null;
  fired_count: number;
  last_fired_at: number | null;
  dismissed_at: number | null;
  created_by: string | null;
  created_at: number;
}

export interface NewReminder {
  text: string;
  trigger: ReminderTrigger;
  words?: string[];
  match?: ReminderMatch;
  event?: string;
  once?: boolean;
  /** Seconds from now. */
  expires_in_s?: number;
}

const LIVE = 'dismissed_at IS NULL AND (expires_at IS NULL OR expires_at > ?)';

export class Reminders {
  constructor(private readonly board: BoardContext) {}

  async set(input: NewReminder, actor: string | null): Promise<Reminder> {
    const text = requireText('text', input.text, 5000);
    const words = (input.words ?? []).map((word) => word.trim()).filter(Boolean);
    if (input.trigger === 'keyword' && words.length === 0) throw new OrchestratorError('invalid_input', 'a keyword reminder needs words: the words whose mention brings it back');
    if (input.trigger === 'event' && !input.event?.trim()) throw new OrchestratorError('invalid_input', 'an event reminder needs event: a Claude Code hook event name such as SessionStart or UserPromptSubmit');
    if (input.trigger !== 'keyword' && words.length > 0) throw new OrchestratorError('invalid_input', `words belong to keyword reminders; this one is '${input.trigger}'`);
    const now = this.board.now();
    const expires = input.expires_in_s === undefined ? null : now + input.expires_in_s * 1000;
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<ReminderRow>(
        `INSERT INTO reminders (id, text, trigger_kind, words, match_kind, event, once, expires_at, fired_count, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING *`,
        [newId('rem', now), text, input.trigger, JSON.stringify(words), input.match ?? 'word', input.trigger === 'event' ? input.event!.trim() : null, input.once ? 1 : 0, expires, actor, now],
      );
      await appendEvent(tx, { type: 'reminder.set', subject: row!.id, actor, data: { trigger: input.trigger } }, now);
      return toReminder(row!);
    });
  }

  /** The live reminders (not dismissed, not expired), oldest first; `all` adds the others. */
  async list(options: { all?: boolean; limit?: number; cursor?: string } = {}): Promise<Page<Reminder>> {
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.board.db.query<ReminderRow>(
      `SELECT * FROM reminders WHERE seq > ? AND (? = 1 OR (${LIVE})) ORDER BY seq LIMIT ?`,
      [after, options.all ? 1 : 0, this.board.now(), limit + 1],
    );
    return toPage(rows, limit, (row) => row.seq, toReminder);
  }

  /**
   * The live reminders that fire for `context` (keyword) and `event`, plus the `always` ones
   * (unless `always` is false: a hook on every prompt leaves them to the session's start); with
   * `fire`, each is counted as fired and a `once` reminder is dismissed.
   */
  async match(input: { context?: string; event?: string; always?: boolean; fire?: boolean }): Promise<Reminder[]> {
    const now = this.board.now();
    const context = (input.context ?? '').toLowerCase();
    const rows = await this.board.db.query<ReminderRow>(`SELECT * FROM reminders WHERE ${LIVE} ORDER BY seq LIMIT 1000`, [now]);
    const hits = rows.filter((row) => {
      if (row.trigger_kind === 'always') return input.always ?? true;
      if (row.trigger_kind === 'event') return input.event !== undefined && row.event?.toLowerCase() === input.event.toLowerCase();
      const found = row.match_kind === 'substring' ? (word: string) => word !== '' && context.includes(word) : (word: string) => mentions(context, word);
      return (parseJson(row.words, []) as string[]).some((word) => found(word.toLowerCase()));
    });
    if (!input.fire || hits.length === 0) return hits.map(toReminder);
    return this.board.db.transaction(async (tx) => {
      const fired: Reminder[] = [];
      for (const hit of hits) {
        const [row] = await tx.query<ReminderRow>(
          `UPDATE reminders SET fired_count = fired_count + 1, last_fired_at = ?, dismissed_at = CASE WHEN once = 1 THEN ? ELSE dismissed_at END
           WHERE id = ? AND dismissed_at IS NULL RETURNING *`,
          [now, now, hit.id],
        );
        if (!row) continue; // fired and dismissed by someone else meanwhile
        await appendEvent(tx, { type: 'reminder.fired', subject: row.id, data: { count: row.fired_count } }, now);
        fired.push(toReminder(row));
      }
      return fired;
    });
  }

  async dismiss(id: string, actor: string | null): Promise<Reminder> {
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<ReminderRow>('UPDATE reminders SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL RETURNING *', [now, requireText('id', id, 200)]);
      if (!row) {
        const [existing] = await tx.query<ReminderRow>('SELECT * FROM reminders WHERE id = ?', [id]);
        throw existing
          ? new OrchestratorError('conflict', `reminder ${id} is already dismissed`)
          : new OrchestratorError('not_found', `no reminder '${excerpt(id)}'; list_reminders shows them`);
      }
      await appendEvent(tx, { type: 'reminder.dismissed', subject: id, actor }, now);
      return toReminder(row);
    });
  }
}

/** A whole-word (or whole-phrase) mention, so "test" does not fire on "latest". */
function mentions(text: string, word: string): boolean {
  if (!word) return false;
  let at = text.indexOf(word);
  while (at >= 0) {
    const before = at === 0 ? '' : text[at - 1]!;
    const after = text[at + word.length] ?? '';
    if (!/[\p{L}\p{N}_]/u.test(before) && !/[\p{L}\p{N}_]/u.test(after)) return true;
    at = text.indexOf(word, at + 1);
  }
  return false;
}

function toReminder(row: ReminderRow): Reminder {
  return {
    id: row.id,
    text: row.text,
    trigger: row.trigger_kind,
    words: parseJson(row.words, []) as string[],
    match: row.match_kind === 'substring' ? 'substring' : 'word',
    event: row.event,
    once: Boolean(Number(row.once)),
    expires_at: iso(row.expires_at),
    fired_count: Number(row.fired_count),
    last_fired_at: iso(row.last_fired_at),
    dismissed_at: iso(row.dismissed_at),
    created_by: row.created_by,
    created_at: iso(row.created_at),
  };
}
