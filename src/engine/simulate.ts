import { Schedule, overlaps, type ScheduledTask } from './scheduler.js';

/**
 * Runs a plan on the scheduler in virtual time: each started task takes its `duration`, and the
 * scheduler is asked what to start whenever a task ends. Used by the scheduler's property tests
 * and its benchmark; `check` sees every start and may throw.
 */
export interface SimulatedTask extends ScheduledTask {
  duration: number;
}

export interface Simulation {
  makespan: number;
  /** Start and end of each task. */
  spans: Map<string, { start: number; end: number }>;
}

export function simulate(tasks: SimulatedTask[], concurrency: number, options: { fails?: ReadonlySet<string>; check?: (id: string, now: number, running: ReadonlySet<string>) => void } = {}): Simulation {
  const schedule = new Schedule(tasks, concurrency);
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const done = new Set<string>();
  const failed = new Set<string>();
  const running = new Map<string, number>(); // id → end time
  const spans = new Map<string, { start: number; end: number }>();
  let now = 0;
  for (;;) {
    const state = { done, failed, running: new Set(running.keys()) };
    for (const id of schedule.next(state)) {
      options.check?.(id, now, new Set(running.keys()));
      running.set(id, now + byId.get(id)!.duration);
      spans.set(id, { start: now, end: now + byId.get(id)!.duration });
    }
    if (running.size === 0) break;
    now = Math.min(...running.values());
    for (const [id, end] of [...running]) {
      if (end > now) continue;
      running.delete(id);
      (options.fails?.has(id) ? failed : done).add(id);
    }
  }
  return { makespan: now, spans };
}

/** The plan in waves: all ready tasks start together, and the next wave waits for the slowest. */
export function simulateWaves(tasks: SimulatedTask[], concurrency: number): number {
  const done = new Set<string>();
  let now = 0;
  while (done.size < tasks.length) {
    const ready = tasks.filter((task) => !done.has(task.id) && task.depends_on.every((dep) => done.has(dep)));
    const wave: SimulatedTask[] = [];
    for (const task of ready) {
      if (wave.length === concurrency) break;
      if (wave.some((other) => task.files.some((file) => other.files.some((f) => overlaps(file, f))))) continue;
      wave.push(task);
    }
    now += Math.max(...wave.map((task) => task.duration));
    for (const task of wave) done.add(task.id);
  }
  return now;
}

/** max(critical path, total work / concurrency): no schedule can finish sooner. */
export function lowerBound(tasks: SimulatedTask[], concurrency: number): number {
  const schedule = new Schedule(tasks.map((task) => ({ ...task, estimate: task.duration })), concurrency);
  const total = tasks.reduce((sum, task) => sum + task.duration, 0);
  return Math.max(Math.max(...schedule.rank.values()), total / concurrency);
}
