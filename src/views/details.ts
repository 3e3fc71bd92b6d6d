import type { Db } from '../store/db.js';
import { accountStates, type AccountState } from '../board/accounts.js';
import { parseJson } from '../board/input.js';
import { marks } from '../board/tasks.js';
import { tokensOf } from './model.js';

/**
 * What a view shows behind a row, read from the board when a person opens it: one task, one
 * agent, a run's dependency graph and timeline, the merge queue, spending over time, messages and
 * shared context. Plain SELECTs, each bounded (a page never reads the whole event log: events are
 * read by subject, through their index), shared by `orchestrate web` and `orchestrate tui`.
 */

export interface EventFact {
  id: number;
  at: number;
  type: string;
  subject: string | null;
  actor: string | null;
  data: Record<string, unknown>;
}

export interface Attempt {
  process_id: string;
  cli: string;
  state: string;
  outcome: string | null;
  message: string | null;
  host: string;
  started_at: number | null;
  ended_at: number | null;
  cost_usd: number | null;
  tokens: number | null;
  log: string | null;
}

interface Linked {
  id: string;
  title: string;
  status: string;
}

export interface TaskDetail {
  task: Record<string, unknown> & { id: string; title: string; status: string };
  depends_on: Linked[];
  dependents: Linked[];
  /** The agent processes that worked on it, oldest first. */
  attempts: Attempt[];
  /** The engine's verdict on each attempt (`task.attempt` events): outcome, gates, the problem. */
  checks: EventFact[];
  /** Its way through the merge queue (`merge.*` events). */
  merges: EventFact[];
  events: EventFact[];
}

const EVENTS_SHOWN = 200;

export async function taskDetail(db: Db, id: string): Promise<TaskDetail | null> {
  const [task] = await db.query<Record<string, unknown> & { id: string; title: string; status: string }>(
    `SELECT id, title, description, status, priority, role, assignee, claimed_by, run_id, retry_count, max_retries, result, reason, labels, created_by, created_at, claimed_at, started_at, finished_at, updated_at
     FROM tasks WHERE id = ?`, [id]);
  if (!task) return null;
  const depends_on = await db.query<Linked>('SELECT t.id, t.title, t.status FROM task_deps d JOIN tasks t ON t.id = d.depends_on WHERE d.task_id = ? ORDER BY t.seq', [id]);
  const dependents = await db.query<Linked>('SELECT t.id, t.title, t.status FROM task_deps d JOIN tasks t ON t.id = d.task_id WHERE d.depends_on = ? ORDER BY t.seq LIMIT 500', [id]);
  const attempts = (await db.query<ProcessRow>(`${PROCESS_SELECT} WHERE task_id = ? ORDER BY seq LIMIT 200`, [id])).map(toAttempt);
  const events = await eventsOf(db, id, EVENTS_SHOWN);
  if (task.claimed_by) {
    const [holder] = await db.query<{ name: string }>('SELECT name FROM agents WHERE id = ?', [String(task.claimed_by)]);
    if (holder) task.claimed_by_name = holder.name;
  }
  return {
    task,
    depends_on,
    dependents,
    attempts,
    checks: events.filter((e) => e.type === 'task.attempt'),
    merges: events.filter((e) => e.type.startsWith('merge.')),
    events,
  };
}

export interface AgentDetail {
  agent: Record<string, unknown> & { id: string; name: string };
  tasks: Linked[];
  messages: MessageFact[];
  processes: Attempt[];
  events: EventFact[];
}

export async function agentDetail(db: Db, id: string): Promise<AgentDetail | null> {
  const [agent] = await db.query<Record<string, unknown> & { id: string; name: string; metadata: string }>(
    'SELECT id, name, role, kind, status, current_task, work_dir, metadata, registered_at, last_seen_at, lease_ttl_ms, lease_expires_at, offline_reason FROM agents WHERE id = ?', [id]);
  if (!agent) return null;
  agent.metadata = parseJson(agent.metadata, null) as never;
  const tasks = await db.query<Linked>('SELECT id, title, status FROM tasks WHERE claimed_by = ? ORDER BY seq DESC LIMIT 50', [id]);
  const messages = await messagesWhere(db, 'm.from_agent = ? OR m.to_agent = ? OR m.to_agent IS NULL', [id, id], 50);
  const processes = (await db.query<ProcessRow>(`${PROCESS_SELECT} WHERE created_by = ? OR task_id IN (SELECT id FROM tasks WHERE claimed_by = ?) ORDER BY seq DESC LIMIT 50`, [id, id])).map(toAttempt);
  return { agent, tasks, messages, processes, events: await eventsOf(db, id, 100) };
}

export interface GraphNode {
  id: string;
  title: string;
  status: string;
  /** How long it took, takes so far, or is expected to take (the median of the finished ones). */
  ms: number;
  critical: boolean;
}

