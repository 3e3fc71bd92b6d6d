import { OrchestratorError } from '../core/errors.js';

/**
 * The scheduler of a plan's DAG: pure code, no clock and no I/O. Given what is done, running and
 * failed, `next()` names the tasks to start now:
 *
 * - a task is ready when every task it depends on is done;
 * - ready tasks go longest-remaining-path first (the critical path: the task's own estimate plus
 *   the longest chain of estimates after it), then in plan order;
 * - never more than `concurrency` at once;
 * - never two at once that expect to touch the same file (a path, or a folder and a path in it).
 *
 * A failed task blocks everything that depends on it, directly or not; the plan is finished when
 * nothing runs and nothing more can start.
 */
export interface ScheduledTask {
  id: string;
  depends_on: string[];
  files: string[];
  /** Relative size, for the critical path (default 1). */
  estimate?: number;
}

export interface ScheduleState {
  done: ReadonlySet<string>;
  running: ReadonlySet<string>;
  failed: ReadonlySet<string>;
}

export class Schedule {
  private readonly byId = new Map<string, ScheduledTask>();
  private readonly dependants = new Map<string, string[]>();
  private readonly order = new Map<string, number>();
  /** The longest path of estimates from each task to the end of the plan, the task included. */
  readonly rank = new Map<string, number>();

  constructor(readonly tasks: ScheduledTask[], readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new OrchestratorError('invalid_input', `concurrency must be a whole number of 1 or more, not ${concurrency}`);
    for (const [i, task] of tasks.entries()) {
      if (this.byId.has(task.id)) throw new OrchestratorError('invalid_input', `task id '${task.id}' appears twice in the plan`);
      this.byId.set(task.id, task);
      this.order.set(task.id, i);
      this.dependants.set(task.id, []);
    }
    for (const task of tasks) {
      for (const dep of task.depends_on) {
        if (!this.byId.has(dep)) throw new OrchestratorError('invalid_input', `task '${task.id}' depends on '${dep}', which is not in the plan`);
        this.dependants.get(dep)!.push(task.id);
      }
    }
    for (const id of this.topological().reverse()) {
      const after = Math.max(0, ...this.dependants.get(id)!.map((next) => this.rank.get(next)!));
      this.rank.set(id, (this.byId.get(id)!.estimate ?? 1) + after);
    }
  }

  /** The tasks in an order where each comes after what it depends on; a cycle is refused, with its path. */
  topological(): string[] {
    const state = new Map<string, 'visiting' | 'done'>();
    const out: string[] = [];
    const visit = (id: string, path: string[]) => {
      if (state.get(id) === 'done') return;
      if (state.get(id) === 'visiting') {
        const cycle = [...path.slice(path.indexOf(id)), id];
        throw new OrchestratorError('cycle', `the plan's dependencies form a cycle: ${cycle.join(' → ')}`);
      }
      state.set(id, 'visiting');
      for (const dep of this.byId.get(id)!.depends_on) visit(dep, [...path, id]);
      state.set(id, 'done');
      out.push(id);
    };
    for (const task of this.tasks) visit(task.id, []);
    return out;
  }

  /** Tasks that cannot run any more: they depend, directly or not, on a failed task. */
  blocked(state: ScheduleState): Set<string> {
    const blocked = new Set<string>();
    const stack = [...state.failed];
    while (stack.length > 0) {
      for (const next of this.dependants.get(stack.pop()!) ?? []) {
        if (!blocked.has(next)) {
          blocked.add(next);
          stack.push(next);
        }
      }
    }
    return blocked;
  }

  /** The ready tasks, best first. */
  ready(state: ScheduleState): string[] {
    const blocked = this.blocked(state);
    return this.tasks
      .filter((task) => !state.done.has(task.id) && !state.running.has(task.id) && !state.failed.has(task.id) && !blocked.has(task.id))
      .filter((task) => task.depends_on.every((dep) => state.done.has(dep)))
      .map((task) => task.id)
      .sort((a, b) => this.rank.get(b)! - this.rank.get(a)! || this.order.get(a)! - this.order.get(b)!);
  }

  /** What to start now: the best ready tasks that fit the free slots and touch no file a running task touches. */
  next(state: ScheduleState): string[] {
    const free = this.concurrency - state.running.size;
    if (free <= 0) return [];
    const busy = [...state.running].flatMap((id) => this.byId.get(id)?.files ?? []);
    const picked: string[] = [];
    for (const id of this.ready(state)) {
      if (picked.length === free) break;
      const files = this.byId.get(id)!.files;
      if (files.some((file) => busy.some((other) => overlaps(file, other)))) continue;
      picked.push(id);
      busy.push(...files);
    }
    return picked;
  }

  /** Nothing runs and nothing more can start: every task is done, failed, or blocked by a failure. */
  finished(state: ScheduleState): boolean {
    return state.running.size === 0 && this.ready(state).length === 0;
  }
}

function normalize(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
}

/** Two expected paths touch the same file: equal, or one is a folder holding the other. */
export function overlaps(a: string, b: string): boolean {
  const x = normalize(a);
  const y = normalize(b);
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}
