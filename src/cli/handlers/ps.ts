import { OrchestratorError } from '../../core/errors.js';
import { integerInRange } from '../../board/input.js';
import type { ProcessState } from '../../board/processes.js';
import { logLines, readLog } from '../../runner/process-view.js';
import { flag, required, type Handler } from '../call.js';
import { moreHint, table } from '../format.js';

/** `orchestrate ps`: the agent processes the runner started, newest state first. */
export const ps: Handler = async (call) => {
  const state = flag(call, 'state');
  if (state !== undefined && !['queued', 'running', 'exited'].includes(state)) {
    throw new OrchestratorError('invalid_input', `--state '${state}' is unknown; use queued, running or exited`);
  }
  const page = await (await call.board()).processes.list({ state: state as ProcessState | undefined, limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  const rows = page.items.map((p) => [p.id, p.kind, p.state, p.outcome, p.pid, p.attempt, p.task_id, p.cost_usd === null ? null : `$${p.cost_usd.toFixed(4)}`, p.started_at]);
  return { data: page, text: table(['ID', 'KIND', 'STATE', 'OUTCOME', 'PID', 'TRY', 'TASK', 'COST', 'STARTED'], rows, 'no processes') + moreHint(page.next_cursor) };
};

/** `orchestrate logs <process-id>`: what the agent did, one readable line per event. */
export const logs: Handler = async (call) => {
  const id = required(flag(call, 'process-id') ?? call.positionals[0], 'the process id', "the id as the argument ('orchestrate ps' lists them)");
  const record = await (await call.board()).processes.get(id);
  const entries = readLog(record);
  const count = flag(call, 'lines');
  const tail = logLines(entries, count === undefined ? undefined : integerInRange('--lines', count, 1, 1_000_000));
  return { data: { process: record, events: entries.map((entry) => ({ at: entry.at, ...entry.event })) }, text: [`${record.id} ${record.kind} ${record.state}${record.outcome ? ` → ${record.outcome}` : ''}`, ...tail].join('\n') };
};
