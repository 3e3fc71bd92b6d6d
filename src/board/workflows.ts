import { z } from 'zod';
import { OrchestratorError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BoardContext } from './board.js';
import { appendEvent } from './events.js';
import { iso, parseJson } from './input.js';
import { decodeCursor, pageLimit, toPage, type Page } from './pagination.js';
import type { Queryable } from '../store/open.js';

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
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
const AGENT_KINDS = ['claude', 'codex', 'gemini', 'command'] as const;

export const stepDefinition = z.strictObject({
  id: z.string().regex(ID, 'use 1–40 letters, digits, _ or -').optional().describe('default: s1, s2, … in order'),
  title: z.string().min(1).max(200),
  role: z.string().min(1).max(40).optional().describe('architect, implementer, tester, reviewer, devops, documenter or generalist (default)'),
  instructions: z.string().min(1).max(20_000).describe('what to do; {{name}} is replaced by the input of that name'),
  depends_on: z.array(z.string()).max(50).optional().describe('ids of steps that must be done first'),
  agent: z.enum(AGENT_KINDS).optional().describe('the CLI an automatic run uses for this step (default: the run\'s)'),
});

export const workflowInput = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'use letters, digits and _'),
  description: z.string().max(500).optional(),
  required: z.boolean().optional(),
  default: z.string().max(20_000).optional(),
});

export const workflowDefinition = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'use lower-case letters, digits and -'),
  description: z.string().min(1).max(2000),
  inputs: z.array(workflowInput).max(20).optional(),
  steps: z.array(stepDefinition).min(1).max(50),
});

export type StepDefinition = z.infer<typeof stepDefinition>;
export type WorkflowDefinition = z.infer<typeof workflowDefinition>;
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

/**
 * A definition checked whole: its shape, then every problem at once (duplicate ids, unknown or
 * circular dependencies, placeholders no input declares). Steps get ids s1, s2, … where absent.
 */
export function checkDefinition(input: unknown): WorkflowDefinition {
  const parsed = workflowDefinition.safeParse(input);
  if (!parsed.success) throw new OrchestratorError('invalid_input', `the workflow is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'workflow'}: ${i.message}`).join('; ')}`);
  const definition = { ...parsed.data, steps: parsed.data.steps.map((step, i) => ({ ...step, id: step.id ?? `s${i + 1}` })) };
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const step of definition.steps) {
    if (ids.has(step.id)) problems.push(`the step id '${step.id}' is used twice`);
    ids.add(step.id);
  }
  for (const step of definition.steps) {
    for (const dep of step.depends_on ?? []) if (!ids.has(dep)) problems.push(`step ${step.id} depends on '${dep}', which is not a step of this workflow`);
  }
  const cycle = findCycle(definition.steps);
  if (cycle) problems.push(`the steps depend on each other in a circle: ${cycle.join(' → ')}`);
  const declared = new Set((definition.inputs ?? []).map((i) => i.name));
  for (const step of definition.steps) {
    for (const [, name] of step.instructions.matchAll(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g)) {
      if (!declared.has(name!)) problems.push(`step ${step.id} uses {{${name}}}, which is not among the inputs (declare it under inputs)`);
    }
  }
  if (problems.length > 0) throw new OrchestratorError('invalid_input', `the workflow is not valid: ${[...new Set(problems)].join('; ')}`);
  return definition;
}

/** The steps with the inputs filled in (defaults for absent ones); missing required or unknown inputs are refused. */
export function fillInputs(definition: WorkflowDefinition, given: Record<string, string>): { steps: (StepDefinition & { id: string })[]; inputs: Record<string, string> } {
  const declared = definition.inputs ?? [];
  const unknown = Object.keys(given).filter((name) => !declared.some((i) => i.name === name));
  if (unknown.length) throw new OrchestratorError('invalid_input', `${definition.name} has no input ${unknown.map((n) => `'${n}'`).join(', ')}; its inputs: ${declared.map((i) => i.name).join(', ') || 'none'}`);
  const inputs: Record<string, string> = {};
  const missing: string[] = [];
  for (const input of declared) {
    const value = given[input.name] ?? input.default;
    if (value === undefined) {
      if (input.required) missing.push(`${input.name}${input.description ? ` (${input.description})` : ''}`);
      else inputs[input.name] = '';
    } else inputs[input.name] = value;
  }
  if (missing.length) throw new OrchestratorError('invalid_input', `${definition.name} needs the input${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: pass ${missing.length > 1 ? 'them' : 'it'} as name=value`);
  const fill = (text: string) => text.replace(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => inputs[name] ?? '');
  return { steps: definition.steps.map((step, i) => ({ ...step, id: step.id ?? `s${i + 1}`, title: fill(step.title), instructions: fill(step.instructions) })), inputs };
}

export class Workflows {
  constructor(private readonly board: BoardContext) {}

  async defineTemplate(definition: WorkflowDefinition, actor: string | null): Promise<TemplateRecord> {
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
    if (!row) throw new OrchestratorError('not_found', `no workflow '${id}'; list_workflows shows them`);
    const steps = (await db.query<StepRow>('SELECT * FROM workflow_steps WHERE workflow_id = ? ORDER BY position', [id])).map(toStep);
    return toWorkflow(row, steps);
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
      if (changed === 0) throw new OrchestratorError('not_found', `workflow ${id} has no step '${stepId}'`);
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

function findCycle(steps: { id?: string; depends_on?: string[] }[]): string[] | null {
  const deps = new Map(steps.map((s) => [s.id!, s.depends_on ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (state.get(dep) === 'visiting') return [...stack.slice(stack.indexOf(dep)), dep];
      if (!state.has(dep) && deps.has(dep)) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of deps.keys()) {
    if (state.has(id)) continue;
    const found = visit(id);
    if (found) return found;
  }
  return null;
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
