import type { Agent } from '../../board/agents.js';
import { forgetAgent, saveAgent } from '../../config/settings.js';
import { flag, json, required, seconds, type Call, type Handler } from '../call.js';
import { details, moreHint, table } from '../format.js';

/**
 * An agent registered from the command line is kept alive by hand (`heartbeat`), not by a
 * connection or a process; design E documented a heartbeat every 60 s, so unless a lease is
 * chosen (--lease-ttl, ORCHESTRATOR_LEASE_TTL, lease_ttl:) it gets 90 s: one late beat is no death.
 */
const HAND_LEASE_MS = 90_000;

/** Registers (or takes back) an agent kept by hand from this folder, and saves its identity here. */
export async function registerByHand(call: Call, input: { name: string; role?: string; kind?: string; work_dir?: string; metadata?: Record<string, unknown> }): Promise<Agent> {
  const board = await call.board();
  const leaseTtl = flag(call, 'lease-ttl');
  const agent = await board.agents.register({
    ...input,
    work_dir: input.work_dir ?? call.cwd,
    lease_ttl_ms: leaseTtl !== undefined ? seconds(leaseTtl, 'lease-ttl', 0) : call.settings.leaseTtlMs.source === 'default' ? HAND_LEASE_MS : undefined,
  });
  saveAgent(call.settings.projectRoot.value, { id: agent.id, name: agent.name });
  return agent;
}

export const register: Handler = async (call) => {
  const agent = await registerByHand(call, {
    name: required(flag(call, 'name') ?? call.positionals[0], 'the agent name', '--name <name>'),
    role: flag(call, 'role'),
    kind: flag(call, 'kind'),
    work_dir: flag(call, 'work-dir'),
    metadata: json(flag(call, 'metadata'), 'metadata'),
  });
  return { data: agent, text: `registered ${agent.name} (${agent.id}) as ${agent.role}; lease until ${agent.lease_expires_at}` };
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
