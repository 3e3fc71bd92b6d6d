import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Board } from '../board/board.js';
import type { WorkOrder, WorkOrderResult } from '../board/work-orders.js';
import { Repo } from '../engine/git.js';
import { runCommand } from '../runner/exec.js';
import { lastLines } from '../runner/process-view.js';
import type { Dispatcher } from '../runner/dispatcher.js';

/**
 * `orchestrate worker`: takes work orders from the board — any run's, on any host — up to `max`
 * at once, for the CLIs this host has. For each: the run's repository from its git remote into a
 * local cache (`workDir`), a worktree at the commit the engine pushed, the agent run there by this
 * host's supervisor (the same adapters as a local run), what it left committed, the branch
 * pushed back (only if nobody moved it meanwhile), and the order settled with the outcome and the
 * commit. The log stays on this host; the board has its process row and summary.
 *
 * It holds its orders while it lives: its agent's lease is renewed by this process (presence),
 * and runs out if the host dies or is cut off; the orders then go back to the queue, and a settle
 * that comes late is refused. It sleeps on the board's change signal between orders.
 */
export interface WorkerDeps {
  board: Board;
  dispatcher: Dispatcher;
  env: Record<string, string | undefined>;
  /** This worker's agent on the board (kept alive by this process). */
  agentId: string;
  host: string;
  clis: string[];
  /** Only orders for these roles (`--roles`); null: any. */
  roles: string[] | null;
  max: number;
  workDir: string;
  onProgress?: (line: string) => void;
  signal: AbortSignal;
}

export async function runWorker(deps: WorkerDeps): Promise<{ done: number }> {
  const { board, signal } = deps;
  const running = new Map<string, { order: WorkOrder; stop: AbortController; ended: Promise<void> }>();
  let done = 0;
  while (!signal.aborted) {
    await new Promise((resolve) => setImmediate(resolve)); // the event loop's turn (SQLite reads are synchronous)
    const changes = await board.db.changes();
    const seen = changes.current();
    // A run that stopped cancels its orders: their agents stop here.
    for (const job of running.values()) {
      const now = await board.workOrders.get(job.order.id).catch(() => null);
      if (now && now.state !== 'claimed') job.stop.abort();
    }
    if (running.size < deps.max) {
      const order = await board.workOrders.claim(deps.agentId, { clis: deps.clis, roles: deps.roles }, deps.host).catch((error: Error) => {
        deps.onProgress?.(`cannot claim now: ${error.message}`);
        return null;
      });
      if (order) {
        const stop = new AbortController();
        const ended = execute(deps, order, stop.signal).then(() => {
          done++;
          running.delete(order.id);
        });
        running.set(order.id, { order, stop, ended });
        continue;
      }
    }
    // At least 100 ms: a lapsed lease this process spares (an outage) has no end to wait for.
    await Promise.race([changes.next(seen, Math.max(100, board.untilNextLeaseEnd(60_000)), signal), ...[...running.values()].map((job) => job.ended)]);
  }
  for (const job of running.values()) job.stop.abort();
  await Promise.allSettled([...running.values()].map((job) => job.ended));
  return { done };
}

async function execute(deps: WorkerDeps, order: WorkOrder, stop: AbortSignal): Promise<void> {
  const say = (line: string) => deps.onProgress?.(`[${order.id}${order.task_id ? ` ${order.task_id}` : ''}] ${line}`);
  say(`claimed: ${order.cli} on ${order.branch}`);
  const tree = join(deps.workDir, 'trees', order.id);
  let repo: Repo | null = null;
  let result: WorkOrderResult;
  try {
    repo = await cache(deps, order);
    await repo.git(['worktree', 'add', '--quiet', '--force', '--detach', tree, order.base]);
    const run = await deps.dispatcher.run({ ...order.spec, cwd: tree } as never, deps.agentId, { taskId: order.task_id, signal: stop });
    const record = run.processIds.length > 0 ? await deps.board.processes.get(run.processIds.at(-1)!) : null;
    await repo.commitAll(tree, `${order.task_id ?? order.id}: the work of ${deps.host}\n\nCommitted by claude-orchestrator's worker: the agent left these changes uncommitted.`);
    const head = (await repo.git(['rev-parse', 'HEAD'], tree)).stdout.trim();
    if (head !== order.base) {
      // Only over the commit the engine pushed: a branch someone else moved is not overwritten.
      await repo.git(['push', '--quiet', `--force-with-lease=refs/heads/${order.branch}:${order.base}`, order.remote, `HEAD:refs/heads/${order.branch}`], tree);
    }
    result = { outcome: { ...run.outcome, usage: run.outcome.usage as Record<string, unknown> | null }, process_id: record?.id ?? null, log_path: record?.log_path ?? null, head, log_tail: record?.log_path ? tail(record.log_path) : null };
    say(`${run.outcome.kind}${head !== order.base ? `, pushed ${head.slice(0, 10)}` : ', nothing to push'}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result = { outcome: { kind: 'failed', message: `on ${deps.host}: ${message}`, reset_at: null, session_id: null, cost_usd: null, usage: null }, process_id: null, log_path: null, head: null };
    say(`failed: ${message.split('\n')[0]}`);
  } finally {
    if (repo) await repo.removeWorktree(tree).catch(() => undefined);
  }
  try {
    await deps.board.workOrders.settle(order.id, deps.agentId, order.claims, result);
  } catch (error) {
    say(`not settled: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The end of a log, at most 64 KB of whole lines (the board keeps it for hosts without the file); null when it cannot be read. */
function tail(file: string): string | null {
  try {
    return lastLines(file, 64 * 1024).text;
  } catch {
    return null;
  }
}

/** Clones and fetches into one cache, one at a time (git locks its refs while it fetches). */
const caching = new Map<string, Promise<unknown>>();

/** This host's copy of the order's repository (one per remote), with the order's branch fetched. */
async function cache(deps: WorkerDeps, order: WorkOrder): Promise<Repo> {
  const dir = join(deps.workDir, 'repos', Buffer.from(order.remote).toString('base64url').slice(0, 80));
  const before = caching.get(dir) ?? Promise.resolve();
  const next = before.catch(() => undefined).then(() => fetchInto(deps, order, dir));
  caching.set(dir, next);
  return next;
}

async function fetchInto(deps: WorkerDeps, order: WorkOrder, dir: string): Promise<Repo> {
  if (!existsSync(join(dir, '.git'))) {
    mkdirSync(dir, { recursive: true });
    const cloned = await runCommand('git', ['clone', '--quiet', '--no-checkout', order.remote, dir], { cwd: deps.workDir, env: { ...deps.env, GIT_TERMINAL_PROMPT: '0' }, timeoutMs: 300_000 });
    if (cloned.code !== 0) throw new Error(`git clone ${order.remote} failed: ${(cloned.stderr || cloned.stdout).trim().split('\n').slice(-2).join(' / ')}`);
  }
  const repo = await Repo.open(dir, deps.env);
  await repo.git(['fetch', '--quiet', '--force', order.remote, `+refs/heads/${order.branch}:refs/remotes/work/${order.branch}`]);
  return repo;
}
