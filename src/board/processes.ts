import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { iso, parseJson } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';
import { waitFor } from './waiting.js';

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
  /** The usage windows the CLI reported: name, how full (0..1), reset, and where the figures came from. */
  windows: UsageWindow[];
  log_path: string | null;
  /** What was asked, for a dispatch (agent, prompt, cwd, model, …): enough to run it again. */
  spec: DispatchSpec | null;
  output: string | null;
  created_by: string | null;
  stop_requested_at: string | null;
  /** A long-lived session that answered and waits for the next prompt. */
  awaiting_input: boolean;
  queued_at: string | null;
  started_at: string | null;
  ended_at: string | null;
}

/** A dispatch as it was asked: the agent, the full prompt and the options the runner maps to a command line. */
export interface DispatchSpec {
  agent: 'claude' | 'codex' | 'gemini' | 'command';
  prompt: string;
  cwd: string;
  model?: string;
  timeout_s?: number;
  /** More arguments for the agent CLI; for `command`, the program and its arguments. */
  argv?: string[];
  role?: string;
  /** Keep the session open for follow-up prompts (Claude Code only). */
  interactive?: boolean;
  /** Ask the board before each tool use that needs permission (Claude Code only). */
  approvals?: boolean;
  /** Give the agent the orchestrator's MCP tools (the board, submit_plan, submit_review). */
  board?: boolean;
  /** Tools Claude Code may use without asking (Claude Code only). */
  allowed_tools?: string[];
}

interface ProcessRow extends Omit<ProcessRecord, 'argv' | 'usage' | 'windows' | 'spec' | 'awaiting_input' | 'stop_requested_at' | 'queued_at' | 'started_at' | 'ended_at'> {
  seq: number;
  argv: string;
  usage: string | null;
  windows: string | null;
  spec: string | null;
  awaiting_input: number;
  stop_requested_at: number | null;
  queued_at: number;
  started_at: number | null;
  ended_at: number | null;
}

/**
 * A usage window as an agent CLI reported it: its name (five_hour, seven_day, seven_day_opus, the
 * CLI's own word otherwise), how full it is (0..1, null when not said), when it resets (null when
 * not said), and where the figures came from.
 */
export interface UsageWindow {
  name: string;
  used: number | null;
  resets_at: string | null;
  source: string;
}

/** What was spent: dollars (the CLIs' estimates) and new tokens. */
export interface Spend {
  usd: number;
  tokens: number;
}

export interface ProcessEnd {
  outcome: string;
  message: string;
  reset_at: string | null;
  session_id: string | null;
  usage: unknown;
  cost_usd: number | null;
  windows?: UsageWindow[];
  /** The agent's final answer. */
  output?: string | null;
}

/** The longest final answer kept in the store. */
const OUTPUT_LIMIT = 64 * 1024;

export class Processes {
  constructor(private readonly board: BoardContext) {}

