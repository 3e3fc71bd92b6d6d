import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Board } from '../board/board.js';
import type { Run } from '../board/runs.js';
import type { Task } from '../board/tasks.js';
import { OrchestratorError } from '../core/errors.js';
import type { OutcomeKind, Usage } from '../runner/events.js';
import { runGates, type GateResult } from './gates.js';
import type { Repo } from './git.js';
import type { Plan, PlanTask } from './plan.js';
import { Schedule } from './scheduler.js';

/**
 * Runs one cycle of a plan on a run branch, deterministically: the scheduler picks tasks; each
 * gets a worktree and a branch from the run branch and an agent (`work`); it counts as done only
 * when the agent's outcome is ok, its branch has a commit (the engine commits what the agent
 * left), and its gates pass when the engine runs them; then the merge queue merges it into the
 * run branch, one task at a time, and runs the integration gates, undoing a merge they reject.
 * A failing step is retried with a remediation prompt that says what failed (bounded). A rate
 * limit pauses: nothing new starts, what runs finishes, and the cycle returns `paused`.
 *
 * Plan tasks are board tasks (`<run>.c<cycle>.<id>`, run_id set), held by the engine's agent, so
 * the board shows the run; a task is completed only once merged. After a crash the cycle runs
 * again: merged tasks are done, a task whose commit the run branch already holds is completed
 * without a second merge, and the others start over.
 */
export interface WorkResult {
  outcome: { kind: OutcomeKind; message: string; reset_at: string | null; session_id: string | null; cost_usd: number | null; usage: Usage | null };
  process_id: string | null;
  log_path: string | null;
}

export interface WorkRequest {
  task: PlanTask;
  boardId: string;
  worktree: string;
  prompt: string;
  attempt: number;
  signal: AbortSignal;
}

export interface CycleOptions {
  board: Board;
  /** The repository; may be null in shared mode, which needs no branches (a workflow outside git). */
  repo: Repo | null;
  run: Run;
  plan: Plan;
  cycle: number;
  /** The agent (id) that holds the run's tasks on the board. */
  engineAgent: string;
  /** The run branch's worktree, where merges happen. */
  integrationTree: string;
  worktreeRoot: string;
  /** `.orchestrator/runs/<id>`: evidence goes in evidence/. */
  runDir: string;
  concurrency: number;
  /** Agent runs per task, the first included (default 3). */
  maxAttempts?: number;
  env: Record<string, string | undefined>;
  gateTimeoutMs?: number;
  work(request: WorkRequest): Promise<WorkResult>;
  /** Extra words for every worker prompt (a person's guidance, say). */
  guidance?: string | null;
  onProgress?(line: string): void;
  /** Asked before tasks start: a reason to start nothing more (a spent budget, a usage window nearly full), or null. */
  hold?(): Promise<Hold | null>;
  signal?: AbortSignal;
  /**
   * Work in the integration tree itself: no task branches, worktrees or merges (a master plan's
   * sequential mode at concurrency 1; a workflow's steps, which may read the tree together).
   */
  shared?: boolean;
  /** A task counts only with a commit on its branch (default true). */
  requireCommit?: boolean;
  /**
   * More checks once the agent's run ended ok (a master plan's compliance): the problems with the
   * attempt, or null; `final` when another attempt cannot help (the agent reported itself blocked).
   */
  accept?(attempt: { task: PlanTask; tree: string; result: WorkResult; attempt: number }): Promise<{ problems: string[]; final?: boolean } | null>;
  /** Told when a task starts and when it settles, in order with the merges (a status written on the run branch, say). */
  onTaskState?(task: PlanTask, state: TaskState, detail: string): Promise<void>;
  /** The worker's prompt for an attempt in `tree` (default workerPrompt). */
  prompt?(task: PlanTask, tree: string, problem: string | null, attempt: number): string;
}

export type TaskState = 'started' | 'completed' | 'failed' | 'interrupted';

/** Why no new task may start; `until` when the hold ends by itself (a usage window's reset). */
export interface Hold {
  reason: string;
  until?: string | null;
}

export type CycleEnd =
  | { status: 'done' }
  | { status: 'failed'; failed: { id: string; reason: string }[] }
  | { status: 'paused'; reset_at: string | null; reason: string }
  | ({ status: 'held' } & Hold)
  | { status: 'stopped' };