export interface Graph {
  run_id: string | null;
  nodes: GraphNode[];
  edges: [string, string][];
  /** The longest chain of dependencies by time: what decides when the run can end. */
  critical_path: string[];
  critical_ms: number;
  /** More tasks than a graph shows: it holds the first ones only. */
  truncated: boolean;
}

const GRAPH_NODES = 1500;

/** A run's tasks (default: the newest run's; with no run, the newest tasks) and their dependencies, with the critical path. */
export async function taskGraph(db: Db, runId: string | null, now: number): Promise<Graph> {
  const run = runId ?? (await newestRun(db));
  const rows = await db.query<{ id: string; title: string; status: string; started_at: number | null; finished_at: number | null }>(
    run === null
      ? 'SELECT id, title, status, started_at, finished_at FROM tasks ORDER BY seq DESC LIMIT ?'
      : 'SELECT id, title, status, started_at, finished_at FROM tasks WHERE run_id = ? ORDER BY seq LIMIT ?',
    run === null ? [GRAPH_NODES + 1] : [run, GRAPH_NODES + 1],
  );
  const truncated = rows.length > GRAPH_NODES;
  const shown = rows.slice(0, GRAPH_NODES);
  const ids = new Set(shown.map((r) => r.id));
  const edges: [string, string][] = [];
  for (const chunk of chunks([...ids], 500)) {
    const deps = await db.query<{ task_id: string; depends_on: string }>(`SELECT task_id, depends_on FROM task_deps WHERE task_id IN (${marks(chunk)})`, chunk);
    for (const dep of deps) if (ids.has(dep.depends_on)) edges.push([dep.depends_on, dep.task_id]);
  }
  const took = shown.filter((r) => r.started_at !== null && r.finished_at !== null).map((r) => Number(r.finished_at) - Number(r.started_at)).sort((a, b) => a - b);
  const expected = took.length > 0 ? took[Math.floor(took.length / 2)]! : 60_000;
  const nodes = shown.map((r) => ({
    id: r.id,
    title: r.title,
    status: r.status,
    ms: r.started_at === null ? expected : Math.max(0, Number(r.finished_at ?? now) - Number(r.started_at)),
    critical: false,
  }));
  const { path, ms } = criticalPath(nodes, edges);
  const onPath = new Set(path);
  for (const node of nodes) node.critical = onPath.has(node.id);
  return { run_id: run, nodes, edges, critical_path: path, critical_ms: ms, truncated };
}

/** The longest path through a DAG weighted by node time (nodes in a cycle, which a plan refuses, are left out). */
export function criticalPath(nodes: { id: string; ms: number }[], edges: [string, string][]): { path: string[]; ms: number } {
  const ms = new Map(nodes.map((n) => [n.id, n.ms]));
  const next = new Map<string, string[]>();
  const incoming = new Map(nodes.map((n) => [n.id, 0]));
  for (const [from, to] of edges) {
    next.set(from, [...(next.get(from) ?? []), to]);
    incoming.set(to, (incoming.get(to) ?? 0) + 1);
  }
  const best = new Map<string, { ms: number; prev: string | null }>();
  const ready = nodes.filter((n) => incoming.get(n.id) === 0).map((n) => n.id);
  for (const id of ready) best.set(id, { ms: ms.get(id)!, prev: null });
  while (ready.length > 0) {
    const id = ready.pop()!;
    const here = best.get(id)!;
    for (const to of next.get(id) ?? []) {
      const through = here.ms + ms.get(to)!;
      if (!best.has(to) || best.get(to)!.ms < through) best.set(to, { ms: through, prev: id });
      incoming.set(to, incoming.get(to)! - 1);
      if (incoming.get(to) === 0) ready.push(to);
    }
  }
  let end: string | null = null;
  for (const [id, value] of best) if (end === null || value.ms > best.get(end)!.ms) end = id;
  const path: string[] = [];
  for (let at = end; at !== null; at = best.get(at)!.prev) path.unshift(at);
  return { path, ms: end === null ? 0 : best.get(end)!.ms };
}

export interface Timeline {
  run: Record<string, unknown> | null;
  /** One lane per task (and one for the run's own planner and reviewer processes). */
  lanes: { id: string; title: string; processes: Attempt[] }[];
  /** Gates, merges and pauses on the run's time axis. */
  marks: EventFact[];
}

