import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { isUniqueViolation, type Queryable } from '../store/open.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { releaseHeldBy } from './leases.js';
import { integerInRange, iso, jsonObject, optionalText, parseJson, requireText, trimSpace } from './input.js';
import { type Page, decodeCursor, pageLimit, toPage } from './pagination.js';
import { normalizeRole, parseAgentKind, type AgentKind } from './roles.js';

/**
 * Agents (design E's instances). Liveness is a lease: `register` and every `heartbeat` (and
 * every claim) push `lease_expires_at` one TTL ahead; an agent whose lease ran out is offline,
 * and the lease sweep (leases.ts) hands its tasks back to the queue. Names are unique among
 * online agents. Registering a name that an offline agent had revives that agent, with its id,
 * so messages sent to it while it was away are waiting for it.
 */
export interface Agent {
  id: string;
  name: string;
  role: string;
  kind: AgentKind;
  work_dir: string | null;
  metadata: Record<string, unknown>;
  status: 'online' | 'offline';
  current_task: string | null;
  registered_at: string | null;
  last_seen_at: string | null;
  lease_expires_at: string | null;
  offline_reason: string | null;
}

export interface AgentRow {
  seq: number;
  id: string;
  name: string;
  role: string;
  kind: string;
  work_dir: string | null;
  metadata: string;
  status: 'online' | 'offline';
  current_task: string | null;
  registered_at: number;
  last_seen_at: number;
  lease_ttl_ms: number;
  lease_expires_at: number;
  offline_reason: string | null;
}

export interface RegisterInput {
  name: string;
  role?: string;
  kind?: string;
  work_dir?: string | null;
  metadata?: Record<string, unknown>;
  lease_ttl_ms?: number;
}

export const MAX_LEASE_TTL_MS = 24 * 3_600_000;

export class Agents {
  /** When this process last renewed each agent's lease through a claim, and the lease's TTL. */
  private readonly renewals = new Map<string, { at: number; ttl: number }>();

  constructor(private readonly board: BoardContext) {}

