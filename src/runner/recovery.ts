import type { Board } from '../board/board.js';
import { WORKER_PREFIX } from './dispatcher.js';
import { identityAlive, isSameProcess, stopGroup } from './os-process.js';

/**
 * Startup recovery: processes recorded as queued or running on this machine whose supervisor
 * (the orchestrator process that started them) is gone have nobody watching them. Each gets a
 * settled outcome: one still alive — the same pid with the same start time — is stopped first;
 * a dead one is recorded as killed. Processes of a supervisor that still runs (another
 * orchestrator on this machine) are left alone. Nothing orphaned stays `running`, and the task
 * such a process worked on goes back to the queue.
 */
/** The task of a settled process goes back to the queue: its worker (registered by the runner) is let go. */
async function requeue(board: Board, taskId: string): Promise<void> {
  const task = await board.tasks.get(taskId).catch(() => null);
  if (!task?.claimed_by || (task.status !== 'claimed' && task.status !== 'in_progress')) return;
  const holder = await board.agents.get(task.claimed_by).catch(() => null);
  if (holder?.name.startsWith(WORKER_PREFIX)) await board.agents.unregister(holder.id);
}

export async function recoverProcesses(board: Board, host: string, graceMs = 2000): Promise<{ stopped: string[]; settled: string[] }> {
  const stopped: string[] = [];
  const settled: string[] = [];
  for (const state of ['running', 'queued'] as const) {
    let cursor: string | undefined;
    do {
      const page = await board.processes.list({ state, host, limit: 200, cursor });
      for (const record of page.items) {
        if (identityAlive(record.supervisor)) continue;
        let message = state === 'queued' ? 'never started: the orchestrator stopped first' : 'the orchestrator stopped while it ran';
        if (state === 'running' && record.pid !== null && isSameProcess(record.pid, record.pid_start)) {
          await stopGroup(record.pid, graceMs);
          stopped.push(record.id);
          message = 'orphaned when the orchestrator stopped; stopped at recovery';
        }
        await board.processes.exited(record.id, { outcome: 'killed', message, reset_at: null, session_id: record.session_id, usage: null, cost_usd: null });
        if (record.task_id) await requeue(board, record.task_id);
        settled.push(record.id);
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }
  return { stopped, settled };
}
