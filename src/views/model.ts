import type { Db } from '../store/db.js';
import { identityAlive } from '../runner/os-process.js';

/**
 * What the live views show, read from the board and nothing else: every agent, task, agent
 * process, approval and run as a row with its attention class — from facts (leases, process
 * outcomes, approvals, the event log), never from a guess at a terminal screen. One classifier,
 * shared by `orchestrate web`, `status --json` and (later) the TUI.
 *
 * Reading has no side effect: plain SELECTs (no lease sweep — a lapsed lease shows as `dead`
 * until some writer sweeps it). A view keeps one cursor on the events table: `Live.catchUp()`
 * reads the events after it and re-reads only the rows they name; `Live.refresh()` moves rows
 * whose class changes with time alone (stalled, a lease about to lapse, a pause that ended) —
 * reading again the agents whose lease is near its end, since presence renews leases without an
 * event — and `Live.nextDeadline()` says when that next happens, so a view sleeps until an event
 * or that time.
 */
export const ATTENTION = ['needs_you', 'setup_error', 'dead', 'stalled', 'gate_failed', 'paused', 'failed', 'working', 'queued', 'idle', 'done'] as const;
export type Attention = (typeof ATTENTION)[number];
/** The classes a Problems view lists: something is wrong or waits for a person. */
export const PROBLEMS = ['needs_you', 'setup_error', 'dead', 'stalled', 'gate_failed', 'failed'] as const satisfies readonly Attention[];
export type RowKind = 'agent' | 'task' | 'process' | 'approval' | 'run';

export interface ViewRow {
  /** `kind:id`, unique among all rows. */
  key: string;
  kind: RowKind;
  id: string;
  title: string;
  attention: Attention;
  /** Why this class, in a few words (the fact it rests on). */
  why: string;
  /** When the row entered its state (ms), and its last activity on the board (ms). */
  since: number | null;
  last_activity: number | null;
  /** Who holds or runs it (an agent's name, a process's task, …), for display. */
  detail: string;
  cost_usd: number | null;
  tokens: number | null;
  /** Extra facts a view may show: lease end, pid, host, reset time, budget, tool input. */
  extra: Record<string, unknown>;
}

export interface ClassifyOptions {
  /** A working agent, task or process with no event for this long is stalled (default 10 min). */
  stalledAfterMs: number;
  /** The host this view runs on: a supervisor here that is gone makes its processes dead. */
  host: string | null;
}

export const DEFAULT_CLASSIFY: ClassifyOptions = { stalledAfterMs: 10 * 60_000, host: null };

interface AgentFacts { id: string; name: string; role: string; kind: string; status: string; current_task: string | null; last_seen_at: number | null; lease_expires_at: number; lease_ttl_ms: number; offline_reason: string | null; registered_at: number }
interface TaskFacts { id: string; title: string; status: string; priority: number; role: string | null; claimed_by: string | null; reason: string | null; run_id: string | null; updated_at: number; waiting_on: number }
interface ProcessFacts { id: string; kind: string; state: string; task_id: string | null; host: string; pid: number | null; supervisor: string; outcome: string | null; outcome_message: string | null; reset_at: string | null; cost_usd: number | null; usage: string | null; awaiting_input: number | boolean; queued_at: number | null; started_at: number | null; ended_at: number | null; created_by: string | null; log_path: string | null }
interface ApprovalFacts { id: string; agent: string | null; tool_name: string; input: string; state: string; decided_by: string | null; created_at: number; decided_at: number | null }
interface RunFacts { id: string; kind: string; title: string; status: string; phase: string; paused_until: number | null; cost_usd: number; options: string; updated_at: number; supervisor: string | null }

const SELECT = {
  agent: 'SELECT id, name, role, kind, status, current_task, last_seen_at, lease_expires_at, lease_ttl_ms, offline_reason, registered_at FROM agents',
  task: `SELECT t.id, t.title, t.status, t.priority, t.role, t.claimed_by, t.reason, t.run_id, t.updated_at,
      (SELECT count(*) FROM task_deps d JOIN tasks p ON p.id = d.depends_on WHERE d.task_id = t.id AND p.status <> 'completed') AS waiting_on
    FROM tasks t`,
  process: 'SELECT id, kind, state, task_id, host, pid, supervisor, outcome, outcome_message, reset_at, cost_usd, usage, awaiting_input, queued_at, started_at, ended_at, created_by, log_path FROM processes',
  approval: 'SELECT id, agent, tool_name, input, state, decided_by, created_at, decided_at FROM approvals',
  run: 'SELECT id, kind, title, status, phase, paused_until, cost_usd, options, updated_at, supervisor FROM runs',
} as const;

