import { hostname } from 'node:os';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
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
    throw new OrchestratorError('not_found', `the log of ${record.id} is gone: ${record.log_path}${record.host !== hostname() ? ` (it was written on ${record.host})` : ''}`);
  }
  return parseLog(text);
}

/** A log's JSON lines as entries (a line cut short — a crash, or the start of a log's end — is skipped). */
export function parseLog(text: string): LogEntry[] {
  return text.split('\n').filter(Boolean).flatMap((raw) => {
    try {
      const { at, ...event } = JSON.parse(raw) as AgentEvent & { at: string };
      return [{ at, event: event as AgentEvent, line: renderEvent(event as AgentEvent) }];
    } catch {
      return [];
    }
  });
}

/** A file's last whole lines within its last `maxBytes` (a line cut by the limit is left out), and the file's size. */
export function lastLines(path: string, maxBytes: number): { text: string; size: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    return { text: length < size ? text.slice(text.indexOf('\n') + 1) : text, size };
  } finally {
    closeSync(fd);
  }
}

/** Which lines of a log a view shows: all, the errors (failed tool calls, errors, a failed result), or the tool calls. */
export type LogFilter = 'all' | 'errors' | 'tools';

/**
 * The end of a process log, read from its last `maxBytes` only (a long log stays cheap), as
 * readable lines with their time of day — narrowed to errors or tool calls, and to lines that
 * contain `search` — at most `count` of them; and the file's size, to tell when it grows.
 */
export function tailLog(path: string, options: { count: number; only?: LogFilter; search?: string; maxBytes?: number }): { lines: string[]; size: number } {
  const { text, size } = lastLines(path, options.maxBytes ?? 512 * 1024);
  const wanted = (event: AgentEvent): boolean => {
    if (options.only === 'errors') return event.type === 'error' || event.type === 'denied' || event.type === 'parse_error' || (event.type === 'tool_result' && event.is_error) || (event.type === 'result' && event.is_error);
    if (options.only === 'tools') return event.type === 'tool_call' || event.type === 'tool_result';
    return true;
  };
  const search = options.search?.toLowerCase();
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    try {
      const { at, ...event } = JSON.parse(raw) as AgentEvent & { at: string };
      const line = renderEvent(event as AgentEvent);
      if (line === null || !wanted(event as AgentEvent)) continue;
      const shown = `${String(at).slice(11, 19)} ${line}`;
      if (search && !shown.toLowerCase().includes(search)) continue;
      lines.push(shown);
    } catch {
      // a line cut short by a crash
    }
  }
  return { lines: lines.slice(-options.count), size };
}

/** The last `count` readable lines of a log, each with its time of day. */
export function logLines(entries: LogEntry[], count?: number): string[] {
  const lines = entries.filter((entry) => entry.line !== null).map((entry) => `${entry.at.slice(11, 19)} ${entry.line}`);
  return count === undefined ? lines : lines.slice(-count);
}
