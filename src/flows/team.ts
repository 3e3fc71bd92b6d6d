import { REFUSAL_WITHOUT_RESET_MS } from '../board/accounts.js';
import type { Board } from '../board/board.js';
import type { Task } from '../board/tasks.js';
import type { Team, TeamRole } from '../board/teams.js';
import { OrchestratorError } from '../core/errors.js';
import type { Dispatcher } from '../runner/dispatcher.js';
import type { AgentEvent } from '../runner/events.js';
import { identityAlive } from '../runner/os-process.js';
import { rolePrompt } from '../runner/roles.js';
import type { Budget, RoleSettings } from '../config/config-file.js';
import { daySpent, everySecond, sleep, WORKER_TOOLS, writeAccess } from './run-support.js';

/**
 * `orchestrate team up`: the team's workers — for each role, `count` board agents of that role,
 * each a loop that claims the next task its role may take, runs the role's agent CLI on it (the
 * role's prompt, then the task), and completes the task with the agent's answer or fails it with
 * the reason. An idle worker sleeps on the board's change signal, so it spends nothing while no
 * task is pushed. `team down` (from any process), dissolving the team, or Ctrl-C stops them:
 * running agents are stopped, every worker unregisters, and the tasks they held go back to the
 * queue. A day budget spent (config.yaml, every run together or the worker's role) holds the
 * workers: a task claimed then goes back to the queue, and they take none until local midnight.
 */
export interface TeamDeps {
  board: Board;
  dispatcher: Dispatcher;
  /** `pid:start-time` of this process, recorded as the team's workers. */
  supervisor: string;
  stateDir: string;
  /** The folder the agents work in (the project root). */
  root: string;
  /** For command workers: the program and its arguments (the prompt is the last argument, or replaces `{prompt}`). */
  command: string[] | null;
  model: string | null;
  onProgress?: (line: string) => void;
  onAgentEvent?: (source: string, event: AgentEvent) => void;
  signal?: AbortSignal;
  /** Per-role settings (config.yaml): a role's day budget. */
  roles?: Record<string, RoleSettings>;
  /** What every run together may spend in a day (config.yaml `budgets.per_day`). */
  budgets?: { per_day?: Budget };
}

export interface TeamRunSummary {
  team: Team;
  workers: number;
  completed: number;
  failed: number;
}