/** The facts on the board, as plain rows: what a view classifies. */
export interface Facts {
  agents: Map<string, AgentFacts>;
  tasks: Map<string, TaskFacts>;
  processes: Map<string, ProcessFacts>;
  approvals: Map<string, ApprovalFacts>;
  runs: Map<string, RunFacts>;
  /** The last event's time per subject and per actor (ms). */
  activity: Map<string, number>;
}

const TABLE: Record<string, keyof Omit<Facts, 'activity'>> = { agent: 'agents', task: 'tasks', proc: 'processes', appr: 'approvals', run: 'runs' };
const KIND_OF: Record<keyof Omit<Facts, 'activity'>, keyof typeof SELECT> = { agents: 'agent', tasks: 'task', processes: 'process', approvals: 'approval', runs: 'run' };
/** How far back the activity index reads the event log when a view starts. */
const ACTIVITY_WINDOW = 20_000;

/**
 * A view starts from every row still in play and the newest finished ones (DONE_SHOWN per table):
 * a board with months of finished work opens as fast as a new one. Each half is read through an
 * index (migration 011); a finished row older than these is on the board, not in the view.
 */
const DONE_SHOWN = 1000;
const LIVE_OR_DONE: Record<keyof typeof SELECT, { column: string; live: string[]; done: string[] }> = {
  agent: { column: 'status', live: ['online'], done: ['offline'] },
  task: { column: 't.status', live: ['pending', 'claimed', 'in_progress', 'blocked', 'failed'], done: ['completed', 'cancelled'] },
  process: { column: 'state', live: ['queued', 'running'], done: ['exited'] },
  approval: { column: 'state', live: ['pending'], done: ['allowed', 'denied'] },
  run: { column: 'status', live: ['planning', 'running', 'reviewing', 'paused', 'escalated', 'blocked', 'failed'], done: ['completed', 'stopped'] },
};

/** A table's rows in play, then its newest finished ones: each state read alone, newest first along its (state, seq) index. */
async function liveAndRecent(db: Db, kind: keyof typeof SELECT): Promise<{ id: string }[]> {
  const { column, live, done } = LIVE_OR_DONE[kind];
  const seq = column.startsWith('t.') ? 't.seq' : 'seq';
  // The states are written into the statements (they are this file's words, not input): a prepared
  // statement's generic plan would not know them, and PostgreSQL read every row of the table then.
  const rows = await db.query<{ id: string }>(`${SELECT[kind]} WHERE ${column} IN (${live.map((state) => `'${state}'`).join(', ')})`);
  const finished: { id: string; seq: number }[] = [];
  for (const state of done) finished.push(...(await db.query<{ id: string; seq: number }>(`${SELECT[kind].replace(/^SELECT /, `SELECT ${seq} AS seq, `)} WHERE ${column} = '${state}' ORDER BY ${seq} DESC LIMIT ${DONE_SHOWN}`)));
  return [...rows, ...finished.sort((a, b) => Number(a.seq) - Number(b.seq)).slice(-DONE_SHOWN).map(({ seq: _, ...row }) => row)];
}

async function readAll(db: Db): Promise<{ facts: Facts; eventId: number }> {
  // The cursor first: whatever is committed later comes to the view as events after it.
  const [last] = await db.query<{ id: number | null }>('SELECT max(id) AS id FROM events');
  const eventId = Number(last?.id ?? 0);
  const facts: Facts = { agents: new Map(), tasks: new Map(), processes: new Map(), approvals: new Map(), runs: new Map(), activity: new Map() };
  for (const table of Object.keys(KIND_OF) as (keyof typeof KIND_OF)[]) {
    for (const row of await liveAndRecent(db, KIND_OF[table])) (facts[table] as Map<string, unknown>).set(row.id, row);
  }
  const recent = await db.query<{ subject: string | null; actor: string | null; at: number }>(
    'SELECT subject, actor, max(at) AS at FROM events WHERE id > ? GROUP BY subject, actor',
    [eventId - ACTIVITY_WINDOW],
  );
  for (const row of recent) noteActivity(facts, row.subject, row.actor, Number(row.at));
  return { facts, eventId };
}

