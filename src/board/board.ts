import type { Db } from '../store/open.js';
import { schemaVersion } from '../store/open.js';
import { Agents } from './agents.js';
import { Events } from './events.js';
import { Accounts } from './accounts.js';
import { WorkOrders } from './work-orders.js';
import { Learnings } from './learnings.js';
import { Reminders } from './reminders.js';
import { SessionContext } from './session-context.js';
import { Teams } from './teams.js';
import { Workflows } from './workflows.js';
import { Leader } from './leader.js';
import { sweepExpiredLeases } from './leases.js';
import { Messages } from './messages.js';
import { Presence } from './presence.js';
import { Processes } from './processes.js';
import { Approvals } from './approvals.js';
import { RunnerSettings } from './runner-config.js';
import { Runs } from './runs.js';
import { SharedContext } from './shared-context.js';
import { Tasks } from './tasks.js';

/**
 * The coordination board: agents with leases, the task queue, messages, shared context, the
 * leader and the event log, all on one Db. Interfaces (CLI, MCP, HTTP) hold one Board and call
 * its parts; none of them writes SQL. Its clock is the store's (on PostgreSQL the server's, so
 * every host decides leases alike); tests pass a manual one.
 */
export interface BoardSettings {
  /** How long an agent stays online after its last renewal (its presence renews it every third of this). */
  leaseTtlMs: number;
  /** Default retries for a pushed task before a release fails it. */
  maxRetries: number;
  /**
   * The longest a process trusts the earliest lease end it last read before reading it again
   * (another process may register an agent with a shorter lease meanwhile).
   */
  sweepEveryMs: number;
}

export const DEFAULT_SETTINGS: BoardSettings = { leaseTtlMs: 30_000, maxRetries: 3, sweepEveryMs: 1_000 };

/** What the parts of the board share. */
export interface BoardContext {
  readonly db: Db;
  readonly settings: BoardSettings;
  readonly agents: Agents;
  readonly presence: Presence;
  now(): number;
  /** Runs the lease sweep when a known lease may have ended (or always, with `force`). */
  sweep(force?: boolean): Promise<void>;
}

export interface BoardStatus {
  store: { dialect: Db['dialect']; location: string; schema_version: number };
  agents: { online: number; offline: number };
  tasks: Record<string, number>;
  unread_messages: number;
  context_keys: number;
  leader: { agent_id: string | null; agent_name: string | null; term: number };
  last_event_id: number;
}

export class Board implements BoardContext {
  readonly settings: BoardSettings;
  readonly agents: Agents;
  readonly presence: Presence;
  readonly tasks: Tasks;
  readonly messages: Messages;
  readonly context: SharedContext;
  readonly leader: Leader;
  readonly events: Events;
  readonly processes: Processes;
  readonly approvals: Approvals;
  readonly runnerSettings: RunnerSettings;
  readonly runs: Runs;
  readonly workflows: Workflows;
  readonly teams: Teams;
  readonly reminders: Reminders;
  readonly learnings: Learnings;
  readonly sessionContext: SessionContext;
  readonly workOrders: WorkOrders;
  readonly accounts: Accounts;
  private readonly clock: () => number;
  private nextSweepAt = Number.NEGATIVE_INFINITY;
  private nextLeaseEnd: number | null = null;

  constructor(readonly db: Db, options: Partial<BoardSettings> & { now?: () => number } = {}) {
    const { now, ...settings } = options;
    this.settings = { ...DEFAULT_SETTINGS, ...settings };
    this.clock = now ?? (() => db.now());
    this.agents = new Agents(this);
    this.presence = new Presence(this);
    this.tasks = new Tasks(this);
    this.messages = new Messages(this);
    this.context = new SharedContext(this);
    this.leader = new Leader(this);
    this.events = new Events(db);
    this.processes = new Processes(this);
    this.approvals = new Approvals(this);
    this.runnerSettings = new RunnerSettings(this);
    this.runs = new Runs(this);
    this.workflows = new Workflows(this);
    this.teams = new Teams(this);
    this.workOrders = new WorkOrders(this);
    this.accounts = new Accounts(this);
    this.reminders = new Reminders(this);
    this.learnings = new Learnings(this);
    this.sessionContext = new SessionContext(this);
  }

  now(): number {
    return this.clock();
  }

  async sweep(force = false): Promise<void> {
    const now = this.now();
    if (!force && now < this.nextSweepAt) return;
    const { nextExpiry } = await sweepExpiredLeases(this.db, now, this.presence.ids());
    this.nextLeaseEnd = nextExpiry;
    this.nextSweepAt = Math.min(nextExpiry ?? Number.POSITIVE_INFINITY, now + this.settings.sweepEveryMs);
  }

  /**
   * How long a waiter that claims (an idle worker) may sleep on the change signal: until the next
   * lease this process knows of ends (its tasks may come back then, with no event before the
   * sweep), at most `capMs`.
   */
  untilNextLeaseEnd(capMs: number): number {
    if (this.nextLeaseEnd === null) return capMs;
    return Math.max(0, Math.min(capMs, this.nextLeaseEnd - this.now() + 1));
  }

  async status(): Promise<BoardStatus> {
    await this.sweep(true);
    const [agents] = await this.db.query<{ online: number | null; offline: number | null }>(
      `SELECT sum(CASE WHEN status = 'online' THEN 1 ELSE 0 END) AS online,
              sum(CASE WHEN status = 'online' THEN 0 ELSE 1 END) AS offline FROM agents`,
    );
    const [messages] = await this.db.query<{ n: number }>(
      `SELECT count(*) AS n FROM messages m WHERE m.to_agent IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM message_receipts r WHERE r.message_id = m.id AND r.agent_id = m.to_agent)`,
    );
    const [keys] = await this.db.query<{ n: number }>('SELECT count(*) AS n FROM context');
    const [events] = await this.db.query<{ id: number | null }>('SELECT max(id) AS id FROM events');
    const leader = await this.leader.status();
    return {
      store: { dialect: this.db.dialect, location: this.db.location, schema_version: await schemaVersion(this.db) },
      agents: { online: agents?.online ?? 0, offline: agents?.offline ?? 0 },
      tasks: await this.tasks.counts(),
      unread_messages: messages?.n ?? 0,
      context_keys: keys?.n ?? 0,
      leader: { agent_id: leader.agent_id, agent_name: leader.agent_name, term: leader.term },
      last_event_id: events?.id ?? 0,
    };
  }

  close(): Promise<void> {
    this.presence.close();
    return this.db.close();
  }
}