  async register(input: RegisterInput): Promise<Agent> {
    const name = trimSpace(requireText('name', input.name, 100));
    const role = normalizeRole(input.role ?? 'generalist');
    const kind = parseAgentKind(input.kind ?? 'claude');
    const workDir = optionalText('work_dir', input.work_dir, 4096);
    const metadata = JSON.stringify(jsonObject('metadata', input.metadata));
    const ttl = input.lease_ttl_ms === undefined
      ? this.board.settings.leaseTtlMs
      : integerInRange('lease_ttl_ms', input.lease_ttl_ms, 1, MAX_LEASE_TTL_MS);
    await this.board.sweep(true);
    const now = this.board.now();
    try {
      return await this.board.db.transaction(async (tx) => {
        const previous = await latestByName(tx, name);
        if (previous?.status === 'online') throw nameTaken(previous);
        let row: AgentRow | undefined;
        if (previous) {
          [row] = await tx.query<AgentRow>(
            `UPDATE agents SET role = ?, kind = ?, work_dir = ?, metadata = ?, status = 'online', current_task = NULL,
               last_seen_at = ?, lease_ttl_ms = ?, lease_expires_at = ?, offline_reason = NULL
             WHERE id = ? AND status = 'offline' RETURNING *`,
            [role, kind, workDir, metadata, now, ttl, now + ttl, previous.id],
          );
        } else {
          [row] = await tx.query<AgentRow>(
            `INSERT INTO agents (id, name, role, kind, work_dir, metadata, status, registered_at, last_seen_at, lease_ttl_ms, lease_expires_at)
             VALUES (?, ?, ?, ?, ?, ?, 'online', ?, ?, ?, ?) RETURNING *`,
            [newId('agent', now), name, role, kind, workDir, metadata, now, now, ttl, now + ttl],
          );
        }
        if (!row) throw new OrchestratorError('conflict', `agent '${name}' changed while registering; try again`, { retryable: true });
        await appendEvent(tx, { type: previous ? 'agent.returned' : 'agent.registered', subject: row.id, actor: row.id, data: { name, role, kind } }, now);
        return toAgent(row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        const holder = await latestByName(this.board.db, name);
        if (holder) throw nameTaken(holder);
      }
      throw error;
    }
  }

  /**
   * Renews the agent's lease. With `current_task`, records what it works on; a task it holds
   * that is still `claimed` moves to `in_progress` (design E's heartbeat(current_task)).
   */
  async heartbeat(agentRef: string, options: { current_task?: string | null } = {}): Promise<Agent> {
    const agent = await this.resolve(agentRef);
    const currentTask = optionalText('current_task', options.current_task, 200);
    let now = this.board.now();
    const renewal = await this.board.db.transaction(async (tx) => {
      now = this.board.now(); // read again when a store outage made the transaction run late
      const [renewed] = await tx.query<AgentRow>(
        `UPDATE agents SET last_seen_at = ?, lease_expires_at = ? + lease_ttl_ms, current_task = COALESCE(?, current_task)
         WHERE id = ? AND status = 'online' AND (lease_expires_at >= ? OR ? = 1) RETURNING *`,
        [now, now, currentTask, agent.id, now, this.spared(agent, now) ? 1 : 0],
      );
      if (!renewed) return null;
      const leads = await tx.exec('UPDATE leader SET lease_expires_at = ? WHERE id = 1 AND agent_id = ?', [now + renewed.lease_ttl_ms, agent.id]);
      if (currentTask !== null && currentTask !== agent.current_task) {
        const started = await tx.exec(
          `UPDATE tasks SET status = 'in_progress', started_at = ?, updated_at = ? WHERE id = ? AND status = 'claimed' AND claimed_by = ?`,
          [now, now, currentTask, agent.id],
        );
        if (started) await appendEvent(tx, { type: 'task.started', subject: currentTask, actor: agent.id, data: { via: 'heartbeat' } }, now);
        await appendEvent(tx, { type: 'agent.working', subject: agent.id, actor: agent.id, data: { current_task: currentTask } }, now);
      }
      return { renewed, leads: leads > 0 };
    });
    if (!renewal) {
      await this.board.sweep(true);
      throw leaseExpired(agent);
    }
    // The leader sweeps on every heartbeat, so expired leases are found even on a quiet board.
    if (renewal.leads) await this.board.sweep(true);
    return toAgent(renewal.renewed);
  }

  /** Takes the agent off the board; the tasks it held go back to the queue. */
  async unregister(agentRef: string): Promise<Agent> {
    const agent = await this.resolve(agentRef);
    const now = this.board.now();
    const row = await this.board.db.transaction(async (tx) => {
      const [gone] = await tx.query<AgentRow>(
        `UPDATE agents SET status = 'offline', offline_reason = 'unregistered', current_task = NULL, lease_expires_at = ?
         WHERE id = ? AND status = 'online' RETURNING *`,
        [now, agent.id],
      );
      if (!gone) return null;
      await appendEvent(tx, { type: 'agent.unregistered', subject: agent.id, actor: agent.id, data: { name: agent.name } }, now);
      await releaseHeldBy(tx, agent.id, 'its agent unregistered', now);
      return gone;
    });
    this.board.presence.forget(agent.id);
    if (!row) throw new OrchestratorError('conflict', `agent '${agent.name}' (${agent.id}) is already offline`);
    return toAgent(row);
  }

  /** Gives an agent another role (assign_role): the tasks it claims from now on are that role's. */
  /**
   * Gives an agent another role; `alsoInTransaction` (joining a team, say) runs in the same
   * transaction, so either both happen or neither.
   */
  async setRole(agentRef: string, role: string, actor: string | null, alsoInTransaction?: (tx: Queryable, agent: AgentRow) => Promise<void>): Promise<Agent> {
    const agent = await this.resolve(agentRef);
    const wanted = normalizeRole(role);
    const now = this.board.now();
    const row = await this.board.db.transaction(async (tx) => {
      const [changed] = await tx.query<AgentRow>('UPDATE agents SET role = ? WHERE id = ? RETURNING *', [wanted, agent.id]);
      await appendEvent(tx, { type: 'agent.role', subject: agent.id, actor, data: { from: agent.role, to: wanted } }, now);
      await alsoInTransaction?.(tx, changed!);
      return changed!;
    });
    return toAgent(row);
  }

  async get(agentRef: string): Promise<Agent> {
    await this.board.sweep();
    return toAgent(await this.resolve(agentRef));
  }

  /** Online agents by default; `all` includes offline ones. Oldest registration first. */
  async list(options: { all?: boolean; role?: string; limit?: number; cursor?: string } = {}): Promise<Page<Agent>> {
    await this.board.sweep(true);
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const role = options.role === undefined ? null : normalizeRole(options.role);
    const rows = await this.board.db.query<AgentRow>(
      `SELECT * FROM agents WHERE seq > ? AND (? = 1 OR status = 'online') AND (CAST(? AS TEXT) IS NULL OR role = ?)
       ORDER BY seq LIMIT ?`,
      [after, options.all ? 1 : 0, role, role, limit + 1],
    );
    return toPage(rows, limit, (row) => row.seq, toAgent);
  }

  /**
   * Finds an agent by id, or by name: the online agent of that name, else the one that had it
   * last. Unknown references are a not_found error that says how to see who is there.
   */
  async resolve(agentRef: string, db: Queryable = this.board.db): Promise<AgentRow> {
    const ref = requireText('agent', agentRef, 200).trim();
    const [byId] = await db.query<AgentRow>('SELECT * FROM agents WHERE id = ?', [ref]);
    const row = byId ?? (await latestByName(db, ref));
    if (!row) {
      throw new OrchestratorError('not_found', `no agent '${excerpt(ref)}' on this board; 'orchestrate agent list --all' shows who is registered`);
    }
    return row;
  }

  /**
   * The calling agent, alive. Acting is a sign of life, so this renews the lease too — but only
   * once a quarter of the TTL has passed since the last renewal, so a busy agent does not write
   * its row on every claim. An agent whose lease ran out is told so (its tasks have gone back to
   * the queue) and must register again — unless the sweep would spare it (`spared`): then its
   * lease is renewed and `lapsed` says the lease had run out.
   */
  async touch(tx: Queryable, agentRef: string): Promise<AgentRow & { lapsed: boolean }> {
    const now = this.board.now();
    const [row] = await tx.query<AgentRow>(
      `SELECT * FROM agents WHERE id = ? UNION ALL SELECT * FROM agents WHERE name = ? AND status = 'online' LIMIT 1`,
      [agentRef, agentRef],
    );
    const lapsed = row !== undefined && row.lease_expires_at < now;
    if (!row || row.status !== 'online' || (lapsed && !this.spared(row, now))) throw leaseExpired(row ?? (await this.resolve(agentRef, tx)));
    if (lapsed || renewalDue(row.lease_expires_at - row.lease_ttl_ms, row.lease_ttl_ms, now)) {
      await tx.exec('UPDATE agents SET last_seen_at = ?, lease_expires_at = ? WHERE id = ?', [now, now + row.lease_ttl_ms, row.id]);
    }
    return { ...row, lapsed };
  }

  /**
   * An online agent whose lease ran out that the sweep would not expire (leases.ts): this process
   * keeps it alive (its presence has not renewed it yet, after a stall or an outage), or the store
   * started less than one TTL ago. Its own calls renew it instead of telling it that it is gone.
   */
  private spared(row: Pick<AgentRow, 'id' | 'lease_ttl_ms'>, now: number): boolean {
    return this.board.presence.isKept(row.id) || this.board.db.upSince() + row.lease_ttl_ms >= now;
  }

  /**
   * Renews the leases of agents this process keeps alive (presence.ts), in one statement, with a
   * leadership one of them holds. An agent still online is renewed even if its lease has just run
   * out: only the sweep declares an agent dead, and until it has, nobody has taken its tasks.
   * Returns the agents renewed; the others are offline.
   */
  async renewLeases(ids: readonly string[]): Promise<{ id: string; lease_ttl_ms: number }[]> {
    if (ids.length === 0) return [];
    const marks = ids.map(() => '?').join(', ');
    return this.board.db.transaction(async (tx) => {
      const now = this.board.now(); // read here: after a store outage the transaction runs late
      const renewed = await tx.query<{ id: string; lease_ttl_ms: number }>(
        `UPDATE agents SET last_seen_at = ?, lease_expires_at = ? + lease_ttl_ms
         WHERE status = 'online' AND id IN (${marks}) RETURNING id, lease_ttl_ms`,
        [now, now, ...ids],
      );
      if (renewed.length > 0) {
        await tx.exec(
          `UPDATE leader SET lease_expires_at = ? + (SELECT lease_ttl_ms FROM agents WHERE agents.id = leader.agent_id)
           WHERE id = 1 AND agent_id IN (${marks})`,
          [now, ...ids],
        );
      }
      return renewed;
    });
  }

  /**
   * Takes back an agent whose lease ran out while the process that keeps it was alive but cut
   * off: online again with the same id and name, holding nothing (its tasks went back to the
   * queue). Not when it was unregistered, or its name has been taken since. Null when not revived.
   */
  async revive(agentId: string): Promise<Agent | null> {
    return this.board.db.transaction(async (tx) => {
      const now = this.board.now();
      const [row] = await tx.query<AgentRow>(
        `UPDATE agents SET status = 'online', current_task = NULL, last_seen_at = ?, lease_expires_at = ? + lease_ttl_ms, offline_reason = NULL
         WHERE id = ? AND status = 'offline' AND offline_reason = 'lease expired'
           AND NOT EXISTS (SELECT 1 FROM agents other WHERE other.name = agents.name AND other.status = 'online')
         RETURNING *`,
        [now, now, agentId],
      );
      if (!row) return null;
      await appendEvent(tx, { type: 'agent.returned', subject: row.id, actor: row.id, data: { name: row.name, via: 'presence' } }, now);
      return toAgent(row);
    });
  }

  /**
   * Renews the lease of an agent that just acted, if this process has not done so for a quarter
   * of its TTL (so a busy claimer does not write its row on every claim).
   */
  async renewIfDue(agentId: string, now: number): Promise<void> {
    const last = this.renewals.get(agentId);
    if (last && !renewalDue(last.at, last.ttl, now)) return;
    const [row] = await this.board.db.query<{ lease_ttl_ms: number }>(
      `UPDATE agents SET last_seen_at = ?, lease_expires_at = ? + lease_ttl_ms
       WHERE id = ? AND status = 'online' AND lease_expires_at >= ? RETURNING lease_ttl_ms`,
      [now, now, agentId, now],
    );
    if (row) this.renewals.set(agentId, { at: now, ttl: row.lease_ttl_ms });
  }
}

/** Acting renews a lease once a quarter of its TTL has passed since the last renewal. */
function renewalDue(renewedAt: number, ttlMs: number, now: number): boolean {
  return now - renewedAt >= ttlMs / 4;
}

async function latestByName(db: Queryable, name: string): Promise<AgentRow | undefined> {
  const [row] = await db.query<AgentRow>(
    `SELECT * FROM agents WHERE name = ? ORDER BY CASE WHEN status = 'online' THEN 0 ELSE 1 END, seq DESC LIMIT 1`,
    [name],
  );
  return row;
}

function nameTaken(holder: AgentRow): OrchestratorError {
  return new OrchestratorError(
    'name_taken',
    `agent name '${holder.name}' is taken by online agent ${holder.id} (lease until ${iso(holder.lease_expires_at)}); pick another --name, or unregister that agent first`,
  );
}

function leaseExpired(agent: AgentRow): OrchestratorError {
  return new OrchestratorError(
    'lease_expired',
    `agent '${agent.name}' (${agent.id}) is offline (${agent.offline_reason ?? 'lease expired'}); its tasks went back to the queue — register again with --name ${agent.name}`,
  );
}

export function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    kind: row.kind as AgentKind,
    work_dir: row.work_dir,
    metadata: parseJson(row.metadata, {}) as Record<string, unknown>,
    status: row.status,
    current_task: row.current_task,
    registered_at: iso(row.registered_at),
    last_seen_at: iso(row.last_seen_at),
    lease_expires_at: iso(row.lease_expires_at),
    offline_reason: row.offline_reason,
  };
}