function noteActivity(facts: Facts, subject: string | null, actor: string | null, at: number): void {
  for (const key of [subject, actor]) {
    if (key && (facts.activity.get(key) ?? 0) < at) facts.activity.set(key, at);
  }
}

/** The table an id belongs to, from its prefix (`task-…`, `proc-…`). */
function tableOf(id: string): keyof Omit<Facts, 'activity'> | null {
  return TABLE[id.slice(0, id.indexOf('-'))] ?? null;
}

/**
 * Reads one row again by its id: from the table its prefix names, else from tasks (a run's tasks
 * are named after the run: `run-….c1.api`). A row no longer there leaves the facts.
 */
async function reread(db: Db, facts: Facts, id: string): Promise<void> {
  const tables = [...new Set([tableOf(id), 'tasks' as const].filter((t): t is keyof Omit<Facts, 'activity'> => t !== null))];
  for (const table of tables) {
    const kind = KIND_OF[table];
    const [row] = await db.query<{ id: string }>(`${SELECT[kind]} WHERE ${kind === 'task' ? 't.' : ''}id = ?`, [id]);
    if (row) {
      (facts[table] as Map<string, unknown>).set(id, row);
      for (const other of tables) if (other !== table) facts[other].delete(id);
      return;
    }
  }
  for (const table of tables) facts[table].delete(id);
}

export interface BoardEventLite {
  id: number;
  at: number;
  type: string;
  subject: string | null;
  actor: string | null;
}

/** What a view is told after each read: the events from `from` to `to`, the rows they changed, the keys gone. */
export interface LiveUpdate {
  from: number;
  to: number;
  events: BoardEventLite[];
  changed: ViewRow[];
  removed: string[];
}

/** A board kept current by its events: the rows, classified, and the cursor. */
export class Live {
  private rows = new Map<string, ViewRow>();

  private constructor(private readonly db: Db, private facts: Facts, public eventId: number, private readonly options: ClassifyOptions, private readonly now: () => number) {
    this.rows = classifyAll(facts, now(), options);
  }

  static async open(db: Db, options: Partial<ClassifyOptions> = {}, now: () => number = () => db.now()): Promise<Live> {
    const { facts, eventId } = await readAll(db);
    return new Live(db, facts, eventId, { ...DEFAULT_CLASSIFY, ...options }, now);
  }

  all(): ViewRow[] {
    return sortRows([...this.rows.values()]);
  }

  /** The newest events up to `upTo` (default the cursor), oldest first: a view's feed when it opens. */
  async recentEvents(count: number, upTo = this.eventId): Promise<BoardEventLite[]> {
    const rows = await this.db.query<BoardEventLite>('SELECT id, at, type, subject, actor FROM events WHERE id <= ? ORDER BY id DESC LIMIT ?', [upTo, count]);
    return rows.reverse().map((e) => ({ id: Number(e.id), at: Number(e.at), type: e.type, subject: e.subject, actor: e.actor }));
  }

  row(key: string): ViewRow | undefined {
    return this.rows.get(key);
  }

  counts(): Record<Attention, number> {
    return countByAttention(this.rows.values());
  }

