import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { parseJson } from './input.js';
import { ANY_ROLE } from './roles.js';
import { marks } from './tasks.js';
import type { DispatchSpec } from './processes.js';
import type { Queryable } from '../store/open.js';

/**
 * Work orders: an attempt at a task that any worker on any host may take (`orchestrate worker`).
 * The engine puts one on the board for each attempt of a run that has remote workers, with the
 * agent to run (the dispatch spec without its folder), the git remote and the task branch the
 * engine pushed there; a worker claims it (one statement: SKIP LOCKED on PostgreSQL), runs the
 * agent in a worktree of that branch, pushes its commits and settles the order with the outcome
 * and the commit it pushed. The engine then fetches that commit and checks it itself.
 *
 * A worker holds an order while its agent is online — the worker process keeps the lease
 * (presence). When a host dies or is cut off, its lease runs out, the sweep takes the agent
 * offline, and its orders go back to the queue; each claim counts up `claims`, and a settle must
 * name the claim it answers, so a late answer from a host that lost the order is refused.
 */
export type WorkOrderState = 'queued' | 'claimed' | 'settled' | 'used' | 'cancelled';

export interface WorkOrderResult {
  outcome: { kind: string; message: string; reset_at: string | null; session_id: string | null; cost_usd: number | null; usage: Record<string, unknown> | null };
  process_id: string | null;
  log_path: string | null;
  /** The commit the worker pushed to the branch (null: nothing pushed). */
  head: string | null;
  /** The end of the agent's log (its JSON lines), for `orchestrate logs` on hosts that do not have the file. */
  log_tail?: string | null;
}

/** Which orders a worker takes: its CLIs, and (`--roles`) its roles; one order by id (a run's own local slot). */
export interface ClaimFilter {
  clis: string[];
  roles?: string[] | null;
  id?: string;
}

export interface WorkOrder {
  id: string;
  run_id: string | null;
  task_id: string | null;
  cli: DispatchSpec['agent'];
  role: string | null;
  spec: Omit<DispatchSpec, 'cwd'>;
  remote: string;
  branch: string;
  base: string;
  state: WorkOrderState;
  worker: string | null;
  host: string | null;
  claims: number;
  result: WorkOrderResult | null;
  created_at: number;
  claimed_at: number | null;
  settled_at: number | null;
}

interface WorkOrderRow extends Omit<WorkOrder, 'spec' | 'result' | 'claims' | 'created_at' | 'claimed_at' | 'settled_at'> {
  seq: number;
  spec: string;
  result: string | null;
  claims: number | string;
  created_at: number | string;
  claimed_at: number | string | null;
  settled_at: number | string | null;
}

export interface NewWorkOrder {
  run_id: string | null;
  task_id: string | null;
  spec: Omit<DispatchSpec, 'cwd'>;
  remote: string;
  branch: string;
  base: string;
}

/**
 * The WHERE clause (and its parameters) of the orders a filter takes. Roles as on the board: a
 * generalist (or leader) takes any order; other roles take their own and the orders without one.
 */
function taken(filter: ClaimFilter): { where: string; params: string[] } {
  const roles = filter.roles?.length && !filter.roles.some((role) => ANY_ROLE.has(role)) ? filter.roles : [];
  const byRole = roles.length ? ` AND (role IS NULL OR role IN (${marks(roles)}))` : '';
  const id = filter.id ? ' AND id = ?' : '';
  return { where: `state = 'queued' AND cli IN (${marks(filter.clis)})${byRole}${id}`, params: [...filter.clis, ...roles, ...(filter.id ? [filter.id] : [])] };
}

export class WorkOrders {
  constructor(private readonly board: BoardContext) {}

