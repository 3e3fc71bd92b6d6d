import { excerpt, OrchestratorError } from '../core/errors.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { integerInRange, iso, requireText } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';

/**
 * Session context (design A's memory): key-value entries of one project and one session name,
 * kept on the board so they survive restarts, beside the team-wide shared context
 * (shared-context.ts). A session is named by its caller — the agent's name by default — so a
 * session that comes back under the same name finds what it wrote. Versions work as in the
 * shared context: each write adds one; `expected_version` makes a write conditional.
 */
export interface SessionEntry {
  project: string;
  session: string;
  key: string;
  value: string;
  version: number;
  updated_at: string | null;
}

interface SessionRow {
  project: string;
  session: string;
  key: string;
  value: string;
  version: number;
  updated_at: number;
}

export interface SessionScope {
  project: string;
  session: string;
}

const MAX_VALUE = 1_000_000;

export class SessionContext {
  constructor(private readonly board: BoardContext) {}

  /** The session a caller's memory goes under when it names none: its agent's name (stable across restarts, unlike an id it may not have), else "default". */
  async sessionName(caller: string | null): Promise<string> {
    if (caller === null) return 'default';
    return this.board.agents.get(caller).then((agent) => agent.name, () => caller);
  }

  async set(scope: SessionScope, key: string, value: string, options: { expected_version?: number } = {}): Promise<SessionEntry> {
    const { project, session } = checkScope(scope);
    const name = requireText('key', key, 500);
    if (typeof value !== 'string') throw new OrchestratorError('invalid_input', 'value must be text');
    if (value.length > MAX_VALUE) throw new OrchestratorError('invalid_input', `value is ${value.length} characters long; the limit is ${MAX_VALUE}`);
    const expected = options.expected_version === undefined ? null : integerInRange('expected_version', options.expected_version, 0, Number.MAX_SAFE_INTEGER);
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const rows = expected === null
        ? await tx.query<SessionRow>(
          `INSERT INTO session_context (project, session, key, value, version, updated_at) VALUES (?, ?, ?, ?, 1, ?)
           ON CONFLICT (project, session, key) DO UPDATE SET value = excluded.value, version = session_context.version + 1, updated_at = excluded.updated_at
           RETURNING *`, [project, session, name, value, now])
        : expected === 0
          ? await tx.query<SessionRow>(
            `INSERT INTO session_context (project, session, key, value, version, updated_at) VALUES (?, ?, ?, ?, 1, ?)
             ON CONFLICT (project, session, key) DO NOTHING RETURNING *`, [project, session, name, value, now])
          : await tx.query<SessionRow>(
            'UPDATE session_context SET value = ?, version = version + 1, updated_at = ? WHERE project = ? AND session = ? AND key = ? AND version = ? RETURNING *',
            [value, now, project, session, name, expected]);
      if (!rows[0]) {
        const [current] = await tx.query<SessionRow>('SELECT * FROM session_context WHERE project = ? AND session = ? AND key = ?', [project, session, name]);
        throw new OrchestratorError('conflict', `session key '${name}' is at version ${current?.version ?? 0} (0 = absent), not ${expected}; read it again and retry with that version`);
      }
      await appendEvent(tx, { type: 'session_context.set', subject: `${session}:${name}`, data: { project, version: rows[0].version } }, now);
      return toEntry(rows[0]);
    });
  }

  async get(scope: SessionScope, key: string): Promise<SessionEntry | null> {
    const { project, session } = checkScope(scope);
    const [row] = await this.board.db.query<SessionRow>('SELECT * FROM session_context WHERE project = ? AND session = ? AND key = ?', [project, session, requireText('key', key, 500)]);
    return row ? toEntry(row) : null;
  }

  /** The session's entries with their values, in key order. */
  async list(scope: SessionScope, options: { limit?: number; cursor?: string } = {}): Promise<Page<SessionEntry>> {
    const { project, session } = checkScope(scope);
    const limit = pageLimit(options.limit);
    const after = decodeCursor<string>(options.cursor, 'string') ?? '';
    const rows = await this.board.db.query<SessionRow>(
      'SELECT * FROM session_context WHERE project = ? AND session = ? AND key > ? ORDER BY key LIMIT ?',
      [project, session, after, limit + 1],
    );
    return toPage(rows, limit, (row) => row.key, toEntry);
  }

  /** Removes one entry, or (without a key) every entry of the session; how many went. */
  async clear(scope: SessionScope, key?: string): Promise<{ cleared: number }> {
    const { project, session } = checkScope(scope);
    const name = key === undefined ? null : requireText('key', key, 500);
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const removed = await tx.exec('DELETE FROM session_context WHERE project = ? AND session = ? AND (CAST(? AS TEXT) IS NULL OR key = ?)', [project, session, name, name]);
      if (name !== null && removed === 0) throw new OrchestratorError('not_found', `no session key '${excerpt(name)}' in session '${excerpt(session)}'; get_context with scope "session" lists them`);
      await appendEvent(tx, { type: 'session_context.cleared', subject: name === null ? session : `${session}:${name}`, data: { project, cleared: removed } }, now);
      return { cleared: removed };
    });
  }
}

function checkScope(scope: SessionScope): SessionScope {
  return { project: requireText('project', scope.project, 4000), session: requireText('session', scope.session, 200) };
}

function toEntry(row: SessionRow): SessionEntry {
  return { project: row.project, session: row.session, key: row.key, value: row.value, version: Number(row.version), updated_at: iso(row.updated_at) };
}
