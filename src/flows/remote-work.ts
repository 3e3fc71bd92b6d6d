import type { Board } from '../board/board.js';
import type { DispatchSpec } from '../board/processes.js';
import type { WorkOrder, WorkOrderResult } from '../board/work-orders.js';
import { OrchestratorError } from '../core/errors.js';
import type { Repo } from '../engine/git.js';
import type { AgentRunResult, AgentRuns, DispatchExtras } from '../runner/dispatcher.js';
import type { Outcome } from '../runner/events.js';

/** Local slots: this process takes up to `slots` of the run's own orders and runs them in place. */
export interface LocalSlots {
  runs: AgentRuns;
  slots: number;
  host: string;
}

export interface RemoteWorkOptions {
  board: Board;
  repo: Repo;
  remote: string;
  /** Workers in this process too (`--local-workers N` with `--remote`); none: every order is for other hosts. */
  local?: LocalSlots;
  onProgress?: (line: string) => void;
}

/**
 * A run's agents as work orders: each attempt becomes an order on the board that a worker takes —
 * `orchestrate worker` on any host, or one of this process's own local slots. Before the order,
 * the attempt's worktree is pushed to the run's git remote (its task branch, at the commit the
 * attempt starts from). A worker elsewhere runs the agent in a worktree of that branch and pushes
 * its commit; the engine fetches the commit it names and puts the worktree there. A local slot
 * claims the order like any worker and runs the agent in the worktree itself (nothing to fetch).
 * From then on the engine goes on as with any agent: it re-runs the gates itself and merges
 * through its merge queue. It trusts no worker's word: only the commit comes back.
 *
 * While it waits it sleeps on the board's change signal (a settle anywhere wakes it; so does a
 * local slot coming free), and wakes at the next lease end it knows of: a worker that died or was
 * cut off loses its order then, which goes back to the queue.
 */
export class RemoteWork implements AgentRuns {
  readonly remote: string;
  private busy = 0;
  private localAgent: Promise<{ id: string; release: () => void }> | null = null;

  constructor(private readonly options: RemoteWorkOptions) {
    this.remote = options.remote;
  }

