import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Workflow } from '../../board/workflows.js';
import { ensureStateDir } from '../../config/settings.js';
import { OrchestratorError } from '../../core/errors.js';
import { Repo } from '../../engine/git.js';
import { listTemplates, resumeWorkflow, runWorkflow, startWorkflow, type WorkflowDeps, type WorkflowEnd } from '../../flows/workflows.js';
import { processIdentity } from '../../runner/os-process.js';
import { integerInRange } from '../../board/input.js';
import type { Run } from '../../board/runs.js';
import type { Board } from '../../board/board.js';
import { commandArgv, flag, flagOrArg, list, required, type Call, type Handler, type Reply } from '../call.js';
import { agentLines, moreHint, table } from '../format.js';
import { startDispatcher } from './dispatch.js';
import { agentRuns, RUN_ESCALATED, RUN_NOT_FINISHED } from './run.js';

const stateDir = (call: Call) => ensureStateDir(call.settings.projectRoot.value);

/** `name=value` pairs from a repeatable flag. */
export function pairs(call: Call, name: string): Record<string, string> {
  const values = (call.values[name] as string[] | undefined) ?? [];
  return Object.fromEntries(values.map((item) => {
    const at = item.indexOf('=');
    if (at <= 0) throw new OrchestratorError('invalid_input', `--${name} '${item}' must be name=value`);
    return [item.slice(0, at), item.slice(at + 1)];
  }));
}

function readDefinitionFile(call: Call, path: string): unknown {
  const file = resolve(call.cwd, path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OrchestratorError('invalid_input', `--file ${path} cannot be read (${(error as NodeJS.ErrnoException).code}); pass a YAML or JSON file`);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new OrchestratorError('invalid_input', `${path} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`);
  }
}

function describe(workflow: Workflow): string {
  const rows = workflow.steps.map((step) => [step.id, step.status, step.role, step.title.slice(0, 40), (step.notes ?? '').split('\n')[0]!.slice(0, 60)]);
  return [
    `${workflow.id}  ${workflow.status}  ${workflow.name}${workflow.template ? ` (template ${workflow.template})` : ''} · ${workflow.mode} · ${workflow.progress.done}/${workflow.progress.total} done`,
    workflow.current_step ? `current step: ${workflow.current_step.id} — ${workflow.current_step.title}\n${workflow.current_step.instructions.trim()}` : 'no current step',
    table(['STEP', 'STATUS', 'ROLE', 'TITLE', 'NOTES'], rows),
  ].join('\n');
}

/** `orchestrate workflow define --file <yaml|json>`: a template saved on the board. */
export const define: Handler = async (call) => {
  const definition = readDefinitionFile(call, required(flagOrArg(call, 'file'), 'the definition', '--file <workflow.yaml>'));
  const record = await (await call.board()).workflows.defineTemplate(definition as never, call.maybeAgent());
  return { data: record, text: `defined ${record.definition.name}: ${record.definition.steps.length} steps` };
};

/** `orchestrate workflow start <template> [--input k=v]…` or `--file <steps>`: a manual workflow. */
export const start: Handler = async (call) => {
  const board = await call.board();
  const file = flag(call, 'file');
  const template = flagOrArg(call, 'template');
  const custom = file ? readDefinitionFile(call, file) as { steps?: unknown; name?: string } : null;
  const workflow = await startWorkflow(board, stateDir(call), { template: custom ? undefined : required(template, 'the template', "its name as the argument ('orchestrate workflow templates' lists them), or --file with custom steps"), steps: custom?.steps as never, name: flag(call, 'name') ?? custom?.name, inputs: pairs(call, 'input') }, call.maybeAgent());
  return { data: workflow, text: describe(workflow) };
};