/** A run's agent processes per lane, and its gates, merges and pauses (default: the newest run). */
export async function runTimeline(db: Db, runId: string | null): Promise<Timeline> {
  const id = runId ?? (await newestRun(db));
  if (id === null) return { run: null, lanes: [], marks: [] };
  const [run] = await db.query<Record<string, unknown> & { project: string; created_at: number; ended_at: number | null }>(
    'SELECT id, kind, title, status, phase, cycle, branch, project, cost_usd, options, paused_until, created_at, updated_at, ended_at FROM runs WHERE id = ?', [id]);
  if (!run) return { run: null, lanes: [], marks: [] };
  run.options = parseJson(String(run.options), null) as never;
  const tasks = await db.query<{ id: string; title: string }>('SELECT id, title FROM tasks WHERE run_id = ? ORDER BY seq LIMIT 1000', [id]);
  const byTask = new Map<string, Attempt[]>();
  const processes = await db.query<ProcessRow>(`${PROCESS_SELECT} WHERE task_id IN (${RUN_TASKS}) ORDER BY seq LIMIT 5000`, [id]);
  for (const p of processes) byTask.set(p.task_id!, [...(byTask.get(p.task_id!) ?? []), toAttempt(p)]);
  // The planner's and reviewer's processes hold no task: those queued in the run's project while it ran.
  const own = await db.query<ProcessRow>(
    `${PROCESS_SELECT} WHERE task_id IS NULL AND queued_at >= ? AND queued_at <= ? AND substr(cwd, 1, length(CAST(? AS TEXT))) = CAST(? AS TEXT) ORDER BY seq LIMIT 500`,
    [Number(run.created_at), Number(run.ended_at ?? Number.MAX_SAFE_INTEGER), run.project, run.project],
  );
  const lanes = [
    ...(own.length > 0 ? [{ id, title: 'planning and review', processes: own.map(toAttempt) }] : []),
    ...tasks.map((t) => ({ id: t.id, title: t.title, processes: byTask.get(t.id) ?? [] })),
  ];
  const verdicts = (await eventsWhere(db, `subject IN (${RUN_TASKS})`, [id], 5000))
    .filter((e) => e.type === 'task.attempt' || e.type.startsWith('merge.'));
  const pauses = (await eventsOf(db, id, 1000)).filter((e) => e.type === 'run.updated' && typeof e.data.status === 'string');
  return { run, lanes, marks: [...verdicts, ...pauses].sort((a, b) => a.id - b.id) };
}

export interface MergeQueue {
  run_id: string | null;
  /** Tasks whose branch waits to be merged, first in line first. */
  waiting: EventFact[];
  /** Every merge outcome, newest first. */
  done: EventFact[];
}

/** A run's merge queue: what waits, and each merge's outcome with its integration gates (default: the newest run). */
export async function mergeQueue(db: Db, runId: string | null): Promise<MergeQueue> {
  const id = runId ?? (await newestRun(db));
  if (id === null) return { run_id: null, waiting: [], done: [] };
  const events = (await eventsWhere(db, `subject IN (${RUN_TASKS})`, [id], 5000)).filter((e) => e.type.startsWith('merge.'));
  const last = new Map<string, EventFact>();
  for (const event of events) last.set(event.subject!, event);
  return {
    run_id: id,
    waiting: [...last.values()].filter((e) => e.type === 'merge.queued'),
    done: events.filter((e) => e.type !== 'merge.queued').reverse(),
  };
}

export interface Costs {
  /** Each finished process's spend, oldest first, with the running totals: the chart's points. */
  points: { at: number; cli: string; cost_usd: number; tokens: number; total_usd: number; total_tokens: number }[];
  by_cli: Record<string, { cost_usd: number; tokens: number; processes: number }>;
  runs: { id: string; title: string; status: string; cost_usd: number; budget_usd: number | null }[];
  /** Times a limit stopped work: from the refusal to the reset. */
  pauses: { from: number; to: number | null; cli: string }[];
  truncated: boolean;
  /** Each CLI account's usage windows and state now (what routing picks by). */
  accounts: AccountState[];
}

const COST_POINTS = 5000;

export async function costs(db: Db): Promise<Costs> {
  const rows = (await db.query<{ kind: string; cost_usd: number | null; usage: string | null; ended_at: number; outcome: string | null; reset_at: string | null }>(
    'SELECT kind, cost_usd, usage, ended_at, outcome, reset_at FROM processes WHERE ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT ?', [COST_POINTS + 1])).reverse();
  const truncated = rows.length > COST_POINTS;
  const points: Costs['points'] = [];
  const by_cli: Costs['by_cli'] = {};
  const pauses: Costs['pauses'] = [];
  let total_usd = 0;
  let total_tokens = 0;
  for (const row of rows.slice(truncated ? 1 : 0)) {
    const cost = Number(row.cost_usd ?? 0);
    const tokens = tokensOf(row.usage) ?? 0;
    total_usd += cost;
    total_tokens += tokens;
    points.push({ at: Number(row.ended_at), cli: row.kind, cost_usd: cost, tokens, total_usd, total_tokens });
    const cli = (by_cli[row.kind] ??= { cost_usd: 0, tokens: 0, processes: 0 });
    cli.cost_usd += cost;
    cli.tokens += tokens;
    cli.processes++;
    if (row.outcome === 'rate_limited') {
      const reset = row.reset_at ? Date.parse(row.reset_at) : Number.NaN;
      pauses.push({ from: Number(row.ended_at), to: Number.isNaN(reset) ? null : reset, cli: row.kind });
    }
  }
  const runs = (await db.query<{ id: string; title: string; status: string; cost_usd: number; options: string }>('SELECT id, title, status, cost_usd, options FROM runs ORDER BY seq DESC LIMIT 50'))
    .map((r) => ({ id: r.id, title: r.title, status: r.status, cost_usd: Number(r.cost_usd), budget_usd: ((parseJson(r.options, {}) as { budget_usd?: number | null }).budget_usd ?? null) }));
  return { points, by_cli, runs, pauses, truncated, accounts: await accountStates(db, db.now()) };
}