  async queue(input: {
    kind: string;
    argv: string[];
    cwd: string;
    priority: number;
    task_id: string | null;
    attempt: number;
    host: string;
    supervisor: string;
    spec?: DispatchSpec | null;
    created_by?: string | null;
  }): Promise<ProcessRecord> {
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<ProcessRow>(
        `INSERT INTO processes (id, kind, argv, cwd, state, priority, task_id, attempt, host, supervisor, spec, created_by, queued_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          newId('proc', now),
          input.kind,
          JSON.stringify(input.argv),
          input.cwd,
          input.priority,
          input.task_id,
          input.attempt,
          input.host,
          input.supervisor,
          input.spec ? JSON.stringify(input.spec) : null,
          input.created_by ?? null,
          now,
        ],
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
        `UPDATE processes SET state = 'exited', outcome = ?, outcome_message = ?, reset_at = ?, session_id = ?, usage = ?, cost_usd = ?, output = ?,
           windows = ?, awaiting_input = 0, ended_at = ?
         WHERE id = ? AND state <> 'exited'`,
        [
          end.outcome,
          end.message.slice(0, 4000),
          end.reset_at,
          end.session_id,
          end.usage === null ? null : JSON.stringify(end.usage),
          end.cost_usd,
          end.output?.slice(-OUTPUT_LIMIT) ?? null,
          end.windows?.length ? JSON.stringify(end.windows) : null,
          now,
          id,
        ],
      );
      if (!changed) throw new OrchestratorError('conflict', `process ${id} has already exited`);
      await appendEvent(tx, { type: 'process.exited', subject: id, data: { outcome: end.outcome } }, now);
    });
  }

  /** Asks whoever supervises the process to stop it (it may run in another orchestrator process); one that has ended is returned as it is. */
  async requestStop(id: string): Promise<ProcessRecord> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      const changed = await tx.exec(`UPDATE processes SET stop_requested_at = ? WHERE id = ? AND state <> 'exited' AND stop_requested_at IS NULL`, [now, id]);
      if (changed) await appendEvent(tx, { type: 'process.stop_requested', subject: id, data: {} }, now);
    });
    return this.get(id);
  }

  /** The processes of one supervisor that someone asked to stop. */
  async stopRequests(supervisor: string): Promise<string[]> {
    const rows = await this.board.db.query<{ id: string }>(
      `SELECT id FROM processes WHERE state IN ('queued', 'running') AND supervisor = ? AND stop_requested_at IS NOT NULL`,
      [supervisor],
    );
    return rows.map((row) => row.id);
  }

  /** A session answered and waits for the next prompt (true), or took one (false). */
  async setAwaitingInput(id: string, awaiting: boolean): Promise<void> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      const changed = await tx.exec(`UPDATE processes SET awaiting_input = ? WHERE id = ? AND state = 'running' AND awaiting_input <> ?`, [awaiting ? 1 : 0, id, awaiting ? 1 : 0]);
      if (changed && awaiting) await appendEvent(tx, { type: 'process.awaiting_input', subject: id, data: {} }, now);
    });
  }

  /** Queues a follow-up prompt for a long-lived session; its supervisor delivers it after the current answer. */
  async addInput(id: string, text: string): Promise<{ process_id: string; queued_inputs: number }> {
    const record = await this.get(id);
    if (record.state === 'exited') throw new OrchestratorError('conflict', `process ${id} has exited (${record.outcome}); dispatch again, or resume its session`);
    if (!record.spec?.interactive) throw new OrchestratorError('invalid_input', `process ${id} takes no input: only a session dispatched with interactive: true (Claude Code) does`);
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      await tx.exec('INSERT INTO process_inputs (process_id, text, created_at) VALUES (?, ?, ?)', [id, text, now]);
      await appendEvent(tx, { type: 'process.input', subject: id, data: { length: text.length } }, now);
      const [row] = await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM process_inputs WHERE process_id = ? AND delivered_at IS NULL', [id]);
      return { process_id: id, queued_inputs: Number(row!.n) };
    });
  }

  /** The oldest undelivered prompt for a process, marked delivered (at most once). */
  async takeInput(id: string): Promise<string | null> {
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<{ seq: number; text: string }>('SELECT seq, text FROM process_inputs WHERE process_id = ? AND delivered_at IS NULL ORDER BY seq LIMIT 1', [id]);
      if (!row) return null;
      const changed = await tx.exec('UPDATE process_inputs SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL', [now, row.seq]);
      return changed ? row.text : null;
    });
  }

  async get(id: string): Promise<ProcessRecord> {
    const [row] = await this.board.db.query<ProcessRow>('SELECT * FROM processes WHERE id = ?', [id]);
    if (!row) throw new OrchestratorError('not_found', `no process '${excerpt(id)}'; 'orchestrate ps' lists them`);
    return toRecord(row);
  }

  /** The record once the process has exited, or as it is when `waitMs` passes first. */
  async waitUntilExited(id: string, waitMs: number, abort?: AbortSignal): Promise<ProcessRecord> {
    const done = await waitFor(this.board.db, async () => {
      const record = await this.get(id);
      return record.state === 'exited' ? record : null;
    }, { timeout_ms: waitMs }, abort);
    return done ?? this.get(id);
  }

  /** The processes that ended last, newest first. */
  async recent(limit: number): Promise<ProcessRecord[]> {
    const rows = await this.board.db.query<ProcessRow>(`SELECT * FROM processes WHERE state = 'exited' ORDER BY seq DESC LIMIT ?`, [pageLimit(limit)]);
    return rows.map(toRecord);
  }

  /** The processes run for a task (its attempts), oldest first. */
  async forTask(taskId: string): Promise<ProcessRecord[]> {
    const rows = await this.board.db.query<ProcessRow>('SELECT * FROM processes WHERE task_id = ? ORDER BY seq LIMIT 1000', [taskId]);
    return rows.map(toRecord);
  }

  /**
   * What agent processes queued since `since` spent, in all and per role (the spec's role): dollars
   * as the CLIs estimated them, and new tokens (input, output, cache writes). Day budgets read it.
   */
  async spentSince(since: number): Promise<{ total: Spend; byRole: Record<string, Spend> }> {
    const role = this.board.db.dialect === 'postgres' ? "CAST(spec AS json)->>'role'" : "json_extract(spec, '$.role')";
    const rows = await this.board.db.query<{ usage: string | null; cost_usd: number | string | null; role: string | null }>(`SELECT usage, cost_usd, ${role} AS role FROM processes WHERE queued_at >= ?`, [since]);
    const total: Spend = { usd: 0, tokens: 0 };
    const byRole: Record<string, Spend> = {};
    for (const row of rows) {
      const usage = parseJson(row.usage, null) as { input_tokens?: number; output_tokens?: number; cache_creation_input_tokens?: number } | null;
      const spend = { usd: Number(row.cost_usd ?? 0), tokens: (usage?.input_tokens ?? 0) + (usage?.output_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0) };
      for (const into of [total, ...(row.role ? [(byRole[row.role] ??= { usd: 0, tokens: 0 })] : [])]) {
        into.usd += spend.usd;
        into.tokens += spend.tokens;
      }
    }
    return { total, byRole };
  }

  /** Processes in the order they were queued, optionally in one state, on one host, or dispatches only. */
  async list(options: { state?: ProcessState; host?: string; kind?: string; dispatches?: boolean; limit?: number; cursor?: string } = {}): Promise<Page<ProcessRecord>> {
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.board.db.query<ProcessRow>(
      `SELECT * FROM processes WHERE seq > ? AND (CAST(? AS TEXT) IS NULL OR state = ?) AND (CAST(? AS TEXT) IS NULL OR host = ?)
         AND (CAST(? AS TEXT) IS NULL OR kind = ?) AND (? = 0 OR spec IS NOT NULL) ORDER BY seq LIMIT ?`,
      [after, options.state ?? null, options.state ?? null, options.host ?? null, options.host ?? null, options.kind ?? null, options.kind ?? null, options.dispatches ? 1 : 0, limit + 1],
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
    windows: parseJson(row.windows, []) as UsageWindow[],
    spec: parseJson(row.spec, null) as DispatchSpec | null,
    awaiting_input: Boolean(row.awaiting_input),
    stop_requested_at: iso(row.stop_requested_at),
    queued_at: iso(row.queued_at),
    started_at: iso(row.started_at),
    ended_at: iso(row.ended_at),
  };
}