/** `orchestrate workflow status [<id>]`: one workflow in full, or the list. */
export const status: Handler = async (call) => {
  const board = await call.board();
  const id = flagOrArg(call, 'id');
  if (id) {
    const workflow = await board.workflows.get(id);
    return { data: workflow, text: describe(workflow) };
  }
  const page = await board.workflows.list({ limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  const rows = page.items.map((w) => [w.id, w.status, w.mode, `${w.progress.done}/${w.progress.total}`, w.current_step?.id ?? '', w.name]);
  return { data: page, text: table(['ID', 'STATUS', 'MODE', 'DONE', 'STEP', 'NAME'], rows, 'no workflows') + moreHint(page.next_cursor) };
};

/** `orchestrate workflow advance <id> [--notes "…"] [--output k=v]…`. */
export const advance: Handler = async (call) => {
  const id = required(flagOrArg(call, 'id'), 'the workflow', 'its id as the argument');
  const workflow = await (await call.board()).workflows.advance(id, { notes: flag(call, 'notes') ?? null, outputs: pairs(call, 'output') }, call.maybeAgent());
  return { data: workflow, text: describe(workflow) };
};

/** `orchestrate workflow templates`. */
export const templates: Handler = async (call) => {
  const all = await listTemplates(await call.board(), stateDir(call));
  const rows = all.map((t) => [t.name, t.source, t.definition?.steps.length ?? '-', t.definition?.inputs?.map((i) => `${i.name}${i.required ? '*' : ''}`).join(', ') ?? '', t.problem ?? t.description.slice(0, 60)]);
  return { data: all, text: table(['NAME', 'SOURCE', 'STEPS', 'INPUTS (* required)', 'DESCRIPTION'], rows) };
};

/** `orchestrate workflow run <template> [--input k=v]… [--cli X] [--program P --arg A]… [--concurrency N]`. */
export const run: Handler = async (call) => {
  const board = await call.board();
  const file = flag(call, 'file');
  const custom = file ? readDefinitionFile(call, file) as { steps?: unknown; name?: string } : null;
  const template = custom ? undefined : required(flagOrArg(call, 'template'), 'the template', "its name as the argument ('orchestrate workflow templates' lists them), or --file with custom steps");
  // Several CLIs (--cli claude,codex): each step goes to the one with the most headroom.
  const agents = [...new Set(list(flag(call, 'cli')) ?? [])];
  for (const one of agents) if (!['claude', 'codex', 'gemini', 'command'].includes(one)) throw new OrchestratorError('invalid_input', `--cli '${one}' is not one of claude, codex, gemini, command (or several agent CLIs, comma-separated: claude,codex)`);
  if (agents.length > 1 && agents.includes('command')) throw new OrchestratorError('invalid_input', '--cli command runs your own program: it has no usage windows to route by; name it alone');
  const agent = agents[0] ?? null;
  const command = commandArgv(call);
  const built = await deps(call, board);
  return reply(await closing(built, runWorkflow(built, {
    template,
    steps: custom?.steps as never,
    name: flag(call, 'name') ?? custom?.name,
    inputs: pairs(call, 'input'),
    concurrency: integerInRange('--concurrency', flag(call, 'concurrency') ?? 2, 1, 16),
    agent: agent as never,
    ...(agents.length > 1 ? { agents: agents as never } : {}),
    command,
    model: flag(call, 'model') ?? null,
  }, call.maybeAgent())));
};

/** `orchestrate resume` for a workflow run. */
export async function resume(call: Call, board: Board, run: Run): Promise<Reply> {
  const built = await deps(call, board);
  return reply(await closing(built, resumeWorkflow(built, run.id)));
}

/** The run's end, once its agent runner has let go of what it holds (a local worker slot on the board). */
async function closing<T>(built: WorkflowDeps, end: Promise<T>): Promise<T> {
  try {
    return await end;
  } finally {
    await built.dispatcher.close();
  }
}

async function deps(call: Call, board: Board): Promise<WorkflowDeps> {
  const root = call.settings.projectRoot.value;
  const repo = await Repo.open(root, call.env).catch(() => null);
  return {
    board,
    repo,
    root,
    dispatcher: await agentRuns(call, board, repo, () => startDispatcher(call, board)),
    env: call.env,
    supervisor: processIdentity(process.pid),
    stateDir: ensureStateDir(root),
    onProgress: (line) => call.progress(line),
    onAgentEvent: agentLines(call, Boolean(call.values.verbose)),
    signal: call.io.shutdownSignal(),
    roles: call.settings.roles,
    budgets: call.settings.budgets,
  };
}

function reply(end: WorkflowEnd): Reply {
  const exitCode = end.end === 'completed' ? 0 : end.end === 'failed' || end.end === 'blocked' ? RUN_ESCALATED : RUN_NOT_FINISHED;
  return { data: end, text: `${describe(end.workflow)}\nrun ${end.run.id}: ${end.run.status} — ${end.run.phase}`, exitCode };
}
