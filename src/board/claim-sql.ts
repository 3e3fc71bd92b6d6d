import { ANY_ROLE } from './roles.js';

/**
 * The claim, as SQL: the one operation whose statement differs between the dialects. Both take
 * the same parameters (ref, now, ref, now, now, now, task id, task id) and either return the
 * claimed task's row or no row (no live claimer, or nothing claimable).
 */

/** The live claimer, by id or by online name (params: ref, now, ref, now). */
const CLAIMER = `SELECT id, name, role FROM agents WHERE id = ? AND status = 'online' AND lease_expires_at >= ?
    UNION ALL
    SELECT id, name, role FROM agents WHERE name = ? AND status = 'online' AND lease_expires_at >= ?
    LIMIT 1`;

/**
 * The best claimable task for the claimer `a`: pending, the one task asked for (if any; two
 * params), a fitting role and assignee, and every dependency completed; best first by priority,
 * then push order (the tasks_pending index).
 */
function bestCandidate(lock: string, index = ''): string {
  const anyRole = [...ANY_ROLE].map((role) => `'${role}'`).join(', ');
  return `SELECT t.id FROM tasks t ${index}, claimer a
      WHERE t.status = 'pending'
        AND (CAST(? AS TEXT) IS NULL OR t.id = ?)
        AND (t.role IS NULL OR t.role = a.role OR a.role IN (${anyRole}))
        AND (t.assignee IS NULL OR t.assignee = a.id OR t.assignee = a.name)
        AND NOT EXISTS (
          SELECT 1 FROM task_deps d JOIN tasks p ON p.id = d.depends_on
          WHERE d.task_id = t.id AND p.status <> 'completed')
      ORDER BY t.priority, t.seq
      LIMIT 1 ${lock}`;
}

/**
 * A claim is one statement on both backends. Params: ref, now, ref, now, now, now, task id ×2.
 * SQLite: the write lock makes select-and-update one step; the claim's event is written by the
 * task_claimed_event trigger; the candidates are read along tasks_pending by name (SQLite's planner
 * would otherwise take tasks_status, seq-ordered, and sort every pending task on each claim).
 * Returns the claimed task, or no row.
 */
export const CLAIM_SQLITE = `WITH claimer AS (${CLAIMER})
  UPDATE tasks SET status = 'claimed', claimed_by = (SELECT id FROM claimer), claimed_at = ?, updated_at = ?
  WHERE id = (${bestCandidate('', 'INDEXED BY tasks_pending')}) AND status = 'pending'
  RETURNING *`;

/**
 * PostgreSQL: the candidate row is locked FOR UPDATE SKIP LOCKED, so concurrent claimers take
 * different tasks without waiting on each other, and the event is a data-modifying CTE.
 * Params as CLAIM_SQLITE. Returns the claimed task, or no row.
 */
export const CLAIM_POSTGRES = `WITH claimer AS (${CLAIMER}),
  claimed AS (
    UPDATE tasks SET status = 'claimed', claimed_by = claimer.id, claimed_at = ?, updated_at = ?
    FROM claimer
    WHERE tasks.id = (${bestCandidate('FOR UPDATE OF t SKIP LOCKED')}) AND tasks.status = 'pending'
    RETURNING tasks.*
  ), logged AS (
    INSERT INTO events (at, type, subject, actor, data)
    SELECT claimed_at, 'task.claimed', id, claimed_by, json_build_object('title', title)::text FROM claimed
  )
  SELECT * FROM claimed`;
