import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Board } from '../board/board.js';
import type { DispatchSpec } from '../board/processes.js';
import type { Run } from '../board/runs.js';
import { checkDefinition, fillInputs, type StepDefinition, type WorkflowDefinition } from '../board/workflow-definition.js';
import type { Workflow } from '../board/workflows.js';
import { excerpt, OrchestratorError } from '../core/errors.js';
import { runCycle, type TaskState, type WorkRequest, type WorkResult } from '../engine/executor.js';
import type { Repo } from '../engine/git.js';
import type { Plan, PlanTask } from '../engine/plan.js';
import type { AgentEvent } from '../runner/events.js';
import { rolePrompt } from '../runner/roles.js';
import type { AgentKind } from './feature.js';
import { ROUTING_THRESHOLD, runRouted } from './routing.js';
import { blockOnBudget, dayBudgetHold, engineAgent, recordPause, refuseSecondDriver, runDir, waitOutPause, watchStop, WORKER_TOOLS, workResult, writeAccess, writeAtomic, type RunDeps } from './run-support.js';

/**
 * Workflow templates and automatic workflow runs. A template comes from one of three places,
 * the later winning for a name: the built-in data files beside this module (workflow-templates/),
 * the project's `.orchestrator/workflows/*.yaml|json`, and the board (define_workflow).
 *
 * `orchestrate workflow run` turns a workflow's steps into engine tasks with their roles (a
 * board run of kind `workflow`, `<run>.c1.<step>`) and runs them with agents in the project's
 * own folder — the engine's shared mode: no worktrees, steps in parallel where their
 * dependencies allow, up to the concurrency. Each step's agent gets its role's prompt, the step's
 * instructions, and the answers of the steps it depends on; its answer becomes the step's notes.
 * A failed step stops what depends on it; `orchestrate resume` retries it.
 */
export type TemplateSource = 'built-in' | 'project' | 'board';

export interface TemplateEntry {
  name: string;
  description: string;
  source: TemplateSource;
  /** The file it was read from (built-in and project templates). */
  file: string | null;
  definition: WorkflowDefinition | null;
  /** Why a project file cannot be used, or null. */
  problem: string | null;
}

const BUILT_IN = fileURLToPath(new URL('./workflow-templates/', import.meta.url));