  async run(spec: DispatchSpec, createdBy: string | null, extras: DispatchExtras = {}): Promise<AgentRunResult> {
    const { board, repo, remote } = this.options;
    const tree = spec.cwd;
    const branch = extras.workBranch ?? (await repo.currentBranch(tree));
    if (!branch) throw new OrchestratorError('internal', `the worktree ${tree} is on no branch: a work order needs one to push`);
    const task = extras.taskId ? await board.tasks.get(extras.taskId).catch(() => null) : null;
    const label = `[${task?.title ?? extras.taskId ?? 'agent'}]`;
    // A run that restarted (kill -9, resume) takes up the order it had put for this task — queued,
    // held by a worker, or settled while it was down: the work is not done twice.
    const adopted = extras.taskId ? await board.workOrders.openFor(extras.taskId) : null;
    let order: WorkOrder;
    let began: number | undefined;
    if (adopted && adopted.branch === branch) {
      order = adopted;
      began = await this.queuedAt(order);
      this.options.onProgress?.(`${label} takes up work order ${order.id} (${order.state}${order.host ? ` on ${order.host}` : ''})`);
    } else {
      const base = await repo.head(tree);
      await repo.git(['push', '--quiet', '--force', remote, `HEAD:refs/heads/${branch}`], tree);
      const { cwd: _cwd, ...rest } = spec;
      order = await board.workOrders.put({ run_id: task?.run_id ?? null, task_id: extras.taskId ?? null, spec: rest, remote, branch, base }, createdBy);
      this.options.onProgress?.(`${label} work order ${order.id} for a ${spec.agent} worker${this.options.local ? ' here or' : ''} on any host`);
    }
    const settled = await this.settled(order, spec, createdBy, extras);
    if (!settled || settled.state !== 'settled' || !settled.result) {
      await board.workOrders.cancel(order.id);
      return { outcome: outcome('killed', 'stopped before a worker finished it'), processIds: [] };
    }
    await board.workOrders.use(settled.id);
    const result = settled.result;
    const processIds = result.process_id ? [result.process_id] : [];
    const here = extras.workBranch ? await repo.git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], tree, { allowFailure: true }).then((r) => r.stdout.trim()) : await repo.head(tree);
    if (result.head && result.head !== here) {
      // The commit the worker named, fetched with its branch: a later push to the branch (a host
      // that lost the order and came back) changes nothing here.
      const fetched = result.head === settled.base ? { code: 0 } : await repo.git(['fetch', '--quiet', remote, `+refs/heads/${branch}:refs/orchestrate/work/${order.id}`], tree, { allowFailure: true });
      const present = await repo.git(['cat-file', '-e', `${result.head}^{commit}`], tree, { allowFailure: true });
      if (fetched.code !== 0 || present.code !== 0) {
        return { outcome: outcome('failed', `the worker on ${settled.host ?? '?'} said it pushed ${result.head.slice(0, 10)} to ${branch}, and that commit is not on ${remote}`), processIds, began };
      }
      if (extras.workBranch) {
        await repo.git(['update-ref', `refs/heads/${branch}`, result.head], tree);
        this.options.onProgress?.(`${label} its changes are on the branch ${branch} (${result.head.slice(0, 10)})`);
      } else await repo.git(['reset', '--quiet', '--hard', result.head], tree);
      await repo.git(['update-ref', '-d', `refs/orchestrate/work/${order.id}`], tree, { allowFailure: true });
    }
    return { outcome: result.outcome as Outcome, processIds, began };
  }

  /** The event log's id when the order was put (its `work_order.queued`). */
  private async queuedAt(order: WorkOrder): Promise<number | undefined> {
    const queued = await this.options.board.events.list({ subject: order.task_id ?? order.id, type: 'work_order.queued', limit: 1000 });
    const event = queued.items.find((e) => (e.data as { id?: string }).id === order.id);
    return event ? event.id : undefined;
  }

  async close(): Promise<void> {
    await this.options.local?.runs.close();
    const agent = await this.localAgent?.catch(() => null);
    if (!agent) return;
    agent.release();
    await this.options.board.agents.unregister(agent.id).catch(() => undefined);
  }

  /** The order once settled or cancelled (by a worker elsewhere, or a local slot here); null when the run stops first. */
  private async settled(order: WorkOrder, spec: DispatchSpec, createdBy: string | null, extras: DispatchExtras): Promise<WorkOrder | null> {
    const { board } = this.options;
    for (;;) {
      const changes = await board.db.changes();
      const seen = changes.current();
      await board.workOrders.requeueLost();
      const now = await board.workOrders.get(order.id);
      if (now.state === 'settled' || now.state === 'cancelled' || now.state === 'used') return now;
      if (extras.signal?.aborted) return null;
      if (now.state === 'queued' && this.options.local && this.busy < this.options.local.slots) {
        const here = await this.runHere(now, spec, createdBy, extras);
        if (here) return here;
      }
      // At least 100 ms: a lapsed lease this process spares (an outage) has no end to wait for.
      await changes.next(seen, Math.max(100, board.untilNextLeaseEnd(60_000)), extras.signal);
    }
  }

  /** A local slot takes the order (unless a worker elsewhere was quicker) and runs it in the worktree itself. */
  private async runHere(order: WorkOrder, spec: DispatchSpec, createdBy: string | null, extras: DispatchExtras): Promise<WorkOrder | null> {
    const { board, repo } = this.options;
    const local = this.options.local!;
    const agent = await this.agent();
    this.busy++;
    try {
      const claimed = await board.workOrders.claim(agent.id, { clis: [order.cli], id: order.id }, local.host);
      if (!claimed) return null;
      this.options.onProgress?.(`[${extras.taskId ?? order.id}] work order ${order.id} runs here (${local.host})`);
      if (!extras.workBranch && (await repo.head(spec.cwd)) !== order.base) await repo.git(['reset', '--quiet', '--hard', order.base], spec.cwd);
      let result: WorkOrderResult;
      try {
        const run = await local.runs.run(spec, createdBy, extras);
        const last = run.processIds.at(-1) ?? null;
        result = { outcome: { ...run.outcome, usage: run.outcome.usage as Record<string, unknown> | null }, process_id: last, log_path: last ? (await board.processes.get(last)).log_path : null, head: null };
      } catch (error) {
        result = { outcome: { ...outcome('failed', error instanceof Error ? error.message : String(error)), usage: null }, process_id: null, log_path: null, head: null };
      }
      // What the agent left stays in the worktree, as with any agent run here: nothing to fetch.
      return await board.workOrders.settle(order.id, agent.id, claimed.claims, result);
    } finally {
      this.busy--;
    }
  }

  /** This process's worker agent for its local slots (listed by `orchestrate worker list`), alive while it runs. */
  private agent(): Promise<{ id: string; release: () => void }> {
    const { board } = this.options;
    const local = this.options.local!;
    this.localAgent ??= board.agents
      .register({ name: `local-${local.host}-${process.pid}`, role: 'generalist', kind: 'command', metadata: { worker: true, local: true, host: local.host, clis: ['claude', 'codex', 'gemini', 'command'], max: local.slots } })
      .then((agent) => ({ id: agent.id, release: board.presence.keep(agent.id) }));
    return this.localAgent;
  }
}

function outcome(kind: Outcome['kind'], message: string): Outcome {
  return { kind, message, reset_at: null, session_id: null, cost_usd: null, usage: null };
}
