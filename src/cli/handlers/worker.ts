import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { integerInRange } from '../../board/input.js';
import { normalizeRole } from '../../board/roles.js';
import { OrchestratorError } from '../../core/errors.js';
import { runWorker } from '../../flows/worker.js';
import { agentProblem } from '../../runner/doctor.js';
import { flag, list, type Handler } from '../call.js';
import { table } from '../format.js';
import { startDispatcher } from './dispatch.js';

const CLIS = ['claude', 'codex', 'gemini', 'command'];

/**
 * `orchestrate worker`: this host takes work orders from the board (a run's tasks, started
 * elsewhere with --local-workers 0) until Ctrl-C. It says which CLIs it has, checked as doctor
 * checks them; its agent is online while it runs.
 */
export const worker: Handler = async (call) => {
  const board = await call.board();
  const host = hostname();
  const wanted = list(flag(call, 'agents')) ?? ['claude', 'codex', 'gemini', 'command'];
  const unknown = wanted.filter((cli) => !CLIS.includes(cli));
  if (unknown.length > 0) throw new OrchestratorError('invalid_input', `--agents ${unknown.join(', ')}: not one of ${CLIS.join(', ')}`);
  const clis: string[] = [];
  for (const cli of wanted) {
    const problem = cli === 'command' ? null : await agentProblem(cli as 'claude' | 'codex' | 'gemini', call.env);
    if (problem) call.progress(`${cli}: not used here — ${problem}`);
    else clis.push(cli);
  }
  if (clis.length === 0) throw new OrchestratorError('invalid_input', `none of ${wanted.join(', ')} can run on ${host} ('orchestrate doctor' says why): install one, or name others with --agents`);
  const max = integerInRange('--max', flag(call, 'max') ?? 2, 1, 64);
  const roles = list(flag(call, 'roles'))?.map((role) => normalizeRole(role)) ?? null;
  const workDir = resolve(call.cwd, flag(call, 'work-dir') ?? '.orchestrator/worker');
  const name = flag(call, 'name') ?? `worker-${host}`;
  const agent = await board.agents.register({ name, role: 'generalist', kind: 'command', work_dir: workDir, metadata: { worker: true, host, clis, roles, max } });
  const release = board.presence.keep(agent.id);
  call.progress(`${name} on ${host} takes work orders for ${clis.join(', ')}${roles ? ` (roles ${roles.join(', ')})` : ''}, up to ${max} at once; Ctrl-C stops it`);
  try {
    const { done } = await runWorker({
      board,
      // Its agents inherit the board's location (`orchestrate done` in a phase finds it so).
      dispatcher: await startDispatcher(call, board, { env: { ORCHESTRATOR_DB: call.settings.db.value } }),
      env: call.env,
      agentId: agent.id,
      host,
      clis,
      roles,
      max,
      workDir,
      onProgress: (line) => call.progress(line),
      signal: call.io.shutdownSignal(),
    });
    return { data: { worker: agent.name, host, done }, text: `${name} stopped after ${done} work orders` };
  } finally {
    release();
    await board.agents.unregister(agent.id).catch(() => undefined);
  }
};

/** `orchestrate worker list`: the workers, their hosts and CLIs, what they run now, their last sign of life. */
export const workerList: Handler = async (call) => {
  const board = await call.board();
  const agents = (await board.agents.list({ all: true, limit: 500 })).items.filter((a) => (a.metadata as { worker?: boolean }).worker);
  const orders = await board.workOrders.recent(1000);
  const rows = agents.map((a) => {
    const meta = a.metadata as { host?: string; clis?: string[]; max?: number };
    const holding = orders.filter((o) => o.worker === a.id && o.state === 'claimed').length;
    const settled = orders.filter((o) => o.worker === a.id && (o.state === 'settled' || o.state === 'used')).length;
    return [a.name, meta.host ?? '', a.status, (meta.clis ?? []).join(','), `${holding}/${meta.max ?? '?'}`, settled, a.last_seen_at];
  });
  return { data: { workers: agents, orders: orders.slice(0, 100) }, text: table(['WORKER', 'HOST', 'STATUS', 'CLIS', 'RUNNING', 'DONE', 'LAST SEEN'], rows, 'no workers yet: run orchestrate worker on a host with the board\'s URL') };
};