  /**
   * Reads the events after the cursor (at most `limit`), re-reads the rows they name, and returns
   * the events and every row whose class or facts changed (and the keys of rows gone).
   */
  async catchUp(limit = 2000): Promise<{ events: BoardEventLite[]; changed: ViewRow[]; removed: string[] }> {
    const events = (await this.db.query<BoardEventLite & { data: string }>('SELECT id, at, type, subject, actor FROM events WHERE id > ? ORDER BY id LIMIT ?', [this.eventId, limit]))
      .map((e) => ({ id: Number(e.id), at: Number(e.at), type: e.type, subject: e.subject, actor: e.actor }));
    if (events.length === 0) return { events, changed: [], removed: [] };
    const named = new Set<string>();
    for (const event of events) {
      noteActivity(this.facts, event.subject, event.actor, event.at);
      if (event.subject) named.add(event.subject);
      if (event.actor) named.add(event.actor);
    }
    const read = new Set<string>();
    const reread1 = async (id: string) => {
      if (read.has(id)) return;
      read.add(id);
      await reread(this.db, this.facts, id);
    };
    for (const id of named) await reread1(id);
    // A task's holder, the tasks that wait for it, and a process's task change with it: read them too.
    for (const id of named) {
      const task = this.facts.tasks.get(id);
      if (task?.claimed_by) await reread1(task.claimed_by);
      if (task) {
        for (const { task_id } of await this.db.query<{ task_id: string }>('SELECT task_id FROM task_deps WHERE depends_on = ?', [id])) await reread1(task_id);
      }
      const process = this.facts.processes.get(id);
      if (process?.task_id) await reread1(process.task_id);
    }
    this.eventId = events.at(-1)!.id;
    return { events, ...this.reclassifyRows(this.dependents(read)) };
  }

  /** The ids whose class may follow from these rows: each row, its holder or agent, an agent's tasks and approvals. */
  private dependents(ids: Set<string>): Set<string> {
    const all = new Set(ids);
    for (const id of ids) {
      const task = this.facts.tasks.get(id);
      if (task?.claimed_by) all.add(task.claimed_by);
      const approval = this.facts.approvals.get(id);
      if (approval?.agent) for (const agent of this.facts.agents.values()) if (agent.id === approval.agent || agent.name === approval.agent) all.add(agent.id);
      const before = this.rows.get(`agent:${id}`);
      if (this.facts.agents.has(id) || before) {
        for (const held of this.facts.tasks.values()) if (held.claimed_by === id) all.add(held.id);
      }
    }
    return all;
  }

  /** Classifies these rows again; the ones that changed and the keys of those gone. */
  private reclassifyRows(ids: Set<string>): { changed: ViewRow[]; removed: string[] } {
    const classify = classifier(this.facts, this.now(), this.options);
    const changed: ViewRow[] = [];
    const removed: string[] = [];
    for (const id of ids) {
      const row = classify(id);
      if (!row) {
        for (const kind of Object.values(KIND_OF)) {
          if (this.rows.delete(`${kind}:${id}`)) removed.push(`${kind}:${id}`);
        }
        continue;
      }
      const key = row.key;
      const before = this.rows.get(key);
      if (!before || JSON.stringify(before) !== JSON.stringify(row)) changed.push(row);
      this.rows.set(key, row);
    }
    return { changed, removed };
  }

  /**
   * At a deadline: reads again the agents whose lease is near its end as last read — presence
   * renews leases without an event, so the row may be newer than the view — and classifies every
   * row again.
   */
  async refresh(): Promise<{ changed: ViewRow[]; removed: string[] }> {
    const now = this.now();
    for (const agent of [...this.facts.agents.values()]) {
      if (agent.status === 'online' && agent.lease_expires_at - Math.floor(agent.lease_ttl_ms / 3) <= now) await reread(this.db, this.facts, agent.id);
    }
    return this.reclassify();
  }

  /** Classifies every row again (time moved on); the rows that changed and the keys of rows gone. */
  reclassify(): { changed: ViewRow[]; removed: string[] } {
    const next = classifyAll(this.facts, this.now(), this.options);
    const changed: ViewRow[] = [];
    for (const [key, row] of next) {
      const before = this.rows.get(key);
      if (!before || JSON.stringify(before) !== JSON.stringify(row)) changed.push(row);
    }
    const removed = [...this.rows.keys()].filter((key) => !next.has(key));
    this.rows = next;
    return { changed, removed };
  }

