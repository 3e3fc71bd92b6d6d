import { readFileSync } from 'node:fs';
import type { ProcessRecord } from '../board/processes.js';
import { OrchestratorError } from '../core/errors.js';
import { renderEvent, type AgentEvent } from './events.js';

/**
 * How a process reads to its askers (the dispatch tools, the process tools and the CLI): a
 * status in words, its outcome and answer, and its log as readable lines.
 */
export type DispatchStatus = 'queued' | 'running' | 'waiting_input' | 'completed' | 'cancelled' | 'rate_limited' | 'failed';

export function dispatchStatus(record: ProcessRecord): DispatchStatus {
  if (record.state === 'queued') return 'queued';
  if (record.state === 'running') return record.awaiting_input ? 'waiting_input' : 'running';
  if (record.outcome === 'ok') return 'completed';
  if (record.outcome === 'killed') return 'cancelled';
  if (record.outcome === 'rate_limited') return 'rate_limited';
  return 'failed';
}

export function dispatchView(record: ProcessRecord) {
  return {
    dispatch_id: record.id,
    status: dispatchStatus(record),
    agent: record.kind,
    outcome: record.outcome,
    message: record.outcome_message,
    output: record.output,
    usage: record.usage,
    cost_usd: record.cost_usd,
    session_id: record.session_id,
    reset_at: record.reset_at,
    log_path: record.log_path,
    task_id: record.task_id,
    queued_at: record.queued_at,
    ended_at: record.ended_at,
  };
}

export interface LogEntry {
  at: string;
  event: AgentEvent;
  line: string | null;
}

/** The events a process logged, each with its readable line (a line cut short by a crash is skipped). */
export function readLog(record: ProcessRecord): LogEntry[] {
  if (!record.log_path) throw new OrchestratorError('not_found', `process ${record.id} has no log yet (it is ${record.state})`);
  let text: string;
  try {
    text = readFileSync(record.log_path, 'utf8');
  } catch {
    throw new OrchestratorError('not_found', `the log of ${record.id} is gone: ${record.log_path}`);
  }
  return text.split('\n').filter(Boolean).flatMap((raw) => {
    try {
      const { at, ...event } = JSON.parse(raw) as AgentEvent & { at: string };
      return [{ at, event: event as AgentEvent, line: renderEvent(event as AgentEvent) }];
    } catch {
      return [];
    }
  });
}

/** The last `count` readable lines of a log, each with its time of day. */
export function logLines(entries: LogEntry[], count?: number): string[] {
  const lines = entries.filter((entry) => entry.line !== null).map((entry) => `${entry.at.slice(11, 19)} ${entry.line}`);
  return count === undefined ? lines : lines.slice(-count);
}