  async put(input: NewWorkOrder, actor: string | null = null): Promise<WorkOrder> {
    const now = this.board.now();
    const id = newId('wo', now);
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<WorkOrderRow>(
        `INSERT INTO work_orders (id, run_id, task_id, cli, role, spec, remote, branch, base, state, claims, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?) RETURNING *`,
        [id, input.run_id, input.task_id, input.spec.agent, input.spec.role ?? null, JSON.stringify(input.spec), input.remote, input.branch, input.base, now],
      );
      await appendEvent(tx, { type: 'work_order.queued', subject: input.task_id ?? id, actor, data: { id, cli: input.spec.agent, branch: input.branch } }, now);
      return toOrder(row!);
    });
  }

  /** The oldest queued order this worker can run (one of its CLIs, its roles), claimed; null when there is none. */
  async claim(workerRef: string, filter: ClaimFilter, host: string): Promise<WorkOrder | null> {
    if (filter.clis.length === 0) return null;
    await this.requeueLost();
    const { where, params } = taken(filter);
    // A read first: an idle worker writes nothing (its own writes would wake it again).
    const [waiting] = await this.board.db.query<{ id: string }>(`SELECT id FROM work_orders WHERE ${where} LIMIT 1`, params);
    if (!waiting) return null;
    const worker = await this.board.agents.resolve(workerRef);
    const now = this.board.now();
    const skipLocked = this.board.db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<WorkOrderRow>(
        `UPDATE work_orders SET state = 'claimed', worker = ?, host = ?, claims = claims + 1, claimed_at = ?
         WHERE id = (SELECT id FROM work_orders WHERE ${where} ORDER BY seq LIMIT 1${skipLocked}) RETURNING *`,
        [worker.id, host, now, ...params],
      );
      if (!row) return null;
      await appendEvent(tx, { type: 'work_order.claimed', subject: row.task_id ?? row.id, actor: worker.id, data: { id: row.id, host, claim: Number(row.claims) } }, now);
      return toOrder(row);
    });
  }

  /**
   * Records what the worker's attempt came to. Refused (conflict) when the order is no longer this
   * worker's claim: it went back to the queue (the host was cut off) or the run cancelled it.
   */
  async settle(id: string, workerRef: string, claim: number, result: WorkOrderResult): Promise<WorkOrder> {
    const worker = await this.board.agents.resolve(workerRef);
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<WorkOrderRow>(
        `UPDATE work_orders SET state = 'settled', result = ?, settled_at = ? WHERE id = ? AND state = 'claimed' AND worker = ? AND claims = ? RETURNING *`,
        [JSON.stringify(result), now, id, worker.id, claim],
      );
      if (!row) {
        const current = await this.get(id, tx);
        throw new OrchestratorError('conflict', `work order ${id} is no longer yours (it is ${current.state}${current.worker && current.worker !== worker.id ? `, held by ${current.worker}` : ''}): your result is not used`);
      }
      await appendEvent(tx, { type: 'work_order.settled', subject: row.task_id ?? row.id, actor: worker.id, data: { id, outcome: result.outcome.kind, head: result.head } }, now);
      return toOrder(row);
    });
  }

  /** The run no longer wants it (stopped, paused): a worker that holds it stops. */
  async cancel(id: string): Promise<void> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      const changed = await tx.exec(`UPDATE work_orders SET state = 'cancelled', settled_at = ? WHERE id = ? AND state IN ('queued', 'claimed')`, [now, id]);
      if (changed > 0) await appendEvent(tx, { type: 'work_order.cancelled', subject: id }, now);
    });
  }

  /** Orders held by a worker whose lease ran out go back to the queue (the sweep took it offline). */
  async requeueLost(): Promise<number> {
    await this.board.sweep();
    const [lost] = await this.board.db.query<{ id: string }>(
      `SELECT o.id FROM work_orders o JOIN agents a ON a.id = o.worker WHERE o.state = 'claimed' AND a.status <> 'online' LIMIT 1`, []);
    if (!lost) return 0; // read only: nothing written, nobody woken
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const lost = await tx.query<{ id: string; task_id: string | null; worker: string }>(
        `UPDATE work_orders SET state = 'queued', worker = NULL, host = NULL
         WHERE state = 'claimed' AND worker IN (SELECT id FROM agents WHERE status <> 'online') RETURNING id, task_id, worker`, []);
      for (const order of lost) await appendEvent(tx, { type: 'work_order.requeued', subject: order.task_id ?? order.id, data: { id: order.id, lost_by: order.worker } }, now);
      return lost.length;
    });
  }

  /**
   * The task's order whose result the run has not used yet — queued, claimed, or settled while the
   * run was down — or null: a run that restarted takes it up instead of ordering the work again.
   */
  async openFor(taskId: string): Promise<WorkOrder | null> {
    const [row] = await this.board.db.query<WorkOrderRow>(`SELECT * FROM work_orders WHERE task_id = ? AND state IN ('queued', 'claimed', 'settled') ORDER BY seq DESC LIMIT 1`, [taskId]);
    return row ? toOrder(row) : null;
  }

  /** The run has taken the settled order's result (once: a restarted run does not take it again). */
  async use(id: string): Promise<void> {
    await this.board.db.exec(`UPDATE work_orders SET state = 'used' WHERE id = ? AND state = 'settled'`, [id]);
  }

  /** The settled order whose agent process was `processId` (its log's end, for a host without the file), or null. */
  async ofProcess(processId: string): Promise<WorkOrder | null> {
    const [row] = await this.board.db.query<WorkOrderRow>(`SELECT * FROM work_orders WHERE state IN ('settled', 'used') AND result LIKE ? ORDER BY seq DESC LIMIT 1`, [`%"process_id":${JSON.stringify(processId)}%`]);
    return row ? toOrder(row) : null;
  }

  async get(id: string, db: Queryable = this.board.db): Promise<WorkOrder> {
    const [row] = await db.query<WorkOrderRow>('SELECT * FROM work_orders WHERE id = ?', [id]);
    if (!row) throw new OrchestratorError('not_found', `no work order '${excerpt(id)}' on this board`);
    return toOrder(row);
  }

  /** The newest orders, newest first (`orchestrate worker list` and the views). */
  async recent(limit = 100): Promise<WorkOrder[]> {
    return (await this.board.db.query<WorkOrderRow>('SELECT * FROM work_orders ORDER BY seq DESC LIMIT ?', [limit])).map(toOrder);
  }
}

function toOrder(row: WorkOrderRow): WorkOrder {
  return {
    id: row.id,
    run_id: row.run_id,
    task_id: row.task_id,
    cli: row.cli,
    role: row.role,
    spec: parseJson(row.spec, {}) as Omit<DispatchSpec, 'cwd'>,
    remote: row.remote,
    branch: row.branch,
    base: row.base,
    state: row.state,
    worker: row.worker,
    host: row.host,
    claims: Number(row.claims),
    result: parseJson(row.result, null) as WorkOrderResult | null,
    created_at: Number(row.created_at),
    claimed_at: row.claimed_at === null ? null : Number(row.claimed_at),
    settled_at: row.settled_at === null ? null : Number(row.settled_at),
  };
}