interface Evidence {
  task: string;
  board_task: string;
  attempts: { attempt: number; outcome: string; message: string; session_id: string | null; process_id: string | null; log_path: string | null; cost_usd: number | null; usage: Usage | null; gates: GateResult[]; problem: string | null }[];
  diff_stat: string | null;
  accepted: boolean;
  merged: string | null;
  integration_gates: GateResult[];
}

export const boardTaskId = (run: Run, cycle: number, id: string) => `${run.id}.c${cycle}.${id}`;

export async function runCycle(options: CycleOptions): Promise<CycleEnd> {
  const { board, run, plan, cycle } = options;
  const shared = options.shared ?? false;
  if (!shared && !options.repo) throw new OrchestratorError('internal', 'a cycle with task worktrees needs a repository');
  const repo = options.repo as Repo; // used only when not shared
  const progress = options.onProgress ?? (() => undefined);
  const tell = (task: PlanTask, state: TaskState, detail: string) => options.onTaskState?.(task, state, detail) ?? Promise.resolve();
  const byPlanId = new Map(plan.tasks.map((task) => [task.id, task]));
  const idOf = (planId: string) => boardTaskId(run, cycle, planId);
  await ensureTasks(options);
  const schedule = new Schedule(plan.tasks.map((task) => ({ id: task.id, depends_on: task.depends_on ?? [], files: task.files ?? [] })), options.concurrency);

  // Settle what a crash left: held tasks either made it onto the run branch, or start over. A task
  // the engine's agent held when the orchestrator died is pending again if the crash outlasted the
  // lease; it may have been merged all the same (a dependant only starts after its dependency
  // completed, so plan order claims them fine).
  const leftBranches = new Set(shared ? [] : await repo.branches(taskBranch(run, cycle, '')));
  /** Branches of tasks on the run branch now: deleted together when the cycle ends. */
  const finished: string[] = [];
  for (const task of plan.tasks) {
    const held = await board.tasks.get(idOf(task.id));
    const branch = taskBranch(run, cycle, task.id);
    if (held.status === 'completed' && leftBranches.has(branch)) finished.push(branch);
    if (held.status !== 'claimed' && held.status !== 'in_progress' && held.status !== 'pending') continue;
    if (leftBranches.has(branch) && (await repo.mergedInto(run.branch, branch))) {
      if (held.status === 'pending') {
        await board.tasks.claim(options.engineAgent, { task_id: held.id });
        await board.tasks.start(held.id, options.engineAgent);
      }
      await tell(task, 'completed', 'merged before a restart');
      await board.tasks.complete(held.id, options.engineAgent, 'merged before a restart');
      await repo.removeWorktree(join(options.worktreeRoot, `${run.id}-c${cycle}-${task.id}`));
      finished.push(branch);
      progress(`[${task.id}] was merged before the restart`);
    } else if (held.status !== 'pending') {
      await board.tasks.fail(held.id, options.engineAgent, 'the orchestrator stopped while it ran');
      await board.tasks.retry(held.id, options.engineAgent);
    }
  }

  const done = new Set<string>();
  const failed = new Map<string, string>();
  for (const task of plan.tasks) {
    const status = (await board.tasks.get(idOf(task.id))).status;
    if (status === 'completed') done.add(task.id);
    if (status === 'failed' || status === 'cancelled') failed.set(task.id, `${status} earlier`);
  }
  const running = new Map<string, Promise<void>>();
  let pause: { reset_at: string | null; reason: string } | null = null;
  let held: Hold | null = null;
  let mergeQueue: Promise<unknown> = Promise.resolve();
  const stop = new AbortController();
  const onStop = () => stop.abort();
  options.signal?.addEventListener('abort', onStop, { once: true });
  if (options.signal?.aborted) stop.abort();

  const merge = <T>(step: () => Promise<T>): Promise<T> => {
    const next = mergeQueue.then(step, step);
    mergeQueue = next.catch(() => undefined);
    return next;
  };

  /**
   * A task of the run went back to the queue while its agent worked: the engine was cut off from
   * the board for longer than its lease. It is assigned to the engine, so nobody else took it;
   * the engine takes it again before it settles it.
   */
  const holdAgain = async (id: string): Promise<void> => {
    if ((await board.tasks.get(id)).status !== 'pending') return;
    progress(`[${id}] went back to the queue while it ran (the board lost this process for longer than its lease); taken again`);
    await board.presence.renewNow(); // the engine's agent is online again (taken back) before it claims
    await board.tasks.claim(options.engineAgent, { task_id: id });
    await board.tasks.start(id, options.engineAgent);
  };

  const runTask = async (task: PlanTask): Promise<void> => {
    const id = idOf(task.id);
    const claimed = await board.tasks.claim(options.engineAgent, { task_id: id });
    if (!claimed) throw new OrchestratorError('conflict', `task ${id} could not be claimed by the engine`);
    await board.tasks.start(id, options.engineAgent);
    const branch = taskBranch(run, cycle, task.id);
    const tree = shared ? options.integrationTree : join(options.worktreeRoot, `${run.id}-c${cycle}-${task.id}`);
    await merge(() => tell(task, 'started', ''));
    if (!shared) {
      await repo.recover(tree); // a worktree a crash left behind is reused
      await repo.addWorktree(tree, branch, run.branch);
    }
    const evidence: Evidence = { task: task.id, board_task: id, attempts: [], diff_stat: null, accepted: false, merged: null, integration_gates: [] };
    let problem: string | null = null;
    let final = false;
    const attempts = options.maxAttempts ?? 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (stop.signal.aborted || pause) break;
      progress(`[${task.id}] attempt ${attempt}: ${task.title}`);
      const prompt = options.prompt ? options.prompt(task, tree, problem, attempt) : workerPrompt(task, options.guidance ?? null, problem);
      const result = await options.work({ task, boardId: id, worktree: tree, prompt, attempt, signal: stop.signal });
      await board.runs.addSpend(run.id, result.outcome.cost_usd, result.outcome.usage);
      const record = { attempt, outcome: result.outcome.kind, message: result.outcome.message.slice(0, 2000), session_id: result.outcome.session_id, process_id: result.process_id, log_path: result.log_path, cost_usd: result.outcome.cost_usd, usage: result.outcome.usage, gates: [] as GateResult[], problem: null as string | null };
      evidence.attempts.push(record);
      if (result.outcome.kind === 'rate_limited') {
        pause = { reset_at: result.outcome.reset_at, reason: `task ${task.id}: ${result.outcome.message}` };
        await noteAttempt(id, record);
        break;
      }
      if (result.outcome.kind === 'killed' && stop.signal.aborted) {
        await noteAttempt(id, record);
        break;
      }
      ({ problem, final } = await verify(task, tree, branch, result, record, attempt));
      record.problem = problem;
      await noteAttempt(id, record);
      if (final) break;
      if (problem === null) {
        if (shared) {
          evidence.accepted = true;
          await tell(task, 'completed', 'accepted');
          break;
        }
        await board.events.note({ type: 'merge.queued', subject: id, actor: options.engineAgent, data: { branch, attempt } });
        const merged = await merge(() => mergeTask(task, id, branch, evidence));
        if (merged === null) break;
        problem = merged;
        record.problem = merged;
      }
      progress(`[${task.id}] attempt ${attempt} not accepted: ${problem.split('\n')[0]}`);
    }
    writeEvidence(options.runDir, cycle, evidence);
    if (evidence.accepted) {
      await holdAgain(id);
      await board.tasks.complete(id, options.engineAgent, evidence.merged ?? 'accepted');
      if (!shared) {
        await repo.removeWorktree(tree);
        finished.push(branch);
      }
      done.add(task.id);
      progress(`[${task.id}] ${evidence.merged ? `merged ${evidence.merged.slice(0, 10)}` : 'accepted'}`);
    } else if (pause || stop.signal.aborted) {
      await merge(() => tell(task, 'interrupted', pause ? 'paused: usage limit' : 'stopped'));
      await holdAgain(id);
      await board.tasks.fail(id, options.engineAgent, pause ? 'paused: usage limit' : 'stopped');
      await board.tasks.retry(id, options.engineAgent);
    } else {
      const reason = problem ?? 'no attempt was accepted';
      await merge(() => tell(task, 'failed', reason));
      await holdAgain(id);
      await board.tasks.fail(id, options.engineAgent, reason.slice(0, 2000));
      failed.set(task.id, reason);
      progress(`[${task.id}] failed: ${reason.split('\n')[0]}`);
    }
  };

  /**
   * Why the attempt is not done yet, or null when it is (outcome ok, a commit, gates green, the
   * flow's own checks passed); `final` when the flow's checks say no attempt can help.
   */
  const verify = async (task: PlanTask, tree: string, branch: string, result: WorkResult, record: Evidence['attempts'][0], attempt: number): Promise<{ problem: string | null; final: boolean }> => {
    if (result.outcome.kind !== 'ok') return { problem: `the agent's run ended ${result.outcome.kind}: ${result.outcome.message}`, final: false };
    if (!shared) {
      const committed = await repo.commitAll(tree, `${task.id}: ${task.title}\n\nCommitted by claude-orchestrator: the agent left these changes uncommitted.`);
      if ((options.requireCommit ?? true) && !committed && (await repo.commitsAhead(run.branch, branch)) === 0) return { problem: 'the task branch has no commit: nothing was changed', final: false };
    }
    record.gates = await runGates(tree, task.gates ?? [], options.env, options.gateTimeoutMs);
    const red = record.gates.filter((gate) => !gate.passed);
    const problems = red.length > 0 ? [`gates failed:\n${red.map(gateReport).join('\n')}`] : [];
    const checked = await options.accept?.({ task, tree, result, attempt });
    if (checked?.final) return { problem: checked.problems.join('\n'), final: true };
    problems.push(...(checked?.problems ?? []));
    return { problem: problems.length > 0 ? problems.join('\n\n') : null, final: false };
  };

  /** Merges a verified task into the run branch and runs the integration gates; null when merged, else why not. */
  const mergeTask = async (task: PlanTask, id: string, branch: string, evidence: Evidence): Promise<string | null> => {
    const said = (type: string, data: Record<string, unknown>) => board.events.note({ type, subject: id, actor: options.engineAgent, data: { branch, ...data } });
    // Where to go back to when the integration gates reject the merge (without them, nothing to undo).
    const before = plan.gates?.length ? await repo.head(options.integrationTree) : null;
    const merged = await repo.merge(options.integrationTree, branch, `Merge ${task.id}: ${task.title}`);
    if (merged.dirty) throw new OrchestratorError('internal', `merging ${branch} would overwrite uncommitted changes in the run's worktree ${options.integrationTree}`);
    if (merged.empty) {
      evidence.accepted = true; // nothing to merge (a task that may leave no commit)
      await said('merge.empty', {});
      await tell(task, 'completed', 'nothing to merge');
      return null;
    }
    if (!merged.merged) {
      await said('merge.conflict', { files: merged.conflicts.slice(0, 50) });
      // Bring the run branch into the task branch, so the next attempt resolves the conflict there.
      return `merging into the run branch conflicts in: ${merged.conflicts.join(', ')}. Merge the branch ${run.branch} into your branch, resolve the conflicts keeping both changes' intent, and commit.`;
    }
    evidence.diff_stat = merged.stat;
    evidence.integration_gates = await runGates(options.integrationTree, plan.gates ?? [], options.env, options.gateTimeoutMs);
    const red = evidence.integration_gates.filter((gate) => !gate.passed);
    if (red.length > 0 && before !== null) {
      // --keep: the flow's uncommitted writes (statuses) stay; the merge goes.
      if ((await repo.git(['reset', '--keep', before], options.integrationTree, { allowFailure: true })).code !== 0) await repo.git(['reset', '--hard', before], options.integrationTree);
      await said('merge.gates_failed', { gates: gateFacts(evidence.integration_gates) });
      return `after merging into the run branch, integration gates failed (the merge was undone):\n${red.map(gateReport).join('\n')}`;
    }
    evidence.merged = merged.sha;
    evidence.accepted = true;
    await said('merge.done', { sha: merged.sha, diff_stat: evidence.diff_stat?.split('\n').at(-1)?.trim() ?? null, gates: gateFacts(evidence.integration_gates) });
    await tell(task, 'completed', `merged ${evidence.merged!.slice(0, 10)}`);
    return null;
  };

  /** An attempt's facts on the board (the evidence file keeps the whole of it): what a view shows. */
  const noteAttempt = (id: string, record: Evidence['attempts'][0]) => board.events.note({
    type: 'task.attempt',
    subject: id,
    actor: options.engineAgent,
    data: { attempt: record.attempt, outcome: record.outcome, process_id: record.process_id, cost_usd: record.cost_usd, gates: gateFacts(record.gates), problem: record.problem?.trim().replace(/\s*\n\s*/g, ' · ').slice(0, 300) ?? null },
  });

  try {
    for (;;) {
      const state = { done, failed: new Set(failed.keys()), running: new Set(running.keys()) };
      const startable = !pause && !held && !stop.signal.aborted ? schedule.next(state) : [];
      if (startable.length > 0 && options.hold) held = await options.hold();
      if (!held) {
        for (const planId of startable) {
          const job = runTask(byPlanId.get(planId)!).catch((error: unknown) => {
            failed.set(planId, (error as Error).message);
            progress(`[${planId}] failed: ${(error as Error).message.split('\n')[0]}`);
          }).finally(async () => {
            running.delete(planId);
            const spent = (await board.runs.get(run.id).catch(() => null))?.cost_usd ?? 0;
            progress(`${done.size}/${plan.tasks.length} done, ${running.size} running, ${plan.tasks.length - done.size - running.size - failed.size} waiting, ${failed.size} failed · $${spent.toFixed(4)} so far`);
          });
          running.set(planId, job);
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } finally {
    options.signal?.removeEventListener('abort', onStop);
  }
  if (!shared) {
    await repo.deleteBranches(finished);
    await repo.housekeeping();
  }
  if (stop.signal.aborted) return { status: 'stopped' };
  const hold = held as Hold | null;
  if (hold && done.size < plan.tasks.length) return { status: 'held', ...hold };
  const paused = pause as { reset_at: string | null; reason: string } | null;
  if (paused) return { status: 'paused', ...paused };
  if (done.size === plan.tasks.length) return { status: 'done' };
  const blocked = plan.tasks.filter((t) => !done.has(t.id) && !failed.has(t.id)).map((t) => ({ id: t.id, reason: 'blocked by a failed task' }));
  return { status: 'failed', failed: [...[...failed].map(([id, reason]) => ({ id, reason })), ...blocked] };
}

export const taskBranch = (run: Run, cycle: number, id: string) => `${run.branch}--c${cycle}-${id}`;

/** Board tasks for the cycle's plan tasks, once (a restarted cycle finds them). */
async function ensureTasks(options: CycleOptions): Promise<void> {
  const { board, run, plan, cycle } = options;
  const id = (planId: string) => boardTaskId(run, cycle, planId);
  const existing = new Set((await board.tasks.all({ run_id: run.id })).map((task: Task) => task.id));
  const missing = plan.tasks.filter((task) => !existing.has(id(task.id)));
  if (missing.length === 0) return;
  await board.tasks.pushMany(
    missing.map((task) => ({
      id: id(task.id),
      title: task.title,
      description: task.description,
      role: task.role,
      depends_on: (task.depends_on ?? []).map(id),
      run_id: run.id,
      assignee: options.engineAgent,
      max_retries: 100,
      metadata: { plan_id: task.id, cycle, files: task.files ?? [], gates: task.gates ?? [] },
    })),
    options.engineAgent,
  );
}

function gateReport(gate: GateResult): string {
  return `$ ${gate.command}\n(exit ${gate.exit_code ?? 'none'}${gate.timed_out ? ', timed out' : ''})\n${gate.output}`;
}

/** What a worker is told: the task, the files and gates, how to finish, and why a retry happens. */
export function workerPrompt(task: PlanTask, guidance: string | null, problem: string | null): string {
  return [
    `You are working on one task of a larger plan, in a git worktree of your own (the current folder). Make the change, then commit it with git.`,
    '',
    `Task ${task.id}: ${task.title}`,
    task.description,
    task.files?.length ? `Files you are expected to touch: ${task.files.join(', ')}` : '',
    task.gates?.length ? `The orchestrator will check your work by running: ${task.gates.join(' ; ')} — run them yourself before you finish.` : '',
    guidance ? `Guidance from the person running this: ${guidance}` : '',
    problem ? `\nYour previous attempt was not accepted:\n${problem}\nFix this, then commit.` : '',
  ].filter(Boolean).join('\n');
}

/** A gate's result without its output: what the board keeps. */
function gateFacts(gates: GateResult[]): { command: string; passed: boolean; exit_code: number | null; timed_out: boolean; seconds: number }[] {
  return gates.map(({ command, passed, exit_code, timed_out, seconds }) => ({ command, passed, exit_code, timed_out, seconds }));
}

function writeEvidence(runDir: string, cycle: number, evidence: Evidence): void {
  const dir = join(runDir, 'evidence');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `c${cycle}-${evidence.task}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(evidence, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