  /**
   * The one loop a view reads the board in: wakes on the change signal, or when a row's class
   * changes with time alone, and calls `onUpdate` with what changed. Ends when `stop` fires.
   */
  async follow(onUpdate: (update: LiveUpdate) => void, stop: AbortSignal): Promise<void> {
    const signal = await this.db.changes();
    let deadline = this.nextDeadline();
    while (!stop.aborted) {
      const seen = signal.current();
      try {
        const from = this.eventId;
        const { events, changed, removed } = await this.catchUp();
        if (events.length > 0) {
          onUpdate({ from, to: this.eventId, events, changed, removed });
          continue; // there may be more
        }
        if (deadline !== null && this.now() >= deadline) {
          const timed = await this.refresh();
          if (timed.changed.length + timed.removed.length > 0) onUpdate({ from, to: from, events: [], ...timed });
        }
      } catch {
        // The board is unreachable for a moment: the next change or deadline tries again.
      }
      deadline = this.nextDeadline();
      await signal.next(seen, deadline === null ? 60 * 60_000 : Math.max(50, deadline - this.now() + 1), stop);
    }
  }

  /** The next time a row's class changes with time alone (ms), or null. */
  nextDeadline(): number | null {
    let next = Number.POSITIVE_INFINITY;
    const now = this.now();
    const consider = (at: number | null | undefined) => {
      if (typeof at === 'number' && at > now && at < next) next = at;
    };
    for (const row of this.rows.values()) {
      if (row.attention === 'working' && row.last_activity !== null) consider(row.last_activity + this.options.stalledAfterMs);
      consider(row.extra.lease_soon_at as number | undefined);
      consider(row.extra.lease_expires_at as number | undefined);
      consider(row.extra.reset_at as number | undefined);
    }
    return Number.isFinite(next) ? next : null;
  }
}

/** One read of the board, classified (for `status --json` and a view's first frame). */
export async function readRows(db: Db, options: Partial<ClassifyOptions> = {}, now = db.now()): Promise<{ rows: ViewRow[]; event_id: number }> {
  const { facts, eventId } = await readAll(db);
  return { rows: sortRows([...classifyAll(facts, now, { ...DEFAULT_CLASSIFY, ...options }).values()]), event_id: eventId };
}

/** How many rows are in each class (the header: `needs you 2 · stalled 1 · working 4`). */
export function countByAttention(rows: Iterable<ViewRow>): Record<Attention, number> {
  const counts = Object.fromEntries(ATTENTION.map((a) => [a, 0])) as Record<Attention, number>;
  for (const row of rows) counts[row.attention]++;
  return counts;
}

export function sortRows(rows: ViewRow[]): ViewRow[] {
  const rank = new Map(ATTENTION.map((a, i) => [a, i]));
  return rows.sort((a, b) => rank.get(a.attention)! - rank.get(b.attention)! || (b.last_activity ?? 0) - (a.last_activity ?? 0) || a.key.localeCompare(b.key));
}

function classifyAll(facts: Facts, now: number, options: ClassifyOptions): Map<string, ViewRow> {
  const rows = new Map<string, ViewRow>();
  const classify = classifier(facts, now, options);
  for (const table of Object.keys(KIND_OF) as (keyof typeof KIND_OF)[]) {
    for (const id of facts[table].keys()) rows.set(`${KIND_OF[table]}:${id}`, classify(id)!);
  }
  return rows;
}

/** Classifies one row by its id (null when it is not on the board), with what it depends on read once. */
function classifier(facts: Facts, now: number, options: ClassifyOptions): (id: string) => ViewRow | null {
  const pendingByAgent = new Map<string, ApprovalFacts[]>();
  for (const approval of facts.approvals.values()) {
    if (approval.state === 'pending' && approval.agent) pendingByAgent.set(approval.agent, [...(pendingByAgent.get(approval.agent) ?? []), approval]);
  }
  const seen = (...ids: (string | null | undefined)[]) => Math.max(0, ...ids.map((id) => (id ? (facts.activity.get(id) ?? 0) : 0))) || null;
  return (id) => {
    const agent = facts.agents.get(id);
    if (agent) return classifyAgent(agent, facts, pendingByAgent, seen, now, options);
    const task = facts.tasks.get(id);
    if (task) return classifyTask(task, facts, seen, now, options);
    const process = facts.processes.get(id);
    if (process) return classifyProcess(process, seen, now, options);
    const approval = facts.approvals.get(id);
    if (approval) return classifyApproval(approval, seen);
    const run = facts.runs.get(id);
    return run ? classifyRun(run, seen, now, options) : null;
  };
}

