import type { TeamStatus } from '../../board/teams.js';
import { ensureStateDir } from '../../config/settings.js';
import { OrchestratorError } from '../../core/errors.js';
import { runTeam } from '../../flows/team.js';
import { processIdentity } from '../../runner/os-process.js';
import { waitFor } from '../../board/waiting.js';
import { commandArgv, flag, flagOrArg, required, type Call, type Handler } from '../call.js';
import { agentLines, table } from '../format.js';
import { startDispatcher } from './dispatch.js';

const teamName = (call: Call) => required(flagOrArg(call, 'team'), 'the team', 'its name as the argument');

/** `--role implementer:2:claude` → {role, count, agent}. */
function roleSpec(text: string) {
  const [role, count, agent] = text.split(':');
  if (!role) throw new OrchestratorError('invalid_input', `--role '${text}' must be role[:count[:agent]], such as implementer:2:claude`);
  if (count !== undefined && !/^\d+$/.test(count)) throw new OrchestratorError('invalid_input', `--role '${text}': the count must be a whole number`);
  if (agent !== undefined && !['claude', 'codex', 'gemini', 'command'].includes(agent)) throw new OrchestratorError('invalid_input', `--role '${text}': the agent must be claude, codex, gemini or command`);
  return { role, count: count === undefined ? 1 : Number(count), agent: agent as 'claude' | undefined };
}

function describe(team: TeamStatus): string {
  const rows = team.members.map((m) => [m.name, m.role, m.status, m.current_task ? `${m.current_task.id} (${m.current_task.status})` : '']);
  return [
    `${team.name}  ${team.status}  ${team.id}${team.workers ? ` · workers in process ${team.workers.split(':')[0]}` : ''}`,
    `goal: ${team.goal}`,
    `roles: ${team.roles.map((r) => `${r.count} ${r.role} (${r.agent})`).join(', ')}`,
    `progress: ${team.progress.completed} of ${team.progress.total} tasks completed (label team:${team.name}) · ${team.online} members online`,
    table(['MEMBER', 'ROLE', 'STATUS', 'TASK'], rows, 'no members'),
  ].join('\n');
}

export const create: Handler = async (call) => {
  const roles = ((call.values.role as string[] | undefined) ?? []).map(roleSpec);
  const board = await call.board();
  const team = await board.teams.create({ name: teamName(call), goal: required(flag(call, 'goal'), 'the goal', '--goal "<what the team is for>"'), roles }, call.maybeAgent());
  return { data: team, text: describe(await board.teams.status(team.id)) };
};

export const status: Handler = async (call) => {
  const board = await call.board();
  const name = flagOrArg(call, 'team');
  if (name) {
    const team = await board.teams.status(name);
    return { data: team, text: describe(team) };
  }
  const teams = await Promise.all((await board.teams.list({ all: Boolean(call.values.all), limit: 100 })).items.map((team) => board.teams.status(team.id)));
  return { data: teams, text: teams.length ? teams.map(describe).join('\n\n') : 'no teams' };
};

export const dissolve: Handler = async (call) => {
  const result = await (await call.board()).teams.dissolve(teamName(call), call.maybeAgent());
  return { data: result, text: `dissolved ${result.team.name}: ${result.unregistered.length} members unregistered, their tasks back in the queue` };
};

export const assign: Handler = async (call) => {
  const board = await call.board();
  const { agent, team } = await board.teams.assignRole(required(flagOrArg(call, 'agent-ref') ?? call.maybeAgent() ?? undefined, 'the agent', 'its id or name as the argument'), required(flag(call, 'role'), 'the role', '--role <role>'), flag(call, 'team') ?? null, call.maybeAgent());
  return { data: { agent, team }, text: `${agent.name} is now ${agent.role}${team ? ` on team ${team}` : ''}` };
};

/** `orchestrate team up <team>`: its workers, in this process, until `team down` (or Ctrl-C). */
export const up: Handler = async (call) => {
  const board = await call.board();
  const root = call.settings.projectRoot.value;
  const summary = await runTeam({
    board,
    dispatcher: await startDispatcher(call, board),
    supervisor: processIdentity(process.pid),
    stateDir: ensureStateDir(root),
    root,
    command: commandArgv(call),
    model: flag(call, 'model') ?? null,
    onProgress: (line) => call.progress(line),
    onAgentEvent: agentLines(call, Boolean(call.values.verbose)),
    signal: call.io.shutdownSignal(),
    roles: call.settings.roles,
    budgets: call.settings.budgets,
  }, teamName(call));
  return { data: summary, text: `team ${summary.team.name} is down: ${summary.completed} tasks completed, ${summary.failed} failed` };
};

/** `orchestrate team down <team>`: asks its workers to stop and waits until they have. */
export const down: Handler = async (call) => {
  const board = await call.board();
  const team = await board.teams.requestDown(teamName(call), call.maybeAgent());
  if (!team.workers) return { data: team, text: `team ${team.name} has no workers running` };
  const stopped = await waitFor(board.db, async () => ((await board.teams.get(team.id)).workers === null ? true : null), { timeout_ms: 60_000 }, call.io.shutdownSignal());
  if (!stopped) throw new OrchestratorError('conflict', `team ${team.name}'s workers (process ${team.workers.split(':')[0]}) did not stop within 60 s; they stop after their running agents end — try again, or stop that process`);
  return { data: await board.teams.get(team.id), text: `team ${team.name}'s workers stopped; the tasks they held are back in the queue` };
};
