import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BoardContext } from './board.js';
import { appendEvent, Events } from './events.js';
import { iso, parseJson } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';

/**
 * Runs of the engine on the board: a row per run with its status and phase, its plan versions
 * and its reviews. The tasks of a run are board tasks with its run_id. Every change appends an
 * event, so `orchestrate log --follow` and waits wake on it.
 */
export type RunStatus = 'planning' | 'running' | 'reviewing' | 'paused' | 'escalated' | 'blocked' | 'completed' | 'failed' | 'stopped';

/** A worker's word on its phase of a plan run (`orchestrate done`, MCP phase_done). */
export interface PhaseReport {
  phase: string;
  status: 'completed' | 'blocked' | 'failed';
  reason: string | null;
  /** The worker's own account (steps, agents): a claim, never evidence. */
  report?: Record<string, unknown> | null;
  by: string | null;
  /** The event that recorded it. */
  event: number;
  at: string | null;
}

export interface Run {
  id: string;
  kind: string;
  title: string;
  status: RunStatus;
  phase: string;
  cycle: number;
  project: string;
  branch: string;
  base: string;
  options: Record<string, unknown>;
  plan_version: number;
  supervisor: string | null;
  paused_until: string | null;
  escalation: unknown;
  guidance: string | null;
  cost_usd: number;
  /** The tokens its agents' CLIs reported, summed. */
  tokens: RunTokens;
  created_at: string | null;
  updated_at: string | null;
  ended_at: string | null;
}

/** The tokens an agent run reported (the runner's Usage has this shape). */
export interface ReportedTokens {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export interface RunTokens {
  input: number;
  output: number;
  cache_write: number;
  cache_read: number;
}

/** New tokens a run processed (input, output, cache writes; cache reads are re-reads): what a token budget counts. */
export const newTokens = (t: RunTokens) => t.input + t.output + t.cache_write;

interface RunRow extends Omit<Run, 'options' | 'escalation' | 'paused_until' | 'created_at' | 'updated_at' | 'ended_at' | 'tokens'> {
  seq: number;
  tokens_input: number | string;
  tokens_output: number | string;
  tokens_cache_write: number | string;
  tokens_cache_read: number | string;
  options: string;
  escalation: string | null;
  paused_until: number | null;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
}

export type RunChanges = Partial<Pick<Run, 'status' | 'phase' | 'cycle' | 'plan_version' | 'supervisor' | 'escalation' | 'guidance' | 'cost_usd' | 'options'>> & { paused_until?: number | null };

const JSON_COLUMNS = new Set(['escalation', 'options']);

const ENDED: RunStatus[] = ['completed', 'failed', 'blocked', 'stopped'];

export class Runs {
  constructor(private readonly board: BoardContext) {}