/** Every template by name (the board's over the project's over the built-in ones). */
export async function listTemplates(board: Board, stateDir: string): Promise<TemplateEntry[]> {
  const byName = new Map<string, TemplateEntry>();
  for (const entry of [...readFolder(BUILT_IN, 'built-in'), ...readFolder(join(stateDir, 'workflows'), 'project')]) byName.set(entry.name, entry);
  for (const record of await board.workflows.templates()) {
    byName.set(record.definition.name, { name: record.definition.name, description: record.definition.description, source: 'board', file: null, definition: record.definition, problem: null });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export async function findTemplate(board: Board, stateDir: string, name: string): Promise<WorkflowDefinition> {
  const all = await listTemplates(board, stateDir);
  const found = all.find((entry) => entry.name === name);
  if (!found) throw new OrchestratorError('not_found', `no workflow template '${excerpt(name)}'; the templates: ${all.map((entry) => entry.name).join(', ')}`);
  if (!found.definition) throw new OrchestratorError('invalid_input', `the template ${name} (${found.file}) cannot be used: ${found.problem}`);
  return found.definition;
}

function readFolder(dir: string, source: TemplateSource): TemplateEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((file) => /\.(ya?ml|json)$/.test(file)).sort().map((file) => readTemplateFile(join(dir, file), source));
}

function readTemplateFile(file: string, source: TemplateSource): TemplateEntry {
  const fallbackName = file.replace(/^.*\//, '').replace(/\.(ya?ml|json)$/, '');
  try {
    const text = readFileSync(file, 'utf8');
    const data: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    const definition = checkDefinition(data);
    return { name: definition.name, description: definition.description, source, file, definition, problem: null };
  } catch (error) {
    return { name: fallbackName, description: '(cannot be read)', source, file, definition: null, problem: (error as Error).message.split('\n')[0]! };
  }
}

/** Starts a workflow from a template (inputs filled in) or from custom steps. */
export async function startWorkflow(board: Board, stateDir: string, input: { template?: string; name?: string; steps?: StepDefinition[]; inputs?: Record<string, string>; mode?: 'manual' | 'auto' }, actor: string | null): Promise<Workflow> {
  if ((input.template === undefined) === (input.steps === undefined)) throw new OrchestratorError('invalid_input', 'pass either template (a template name; list_workflow_templates shows them) or steps (custom steps), not both or neither');
  const definition = input.template !== undefined
    ? await findTemplate(board, stateDir, input.template)
    : checkDefinition({ name: input.name ?? 'custom', description: 'custom steps', steps: input.steps });
  const filled = fillInputs(definition, input.inputs ?? {});
  return board.workflows.start({ name: input.name ?? definition.name, template: input.template ?? null, steps: filled.steps, inputs: filled.inputs, mode: input.mode ?? 'manual' }, actor);
}

export interface WorkflowRunSettings {
  workflow_id: string;
  concurrency: number;
  /** Every step's agent, overriding the template's. */
  agent: AgentKind | 'command' | null;
  /** Several CLIs every step may run on (`--cli claude,codex`): each attempt to the one with the most headroom. */
  agents?: AgentKind[];
  /** For the command agent: the program and its arguments (the prompt is the last argument, or replaces `{prompt}`). */
  command: string[] | null;
  model: string | null;
}

export interface WorkflowDeps extends Omit<RunDeps, 'repo'> {
  /** The project's repository, when it is one (workflows need no git). */
  repo: Repo | null;
  /** The folder the steps run in (the project root). */
  root: string;
}

export type WorkflowEnd = { run: Run; workflow: Workflow; end: 'completed' | 'failed' | 'blocked' | 'paused' | 'stopped' };

/** Runs a workflow's steps with agents (the workflow was started in auto mode). */
export async function runWorkflow(deps: WorkflowDeps, settings: Omit<WorkflowRunSettings, 'workflow_id'> & { template?: string; steps?: StepDefinition[]; name?: string; inputs?: Record<string, string> }, actor: string | null): Promise<WorkflowEnd> {
  const { board } = deps;
  const workflow = await startWorkflow(board, deps.stateDir, { template: settings.template, steps: settings.steps, name: settings.name, inputs: settings.inputs, mode: 'auto' }, actor);
  const commandSteps = workflow.steps.filter((step) => (settings.agent ?? step.agent) === 'command').map((step) => step.id);
  if (commandSteps.length > 0 && !settings.command?.length) {
    await board.workflows.finish(workflow.id, 'cancelled');
    throw new OrchestratorError('invalid_input', `the steps ${commandSteps.join(', ')} run the command agent: pass --program (and --arg) for it`);
  }
  const run = await board.runs.create({
    kind: 'workflow',
    title: workflow.name,
    project: deps.root,
    branch: (await deps.repo?.currentBranch().catch(() => null)) ?? '',
    base: (await deps.repo?.head().catch(() => null)) ?? '',
    options: { workflow_id: workflow.id, concurrency: settings.concurrency, agent: settings.agent, ...(settings.agents ? { agents: settings.agents } : {}), command: settings.command, model: settings.model } satisfies WorkflowRunSettings,
    supervisor: deps.supervisor,
  });
  await board.workflows.attachRun(workflow.id, run.id);
  deps.onProgress?.(`workflow ${workflow.id} (${workflow.name}): ${workflow.steps.length} steps as run ${run.id}`);
  return drive(deps, await board.runs.update(run.id, { status: 'running', phase: `${workflow.steps.length} steps` }));
}

/** Goes on with a workflow run: failed steps are retried. */
export async function resumeWorkflow(deps: WorkflowDeps, runId: string): Promise<WorkflowEnd> {
  const { board } = deps;
  let run = await board.runs.get(runId);
  refuseSecondDriver(run, deps.supervisor);
  run = await board.runs.update(run.id, { status: 'running', supervisor: deps.supervisor, escalation: null, paused_until: null }, 'resumed');
  const settings = run.options as unknown as WorkflowRunSettings;
  for (const task of await board.tasks.all({ run_id: run.id, status: 'failed' })) {
    await board.tasks.retry(task.id, null);
    await board.workflows.setStep(settings.workflow_id, String(task.metadata.plan_id), 'pending');
  }
  await board.workflows.reopen(settings.workflow_id);
  return drive(deps, run);
}

async function drive(deps: WorkflowDeps, start: Run): Promise<WorkflowEnd> {
  const { board } = deps;
  let run = start;
  const settings = run.options as unknown as WorkflowRunSettings;
  const workflow = await board.workflows.get(settings.workflow_id);
  const steps = new Map(workflow.steps.map((step) => [step.id, step]));
  const answers = new Map(workflow.steps.map((step) => [step.id, step.notes ?? '']));
  const engine = await engineAgent(board, run);
  const stop = watchStop(board, run.id, deps.signal);
  const plan: Plan = { tasks: workflow.steps.map((step) => ({ id: step.id, title: step.title, description: step.instructions, role: step.role, depends_on: step.depends_on })) };

  const prompt = (task: PlanTask, _tree: string, problem: string | null) => {
    const step = steps.get(task.id)!;
    const before = step.depends_on.map((id) => `--- ${steps.get(id)!.title} (${id}) ---\n${answers.get(id)?.trim() || '(no answer)'}`);
    return [
      rolePrompt(deps.stateDir, step.role).prompt,
      '',
      `Workflow ${workflow.name} (${workflow.id}), step ${step.id}: ${step.title}`,
      '',
      step.instructions.trim(),
      ...(before.length ? ['', 'What the steps before this one answered:', ...before] : []),
      ...(problem ? ['', `Your previous attempt did not finish: ${problem}`] : []),
      '',
      'End with your answer: it is passed to the steps after this one.',
    ].join('\n');
  };

  const work = async (request: WorkRequest): Promise<WorkResult> => {
    const step = steps.get(request.task.id)!;
    const agent = (settings.agent ?? step.agent ?? 'claude') as AgentKind | 'command';
    const spec = (cli: AgentKind | 'command'): DispatchSpec => ({
      agent: cli,
      prompt: request.prompt,
      cwd: deps.root,
      role: step.role,
      model: cli === 'command' || cli !== agent ? undefined : (settings.model ?? undefined),
      ...(cli === 'command' ? { argv: settings.command! } : writeAccess(cli, WORKER_TOOLS)),
    });
    // On a worker elsewhere, the step's changes come back as a branch of their own; the project folder stays as it is.
    const extras = { taskId: request.boardId, signal: request.signal, workBranch: `orchestrate/${run.id}/step-${step.id}`, onEvent: deps.onAgentEvent ? (event: AgentEvent) => deps.onAgentEvent!(`step ${step.id}`, event) : undefined };
    const result = await runRouted({ board, runs: deps.dispatcher, env: deps.env, allowed: settings.agents ?? [agent], threshold: ROUTING_THRESHOLD, build: (cli) => spec(cli as AgentKind | 'command'), createdBy: engine.id, extras, subject: request.boardId, onProgress: deps.onProgress });
    if (result.outcome.kind === 'ok') answers.set(step.id, result.outcome.message);
    return workResult(board, result);
  };

  const onTaskState = async (task: PlanTask, state: TaskState, detail: string) => {
    if (state === 'started') await board.workflows.setStep(workflow.id, task.id, 'active');
    else if (state === 'completed') await board.workflows.setStep(workflow.id, task.id, 'done', (answers.get(task.id) ?? '').slice(0, 20_000));
    else if (state === 'failed') await board.workflows.setStep(workflow.id, task.id, 'failed', detail.slice(0, 20_000));
    else await board.workflows.setStep(workflow.id, task.id, 'pending');
    deps.onProgress?.(`[step ${task.id}] ${state}${state === 'failed' ? `: ${detail.split('\n')[0]}` : ''}`);
  };

  try {
    for (;;) {
      const end = await runCycle({
        board,
        repo: null,
        run,
        plan,
        cycle: 1,
        engineAgent: engine.id,
        integrationTree: deps.root,
        worktreeRoot: join(deps.stateDir, 'worktrees'),
        runDir: runDir(deps.stateDir, run),
        concurrency: settings.concurrency,
        maxAttempts: 2,
        env: deps.env,
        shared: true,
        prompt,
        work,
        onTaskState,
        onProgress: (line) => deps.onProgress?.(line.replace(/^\[([^\]]+)\]/, '[step $1]')),
        signal: stop.signal,
        // A day budget spent (config.yaml): no new step starts, the running ones finish, the run asks a person.
        hold: dayBudgetHold(deps),
      });
      if (end.status === 'held' && end.until === undefined) {
        run = (await blockOnBudget(deps, run, end.reason, 'step')).run;
        return { run, workflow: await board.workflows.get(workflow.id), end: 'blocked' };
      }
      if (end.status === 'stopped') {
        run = await board.runs.update(run.id, { status: 'stopped', phase: 'stopped' });
        return { run, workflow: await board.workflows.get(workflow.id), end: 'stopped' };
      }
      if (end.status === 'paused' || end.status === 'held') {
        const pause = await recordPause(board, run, end);
        run = pause.run;
        await waitOutPause(deps, pause, stop.signal);
        continue;
      }
      if (end.status === 'done') {
        run = await board.runs.update(run.id, { status: 'completed', phase: `all ${plan.tasks.length} steps done` });
        deps.onProgress?.(`completed: workflow ${workflow.id}`);
        return { run, workflow: await board.workflows.finish(workflow.id, 'completed'), end: 'completed' };
      }
      const lines = end.failed.map((f) => `step ${f.id}: ${f.reason}`);
      const escalation = { run_id: run.id, at: new Date().toISOString(), reason: lines[0]!.split('\n')[0], details: lines.join('\n\n'), needs: 'look at the step logs (orchestrate ps, orchestrate logs), then orchestrate resume --run ' + run.id, resume: `orchestrate resume --run ${run.id}` };
      writeAtomic(join(runDir(deps.stateDir, run), 'escalation.json'), `${JSON.stringify(escalation, null, 2)}\n`);
      run = await board.runs.update(run.id, { status: 'failed', phase: escalation.reason!.slice(0, 500), escalation });
      deps.onProgress?.(`failed: ${escalation.reason}`);
      return { run, workflow: await board.workflows.finish(workflow.id, 'failed'), end: 'failed' };
    }
  } finally {
    stop.close();
    await board.agents.unregister(engine.id).catch(() => undefined);
  }
}
