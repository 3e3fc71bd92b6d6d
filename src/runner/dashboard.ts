import type { Board } from '../board/board.js';
import type { ProcessRecord } from '../board/processes.js';
import { dispatchStatus } from './process-view.js';

/**
 * A text dashboard of the runner for people and for a driving session (status_dashboard):
 * what runs, what waits, how the last runs ended, the task queue, approvals waiting for an
 * answer, and the limits in force.
 */
export async function dashboard(board: Board, now = Date.now()): Promise<string> {
  const [running, queued, config, counts, approvals] = await Promise.all([
    allOf(board, 'running'),
    allOf(board, 'queued'),
    board.runnerSettings.get(),
    board.tasks.counts(),
    board.approvals.list({ state: 'pending', limit: 20 }),
  ]);
  const recent = await board.processes.recent(10);
  const age = (iso: string | null) => (iso ? `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s` : '-');
  const row = (p: ProcessRecord, when: string | null) => `  ${p.id}  ${p.kind.padEnd(7)} ${dispatchStatus(p).padEnd(13)} ${age(when).padStart(7)}${p.task_id ? `  task ${p.task_id}` : ''}${p.cost_usd !== null ? `  $${p.cost_usd.toFixed(4)}` : ''}`;
  const spent = recent.reduce((sum, p) => sum + (p.cost_usd ?? 0), 0);
  const perKind = Object.entries(config.per_kind).map(([kind, n]) => `${kind} ${n}`).join(', ');
  return [
    `Runner: ${running.length} running, ${queued.length} queued · limit ${config.concurrency}${perKind ? ` (${perKind})` : ''} · idle ${config.idle_timeout_s} s, total ${config.total_timeout_s} s`,
    '',
    'Running',
    ...(running.length ? running.map((p) => row(p, p.started_at)) : ['  (none)']),
    'Queued',
    ...(queued.length ? queued.map((p) => row(p, p.queued_at)) : ['  (none)']),
    `Recent outcomes${recent.length ? ` ($${spent.toFixed(4)} over these)` : ''}`,
    ...(recent.length ? recent.map((p) => `${row(p, p.ended_at)}  ${p.outcome}`) : ['  (none)']),
    `Tasks: ${Object.entries(counts).map(([status, n]) => `${n} ${status}`).join(', ')}`,
    `Approvals waiting: ${approvals.items.length}`,
    ...approvals.items.map((a) => `  ${a.id}  ${a.tool_name}  from ${a.agent ?? 'unknown'}${a.role ? ` (${a.role})` : ''}`),
  ].join('\n');
}

async function allOf(board: Board, state: 'running' | 'queued'): Promise<ProcessRecord[]> {
  const found: ProcessRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await board.processes.list({ state, limit: 500, cursor });
    found.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return found;
}
