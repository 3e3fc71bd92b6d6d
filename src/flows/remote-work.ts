import type { Board } from '../board/board.js';
import type { DispatchSpec } from '../board/processes.js';
import type { WorkOrder } from '../board/work-orders.js';
import { OrchestratorError } from '../core/errors.js';
import type { Repo } from '../engine/git.js';
import type { AgentRuns, DispatchExtras } from '../runner/dispatcher.js';
import type { Outcome } from '../runner/events.js';

/**
 * A run's agents on other hosts: instead of spawning the agent, each attempt becomes a work order
 * on the board that any `orchestrate worker` may take. Before it, the attempt's worktree is pushed
 * to the run's git remote (its task branch, at the commit the attempt starts from); after it, the
 * engine fetches the commit the worker pushed and puts the worktree there — and from then on the
 * engine goes on as with a local agent: it commits nothing of its own, re-runs the gates itself,
 * and merges through its merge queue. It trusts no worker's word: only the commit comes back.
 *
 * While it waits it sleeps on the board's change signal, and wakes at the next lease end it knows
 * of: a worker that died or was cut off loses its order then, which goes back to the queue.
 */
export class RemoteWork implements AgentRuns {
  readonly remote: string;

  constructor(private readonly options: { board: Board; repo: Repo; remote: string; onProgress?: (line: string) => void }) {
    this.remote = options.remote;
  }

  async run(spec: DispatchSpec, createdBy: string | null, extras: DispatchExtras = {}): Promise<{ outcome: Outcome; processIds: string[] }> {
    const { board, repo, remote } = this.options;
    const tree = spec.cwd;
    const branch = await repo.currentBranch(tree);
    if (!branch) throw new OrchestratorError('internal', `the worktree ${tree} is on no branch: a work order needs one to push`);
    const task = extras.taskId ? await board.tasks.get(extras.taskId).catch(() => null) : null;
    // A run that restarted (kill -9, resume) takes up the order a worker still holds for this task: its work is not done twice.
    const adopted = extras.taskId ? await board.workOrders.openFor(extras.taskId) : null;
    let order: WorkOrder;
    let base: string;
    if (adopted && adopted.branch === branch) {
      order = adopted;
      base = adopted.base;
      this.options.onProgress?.(`[${task?.title ?? order.id}] takes up work order ${order.id} (${order.state}${order.host ? ` on ${order.host}` : ''})`);
    } else {
      base = await repo.head(tree);
      await repo.git(['push', '--quiet', '--force', remote, `HEAD:refs/heads/${branch}`], tree);
      const { cwd: _cwd, ...rest } = spec;
      order = await board.workOrders.put({ run_id: task?.run_id ?? null, task_id: extras.taskId ?? null, spec: rest, remote, branch, base }, createdBy);
      this.options.onProgress?.(`[${task?.title ?? order.id}] work order ${order.id} for a ${spec.agent} worker on any host`);
    }
    const settled = await this.settled(order, extras.signal);
    if (!settled || settled.state !== 'settled' || !settled.result) {
      await board.workOrders.cancel(order.id);
      return { outcome: outcome('killed', 'stopped before a worker finished it'), processIds: [] };
    }
    const result = settled.result;
    if (result.head && result.head !== (await repo.head(tree))) {
      // The commit the worker named, fetched with its branch: a later push to the branch (a host
      // that lost the order and came back) changes nothing here.
      const fetched = result.head === base ? { code: 0 } : await repo.git(['fetch', '--quiet', remote, `+refs/heads/${branch}:refs/orchestrate/work/${order.id}`], tree, { allowFailure: true });
      const present = await repo.git(['cat-file', '-e', `${result.head}^{commit}`], tree, { allowFailure: true });
      if (fetched.code !== 0 || present.code !== 0) {
        return { outcome: outcome('failed', `the worker on ${settled.host ?? '?'} said it pushed ${result.head.slice(0, 10)} to ${branch}, and that commit is not on ${remote}`), processIds: result.process_id ? [result.process_id] : [] };
      }
      await repo.git(['reset', '--quiet', '--hard', result.head], tree);
      await repo.git(['update-ref', '-d', `refs/orchestrate/work/${order.id}`], tree, { allowFailure: true });
    }
    return { outcome: result.outcome as Outcome, processIds: result.process_id ? [result.process_id] : [] };
  }

  /** The order once settled or cancelled; null when the run stops first. */
  private async settled(order: WorkOrder, signal?: AbortSignal): Promise<WorkOrder | null> {
    const { board } = this.options;
    for (;;) {
      const changes = await board.db.changes();
      const seen = changes.current();
      await board.workOrders.requeueLost();
      const now = await board.workOrders.get(order.id);
      if (now.state === 'settled' || now.state === 'cancelled') return now;
      if (signal?.aborted) return null;
      // At least 100 ms: a lapsed lease this process spares (an outage) has no end to wait for.
      await changes.next(seen, Math.max(100, board.untilNextLeaseEnd(60_000)), signal);
    }
  }
}

function outcome(kind: Outcome['kind'], message: string): Outcome {
  return { kind, message, reset_at: null, session_id: null, cost_usd: null, usage: null };
}
