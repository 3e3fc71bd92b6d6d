import { OrchestratorError } from '../core/errors.js';

/**
 * The task state machine.
 *
 *   pending ──claim──▶ claimed ──start──▶ in_progress ──complete──▶ completed
 *      ▲                  │                   │
 *      │                  ├──complete─────────┼──────────────────▶ completed
 *      │                  ├──block────────────┴──block──▶ blocked ──unblock──▶ pending
 *      │                  ├──fail─────────────┬──fail───▶ failed
 *      │                  │                   │
 *      ├──release─────────┴───────────────────┘   (the holder's lease expired)
 *      ├──retry── failed | blocked
 *      └──────── any state but completed and cancelled ──cancel──▶ cancelled
 *
 * - `pending`: waiting in the queue. Claimable once every dependency is `completed` and the
 *   claimer fits the task's role and assignee.
 * - `claimed`: an agent holds it but has not started. `in_progress`: the holder works on it.
 *   A held task belongs to its holder: only the holder (or an operator without an agent
 *   identity) may start, complete, block or fail it.
 * - `release`: the holder's lease expired. The task goes back to `pending` with one more retry
 *   counted; a task that has used all its retries becomes `failed` instead.
 * - `blocked`: the holder cannot go on (waiting for something). `unblock` puts it back in the
 *   queue as it was; `retry` does too but counts a retry.
 * - `failed`: the work failed. `retry` puts it back in the queue with one more retry counted,
 *   refused once `retry_count` has reached `max_retries`.
 * - `completed` and `cancelled` are final.
 *
 * Every update in SQL is guarded on the state the move started from; if another process moved
 * the task first, the update changes nothing and the caller gets a `conflict` error.
 */
export const TASK_STATUSES = ['pending', 'claimed', 'in_progress', 'blocked', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export type TaskMove = 'claim' | 'start' | 'complete' | 'block' | 'unblock' | 'fail' | 'retry' | 'cancel' | 'release';

const HELD: readonly TaskStatus[] = ['claimed', 'in_progress'];

export const TRANSITIONS: Record<TaskMove, { from: readonly TaskStatus[]; to: TaskStatus }> = {
  claim: { from: ['pending'], to: 'claimed' },
  start: { from: ['claimed'], to: 'in_progress' },
  complete: { from: HELD, to: 'completed' },
  block: { from: HELD, to: 'blocked' },
  unblock: { from: ['blocked'], to: 'pending' },
  fail: { from: HELD, to: 'failed' },
  retry: { from: ['failed', 'blocked'], to: 'pending' },
  cancel: { from: ['pending', 'claimed', 'in_progress', 'blocked', 'failed'], to: 'cancelled' },
  release: { from: HELD, to: 'pending' },
};

/** The moves that keep the holder; every other move clears it. */
const KEEPS_HOLDER: ReadonlySet<TaskMove> = new Set(['claim', 'start']);

export interface TaskCounters {
  status: TaskStatus;
  retry_count: number;
  max_retries: number;
}

export interface TransitionResult {
  status: TaskStatus;
  retry_count: number;
  keepsHolder: boolean;
}

export function isTaskStatus(value: string): value is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(value);
}

/** The pure transition function: where `move` takes a task, or a conflict error saying why not. */
export function transition(task: TaskCounters, move: TaskMove, taskId = 'the task'): TransitionResult {
  const rule = TRANSITIONS[move];
  if (!rule.from.includes(task.status)) {
    throw new OrchestratorError(
      'conflict',
      `${taskId} is ${task.status}; '${move}' needs a task that is ${rule.from.join(' or ')}`,
    );
  }
  const keepsHolder = KEEPS_HOLDER.has(move);
  if (move === 'retry') {
    if (task.retry_count >= task.max_retries) {
      throw new OrchestratorError(
        'conflict',
        `${taskId} has used all ${task.max_retries} retries; push a new task, or cancel it`,
      );
    }
    return { status: 'pending', retry_count: task.retry_count + 1, keepsHolder };
  }
  if (move === 'release') {
    const retries = task.retry_count + 1;
    return { status: retries > task.max_retries ? 'failed' : 'pending', retry_count: retries, keepsHolder };
  }
  return { status: rule.to, retry_count: task.retry_count, keepsHolder };
}
