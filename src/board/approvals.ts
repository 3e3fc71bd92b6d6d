import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BoardContext } from './board.js';
import type { Queryable } from '../store/open.js';
import { appendEvent } from './events.js';
import { iso, parseJson } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';
import { waitFor } from './waiting.js';

/**
 * Central permission approvals. A worker's Claude Code asks (through the MCP tool
 * approve_permission) whether it may use a tool; the request lands here as `pending`, and a
 * policy (allow and deny lists per role), a person (CLI or MCP) or the timeout answers it:
 * pending → allowed | denied, once. Nobody answering means `denied`.
 */
export type ApprovalState = 'pending' | 'allowed' | 'denied';

export interface Approval {
  id: string;
  agent: string | null;
  role: string | null;
  tool_name: string;
  input: unknown;
  tool_use_id: string | null;
  state: ApprovalState;
  decided_by: string | null;
  reason: string | null;
  created_at: string | null;
  decided_at: string | null;
}

interface ApprovalRow extends Omit<Approval, 'input' | 'created_at' | 'decided_at'> {
  seq: number;
  input: string;
  created_at: number;
  decided_at: number | null;
}

/** Tool patterns: `Write`, `Bash(npm test*)` style prefixes are not parsed; `*` matches any run of characters. */
export function matchesTool(patterns: string[], tool: string): boolean {
  return patterns.some((pattern) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(tool));
}

export class Approvals {
  constructor(private readonly board: BoardContext) {}

  async request(input: { agent: string | null; role: string | null; tool_name: string; input: unknown; tool_use_id: string | null }): Promise<Approval> {
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<ApprovalRow>(
        `INSERT INTO approvals (id, agent, role, tool_name, input, tool_use_id, state, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) RETURNING *`,
        [newId('appr', now), input.agent, input.role, input.tool_name, JSON.stringify(input.input ?? null), input.tool_use_id, now],
      );
      await appendEvent(tx, { type: 'approval.requested', subject: row!.id, data: { tool_name: input.tool_name, agent: input.agent } }, now);
      return toApproval(row!);
    });
  }

  /** Answers a pending request; answering one that is already answered is a conflict. */
  async decide(id: string, decision: 'allowed' | 'denied', by: string, reason: string | null = null): Promise<Approval> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<ApprovalRow>(`UPDATE approvals SET state = ?, decided_by = ?, reason = ?, decided_at = ? WHERE id = ? AND state = 'pending' RETURNING *`, [decision, by, reason, now, id]);
      if (!row) {
        const current = await this.get(id, tx); // inside the transaction: the Db itself waits for it to end
        throw new OrchestratorError('conflict', `approval ${id} was already answered: ${current.state} by ${current.decided_by}`);
      }
      // Who decided what, and why: the audit trail (`orchestrate audit`).
      await appendEvent(tx, { type: `approval.${decision}`, subject: id, data: { by, reason, tool_name: row.tool_name, agent: row.agent, role: row.role } }, now);
    });
    return this.get(id);
  }

  /** Waits until the request is answered; at the timeout it is denied (unless answered just then). */
  async awaitDecision(id: string, timeoutMs: number, abort?: AbortSignal): Promise<Approval> {
    const answered = await waitFor(this.board.db, async () => {
      const approval = await this.get(id);
      return approval.state === 'pending' ? null : approval;
    }, { timeout_ms: timeoutMs }, abort);
    if (answered) return answered;
    try {
      return await this.decide(id, 'denied', 'timeout', `nobody answered within ${Math.round(timeoutMs / 1000)} s`);
    } catch (error) {
      if (error instanceof OrchestratorError && error.code === 'conflict') return this.get(id);
      throw error;
    }
  }

  async get(id: string, db: Queryable = this.board.db): Promise<Approval> {
    const [row] = await db.query<ApprovalRow>('SELECT * FROM approvals WHERE id = ?', [id]);
    if (!row) throw new OrchestratorError('not_found', `no approval '${excerpt(id)}'; 'orchestrate approvals list' shows the pending ones`);
    return toApproval(row);
  }

  async list(options: { state?: ApprovalState; limit?: number; cursor?: string } = {}): Promise<Page<Approval>> {
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.board.db.query<ApprovalRow>(
      'SELECT * FROM approvals WHERE seq > ? AND (CAST(? AS TEXT) IS NULL OR state = ?) ORDER BY seq LIMIT ?',
      [after, options.state ?? null, options.state ?? null, limit + 1],
    );
    return toPage(rows, limit, (row) => row.seq, toApproval);
  }
}

function toApproval(row: ApprovalRow): Approval {
  const { seq: _seq, ...rest } = row;
  return { ...rest, input: parseJson(row.input, null), created_at: iso(row.created_at), decided_at: iso(row.decided_at) };
}
