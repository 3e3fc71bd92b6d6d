import { excerpt, OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { iso, parseJson } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';
import type { Queryable } from '../store/open.js';
import type { StepDefinition, WorkflowDefinition } from './workflow-definition.js';

export type { StepDefinition, WorkflowDefinition };

/**
 * Workflows (designs A and B): a template is a named list of steps (title, role, instructions,
 * dependencies, optionally the agent CLI that does it) with `{{input}}` placeholders; a workflow
 * is one use of it, with its inputs filled in. A manual workflow moves one step at a time: the
 * current step is `active`, `advance` marks it `done` with its notes and outputs and activates
 * the next step whose dependencies are done; with none left the workflow is `completed`. An
 * automatic workflow (`orchestrate workflow run`) has the engine run its steps as tasks, and
 * the run marks each step `active`, then `done` or `failed`.
 *
 * Templates defined with define_workflow live here; the built-in ones and a project's own
 * (`.orchestrator/workflows/`) are files, found by flows/workflows.ts.
 */
export type StepStatus = 'pending' | 'active' | 'done' | 'failed';
export type WorkflowStatus = 'active' | 'completed' | 'failed' | 'cancelled';

export interface WorkflowStep {
  id: string;
  position: number;
  title: string;
  role: string;
  agent: string | null;
  instructions: string;
  depends_on: string[];
  status: StepStatus;
  notes: string | null;
  outputs: Record<string, unknown>;
  started_at: string | null;
  ended_at: string | null;
}

export interface Workflow {
  id: string;
  template: string | null;
  name: string;
  status: WorkflowStatus;
  mode: 'manual' | 'auto';
  inputs: Record<string, string>;
  run_id: string | null;
  created_by: string | null;
  created_at: string | null;
  updated_at: string | null;
  ended_at: string | null;
  steps: WorkflowStep[];
  /** The active step of a manual workflow (the first of them in an automatic one), or null. */
  current_step: WorkflowStep | null;
  progress: { done: number; total: number };
}

interface WorkflowRow {
  seq: number;
  id: string;
  template: string | null;
  name: string;
  status: WorkflowStatus;
  mode: 'manual' | 'auto';
  inputs: string;
  run_id: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
}

interface StepRow {
  workflow_id: string;
  position: number;
  id: string;
  title: string;
  role: string;
  agent: string | null;
  instructions: string;
  depends_on: string;
  status: StepStatus;
  notes: string | null;
  outputs: string | null;
  started_at: number | null;
  ended_at: number | null;
}

export interface TemplateRecord {
  definition: WorkflowDefinition;
  created_by: string | null;
  updated_at: string | null;
}

export class Workflows {
  constructor(private readonly board: BoardContext) {}

  async defineTemplate(definition: unknown, actor: string | null): Promise<TemplateRecord> {
    const { checkDefinition } = await import('./workflow-definition.js'); // zod: loaded when a template is defined
    const checked = checkDefinition(definition);
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      await tx.exec(
        `INSERT INTO workflow_templates (name, description, definition, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description, definition = excluded.definition, created_by = excluded.created_by, updated_at = excluded.updated_at`,
        [checked.name, checked.description, JSON.stringify(checked), actor, now, now],
      );
      await appendEvent(tx, { type: 'workflow.defined', subject: checked.name, actor, data: { steps: checked.steps.length } }, now);
    });
    return { definition: checked, created_by: actor, updated_at: iso(now) };
  }

  /** The templates defined on the board, by name. */
  async templates(): Promise<TemplateRecord[]> {
    const rows = await this.board.db.query<{ definition: string; created_by: string | null; updated_at: number }>('SELECT definition, created_by, updated_at FROM workflow_templates ORDER BY name');
    return rows.map((row) => ({ definition: parseJson(row.definition, null) as WorkflowDefinition, created_by: row.created_by, updated_at: iso(row.updated_at) }));
  }

  async start(input: { name: string; template: string | null; steps: (StepDefinition & { id: string })[]; inputs: Record<string, string>; mode: 'manual' | 'auto' }, actor: string | null): Promise<Workflow> {
    const now = this.board.now();
    const id = newId('wf', now);
    await this.board.db.transaction(async (tx) => {
      await tx.exec(
        `INSERT INTO workflows (id, template, name, status, mode, inputs, created_by, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
        [id, input.template, input.name, input.mode, JSON.stringify(input.inputs), actor, now, now],
      );
      for (const [position, step] of input.steps.entries()) {
        await tx.exec(
          `INSERT INTO workflow_steps (workflow_id, position, id, title, role, agent, instructions, depends_on, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
          [id, position, step.id, step.title, step.role ?? 'generalist', step.agent ?? null, step.instructions, JSON.stringify(step.depends_on ?? [])],
        );
      }
      if (input.mode === 'manual') await activateNext(tx, id, now);
      await appendEvent(tx, { type: 'workflow.started', subject: id, actor, data: { template: input.template, mode: input.mode, steps: input.steps.length } }, now);
    });
    return this.get(id);
  }

  async get(id: string, db: Queryable = this.board.db): Promise<Workflow> {
    const [row] = await db.query<WorkflowRow>('SELECT * FROM workflows WHERE id = ?', [id]);
    if (!row) throw new OrchestratorError('not_found', `no workflow '${excerpt(id)}'; list_workflows shows them`);
    const steps = (await db.query<StepRow>('SELECT * FROM workflow_steps WHERE workflow_id = ? ORDER BY position', [id])).map(toStep);
    return toWorkflow(row, steps);
  }

  /**
   * The one active workflow a caller means when it names none (design A's sessions kept one):
   * the caller's own, else the board's only one; otherwise which to name.
   */
  async soleActive(caller: string | null): Promise<string> {
    const rows = await this.board.db.query<{ id: string; created_by: string | null }>("SELECT id, created_by FROM workflows WHERE status = 'active' ORDER BY seq LIMIT 50");
    const own = rows.filter((row) => caller !== null && row.created_by === caller);
    const pick = own.length > 0 ? own : rows;
    if (pick.length === 1) return pick[0]!.id;
    throw new OrchestratorError(pick.length === 0 ? 'not_found' : 'invalid_input', pick.length === 0
      ? 'no active workflow; start_workflow starts one'
      : `several workflows are active (${pick.slice(0, 5).map((row) => row.id).join(', ')}${pick.length > 5 ? ', …' : ''}): pass workflow_id`);
  }

  async list(options: { status?: WorkflowStatus; limit?: number; cursor?: string } = {}): Promise<Page<Omit<Workflow, 'steps'>>> {
    const limit = pageLimit(options.limit);
    const after = decodeCursor<number>(options.cursor, 'number') ?? 0;
    const rows = await this.board.db.query<WorkflowRow>(
      'SELECT * FROM workflows WHERE seq > ? AND (CAST(? AS TEXT) IS NULL OR status = ?) ORDER BY seq LIMIT ?',
      [after, options.status ?? null, options.status ?? null, limit + 1],
    );
    const page = toPage(rows, limit, (row) => row.seq, (row) => row);
    const items = await Promise.all(page.items.map(async (row) => {
      const { steps: _steps, ...rest } = await this.get(row.id);
      return rest;
    }));
    return { items, next_cursor: page.next_cursor };
  }

  /** Completes the active step of a manual workflow with its notes and outputs, and activates the next. */
  async advance(id: string, result: { notes?: string | null; outputs?: Record<string, unknown> }, actor: string | null): Promise<Workflow> {
    const now = this.board.now();
    return this.board.db.transaction(async (tx) => {
      const workflow = await this.get(id, tx);
      if (workflow.mode !== 'manual') throw new OrchestratorError('conflict', `workflow ${id} runs by itself (orchestrate workflow run); its steps advance as their agents finish`);
      if (workflow.status !== 'active') throw new OrchestratorError('conflict', `workflow ${id} is ${workflow.status}; there is no step to advance`);
      const step = workflow.current_step!;
      const changed = await tx.exec(
        `UPDATE workflow_steps SET status = 'done', notes = ?, outputs = ?, ended_at = ? WHERE workflow_id = ? AND id = ? AND status = 'active'`,
        [result.notes ?? null, JSON.stringify(result.outputs ?? {}), now, id, step.id],
      );
      if (changed === 0) throw new OrchestratorError('conflict', `step ${step.id} of workflow ${id} was advanced by someone else; get_workflow_status shows where it is`);
      await appendEvent(tx, { type: 'workflow.step_done', subject: id, actor, data: { step: step.id } }, now);
      await activateNext(tx, id, now);
      return this.get(id, tx);
    });
  }

  /** An automatic run's word on a step: started, or ended done/failed with its notes (the agent's answer). */
  async setStep(id: string, stepId: string, status: StepStatus, notes: string | null = null): Promise<void> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      const changed = status === 'active'
        ? await tx.exec(`UPDATE workflow_steps SET status = 'active', started_at = ?, ended_at = NULL WHERE workflow_id = ? AND id = ?`, [now, id, stepId])
        : status === 'pending'
          ? await tx.exec(`UPDATE workflow_steps SET status = 'pending', started_at = NULL, ended_at = NULL WHERE workflow_id = ? AND id = ?`, [id, stepId])
          : await tx.exec('UPDATE workflow_steps SET status = ?, notes = ?, ended_at = ? WHERE workflow_id = ? AND id = ?', [status, notes, now, id, stepId]);
      if (changed === 0) throw new OrchestratorError('not_found', `workflow ${id} has no step '${excerpt(stepId)}'`);
      await tx.exec('UPDATE workflows SET updated_at = ? WHERE id = ?', [now, id]);
      await appendEvent(tx, { type: `workflow.step_${status}`, subject: id, data: { step: stepId } }, now);
    });
  }

  async finish(id: string, status: Exclude<WorkflowStatus, 'active'>, runId?: string): Promise<Workflow> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      await tx.exec('UPDATE workflows SET status = ?, updated_at = ?, ended_at = ?, run_id = COALESCE(?, run_id) WHERE id = ?', [status, now, now, runId ?? null, id]);
      await appendEvent(tx, { type: `workflow.${status}`, subject: id }, now);
    });
    return this.get(id);
  }

  /** Makes an ended workflow active again (its run resumed). */
  async reopen(id: string): Promise<void> {
    const now = this.board.now();
    await this.board.db.transaction(async (tx) => {
      await tx.exec(`UPDATE workflows SET status = 'active', ended_at = NULL, updated_at = ? WHERE id = ?`, [now, id]);
      await appendEvent(tx, { type: 'workflow.reopened', subject: id }, now);
    });
  }

  async attachRun(id: string, runId: string): Promise<void> {
    await this.board.db.exec('UPDATE workflows SET run_id = ?, updated_at = ? WHERE id = ?', [runId, this.board.now(), id]);
  }
}

