import type { Board } from '../board/board.js';
import type { Task } from '../board/tasks.js';
import type { Team, TeamRole } from '../board/teams.js';
import { OrchestratorError } from '../core/errors.js';
import type { Dispatcher } from '../runner/dispatcher.js';
import type { AgentEvent } from '../runner/events.js';
import { identityAlive } from '../runner/os-process.js';
import { rolePrompt } from '../runner/roles.js';
import { writeAccess } from './run-support.js';

/**
 * `orchestrate team up`: the team's workers — for each role, `count` board agents of that role,
 * each a loop that claims the next task its role may take, runs the role's agent CLI on it (the
 * role's prompt, then the task), and completes the task with the agent's answer or fails it with
 * the reason. An idle worker sleeps on the board's change signal, so it spends nothing while no
 * task is pushed. `team down` (from any process), dissolving the team, or Ctrl-C stops them:
 * running agents are stopped, every worker unregisters, and the tasks they held go back to the
 * queue.
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
}

export interface TeamRunSummary {
  team: Team;
  workers: number;
  completed: number;
  failed: number;
}

const WORKER_TOOLS = ['Read', 'Write', 'Edit', 'MultiEdit', 'Bash', 'Glob', 'Grep', 'LS', 'TodoWrite'];
const IDLE_WAIT_MS = 5_000;

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
  const watcher = setInterval(() => {
    void board.teams.get(team.id).then((current) => (current.status !== 'active' || current.down_requested_at) && stop.abort(), () => undefined);
  }, 1000);
  const totals = { completed: 0, failed: 0 };
  const slots = team.roles.flatMap((role) => Array.from({ length: role.count }, (_, i) => ({ role, n: i + 1 })));
  deps.onProgress?.(`team ${team.name} up: ${slots.length} workers (${team.roles.map((r) => `${r.count} ${r.role} on ${r.agent}`).join(', ')})`);
  try {
    await Promise.all(slots.map(({ role, n }) => worker(deps, team, role, n, stop.signal, totals)));
  } finally {
    clearInterval(watcher);
    await board.teams.setWorkers(team.id, null).catch(() => undefined);
  }
  deps.onProgress?.(`team ${team.name} down: ${totals.completed} tasks completed, ${totals.failed} failed`);
  return { team: await board.teams.get(team.id), workers: slots.length, ...totals };
}

async function worker(deps: TeamDeps, team: Team, role: TeamRole, n: number, signal: AbortSignal, totals: { completed: number; failed: number }): Promise<void> {
  const { board } = deps;
  const agent = await register(board, `${team.name}-${role.role}-${n}`, role);
  await board.teams.join(team.id, agent.id, role.role, null);
  const name = agent.name;
  try {
    while (!signal.aborted) {
      await board.agents.heartbeat(agent.id, {});
      const task = await board.tasks.claim(agent.id);
      if (!task) {
        await board.tasks.watch({ role: role.role, status: 'pending', timeout_ms: IDLE_WAIT_MS }, signal).catch(() => null);
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
      if (outcome.kind === 'ok') {
        await board.tasks.complete(task.id, agent.id, outcome.message.slice(0, 10_000) || 'done');
        totals.completed++;
        deps.onProgress?.(`[${name}] ${task.id} completed`);
      } else if (outcome.kind === 'killed' && signal.aborted) {
        break; // stopped: unregistering below puts the task back in the queue
      } else if (outcome.kind === 'rate_limited') {
        deps.onProgress?.(`[${name}] rate limited${outcome.reset_at ? ` until ${outcome.reset_at}` : ''}; the task goes back to the queue`);
        break;
      } else {
        await board.tasks.fail(task.id, agent.id, `${outcome.kind}: ${outcome.message}`.slice(0, 2000));
        totals.failed++;
        deps.onProgress?.(`[${name}] ${task.id} failed: ${outcome.kind}`);
      }
    }
  } finally {
    await board.agents.unregister(agent.id).catch(() => undefined);
  }
}

/** A worker agent for the slot; a name still held (by a crashed `team up`, say) gets a suffix. */
async function register(board: Board, name: string, role: TeamRole) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await board.agents.register({ name: attempt === 0 ? name : `${name}-${attempt + 1}`, role: role.role, kind: role.agent, lease_ttl_ms: 120_000, metadata: { team_worker: true } });
    } catch (error) {
      if (!(error instanceof OrchestratorError && error.code === 'name_taken') || attempt >= 20) throw error;
    }
  }
}

function taskPrompt(stateDir: string, role: string, task: Task): string {
  return `${rolePrompt(stateDir, role).prompt}\n\nTask ${task.id}: ${task.title}\n\n${task.description || task.title}\n\nWhen you are done, end with what you did and how you checked it: that answer completes the task.`;
}