function base(kind: RowKind, id: string, title: string, attention: Attention, why: string, since: number | null, last: number | null, detail = '', extra: Record<string, unknown> = {}): ViewRow {
  return { key: `${kind}:${id}`, kind, id, title, attention, why, since, last_activity: last, detail, cost_usd: null, tokens: null, extra };
}

type Seen = (...ids: (string | null | undefined)[]) => number | null;

function classifyAgent(a: AgentFacts, facts: Facts, pending: Map<string, ApprovalFacts[]>, seen: Seen, now: number, options: ClassifyOptions): ViewRow {
  const last = seen(a.id, a.current_task);
  const extra = { role: a.role, cli: a.kind, lease_expires_at: a.lease_expires_at, lease_soon_at: a.lease_expires_at - Math.floor(a.lease_ttl_ms / 3) };
  const row = (attention: Attention, why: string, since: number | null) => base('agent', a.id, a.name, attention, why, since, last, a.current_task ?? '', extra);
  if (a.status !== 'online') {
    return a.offline_reason === 'unregistered' ? row('done', 'unregistered', a.last_seen_at) : row('dead', `offline: ${a.offline_reason ?? 'lease expired'}`, a.lease_expires_at);
  }
  if (a.lease_expires_at < now) return row('dead', 'its lease ran out: the process that kept it is gone', a.lease_expires_at);
  const asks = pending.get(a.id) ?? pending.get(a.name);
  if (asks) return row('needs_you', `waits for your answer: may it use ${asks[0]!.tool_name}?`, asks[0]!.created_at);
  if (a.lease_expires_at - now < Math.floor(a.lease_ttl_ms / 3)) return row('stalled', 'its lease is about to lapse (not renewed)', a.last_seen_at);
  const holding = a.current_task ?? [...facts.tasks.values()].find((t) => t.claimed_by === a.id && (t.status === 'claimed' || t.status === 'in_progress'))?.id;
  if (!holding) return row('idle', 'online, no task', a.last_seen_at);
  if (last !== null && now - last > options.stalledAfterMs) return row('stalled', `no event for ${minutes(now - last)}`, last);
  return row('working', `on ${holding}`, last);
}

function classifyTask(t: TaskFacts, facts: Facts, seen: Seen, now: number, options: ClassifyOptions): ViewRow {
  const last = seen(t.id);
  const holder = t.claimed_by ? facts.agents.get(t.claimed_by) : undefined;
  const extra = { status: t.status, priority: t.priority, role: t.role, run_id: t.run_id, reason: t.reason };
  const row = (attention: Attention, why: string) => base('task', t.id, t.title, attention, why, t.updated_at, last, holder?.name ?? '', extra);
  switch (t.status) {
    case 'pending':
      return row('queued', Number(t.waiting_on) > 0 ? `waits for ${t.waiting_on} dependenc${Number(t.waiting_on) === 1 ? 'y' : 'ies'}` : 'ready to be claimed');
    case 'blocked':
      return row('needs_you', `blocked: ${t.reason ?? 'no reason given'}`);
    case 'completed':
    case 'cancelled':
      return row('done', t.status);
    case 'failed':
      return /gate|merge|conflict/i.test(t.reason ?? '') ? row('gate_failed', t.reason!.split('\n')[0]!) : row('failed', (t.reason ?? 'failed').split('\n')[0]!);
    default: {
      if (holder && (holder.status !== 'online' || holder.lease_expires_at < now)) return row('dead', `its holder ${holder.name} is gone`);
      if (last !== null && now - last > options.stalledAfterMs) return row('stalled', `no event for ${minutes(now - last)}`);
      return row('working', `${t.status} by ${holder?.name ?? t.claimed_by ?? 'someone'}`);
    }
  }
}

