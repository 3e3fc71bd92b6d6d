import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Queryable } from '../store/open.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { integerInRange, iso, jsonObject, optionalText, parseJson, requireText, textList, trimSpace } from './input.js';
import { type Page, decodeCursor, everyItem, MAX_LIMIT, pageLimit, toPage } from './pagination.js';
import { CLAIM_POSTGRES, CLAIM_SQLITE } from './claim-sql.js';
import { normalizeRole } from './roles.js';
import { isTaskStatus, transition, TASK_STATUSES, type TaskMove, type TaskStatus } from './task-states.js';
import { waitFor, type WaitOptions } from './waiting.js';

/**
 * The task queue. A task is pushed `pending`; `claim` hands the best claimable task to one
 * agent atomically (highest priority — 0 is the highest — then oldest, whose dependencies are
 * all completed and whose role and assignee fit the claimer); the moves after it follow the
 * state machine in task-states.ts, each an UPDATE guarded on the state it starts from.
 */
export interface Task {
  id: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: number;
  role: string | null;
  assignee: string | null;
  claimed_by: string | null;
  depends_on: string[];
  run_id: string | null;
  labels: string[];
  metadata: Record<string, unknown>;
  /** An issue, PR or document the task is about (design E v0.3). */
  link: string | null;
  /** The chain of tasks it belongs to (design E v0.3). */
  chain_id: string | null;
  result: string | null;
  reason: string | null;
  retry_count: number;
  max_retries: number;
  created_by: string | null;
  created_at: string | null;
  updated_at: string | null;
  claimed_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

interface TaskRow {
  seq: number;
  id: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: number;
  role: string | null;
  assignee: string | null;
  depends_on: string;
  claimed_by: string | null;
  run_id: string | null;
  labels: string;
  link: string | null;
  chain_id: string | null;
  metadata: string;
  result: string | null;
  reason: string | null;
  retry_count: number;
  max_retries: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  claimed_at: number | null;
  started_at: number | null;
  finished_at: number | null;
}

export interface PushTaskInput {
  /** A caller-chosen id (letters, digits, `.`, `_`, `-`); generated when absent. */
  id?: string;
  title: string;
  description?: string;
  /** 0 (highest) to 3 (lowest); 2 by default. */
  priority?: number;
  role?: string | null;
  /** An agent id or name: only that agent may claim the task. */
  assignee?: string | null;
  depends_on?: string[];
  max_retries?: number;
  labels?: string[];
  metadata?: Record<string, unknown>;
  run_id?: string | null;
  link?: string | null;
  chain_id?: string | null;
}

/** What a list shows of a task when asked for summaries: enough to choose, `get` for the rest. */
export type TaskSummary = Pick<Task, 'id' | 'title' | 'status' | 'priority' | 'role' | 'assignee' | 'claimed_by' | 'depends_on' | 'retry_count' | 'max_retries' | 'run_id' | 'updated_at'>;

const SUMMARY_COLUMNS = 'seq, id, title, status, priority, role, assignee, claimed_by, depends_on, retry_count, max_retries, run_id, updated_at';

export interface TaskFilter {
  status?: TaskStatus | TaskStatus[];
  role?: string;
  assignee?: string;
  claimed_by?: string;
  run_id?: string;
  /** Tasks carrying this label (`team:<name>`, say). */
  label?: string;
  /** The tasks of one chain. */
  chain_id?: string;
  limit?: number;
  cursor?: string;
}

/** A pushed task after validation. */
interface NewTask {
  id: string;
  title: string;
  description: string;
  priority: number;
  role: string | null;
  assignee: string | null;
  depends_on: string[];
  max_retries: number;
  labels: string[];
  metadata: Record<string, unknown>;
  run_id: string | null;
  link: string | null;
  chain_id: string | null;
}

export const DEFAULT_PRIORITY = 2;
const MAX_RETRIES_LIMIT = 100;
/** A push this large refreshes the planner's statistics (see Db.refreshStatistics). */
const BULK_PUSH = 100;

export class Tasks {
  constructor(private readonly board: BoardContext) {}

  async push(input: PushTaskInput, actor: string | null = null): Promise<Task> {
    const [task] = await this.pushMany([input], actor);
    return task!;
  }