export async function runTeam(deps: TeamDeps, ref: string): Promise<TeamRunSummary> {
  const { board } = deps;
  let team = await board.teams.get(ref);
  if (team.status !== 'active') throw new OrchestratorError('conflict', `team ${team.name} is dissolved; create it again to bring it up`);
  if (team.workers && team.workers !== deps.supervisor && identityAlive(team.workers)) {
    throw new OrchestratorError('conflict', `team ${team.name}'s workers already run in process ${team.workers.split(':')[0]}; 'orchestrate team down ${team.name}' stops them`);
  }
  if (team.roles.some((role) => role.agent === 'command') && !deps.command?.length) throw new OrchestratorError('invalid_input', `team ${team.name} has command workers: pass --program (and --arg) for them`);
  team = await board.teams.setWorkers(team.id, deps.supervisor);
  const stop = new AbortController();
  deps.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  const watcher = everySecond(async () => {
    const current = await board.teams.get(team.id);
    if (current.status !== 'active' || current.down_requested_at) stop.abort();
  });
  const quiet = board.presence.listen({
    revived: (id) => deps.onProgress?.(`worker ${id} is back on the board after its lease ran out; the task it held went back to the queue`),
  });
  const totals = { completed: 0, failed: 0 };
  const slots = team.roles.flatMap((role) => Array.from({ length: role.count }, (_, i) => ({ role, n: i + 1 })));
  deps.onProgress?.(`team ${team.name} up: ${slots.length} workers (${team.roles.map((r) => `${r.count} ${r.role} on ${r.agent}`).join(', ')})`);
  try {
    // A worker that cannot go on stops the others: the process then exits non-zero.
    const ends = await Promise.allSettled(slots.map(({ role, n }) => worker(deps, team, role, n, stop.signal, totals).catch((error: unknown) => {
      stop.abort();
      throw error;
    })));
    const failure = ends.find((end): end is PromiseRejectedResult => end.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    watcher.close();
    quiet();
    await board.teams.setWorkers(team.id, null).catch(() => undefined);
  }
  deps.onProgress?.(`team ${team.name} down: ${totals.completed} tasks completed, ${totals.failed} failed`);
  return { team: await board.teams.get(team.id), workers: slots.length, ...totals };
}

/** An idle worker sleeps on the change signal at most this long before it looks again (for a lease that ended). */
const IDLE_WAIT_MS = 60_000;

/**
 * One worker slot. Its board agent is alive while this loop runs (the process's presence renews
 * it); an idle worker sleeps on the board's change signal. A task that went back to the queue
 * while its agent ran (this process was cut off from the board longer than the lease) is not
 * completed: its result is dropped and the task is someone else's now.
 */
async function worker(deps: TeamDeps, team: Team, role: TeamRole, n: number, signal: AbortSignal, totals: { completed: number; failed: number }): Promise<void> {
  const { board } = deps;
  const agent = await register(board, `${team.name}-${role.role}-${n}`, role);
  const release = board.presence.keep(agent.id);
  await board.teams.join(team.id, agent.id, role.role, null);
  const name = agent.name;
  try {
    while (!signal.aborted) {
      const task = await claimNext(board, agent.id, signal);
      if (!task) continue;
      const spent = await daySpent(deps, role.role);
      if (spent) {
        // The task goes back to the queue as it was (blocked and unblocked: no retry counted); the worker takes none until the day's spend starts again.
        await board.tasks.block(task.id, agent.id, `day budget spent: ${spent}`).then(() => board.tasks.unblock(task.id, agent.id)).catch(() => null);
        const midnight = new Date(board.now());
        midnight.setHours(24, 0, 0, 0);
        deps.onProgress?.(`[${name}] takes no task: ${spent}; ${task.id} is back in the queue; waiting until ${midnight.toISOString()} (or raise the budget and bring the team up again)`);
        await sleep(midnight.getTime() - board.now(), signal);
        continue;
      }
      await board.tasks.start(task.id, agent.id);
      await board.agents.heartbeat(agent.id, { current_task: task.id });
      deps.onProgress?.(`[${name}] ${task.id}: ${task.title}`);
      const result = await deps.dispatcher.run(
        {
          agent: role.agent,
          prompt: taskPrompt(deps.stateDir, role.role, task),
          cwd: deps.root,
          role: role.role,
          model: role.agent === 'command' ? undefined : (deps.model ?? undefined),
          ...(role.agent === 'command' ? { argv: deps.command! } : writeAccess(role.agent, WORKER_TOOLS)),
        },
        agent.id,
        { taskId: task.id, signal, onEvent: deps.onAgentEvent ? (event) => deps.onAgentEvent!(name, event) : undefined },
      );
      const { outcome } = result;
      if (outcome.kind === 'killed' && signal.aborted) break; // stopped: unregistering below puts the task back in the queue
      if (outcome.kind === 'rate_limited') {
        // The task goes back to the queue as it was (blocked and unblocked: no retry counted); this worker waits out the limit.
        const until = new Date(outcome.reset_at ? Date.parse(outcome.reset_at) : Date.now() + REFUSAL_WITHOUT_RESET_MS).toISOString();
        const back = await board.tasks.block(task.id, agent.id, `${role.agent} refused with a usage limit until ${until}`).then(() => board.tasks.unblock(task.id, agent.id)).catch(() => null);
        deps.onProgress?.(`[${name}] ${role.agent} refused (usage limit)${back ? '; the task is back in the queue, no retry counted' : ''}; waiting until ${until}`);
        await sleep(Math.max(0, Date.parse(until) - Date.now()), signal);
        continue;
      }
      const settled = await settle(board, task.id, agent.id, outcome.kind === 'ok' ? { result: outcome.message.slice(0, 10_000) || 'done' } : { reason: `${outcome.kind}: ${outcome.message}`.slice(0, 2000) });
      if (settled === 'released') deps.onProgress?.(`[${name}] ${task.id} is no longer this worker's (it went back to the queue, or was cancelled, while its agent ran); this run's result is dropped`);
      else if (outcome.kind === 'ok') {
        totals.completed++;
        deps.onProgress?.(`[${name}] ${task.id} completed`);
      } else {
        totals.failed++;
        deps.onProgress?.(`[${name}] ${task.id} failed: ${outcome.kind}`);
      }
    }
  } finally {
    release();
    await board.agents.unregister(agent.id).catch(() => undefined);
  }
}

/**
 * The next task for the worker, waiting without polling until there is one. A lease found ended
 * (the process was cut off or stalled) is renewed — or the agent taken back — and it goes on.
 */
async function claimNext(board: Board, agentId: string, signal: AbortSignal): Promise<Task | null> {
  try {
    return await board.tasks.claimWhenReady(agentId, { timeout_ms: board.untilNextLeaseEnd(IDLE_WAIT_MS) }, signal);
  } catch (error) {
    if (!(error instanceof OrchestratorError && error.code === 'lease_expired') || !board.presence.isKept(agentId)) throw error;
    await board.presence.renewNow();
    return null;
  }
}

/** Completes or fails the task as its holder; 'released' when it is no longer this agent's to settle. */
async function settle(board: Board, taskId: string, agentId: string, end: { result: string } | { reason: string }): Promise<'settled' | 'released'> {
  try {
    if ('result' in end) await board.tasks.complete(taskId, agentId, end.result);
    else await board.tasks.fail(taskId, agentId, end.reason);
    return 'settled';
  } catch (error) {
    if (error instanceof OrchestratorError && (error.code === 'conflict' || error.code === 'lease_expired')) return 'released';
    throw error;
  }
}

/** A worker agent for the slot, with the board's lease TTL; a name still held (by a crashed `team up`, say) gets a suffix. */
async function register(board: Board, name: string, role: TeamRole) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await board.agents.register({ name: attempt === 0 ? name : `${name}-${attempt + 1}`, role: role.role, kind: role.agent, metadata: { team_worker: true } });
    } catch (error) {
      if (!(error instanceof OrchestratorError && error.code === 'name_taken') || attempt >= 20) throw error;
    }
  }
}

function taskPrompt(stateDir: string, role: string, task: Task): string {
  return `${rolePrompt(stateDir, role).prompt}\n\nTask ${task.id}: ${task.title}\n\n${task.description || task.title}\n\nWhen you are done, end with what you did and how you checked it: that answer completes the task.`;
}
