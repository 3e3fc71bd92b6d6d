import type { Db, Queryable } from '../store/open.js';
import { appendEvent } from './events.js';
import { transition, type TaskStatus } from './task-states.js';

/**
 * The lease sweep: what ZooKeeper's ephemeral nodes did for design E. An agent whose lease ran
 * out is marked offline; each task it held (claimed or in progress) is released — back to
 * `pending` with one more retry counted, or `failed` once its retries are used up — and a
 * leadership it held ends. Any process that touches the board runs the sweep, and the leader
 * runs it on each heartbeat. It starts with one cheap read (the earliest lease end), so a healthy
 * board never takes the write lock for it; the caller keeps that time and need not look again
 * before it comes.
 *
 * Two exceptions keep a live agent from being swept by mistake. Nobody could renew a lease while
 * the store was down, so no lease ends before one TTL after the store started (`upSince`; a
 * PostgreSQL restart). And the agents this process itself keeps alive (`kept`: its presence) are
 * never swept by it: it knows they are alive, and renews them.
 */
export async function sweepExpiredLeases(db: Db, now: number, kept: readonly string[] = []): Promise<{ expired: string[]; nextExpiry: number | null }> {
  const nextExpiry = async () => {
    const upSince = db.upSince();
    const [row] = await db.query<{ next: number | null }>(
      `SELECT min(CASE WHEN lease_expires_at > ? + lease_ttl_ms THEN lease_expires_at ELSE ? + lease_ttl_ms END) AS next
       FROM agents WHERE status = 'online'`,
      [upSince, upSince],
    );
    return row?.next ?? null;
  };
  const next = await nextExpiry();
  if (next === null || next >= now) return { expired: [], nextExpiry: next };
  const expired = await db.transaction(async (tx) => {
    // Read after a statement has gone through: a store that just came back has said when it started.
    const upSince = db.upSince();
    const expired = await tx.query<{ id: string; name: string }>(
      `UPDATE agents SET status = 'offline', offline_reason = 'lease expired', current_task = NULL
       WHERE status = 'online' AND lease_expires_at < ? AND ? + lease_ttl_ms < ?${kept.length > 0 ? ` AND id NOT IN (${kept.map(() => '?').join(', ')})` : ''}
       RETURNING id, name`,
      [now, upSince, now, ...kept],
    );
    for (const agent of expired) {
      await appendEvent(tx, { type: 'agent.expired', subject: agent.id, data: { name: agent.name } }, now);
      await releaseHeldBy(tx, agent.id, `lease of agent ${agent.name} expired`, now);
    }
    const ended = await tx.exec(
      'UPDATE leader SET agent_id = NULL WHERE id = 1 AND agent_id IS NOT NULL AND lease_expires_at < ?',
      [now],
    );
    if (ended > 0) await appendEvent(tx, { type: 'leader.expired', subject: 'leader' }, now);
    return expired.map((agent) => agent.id);
  });
  return { expired, nextExpiry: await nextExpiry() };
}

interface HeldTask {
  id: string;
  status: TaskStatus;
  retry_count: number;
  max_retries: number;
}

/** Releases every task the agent holds (inside the caller's transaction). */
export async function releaseHeldBy(tx: Queryable, agentId: string, reason: string, now: number): Promise<void> {
  const held = await tx.query<HeldTask>(
    `SELECT id, status, retry_count, max_retries FROM tasks WHERE claimed_by = ? AND status IN ('claimed', 'in_progress')`,
    [agentId],
  );
  for (const task of held) {
    const next = transition(task, 'release', task.id);
    const failedFor = next.status === 'failed' ? `${reason}; no retries left (${task.max_retries})` : reason;
    await tx.exec(
      `UPDATE tasks SET status = ?, retry_count = ?, reason = ?, updated_at = ?, finished_at = ?
       WHERE id = ? AND status = ?`,
      [next.status, next.retry_count, failedFor, now, next.status === 'failed' ? now : null, task.id, task.status],
    );
    await appendEvent(tx, {
      type: next.status === 'failed' ? 'task.failed' : 'task.released',
      subject: task.id,
      actor: agentId,
      data: { reason: failedFor, retry_count: next.retry_count },
    }, now);
  }
}
