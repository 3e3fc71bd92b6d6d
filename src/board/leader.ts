import { OrchestratorError } from '../core/errors.js';
import type { Queryable } from '../store/open.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { iso } from './input.js';

/**
 * The leader: at most one agent at a time, by lease. One row holds the leader's id, its term
 * (grows by one each time leadership changes hands) and its lease, renewed by the leader's
 * heartbeats. Leadership is taken with one guarded UPDATE: it succeeds only if nobody leads,
 * the caller already leads, or the current lease has run out — so two agents never both win.
 */
export interface LeaderStatus {
  agent_id: string | null;
  agent_name: string | null;
  term: number;
  lease_expires_at: string | null;
}

interface LeaderRow {
  agent_id: string | null;
  term: number;
  lease_expires_at: number;
  acquired_at: number | null;
}

export class Leader {
  constructor(private readonly board: BoardContext) {}

  async acquire(agentRef: string): Promise<LeaderStatus> {
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const agent = await this.board.agents.touch(tx, agentRef);
      const [row] = await tx.query<LeaderRow>(
        `UPDATE leader SET
           term = CASE WHEN agent_id = ? AND lease_expires_at >= ? THEN term ELSE term + 1 END,
           acquired_at = CASE WHEN agent_id = ? AND lease_expires_at >= ? THEN acquired_at ELSE ? END,
           agent_id = ?, lease_expires_at = ?
         WHERE id = 1 AND (agent_id IS NULL OR agent_id = ? OR lease_expires_at < ?)
         RETURNING *`,
        [agent.id, now, agent.id, now, now, agent.id, now + agent.lease_ttl_ms, agent.id, now],
      );
      if (!row) {
        const current = await this.status(tx);
        throw new OrchestratorError(
          'conflict',
          `agent ${current.agent_name ?? current.agent_id} leads until ${current.lease_expires_at}; wait for its lease to end or ask it to resign`,
        );
      }
      await appendEvent(tx, { type: 'leader.acquired', subject: 'leader', actor: agent.id, data: { term: row.term } }, now);
      return { agent_id: agent.id, agent_name: agent.name, term: row.term, lease_expires_at: iso(row.lease_expires_at) };
    });
  }

  async resign(agentRef: string): Promise<LeaderStatus> {
    const agent = await this.board.agents.resolve(agentRef);
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const changed = await tx.exec('UPDATE leader SET agent_id = NULL, lease_expires_at = ? WHERE id = 1 AND agent_id = ?', [now, agent.id]);
      if (!changed) throw new OrchestratorError('conflict', `agent ${agent.name} is not the leader; 'orchestrate leader status' shows who is`);
      await appendEvent(tx, { type: 'leader.resigned', subject: 'leader', actor: agent.id }, now);
      const [row] = await tx.query<LeaderRow>('SELECT * FROM leader WHERE id = 1');
      return { agent_id: null, agent_name: null, term: row!.term, lease_expires_at: null };
    });
  }

  /** Who leads now; nobody when the lease has run out, even before a sweep notices. */
  async status(db: Queryable = this.board.db): Promise<LeaderStatus> {
    const [row] = await db.query<LeaderRow & { name: string | null }>(
      'SELECT l.*, a.name FROM leader l LEFT JOIN agents a ON a.id = l.agent_id WHERE l.id = 1',
    );
    if (!row?.agent_id || row.lease_expires_at < this.board.now()) {
      return { agent_id: null, agent_name: null, term: row?.term ?? 0, lease_expires_at: null };
    }
    return { agent_id: row.agent_id, agent_name: row.name, term: row.term, lease_expires_at: iso(row.lease_expires_at) };
  }
}
