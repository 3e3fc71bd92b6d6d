import { excerpt, OrchestratorError } from '../core/errors.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { integerInRange, iso, optionalText, requireText } from './input.js';
import { type Page, decodeCursor, pageLimit, toPage } from './pagination.js';
import { waitFor, type WaitOptions } from './waiting.js';

/**
 * Shared context: a key-value store every agent reads and writes, each key with a version that
 * starts at 1 and grows by one on every write. A write may name the version it expects
 * (compare-and-set); `expected_version: 0` means "only if the key does not exist". A lost race
 * is a conflict error carrying the version now stored.
 */
export interface ContextEntry {
  key: string;
  value: string;
  version: number;
  updated_by: string | null;
  updated_at: string | null;
}

interface ContextRow {
  key: string;
  value: string;
  version: number;
  updated_by: string | null;
  updated_at: number;
}

export type ContextChange = { key: string; deleted: true } | (ContextEntry & { deleted: false });

const MAX_VALUE = 1_000_000;

export class SharedContext {
  constructor(private readonly board: BoardContext) {}

  async set(key: string, value: string, options: { expected_version?: number; actor?: string | null } = {}): Promise<ContextEntry> {
    const name = checkKey(key);
    const text = typeof value === 'string' ? value : requireText('value', value);
    if (text.length > MAX_VALUE) throw new OrchestratorError('invalid_input', `value is ${text.length} characters long; the limit is ${MAX_VALUE}`);
    const expected = options.expected_version === undefined ? null : integerInRange('expected_version', options.expected_version, 0, Number.MAX_SAFE_INTEGER);
    const actor = options.actor ? (await this.board.agents.resolve(options.actor)).id : null;
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      let rows: ContextRow[];
      if (expected === null) {
        rows = await tx.query<ContextRow>(
          `INSERT INTO context (key, value, version, updated_by, updated_at) VALUES (?, ?, 1, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = context.version + 1,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at
           RETURNING *`,
          [name, text, actor, now],
        );
      } else if (expected === 0) {
        rows = await tx.query<ContextRow>(
          `INSERT INTO context (key, value, version, updated_by, updated_at) VALUES (?, ?, 1, ?, ?)
           ON CONFLICT (key) DO NOTHING RETURNING *`,
          [name, text, actor, now],
        );
      } else {
        rows = await tx.query<ContextRow>(
          `UPDATE context SET value = ?, version = version + 1, updated_by = ?, updated_at = ? WHERE key = ? AND version = ? RETURNING *`,
          [text, actor, now, name, expected],
        );
      }
      const row = rows[0];
      if (!row) {
        const [current] = await tx.query<ContextRow>('SELECT * FROM context WHERE key = ?', [name]);
        throw new OrchestratorError(
          'conflict',
          `context key '${name}' is at version ${current?.version ?? 0} (0 = absent), not ${expected}; read it again and retry with that version`,
        );
      }
      await appendEvent(tx, { type: 'context.set', subject: name, actor, data: { version: row.version } }, now);
      return toEntry(row);
    });
  }

  async get(key: string): Promise<ContextEntry | null> {
    const [row] = await this.board.db.query<ContextRow>('SELECT * FROM context WHERE key = ?', [checkKey(key)]);
    return row ? toEntry(row) : null;
  }

  async delete(key: string, options: { expected_version?: number; actor?: string | null } = {}): Promise<ContextEntry> {
    const name = checkKey(key);
    const expected = options.expected_version === undefined ? null : integerInRange('expected_version', options.expected_version, 1, Number.MAX_SAFE_INTEGER);
    const actor = options.actor ? (await this.board.agents.resolve(options.actor)).id : null;
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<ContextRow>(
        'DELETE FROM context WHERE key = ? AND (CAST(? AS BIGINT) IS NULL OR version = ?) RETURNING *',
        [name, expected, expected],
      );
      if (!row) {
        const [current] = await tx.query<ContextRow>('SELECT * FROM context WHERE key = ?', [name]);
        if (!current) throw new OrchestratorError('not_found', `no context key '${excerpt(name)}'; 'orchestrate ctx list' shows the keys`);
        throw new OrchestratorError('conflict', `context key '${name}' is at version ${current.version}, not ${expected}; read it again`);
      }
      await appendEvent(tx, { type: 'context.deleted', subject: name, actor, data: { version: row.version } }, now);
      return toEntry(row);
    });
  }

  /** Keys in order, with their versions (not values), optionally those starting with `prefix`. */
  async listKeys(options: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<Page<Omit<ContextEntry, 'value'>>> {
    const limit = pageLimit(options.limit);
    const after = decodeCursor<string>(options.cursor, 'string') ?? '';
    const prefix = optionalText('prefix', options.prefix, 500) ?? ''; // no key is longer
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.board.db.query<ContextRow>(
      `SELECT key, version, updated_by, updated_at FROM context WHERE key > ? AND key LIKE ? ESCAPE '\\' ORDER BY key LIMIT ?`,
      [after, pattern, limit + 1],
    );
    return toPage(rows, limit, (row) => row.key, ({ key, version, updated_by, updated_at }) => ({ key, version, updated_by, updated_at: iso(updated_at) }));
  }

  /** Waits until the key changes (a new version, or deleted, or created) and returns how. */
  async watch(key: string, options: WaitOptions, abort?: AbortSignal): Promise<ContextChange | null> {
    const name = checkKey(key);
    const read = async () => (await this.board.db.query<ContextRow>('SELECT * FROM context WHERE key = ?', [name]))[0] ?? null;
    const before = await read();
    return waitFor(this.board.db, async (): Promise<ContextChange | null> => {
      const now = await read();
      if (now === null) return before === null ? null : { key: name, deleted: true };
      if (before !== null && now.version === before.version && now.updated_at === before.updated_at) return null;
      return { ...toEntry(now), deleted: false };
    }, options, abort);
  }
}

function checkKey(key: string): string {
  return requireText('key', key, 500);
}

function toEntry(row: ContextRow): ContextEntry {
  return { key: row.key, value: row.value, version: row.version, updated_by: row.updated_by, updated_at: iso(row.updated_at) };
}