  async create(input: { kind: string; title: string; project: string; branch: string; base: string; options: Record<string, unknown>; supervisor: string }): Promise<Run> {
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<RunRow>(
        `INSERT INTO runs (id, kind, title, status, phase, cycle, project, branch, base, options, plan_version, supervisor, cost_usd, created_at, updated_at)
         VALUES (?, ?, ?, 'planning', 'starting', 1, ?, ?, ?, ?, 0, ?, 0, ?, ?) RETURNING *`,
        [newId('run', now), input.kind, input.title, input.project, input.branch, input.base, JSON.stringify(input.options), input.supervisor, now, now],
      );
      await appendEvent(tx, { type: 'run.created', subject: row!.id, data: { kind: input.kind, title: input.title } }, now);
      return toRun(row!);
    });
  }

  async update(id: string, changes: RunChanges, note?: string): Promise<Run> {
    const now = this.board.now();
    const fields = Object.entries(changes).filter(([, value]) => value !== undefined);
    const values = fields.map(([key, value]) => (JSON_COLUMNS.has(key) ? (value === null ? null : JSON.stringify(value)) : value));
    const ended = changes.status && ENDED.includes(changes.status) ? ', ended_at = ?' : '';
    await this.board.db.transaction(async (tx) => {
      const changed = await tx.exec(
        `UPDATE runs SET ${fields.map(([key]) => `${key} = ?`).join(', ')}${fields.length ? ', ' : ''}updated_at = ?${ended} WHERE id = ?`,
        [...(values as (string | number | null)[]), now, ...(ended ? [now] : []), id],
      );
      if (!changed) throw new OrchestratorError('not_found', `no run '${excerpt(id)}'; 'orchestrate runs' lists them`);
      await appendEvent(tx, { type: 'run.updated', subject: id, data: { ...Object.fromEntries(fields.filter(([key]) => !JSON_COLUMNS.has(key))), ...(note ? { note } : {}) } }, now);
    });
    return this.get(id);
  }

  /** Adds to the run's spend. */
  /** Adds what an agent run spent: its dollars (as the CLI estimated them) and its tokens. */
  async addSpend(id: string, usd: number | null, usage: ReportedTokens | null): Promise<void> {
    if (!usd && !usage) return;
    await this.board.db.exec(
      `UPDATE runs SET cost_usd = cost_usd + ?, tokens_input = tokens_input + ?, tokens_output = tokens_output + ?,
         tokens_cache_write = tokens_cache_write + ?, tokens_cache_read = tokens_cache_read + ? WHERE id = ?`,
      [usd ?? 0, usage?.input_tokens ?? 0, usage?.output_tokens ?? 0, usage?.cache_creation_input_tokens ?? 0, usage?.cache_read_input_tokens ?? 0, id],
    );
  }

  async get(id: string): Promise<Run> {
    const [row] = await this.board.db.query<RunRow>('SELECT * FROM runs WHERE id = ?', [id]);
    if (!row) throw new OrchestratorError('not_found', `no run '${excerpt(id)}'; 'orchestrate runs' lists them`);
    return toRun(row);
  }

  /** The newest run of a kind, or null. */
  async latest(kind?: string): Promise<Run | null> {
    const [row] = await this.board.db.query<RunRow>('SELECT * FROM runs WHERE (CAST(? AS TEXT) IS NULL OR kind = ?) ORDER BY seq DESC LIMIT 1', [kind ?? null, kind ?? null]);
    return row ? toRun(row) : null;
  }

  /** The newest runs, newest first. */
  async recent(limit: number): Promise<Run[]> {
    const rows = await this.board.db.query<RunRow>('SELECT * FROM runs ORDER BY seq DESC LIMIT ?', [pageLimit(limit)]);
    return rows.map(toRun);
  }

  async list(options: { limit?: number; cursor?: string } = {}): Promise<Page<Run>> {
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.board.db.query<RunRow>('SELECT * FROM runs WHERE seq > ? ORDER BY seq LIMIT ?', [after, limit + 1]);
    return toPage(rows, limit, (row) => row.seq, toRun);
  }

  async addPlan(id: string, plan: unknown, source: string): Promise<number> {
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const [row] = await tx.query<{ version: number | null }>('SELECT MAX(version) AS version FROM run_plans WHERE run_id = ?', [id]);
      const version = Number(row?.version ?? 0) + 1;
      await tx.exec('INSERT INTO run_plans (run_id, version, source, plan, created_at) VALUES (?, ?, ?, ?, ?)', [id, version, source, JSON.stringify(plan), now]);
      await appendEvent(tx, { type: 'run.plan', subject: id, data: { version, source } }, now);
      return version;
    });
  }

  async plan(id: string, version?: number): Promise<{ version: number; source: string; plan: unknown } | null> {
    const [row] = await this.board.db.query<{ version: number; source: string; plan: string }>(
      'SELECT version, source, plan FROM run_plans WHERE run_id = ? AND (CAST(? AS INTEGER) IS NULL OR version = ?) ORDER BY version DESC LIMIT 1',
      [id, version ?? null, version ?? null],
    );
    return row ? { version: Number(row.version), source: row.source, plan: parseJson(row.plan, null) } : null;
  }

  async addReview(id: string, review: { cycle: number; subject: 'plan' | 'code'; verdict: 'approve' | 'changes'; findings: unknown[] }): Promise<void> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      await tx.exec('INSERT INTO run_reviews (run_id, cycle, subject, verdict, findings, created_at) VALUES (?, ?, ?, ?, ?, ?)', [id, review.cycle, review.subject, review.verdict, JSON.stringify(review.findings), now]);
      await appendEvent(tx, { type: 'run.review', subject: id, data: { cycle: review.cycle, subject: review.subject, verdict: review.verdict, findings: review.findings.length } }, now);
    });
  }

  /** The newest review of a subject in a cycle, or null. */
  async review(id: string, cycle: number, subject: 'plan' | 'code'): Promise<{ verdict: 'approve' | 'changes'; findings: unknown[] } | null> {
    const [row] = await this.board.db.query<{ verdict: 'approve' | 'changes'; findings: string }>(
      'SELECT verdict, findings FROM run_reviews WHERE run_id = ? AND cycle = ? AND subject = ? ORDER BY seq DESC LIMIT 1',
      [id, cycle, subject],
    );
    return row ? { verdict: row.verdict, findings: parseJson(row.findings, []) as unknown[] } : null;
  }

  /** Records a worker's report on a phase in the event log, where the run's compliance check reads it. */
  async reportPhase(id: string, report: Pick<PhaseReport, 'phase' | 'status' | 'reason' | 'report' | 'by'>): Promise<void> {
    const now = this.board.now();
    const data = { phase: report.phase, status: report.status, reason: report.reason, ...(report.report ? { report: report.report } : {}) };
    await this.board.db.transaction((tx) => appendEvent(tx, { type: 'run.phase_done', subject: id, actor: report.by, data }, now));
  }

  /** The reports on a phase recorded after the event `after`, oldest first. */
  async phaseReports(id: string, phase: string, after: number): Promise<PhaseReport[]> {
    const reports: PhaseReport[] = [];
    for (const event of await new Events(this.board.db).all({ subject: id, type: 'run.phase_done' }, after)) {
      const data = event.data as Pick<PhaseReport, 'phase' | 'status' | 'reason' | 'report'>;
      if (data.phase === phase) reports.push({ ...data, by: event.actor, event: event.id, at: event.at });
    }
    return reports;
  }
}

function toRun(row: RunRow): Run {

  const { seq: _seq, tokens_input, tokens_output, tokens_cache_write, tokens_cache_read, ...rest } = row;
  return {
    ...rest,
    tokens: { input: Number(tokens_input), output: Number(tokens_output), cache_write: Number(tokens_cache_write), cache_read: Number(tokens_cache_read) },
    cycle: Number(row.cycle),
    plan_version: Number(row.plan_version),
    cost_usd: Number(row.cost_usd),
    options: parseJson(row.options, {}) as Record<string, unknown>,
    escalation: parseJson(row.escalation, null),
    paused_until: iso(row.paused_until),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    ended_at: iso(row.ended_at),
  };
}