/** Activates the first pending step whose dependencies are done; completes the workflow when none is left. */
async function activateNext(tx: Queryable, id: string, now: number): Promise<void> {
  const steps = (await tx.query<StepRow>('SELECT * FROM workflow_steps WHERE workflow_id = ? ORDER BY position', [id])).map(toStep);
  const done = new Set(steps.filter((s) => s.status === 'done').map((s) => s.id));
  const next = steps.find((s) => s.status === 'pending' && s.depends_on.every((d) => done.has(d)));
  if (next) {
    await tx.exec(`UPDATE workflow_steps SET status = 'active', started_at = ? WHERE workflow_id = ? AND id = ? AND status = 'pending'`, [now, id, next.id]);
    await tx.exec('UPDATE workflows SET updated_at = ? WHERE id = ?', [now, id]);
  } else if (steps.every((s) => s.status === 'done')) {
    await tx.exec(`UPDATE workflows SET status = 'completed', updated_at = ?, ended_at = ? WHERE id = ? AND status = 'active'`, [now, now, id]);
    await appendEvent(tx, { type: 'workflow.completed', subject: id }, now);
  }
}

function toStep(row: StepRow): WorkflowStep {
  return {
    id: row.id,
    position: Number(row.position),
    title: row.title,
    role: row.role,
    agent: row.agent,
    instructions: row.instructions,
    depends_on: parseJson(row.depends_on, []) as string[],
    status: row.status,
    notes: row.notes,
    outputs: parseJson(row.outputs, {}) as Record<string, unknown>,
    started_at: iso(row.started_at),
    ended_at: iso(row.ended_at),
  };
}

function toWorkflow(row: WorkflowRow, steps: WorkflowStep[]): Workflow {
  return {
    id: row.id,
    template: row.template,
    name: row.name,
    status: row.status,
    mode: row.mode,
    inputs: parseJson(row.inputs, {}) as Record<string, string>,
    run_id: row.run_id,
    created_by: row.created_by,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    ended_at: iso(row.ended_at),
    steps,
    current_step: steps.find((s) => s.status === 'active') ?? null,
    progress: { done: steps.filter((s) => s.status === 'done').length, total: steps.length },
  };
}