function classifyProcess(p: ProcessFacts, seen: Seen, now: number, options: ClassifyOptions): ViewRow {
  const last = seen(p.id);
  const tokens = tokensOf(p.usage);
  const resetAt = p.reset_at ? Date.parse(p.reset_at) : Number.NaN;
  const extra: Record<string, unknown> = { cli: p.kind, state: p.state, host: p.host, pid: p.pid, outcome: p.outcome, reset_at: Number.isNaN(resetAt) ? null : resetAt, log: p.log_path };
  const row = (attention: Attention, why: string, since: number | null) => ({ ...base('process', p.id, `${p.kind}${p.task_id ? ` on ${p.task_id}` : ''}`, attention, why, since, last, p.task_id ?? '', extra), cost_usd: p.cost_usd, tokens });
  if (p.state === 'queued') return row('queued', 'waits for a free slot', p.queued_at);
  if (p.state === 'running') {
    if (p.awaiting_input === true || p.awaiting_input === 1) return row('needs_you', 'the session answered and waits for your reply', last);
    if (options.host !== null && p.host === options.host && !identityAlive(p.supervisor)) return row('dead', `its supervisor (${p.supervisor.split(':')[0]}) is gone`, last);
    if (last !== null && now - last > options.stalledAfterMs) return row('stalled', `no output for ${minutes(now - last)}`, last);
    return row('working', `pid ${p.pid ?? '?'} on ${p.host}`, p.started_at);
  }
  const message = (p.outcome_message ?? '').split('\n')[0]!.slice(0, 200);
  switch (p.outcome) {
    case 'ok':
      return row('done', 'ok', p.ended_at);
    case 'rate_limited':
      return resetAt > now ? row('paused', `limited until ${p.reset_at}`, p.ended_at) : row('failed', `rate limited: ${message}`, p.ended_at);
    case 'auth_failed':
    case 'spawn_failed':
      return row('setup_error', `${p.outcome}: ${message}`, p.ended_at);
    default:
      return row('failed', `${p.outcome ?? 'ended'}: ${message}`, p.ended_at);
  }
}

function classifyApproval(a: ApprovalFacts, seen: Seen): ViewRow {
  const extra = { tool: a.tool_name, input: a.input, agent: a.agent, state: a.state, decided_by: a.decided_by };
  if (a.state === 'pending') return base('approval', a.id, `${a.agent ?? 'an agent'} asks to use ${a.tool_name}`, 'needs_you', 'waits for allow or deny', a.created_at, seen(a.id, a.agent), a.agent ?? '', extra);
  return base('approval', a.id, `${a.tool_name} for ${a.agent ?? 'an agent'}`, 'done', `${a.state} by ${a.decided_by ?? '?'}`, a.decided_at, seen(a.id), a.agent ?? '', extra);
}

function classifyRun(r: RunFacts, seen: Seen, now: number, options: ClassifyOptions): ViewRow {
  const last = seen(r.id);
  let budget: number | null = null;
  try {
    budget = (JSON.parse(r.options) as { budget_usd?: number | null }).budget_usd ?? null;
  } catch {
    budget = null;
  }
  const extra = { status: r.status, phase: r.phase, budget_usd: budget, reset_at: r.paused_until };
  const row = (attention: Attention, why: string) => ({ ...base('run', r.id, `${r.kind}: ${r.title}`, attention, why, r.updated_at, last, r.phase, extra), cost_usd: r.cost_usd });
  switch (r.status) {
    case 'escalated':
    case 'blocked':
      return row('needs_you', r.phase);
    case 'paused':
      return row('paused', r.paused_until ? `paused until ${new Date(r.paused_until).toISOString()}` : r.phase);
    case 'completed':
    case 'stopped':
      return row('done', r.phase);
    case 'failed':
      return row('failed', r.phase);
    default:
      if (last !== null && now - last > options.stalledAfterMs) return row('stalled', `no event for ${minutes(now - last)} in ${r.phase}`);
      return row('working', r.phase);
  }
}

/** Input, output and cache tokens of a process's usage, when it says. */
export function tokensOf(usage: string | null): number | null {
  if (!usage) return null;
  try {
    const parsed = JSON.parse(usage) as Record<string, unknown> | null;
    if (!parsed || typeof parsed !== 'object') return null;
    let total = 0;
    for (const [key, value] of Object.entries(parsed)) if (/tokens$/.test(key) && typeof value === 'number') total += value;
    return total;
  } catch {
    return null;
  }
}

function minutes(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
