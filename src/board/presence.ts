import { OrchestratorError } from '../core/errors.js';
import type { BoardContext } from './board.js';

/**
 * Presence: the agents this process keeps alive. An agent is alive while the connection or the
 * process that acts for it is — an MCP session, a supervised agent process, a team worker, a
 * run's engine — as design E's ZooKeeper ephemeral nodes were, and not while a model remembers
 * to call heartbeat. Whoever holds such a connection or process calls `keep(agent)` and the
 * release it returns when it ends; every third of the shortest TTL among the kept agents, one
 * statement renews all their leases (and a lease of leadership one of them holds). When this
 * process ends, or is cut off from the store, renewals stop and the leases run out.
 *
 * A kept agent that the board took offline because its lease ran out (this process was cut off,
 * or stalled, longer than the TTL) is taken back — same id, same name — if the name is still
 * free; the tasks it held went back to the queue meanwhile, and the board refuses to let it
 * complete them. An agent unregistered by anyone is no longer kept: `onLost` says so.
 */
export interface PresenceListener {
  /** A kept agent was unregistered or removed: it is no longer kept. */
  lost?(agentId: string, reason: string): void;
  /** A kept agent's lease had run out and it was taken back (its tasks were released meanwhile). */
  revived?(agentId: string): void;
  /** Renewing failed (the store is unreachable, say); it is tried again at the next turn. */
  trouble?(error: unknown): void;
}

interface Kept {
  holders: number;
  ttlMs: number | null;
}

/** Renewals never come closer together than this, however short a lease. */
const MIN_INTERVAL_MS = 100;

export class Presence {
  private readonly kept = new Map<string, Kept>();
  private readonly listeners = new Set<PresenceListener>();
  private timer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  /** An agent was added while a renewal was under way: renew again at once after it. */
  private again = false;
  private closed = false;

  constructor(private readonly board: BoardContext) {}

  /** Keeps the agent alive until the returned function is called (calls nest: each keep needs its release). */
  keep(agentId: string): () => void {
    const entry = this.kept.get(agentId);
    if (entry) entry.holders++;
    else {
      this.kept.set(agentId, { holders: 1, ttlMs: null });
      this.schedule(0);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const current = this.kept.get(agentId);
      if (current && --current.holders <= 0) this.kept.delete(agentId);
    };
  }

  /** Stops keeping the agent, whoever held it (it was unregistered). */
  forget(agentId: string): void {
    this.kept.delete(agentId);
  }

  isKept(agentId: string): boolean {
    return this.kept.has(agentId);
  }

  /** The agents kept now, for the sweep (which never expires them). */
  ids(): string[] {
    return [...this.kept.keys()];
  }

  listen(listener: PresenceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Renews every kept agent's lease now (and waits for a renewal already under way). */
  renewNow(): Promise<void> {
    this.renewing ??= this.renew().finally(() => {
      this.renewing = null;
      const now = this.again;
      this.again = false;
      this.schedule(now ? 0 : this.intervalMs());
    });
    return this.renewing;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.kept.clear();
  }

  /** A third of the shortest lease among the kept agents (their TTL once known, else the board's). */
  private intervalMs(): number {
    let shortest = Number.POSITIVE_INFINITY;
    for (const entry of this.kept.values()) shortest = Math.min(shortest, entry.ttlMs ?? this.board.settings.leaseTtlMs);
    return Math.max(MIN_INTERVAL_MS, Math.floor(shortest / 3));
  }

  private schedule(ms: number): void {
    if (this.closed || this.kept.size === 0) return;
    if (this.renewing) {
      if (ms === 0) this.again = true;
      return;
    }
    if (this.timer) {
      if (ms > 0) return; // the next turn is set already
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.renewNow();
    }, ms);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const ids = this.ids();
    if (ids.length === 0 || this.closed) return;
    try {
      const renewed = await this.board.agents.renewLeases(ids);
      for (const { id, lease_ttl_ms } of renewed) {
        const entry = this.kept.get(id);
        if (entry) entry.ttlMs = lease_ttl_ms;
      }
      const missing = ids.filter((id) => !renewed.some((row) => row.id === id) && this.kept.has(id));
      for (const id of missing) await this.takeBack(id);
    } catch (error) {
      if (this.closed) return;
      for (const listener of this.listeners) listener.trouble?.(error);
    }
  }

  /** A kept agent the board has offline: revived when its lease merely ran out, else no longer kept. */
  private async takeBack(id: string): Promise<void> {
    const revived = await this.board.agents.revive(id);
    if (revived) {
      for (const listener of this.listeners) listener.revived?.(id);
      return;
    }
    const why = await this.board.agents.get(id).then(
      (agent) => (agent.status === 'online' ? null : (agent.offline_reason ?? 'offline')),
      (error: unknown) => (error instanceof OrchestratorError && error.code === 'not_found' ? 'removed from the board' : null),
    );
    if (why === null) return; // online after all (someone else registered it), or unknown: look again next turn
    this.kept.delete(id);
    for (const listener of this.listeners) listener.lost?.(id, why);
  }
}
