import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Board } from '../../board/board.js';
import { integerInRange } from '../../board/input.js';
import type { ProcessRecord, ProcessState } from '../../board/processes.js';
import { OrchestratorError } from '../../core/errors.js';
import { logLines, parseLog, readLog, type LogEntry } from '../../runner/process-view.js';
import { flag, required, type Handler } from '../call.js';
import { moreHint, table } from '../format.js';

/** `orchestrate ps`: the agent processes the runner started, newest state first. */
export const ps: Handler = async (call) => {
  const state = flag(call, 'state');
  if (state !== undefined && !['queued', 'running', 'exited'].includes(state)) {
    throw new OrchestratorError('invalid_input', `--state '${state}' is unknown; use queued, running or exited`);
  }
  const page = await (await call.board()).processes.list({ state: state as ProcessState | undefined, limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  const rows = page.items.map((p) => [p.id, p.kind, p.state, p.outcome, p.host, p.pid, p.attempt, p.task_id, p.cost_usd === null ? null : `$${p.cost_usd.toFixed(4)}`, p.started_at]);
  return { data: page, text: table(['ID', 'KIND', 'STATE', 'OUTCOME', 'HOST', 'PID', 'TRY', 'TASK', 'COST', 'STARTED'], rows, 'no processes') + moreHint(page.next_cursor) };
};

/** `orchestrate logs <process-id>`: what the agent did, one readable line per event. */
export const logs: Handler = async (call) => {
  const id = required(flag(call, 'process-id') ?? call.positionals[0], 'the process id', "the id as the argument ('orchestrate ps' lists them)");
  const board = await call.board();
  const record = await board.processes.get(id);
  const { entries, from } = await readAnyLog(board, record);
  const count = flag(call, 'lines');
  const tail = logLines(entries, count === undefined ? undefined : integerInRange('--lines', count, 1, 1_000_000));
  return { data: { process: record, from, events: entries.map((entry) => ({ at: entry.at, ...entry.event })) }, text: [`${record.id} ${record.kind} ${record.state}${record.outcome ? ` → ${record.outcome}` : ''}${from ? ` (${from})` : ''}`, ...tail].join('\n') };
};

/**
 * The process's log from its file, or — when the file is on another host (a worker's) — the end
 * of it that the worker left on the board with its work order; `from` says which.
 */
async function readAnyLog(board: Board, record: ProcessRecord): Promise<{ entries: LogEntry[]; from: string | null }> {
  if (record.log_path && existsSync(record.log_path)) return { entries: readLog(record), from: null };
  const order = record.host !== hostname() ? await board.workOrders.ofProcess(record.id) : null;
  if (!order?.result?.log_tail) return { entries: readLog(record), from: null }; // says why there is none
  return { entries: parseLog(order.result.log_tail), from: `the end of its log, from the board: the file is on ${record.host}, ${record.log_path}` };
};
