import { OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { iso, parseJson } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';

/**
 * The record of every agent process the runner starts: queued → running → exited, with its
 * outcome. A row that is `running` while nobody supervises it (the orchestrator crashed) is
 * settled by the runner's recovery at the next start.
 */
export type ProcessState = 'queued' | 'running' | 'exited';

export interface ProcessRecord {
  id: string;
  kind: string;
  argv: string[];
  cwd: string;
  state: ProcessState;
  priority: number;
  task_id: string | null;
  attempt: number;
  host: string;
  /** `pid:start-time` of the orchestrator process that supervises it. */
  supervisor: string;
  pid: number | null;
  pid_start: string | null;
  outcome: string | null;
  outcome_message: string | null;
  reset_at: string | null;
  session_id: string | null;
  usage: unknown;
  cost_usd: number | null;
  log_path: string | null;
  queued_at: string | null;
  started_at: string | null;
  ended_at: string | null;
}

interface ProcessRow extends Omit<ProcessRecord, 'argv' | 'usage' | 'queued_at' | 'started_at' | 'ended_at'> {
  seq: number;
  argv: string;
  usage: string | null;
  queued_at: number;
  started_at: number | null;
  ended_at: number | null;
}

export interface ProcessEnd {
  outcome: string;
  message: string;
  reset_at: string | null;
  session_id: string | null;
  usage: unknown;
  cost_usd: number | null;
}

export class Processes {
  constructor(private readonly board: BoardContext) {}

  async queue(input: { kind: string; argv: string[]; cwd: string; priority: number; task_id: string | null; attempt: number; host: string; supervisor: string }): Promise<ProcessRecord> {
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<ProcessRow>(
        `INSERT INTO processes (id, kind, argv, cwd, state, priority, task_id, attempt, host, supervisor, queued_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?) RETURNING *`,
        [newId('proc', now), input.kind, JSON.stringify(input.argv), input.cwd, input.priority, input.task_id, input.attempt, input.host, input.supervisor, now],
      );
      await appendEvent(tx, { type: 'process.queued', subject: row!.id, data: { kind: input.kind, task_id: input.task_id } }, now);
      return toRecord(row!);
    });
  }

  async started(id: string, pid: number, pidStart: string | null, logPath: string | null): Promise<void> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      const changed = await tx.exec(
        `UPDATE processes SET state = 'running', pid = ?, pid_start = ?, log_path = ?, started_at = ? WHERE id = ? AND state = 'queued'`,
        [pid, pidStart, logPath, now, id],
      );
      if (!changed) throw new OrchestratorError('conflict', `process ${id} is not queued`);
      await appendEvent(tx, { type: 'process.started', subject: id, data: { pid } }, now);
    });
  }

  async exited(id: string, end: ProcessEnd): Promise<void> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      const changed = await tx.exec(
        `UPDATE processes SET state = 'exited', outcome = ?, outcome_message = ?, reset_at = ?, session_id = ?, usage = ?, cost_usd = ?, ended_at = ?
         WHERE id = ? AND state <> 'exited'`,
        [end.outcome, end.message.slice(0, 4000), end.reset_at, end.session_id, end.usage === null ? null : JSON.stringify(end.usage), end.cost_usd, now, id],
      );
      if (!changed) throw new OrchestratorError('conflict', `process ${id} has already exited`);
      await appendEvent(tx, { type: 'process.exited', subject: id, data: { outcome: end.outcome } }, now);
    });
  }

  async get(id: string): Promise<ProcessRecord> {
    const [row] = await this.board.db.query<ProcessRow>('SELECT * FROM processes WHERE id = ?', [id]);
    if (!row) throw new OrchestratorError('not_found', `no process '${id}'; 'orchestrate ps' lists them`);
    return toRecord(row);
  }

  /** Processes in the order they were queued, optionally in one state or on one host. */
  async list(options: { state?: ProcessState; host?: string; limit?: number; cursor?: string } = {}): Promise<Page<ProcessRecord>> {
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.board.db.query<ProcessRow>(
      `SELECT * FROM processes WHERE seq > ? AND (CAST(? AS TEXT) IS NULL OR state = ?) AND (CAST(? AS TEXT) IS NULL OR host = ?) ORDER BY seq LIMIT ?`,
      [after, options.state ?? null, options.state ?? null, options.host ?? null, options.host ?? null, limit + 1],
    );
    return toPage(rows, limit, (row) => row.seq, toRecord);
  }
}

function toRecord(row: ProcessRow): ProcessRecord {
  const { seq: _seq, ...rest } = row;
  return {
    ...rest,
    argv: parseJson(row.argv, []) as string[],
    usage: parseJson(row.usage, null),
    queued_at: iso(row.queued_at),
    started_at: iso(row.started_at),
    ended_at: iso(row.ended_at),
  };
}