  /**
   * Pushes tasks in one transaction. Dependencies may name tasks already on the board or
   * tasks of the same batch; unknown ids and cycles are refused and nothing is written.
   */
  async pushMany(inputs: PushTaskInput[], actor: string | null = null): Promise<Task[]> {
    if (inputs.length === 0) return [];
    const now = this.board.now();
    const tasks = inputs.map((input) => this.validate(input, now));
    const batchIds = new Set<string>();
    for (const task of tasks) {
      if (batchIds.has(task.id)) throw new OrchestratorError('invalid_input', `task id '${task.id}' appears twice in one push`);
      batchIds.add(task.id);
    }
    refuseCycles(tasks);
    const creator = actor === null ? null : (await this.board.agents.resolve(actor)).id;
    const pushed = await this.board.db.transaction(async (tx) => {
      const outside = [...new Set(tasks.flatMap((task) => task.depends_on).filter((id) => !batchIds.has(id)))];
      const known = new Set(
        outside.length === 0 ? [] : (await tx.query<{ id: string }>(`SELECT id FROM tasks WHERE id IN (${marks(outside)})`, outside)).map((r) => r.id),
      );
      const missing = outside.filter((id) => !known.has(id));
      if (missing.length > 0) {
        throw new OrchestratorError('not_found', `unknown dependency ${missing.map((id) => `'${id}'`).join(', ')}; push the tasks it depends on first ('orchestrate task list' shows ids)`);
      }
      if (batchIds.size > 0) {
        const taken = await tx.query<{ id: string }>(`SELECT id FROM tasks WHERE id IN (${marks([...batchIds])})`, [...batchIds]);
        if (taken.length > 0) throw new OrchestratorError('conflict', `task id '${taken[0]!.id}' already exists; choose another id or leave it out`);
      }
      const rows: TaskRow[] = [];
      for (const task of tasks) {
        const [row] = await tx.query<TaskRow>(
          `INSERT INTO tasks (id, title, description, status, priority, role, assignee, depends_on, run_id, labels, metadata, link, chain_id, max_retries, created_by, created_at, updated_at)
           VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          [task.id, task.title, task.description, task.priority, task.role, task.assignee, JSON.stringify(task.depends_on), task.run_id, JSON.stringify(task.labels),
            JSON.stringify(task.metadata), task.link, task.chain_id, task.max_retries, creator, now, now],
        );
        for (const dependency of task.depends_on) {
          await tx.exec('INSERT INTO task_deps (task_id, depends_on) VALUES (?, ?)', [task.id, dependency]);
        }
        await appendEvent(tx, { type: 'task.pushed', subject: task.id, actor: creator, data: { title: task.title, priority: task.priority, role: task.role } }, now);
        rows.push(row!);
      }
      return rows.map(toTask);
    });
    if (tasks.length >= BULK_PUSH) await this.board.db.refreshStatistics(['tasks', 'task_deps']);
    return pushed;
  }

  /**
   * Claims the best claimable task for the agent, atomically, in one statement (see
   * CLAIM_SQLITE and CLAIM_POSTGRES: the one place the dialects differ). Returns null when
   * nothing fits; with `task_id`, claims that task only if it is claimable. Claiming is a sign of
   * life: it renews the claimer's lease when a quarter of its TTL has passed.
   */
  async claim(agentRef: string, options: { task_id?: string } = {}): Promise<Task | null> {
    await this.board.sweep();
    const now = this.board.now();
    const ref = requireText('agent', agentRef, 200).trim();
    const taskId = options.task_id === undefined ? null : requireText('task_id', options.task_id, 200).trim();
    const db = this.board.db;
    const claimSql = db.dialect === 'postgres' ? CLAIM_POSTGRES : CLAIM_SQLITE;
    let [row] = await db.query<TaskRow>(claimSql, [ref, now, ref, now, now, now, taskId, taskId]);
    if (!row) {
      // Throws when the claimer is not alive; renews a lapsed lease the sweep spares, and then the claim is tried again.
      const claimer = await this.board.agents.touch(db, ref);
      if (claimer.lapsed) {
        const again = this.board.now();
        [row] = await db.query<TaskRow>(claimSql, [ref, again, ref, again, again, again, taskId, taskId]);
      }
    }
    if (!row) {
      if (taskId !== null) await this.explainUnclaimable(db, taskId);
      return null;
    }
    await this.board.agents.renewIfDue(row.claimed_by!, now);
    return toTask(row);
  }

  /**
   * Claims the best claimable task, waiting until there is one: each change on the board (a push,
   * a completed dependency, a release) wakes it to try again, so it does not poll. Null when the
   * time runs out or `abort` fires.
   */
  async claimWhenReady(agentRef: string, options: WaitOptions, abort?: AbortSignal): Promise<Task | null> {
    return waitFor(this.board.db, () => this.claim(agentRef), options, abort);
  }

  async start(taskId: string, actor: string | null = null): Promise<Task> {
    return this.move(taskId, 'start', actor, {});
  }

  async complete(taskId: string, actor: string | null = null, result: string | null = null): Promise<Task> {
    return this.move(taskId, 'complete', actor, { result: optionalText('result', result) });
  }

  async block(taskId: string, actor: string | null, reason: string): Promise<Task> {
    return this.move(taskId, 'block', actor, { reason: requireText('reason', reason) });
  }

  async unblock(taskId: string, actor: string | null = null): Promise<Task> {
    return this.move(taskId, 'unblock', actor, {});
  }

  async fail(taskId: string, actor: string | null, reason: string): Promise<Task> {
    return this.move(taskId, 'fail', actor, { reason: requireText('reason', reason) });
  }

  async retry(taskId: string, actor: string | null = null): Promise<Task> {
    return this.move(taskId, 'retry', actor, {});
  }

  async cancel(taskId: string, actor: string | null = null, reason: string | null = null): Promise<Task> {
    return this.move(taskId, 'cancel', actor, { reason: optionalText('reason', reason) });
  }

  /** Changes a task's priority (0 is the highest); a claimed task keeps its holder. */
  async setPriority(taskId: string, priority: number | string, actor: string | null = null): Promise<Task> {
    const value = integerInRange('priority', priority, 0, 3);
    const now = this.board.now();
    const actorId = actor === null ? null : (await this.board.agents.resolve(actor)).id;
    return this.board.db.transaction(async (tx) => {
      const row = await this.row(tx, taskId);
      const [updated] = await tx.query<TaskRow>('UPDATE tasks SET priority = ?, updated_at = ? WHERE id = ? RETURNING *', [value, now, row.id]);
      await appendEvent(tx, { type: 'task.reprioritized', subject: row.id, actor: actorId, data: { from: row.priority, to: value } }, now);
      return toTask(updated!);
    });
  }

  async get(taskId: string): Promise<Task & { waiting_on: string[] }> {
    await this.board.sweep(); // a task whose holder's lease ended shows as released, not claimed
    const task = toTask(await this.row(this.board.db, taskId));
    const waiting = task.depends_on.length === 0 ? [] : await this.board.db.query<{ id: string }>(
      `SELECT id FROM tasks WHERE id IN (${marks(task.depends_on)}) AND status <> 'completed' ORDER BY seq`,
      task.depends_on,
    );
    return { ...task, waiting_on: waiting.map((r) => r.id) };
  }

  /** Every task the filter takes, in the order they were pushed (read a page at a time). */
  async all(filter: Omit<TaskFilter, 'limit' | 'cursor'> = {}): Promise<Task[]> {
    return everyItem((cursor) => this.list({ ...filter, cursor, limit: MAX_LIMIT }));
  }

  /** Tasks in the order they were pushed, filtered, a page at a time; `summary` reads fewer columns. */
  async list(filter: TaskFilter & { summary: true }): Promise<Page<TaskSummary>>;
  async list(filter?: TaskFilter & { summary?: false }): Promise<Page<Task>>;
  async list(filter: TaskFilter & { summary?: boolean } = {}): Promise<Page<Task | TaskSummary>> {
    await this.board.sweep();
    const limit = pageLimit(filter.limit);
    const after = decodeCursor<number>(filter.cursor, 'number') ?? 0;
    const statuses = parseStatuses(filter.status);
    const role = filter.role === undefined ? null : normalizeRole(filter.role);
    const assignee = filter.assignee ?? null;
    const holder = filter.claimed_by === undefined ? null : (await this.board.agents.resolve(filter.claimed_by)).id;
    const runId = filter.run_id ?? null;
    const chain = filter.chain_id ?? null;
    // labels is a JSON list of texts: a label is present when its JSON string is.
    const label = filter.label === undefined ? null : `%${JSON.stringify(filter.label).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.board.db.query<TaskRow>(
      `SELECT ${filter.summary ? SUMMARY_COLUMNS : '*'} FROM tasks
       WHERE seq > ? ${statuses.length > 0 ? `AND status IN (${marks(statuses)})` : ''}
         AND (CAST(? AS TEXT) IS NULL OR role = ?) AND (CAST(? AS TEXT) IS NULL OR assignee = ?)
         AND (CAST(? AS TEXT) IS NULL OR claimed_by = ?) AND (CAST(? AS TEXT) IS NULL OR run_id = ?)
         AND (CAST(? AS TEXT) IS NULL OR labels LIKE ? ESCAPE '\\') AND (CAST(? AS TEXT) IS NULL OR chain_id = ?)
       ORDER BY seq LIMIT ?`,
      [after, ...statuses, role, role, assignee, assignee, holder, holder, runId, runId, label, label, chain, chain, limit + 1],
    );
    return toPage(rows, limit, (row) => row.seq, filter.summary ? toSummary : toTask);
  }

  /** How many tasks are in each state. */
  async counts(): Promise<Record<TaskStatus, number>> {
    const rows = await this.board.db.query<{ status: TaskStatus; n: number }>('SELECT status, count(*) AS n FROM tasks GROUP BY status');
    const counts = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as Record<TaskStatus, number>;
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  /**
   * Waits until a task is pushed after this call began that matches the filter (status, when
   * given, is checked as the task is now), and returns it; null when the time runs out.
   */
  async watch(options: WaitOptions & { role?: string; status?: TaskStatus }, abort?: AbortSignal): Promise<Task | null> {
    const role = options.role === undefined ? null : normalizeRole(options.role);
    const status = options.status ?? null;
    const [top] = await this.board.db.query<{ s: number | null }>('SELECT max(seq) AS s FROM tasks');
    const since = top?.s ?? 0;
    const row = await waitFor(this.board.db, async () => {
      const [found] = await this.board.db.query<TaskRow>(
        `SELECT * FROM tasks WHERE seq > ? AND (CAST(? AS TEXT) IS NULL OR role = ?) AND (CAST(? AS TEXT) IS NULL OR status = ?) ORDER BY seq LIMIT 1`,
        [since, role, role, status, status],
      );
      return found ?? null;
    }, options, abort);
    return row ? toTask(row) : null;
  }

  /**
   * Applies one move of the state machine. When the actor is known and the task is held by
   * another agent, moves that belong to the holder are refused.
   */
  private async move(taskId: string, move: TaskMove, actor: string | null, fields: { result?: string | null; reason?: string | null }): Promise<Task> {
    const now = this.board.now();
    const actorId = actor === null ? null : (await this.board.agents.resolve(actor)).id;
    return this.board.db.transaction(async (tx) => {
      const row = await this.row(tx, taskId);
      const holderMove = move === 'start' || move === 'complete' || move === 'block' || move === 'fail';
      if (holderMove && actorId !== null && row.claimed_by !== null && row.claimed_by !== actorId && (row.status === 'claimed' || row.status === 'in_progress')) {
        throw new OrchestratorError('conflict', `task ${row.id} is held by agent ${row.claimed_by}, not by you; only its holder may ${move} it`);
      }
      const next = transition(row, move, `task ${row.id}`);
      const finished = next.status === 'completed' || next.status === 'failed' || next.status === 'cancelled';
      const [updated] = await tx.query<TaskRow>(
        `UPDATE tasks SET status = ?, retry_count = ?, result = ?, reason = ?, started_at = ?, finished_at = ?, updated_at = ?
         WHERE id = ? AND status = ? RETURNING *`,
        [next.status, next.retry_count,
          'result' in fields ? fields.result ?? null : row.result,
          'reason' in fields ? fields.reason ?? null : row.reason,
          next.status === 'in_progress' ? now : row.started_at,
          finished ? now : null,
          now, row.id, row.status],
      );
      if (!updated) throw new OrchestratorError('conflict', `task ${row.id} changed while you moved it; get it again and retry`, { retryable: true });
      await appendEvent(tx, { type: `task.${pastTense(move)}`, subject: row.id, actor: actorId, data: { from: row.status, to: next.status, ...fields } }, now);
      return toTask(updated);
    });
  }

  private async row(db: Queryable, taskId: string): Promise<TaskRow> {
    const id = requireText('task_id', taskId, 200).trim();
    const [row] = await db.query<TaskRow>('SELECT * FROM tasks WHERE id = ?', [id]);
    if (!row) throw new OrchestratorError('not_found', `no task '${excerpt(id)}' on this board; 'orchestrate task list' shows the tasks`);
    return row;
  }

  /** Says why a named task cannot be claimed (only unclaimable-by-state is an error). */
  private async explainUnclaimable(tx: Queryable, taskId: string): Promise<void> {
    const row = await this.row(tx, taskId);
    if (row.status !== 'pending') transition(row, 'claim', `task ${row.id}`);
  }

  private validate(input: PushTaskInput, now: number): NewTask {
    if (input === null || typeof input !== 'object') throw new OrchestratorError('invalid_input', 'a task must be an object with at least a title');
    const id = input.id === undefined ? newId('task', now) : trimSpace(requireText('id', input.id, 100));
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) {
      throw new OrchestratorError('invalid_input', `task id '${id}' may hold only letters, digits, '.', '_' and '-'`);
    }
    const dependsOn = textList('depends_on', input.depends_on);
    if (dependsOn.includes(id)) throw new OrchestratorError('cycle', `task '${id}' cannot depend on itself`);
    return {
      id,
      title: trimSpace(requireText('title', input.title, 500)),
      description: optionalText('description', input.description) ?? '',
      priority: input.priority === undefined ? DEFAULT_PRIORITY : integerInRange('priority', input.priority, 0, 3),
      role: input.role === undefined || input.role === null ? null : normalizeRole(input.role),
      assignee: (input.assignee === undefined || input.assignee === null ? null : trimSpace(optionalText('assignee', input.assignee, 200)!) || null),
      depends_on: dependsOn,
      max_retries: input.max_retries === undefined ? this.board.settings.maxRetries : integerInRange('max_retries', input.max_retries, 0, MAX_RETRIES_LIMIT),
      labels: textList('labels', input.labels),
      metadata: jsonObject('metadata', input.metadata),
      run_id: optionalText('run_id', input.run_id, 200),
      link: optionalText('link', input.link, 2000)?.trim() || null,
      chain_id: optionalText('chain_id', input.chain_id, 200)?.trim() || null,
    };
  }
}

/** A cycle can only form inside one batch: tasks on the board never depend on new ids. */
function refuseCycles(tasks: { id: string; depends_on: string[] }[]): void {
  const edges = new Map(tasks.map((task) => [task.id, task.depends_on]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): void => {
    if (state.get(id) === 'done' || !edges.has(id)) return;
    if (state.get(id) === 'visiting') {
      const loop = [...path.slice(path.indexOf(id)), id];
      throw new OrchestratorError('cycle', `dependency cycle ${loop.join(' → ')}; remove one of these dependencies`);
    }
    state.set(id, 'visiting');
    path.push(id);
    for (const next of edges.get(id)!) visit(next);
    path.pop();
    state.set(id, 'done');
  };
  for (const task of tasks) visit(task.id);
}

function parseStatuses(status: TaskFilter['status']): TaskStatus[] {
  if (status === undefined) return [];
  const list = Array.isArray(status) ? status : [status];
  for (const value of list) {
    if (!isTaskStatus(value)) throw new OrchestratorError('invalid_input', `status '${value}' is unknown; use one of ${TASK_STATUSES.join(', ')}`);
  }
  return list;
}

function pastTense(move: TaskMove): string {
  const forms: Record<TaskMove, string> = {
    claim: 'claimed', start: 'started', complete: 'completed', block: 'blocked', unblock: 'unblocked',
    fail: 'failed', retry: 'retried', cancel: 'cancelled', release: 'released',
  };
  return forms[move];
}

/** `?, ?, ?` for a list of values (the values themselves are always bound, never inlined). */
export function marks(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function toSummary(row: TaskRow): TaskSummary {
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    priority: row.priority,
    role: row.role,
    assignee: row.assignee,
    claimed_by: row.claimed_by,
    depends_on: parseJson(row.depends_on, []) as string[],
    retry_count: row.retry_count,
    max_retries: row.max_retries,
    run_id: row.run_id,
    updated_at: iso(row.updated_at),
  };
}

function toTask(row: TaskRow): Task {
  return {
    ...toSummary(row),
    description: row.description,
    labels: parseJson(row.labels, []) as string[],
    metadata: parseJson(row.metadata, {}) as Record<string, unknown>,
    link: row.link ?? null,
    chain_id: row.chain_id ?? null,
    result: row.result,
    reason: row.reason,
    created_by: row.created_by,
    created_at: iso(row.created_at),
    claimed_at: iso(row.claimed_at),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}
