import { readFileSync } from 'node:fs';
import { OrchestratorError } from '../../core/errors.js';
import { integerInRange } from '../../board/input.js';
import type { ProcessState } from '../../board/processes.js';
import { renderEvent, type AgentEvent } from '../../runner/events.js';
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
  if (!record.log_path) throw new OrchestratorError('not_found', `process ${id} has no log yet (it is ${record.state})`);
  let text: string;
  try {
    text = readFileSync(record.log_path, 'utf8');
  } catch {
    throw new OrchestratorError('not_found', `the log of ${id} is gone: ${record.log_path}`);
  }
  const entries = text.split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line) as AgentEvent & { at: string }];
    } catch {
      return []; // a line cut short by a crash
    }
  });
  const lines = entries.map((entry) => [entry.at, renderEvent(entry)] as const).filter(([, line]) => line !== null).map(([at, line]) => `${at.slice(11, 19)} ${line}`);
  const count = flag(call, 'lines');
  const tail = count === undefined ? lines : lines.slice(-integerInRange('--lines', count, 1, 1_000_000));
  return { data: { process: record, events: entries }, text: [`${record.id} ${record.kind} ${record.state}${record.outcome ? ` → ${record.outcome}` : ''}`, ...tail].join('\n') };
};
