import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Agent } from '../../board/agents.js';
import { OrchestratorError } from '../../core/errors.js';
import { forgetAgent, saveAgent } from '../../config/settings.js';
import { flag, json, required, seconds, type Call, type Handler } from '../call.js';
import { agentLines, details, moreHint, table } from '../format.js';

/**
 * An agent registered from the command line is kept alive by hand (`heartbeat`), not by a
 * connection or a process; design E documented a heartbeat every 60 s, so unless a lease is
 * chosen (--lease-ttl, ORCHESTRATOR_LEASE_TTL, lease_ttl:) it gets 90 s: one late beat is no death.
 */
const HAND_LEASE_MS = 90_000;

/** Registers (or takes back) an agent kept by hand from this folder (or, `kept`, by this process), and saves its identity here. */
export async function registerByHand(call: Call, input: { name: string; role?: string; kind?: string; work_dir?: string; metadata?: Record<string, unknown> }, kept = false): Promise<Agent> {
  const board = await call.board();
  const leaseTtl = flag(call, 'lease-ttl');
  const agent = await board.agents.register({
    ...input,
    work_dir: input.work_dir ?? call.cwd,
    lease_ttl_ms: leaseTtl !== undefined ? seconds(leaseTtl, 'lease-ttl', 0) : call.settings.leaseTtlMs.source === 'default' && !kept ? HAND_LEASE_MS : undefined,
  });
  saveAgent(call.settings.projectRoot.value, { id: agent.id, name: agent.name });
  return agent;
}

export const register: Handler = async (call) => {
  const dir = flag(call, 'work-dir');
  const program = flag(call, 'command');
  if (program !== undefined && dir === undefined) throw new OrchestratorError('invalid_input', '--command runs on the messages of a persistent worker: add --work-dir <folder>');
  const workDir = dir === undefined ? undefined : resolve(call.cwd, dir);
  if (workDir !== undefined && !statSync(workDir, { throwIfNoEntry: false })?.isDirectory()) throw new OrchestratorError('invalid_input', `--work-dir ${dir} is not a folder; create it or name another`);
  const agent = await registerByHand(call, {
    name: required(flag(call, 'name') ?? call.positionals[0], 'the agent name', '--name <name>'),
    role: flag(call, 'role'),
    kind: flag(call, 'kind') ?? (program ? 'command' : undefined),
    work_dir: workDir,
    metadata: json(flag(call, 'metadata'), 'metadata'),
  }, workDir !== undefined);
  const text = `registered ${agent.name} (${agent.id}) as ${agent.role}; lease until ${agent.lease_expires_at}`;
  if (workDir === undefined) return { data: agent, text };
  // Design E v0.3: stay, and answer each message to this agent with an agent run in the folder.
  const { runInboxWorker } = await import('../../flows/inbox-worker.js');
  const { startDispatcher } = await import('./dispatch.js');
  const board = await call.board();
  call.progress(`${text}\n${agent.name} answers its messages with ${program ? program : 'Claude Code'} in ${workDir} until Ctrl-C`);
  const totals = await runInboxWorker({
    board,
    dispatcher: await startDispatcher(call, board),
    agentId: agent.id,
    workDir,
    command: program ? [program, ...((call.values.arg as string[] | undefined) ?? [])] : null,
    model: flag(call, 'model') ?? null,
    onProgress: (line) => call.progress(line),
    onAgentEvent: agentLines(call, false),
    signal: call.io.shutdownSignal(),
  });
  return { data: { agent, ...totals }, text: `${agent.name} stopped: ${totals.answered} messages answered, ${totals.failed} failed` };
};

export const heartbeat: Handler = async (call) => {
  const board = await call.board();
  const agent = await board.agents.heartbeat(call.agent(), { current_task: flag(call, 'current-task') ?? flag(call, 'task-id') ?? null });
  return { data: agent, text: `${agent.name}: lease until ${agent.lease_expires_at}${agent.current_task ? `, working on ${agent.current_task}` : ''}` };
};

export const list: Handler = async (call) => {
  const board = await call.board();
  const page = await board.agents.list({ all: call.values.all === true, role: flag(call, 'role'), limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  const rows = page.items.map((a) => [a.id, a.name, a.role, a.kind, a.status, a.current_task, a.status === 'online' ? a.lease_expires_at : a.offline_reason]);
  return {
    data: page,
    text: table(['ID', 'NAME', 'ROLE', 'KIND', 'STATUS', 'TASK', 'LEASE / WHY OFFLINE'], rows, 'no agents online') + moreHint(page.next_cursor),
  };
};

export const get: Handler = async (call) => {
  const board = await call.board();
  const agent = await board.agents.get(call.positionals[0] ?? call.agent());
  return { data: agent, text: describeAgent(agent) };
};

export const unregister: Handler = async (call) => {
  const board = await call.board();
  const agent = await board.agents.unregister(call.agent());
  forgetAgent(call.settings.projectRoot.value, agent.id);
  return { data: agent, text: `unregistered ${agent.name} (${agent.id})` };
};

function describeAgent(agent: Agent): string {
  return details([
    ['id', agent.id], ['name', agent.name], ['role', agent.role], ['kind', agent.kind], ['status', agent.status],
    ['current task', agent.current_task], ['work dir', agent.work_dir], ['registered', agent.registered_at],
    ['last seen', agent.last_seen_at], ['lease until', agent.lease_expires_at], ['offline because', agent.offline_reason],
    ['metadata', Object.keys(agent.metadata).length > 0 ? agent.metadata : null],
  ]);
}