export interface MessageFact {
  id: string;
  kind: string;
  from: string | null;
  to: string | null;
  content: string;
  at: number;
}

export interface Conversation {
  messages: MessageFact[];
  context: { key: string; value: string; version: number; updated_by: string | null; updated_at: number }[];
}

/** The newest messages between agents, and the shared context every agent reads. */
export async function conversation(db: Db): Promise<Conversation> {
  const messages = await messagesWhere(db, '1 = 1', [], 200);
  const context = await db.query<Conversation['context'][0]>('SELECT key, substr(value, 1, 4000) AS value, version, updated_by, updated_at FROM context ORDER BY updated_at DESC LIMIT 500');
  return { messages, context: context.map((c) => ({ ...c, version: Number(c.version), updated_at: Number(c.updated_at) })) };
}

// ── the reads they share ──

interface ProcessRow {
  id: string;
  kind: string;
  state: string;
  task_id: string | null;
  outcome: string | null;
  outcome_message: string | null;
  host: string;
  started_at: number | null;
  ended_at: number | null;
  cost_usd: number | null;
  usage: string | null;
  log_path: string | null;
}

/** A run's tasks, for `IN (…)`: events and processes are then read through their indexes. */
const RUN_TASKS = 'SELECT id FROM tasks WHERE run_id = ?';

const PROCESS_SELECT = 'SELECT id, kind, state, task_id, outcome, outcome_message, host, started_at, ended_at, cost_usd, usage, log_path FROM processes';

function toAttempt(p: ProcessRow): Attempt {
  return {
    process_id: p.id,
    cli: p.kind,
    state: p.state,
    outcome: p.outcome,
    message: p.outcome_message?.split('\n')[0]?.slice(0, 300) ?? null,
    host: p.host,
    started_at: p.started_at === null ? null : Number(p.started_at),
    ended_at: p.ended_at === null ? null : Number(p.ended_at),
    cost_usd: p.cost_usd === null ? null : Number(p.cost_usd),
    tokens: tokensOf(p.usage),
    log: p.log_path,
  };
}

async function eventsOf(db: Db, subject: string, count: number): Promise<EventFact[]> {
  return eventsWhere(db, 'subject = ?', [subject], count);
}

/** The newest `count` events that match, oldest first. */
async function eventsWhere(db: Db, where: string, params: (string | number)[], count: number): Promise<EventFact[]> {
  const rows = await db.query<{ id: number; at: number; type: string; subject: string | null; actor: string | null; data: string }>(
    `SELECT id, at, type, subject, actor, data FROM events WHERE ${where} ORDER BY id DESC LIMIT ?`, [...params, count]);
  return rows.reverse().map((e) => ({ id: Number(e.id), at: Number(e.at), type: e.type, subject: e.subject, actor: e.actor, data: parseJson(e.data, {}) as Record<string, unknown> }));
}

async function messagesWhere(db: Db, where: string, params: string[], count: number): Promise<MessageFact[]> {
  const rows = await db.query<{ id: string; kind: string; from_name: string | null; to_name: string | null; from_agent: string | null; to_agent: string | null; content: string; created_at: number }>(
    `SELECT m.id, m.kind, m.from_agent, m.to_agent, f.name AS from_name, t.name AS to_name, substr(m.content, 1, 4000) AS content, m.created_at
     FROM messages m LEFT JOIN agents f ON f.id = m.from_agent LEFT JOIN agents t ON t.id = m.to_agent
     WHERE ${where} ORDER BY m.seq DESC LIMIT ?`, [...params, count]);
  return rows.reverse().map((m) => ({ id: m.id, kind: m.kind, from: m.from_name ?? m.from_agent, to: m.to_name ?? m.to_agent, content: m.content, at: Number(m.created_at) }));
}

async function newestRun(db: Db): Promise<string | null> {
  const [run] = await db.query<{ id: string }>('SELECT id FROM runs ORDER BY seq DESC LIMIT 1');
  return run?.id ?? null;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
