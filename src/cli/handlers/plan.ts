import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Board } from '../../board/board.js';
import { integerInRange } from '../../board/input.js';
import type { Run } from '../../board/runs.js';
import { readProjectConfig } from '../../config/config-file.js';
import { ensureStateDir, STATE_DIR } from '../../config/settings.js';
import { OrchestratorError } from '../../core/errors.js';
import { Repo } from '../../engine/git.js';
import { simulate } from '../../engine/simulate.js';
import { DEFAULT_NOTES_SECTIONS } from '../../flows/compliance.js';
import type { AgentKind } from '../../flows/feature.js';
import { phaseStatuses, resumePlan, startPlan, type PlanDeps, type PlanEnd, type PlanSettings } from '../../flows/master-plan.js';
import type { MasterPlan, PlanProblem } from '../../flows/plan-files.js';
import { readMasterPlanInThread } from '../../flows/plan-thread.js';
import { processIdentity } from '../../runner/os-process.js';
import { commandArgv, flag, flagOrArg, list, required, type Call, type Handler, type Reply } from '../call.js';
import { agentLines, table } from '../format.js';
import { startDispatcher } from './dispatch.js';
import { agentRuns, pushRunBranch, RUN_ESCALATED, RUN_NOT_FINISHED } from './run.js';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const AGENTS: AgentKind[] = ['claude', 'codex', 'gemini', 'command'];

/** `orchestrate run <master-plan.md>`: validate the plan (all problems at once), then run its phases (or, with --dry-run, print the DAG). */
export const run: Handler = async (call) => {
  if (call.values.detach || call.values.tui) return (await import('./run.js')).inBackground(call);
  const root = call.settings.projectRoot.value;
  const planFile = resolve(call.cwd, required(flagOrArg(call, 'plan'), 'the master plan', 'its path as the argument: orchestrate run docs/master-plan.md'));
  const config = await readProjectConfig(join(root, STATE_DIR, 'config.yaml'));
  // Several CLIs (--cli claude,codex): each phase goes to the one with the most headroom.
  const agents = [...new Set(list(flag(call, 'cli')) ?? ['claude'])] as AgentKind[];
  for (const one of agents) if (!AGENTS.includes(one)) throw new OrchestratorError('invalid_input', `--cli '${one}' is not one of ${AGENTS.join(', ')} (or several agent CLIs, comma-separated: claude,codex)`);
  if (agents.length > 1 && agents.includes('command')) throw new OrchestratorError('invalid_input', '--cli command runs your own program: it has no usage windows to route by; name it alone');
  const agent = agents[0]!;
  const argv = commandArgv(call);
  if (agent === 'command' && argv === null) throw new OrchestratorError('invalid_input', '--cli command runs your program on each phase: pass --program (and --arg for its arguments; the prompt is its last argument, or replaces {prompt})');
  const { plan, problems, warnings } = await readMasterPlanInThread({ root, planFile, gates: config.gates, path: call.env.PATH, home: call.env.HOME });
  if (agents.some((one) => one !== 'claude')) {
    for (const phase of plan.phases.filter((p) => p.required_agents.length > 0)) problems.push({ file: phase.file, line: 1, message: `phase ${phase.id} requires the agents ${phase.required_agents.join(', ')}, which only Claude Code can invoke: run it with --cli claude` });
  }
  const from = flag(call, 'phase');
  if (from !== undefined && !plan.phases.some((phase) => phase.id === from)) problems.push({ file: plan.file, line: 1, message: `--phase ${from} is not a phase of this plan (phases: ${plan.phases.map((p) => p.id).join(', ')})` });
  if (problems.length > 0) return invalid(plan, problems, warnings);

  const sequential = Boolean(call.values.sequential);
  if (sequential && (flag(call, 'remote') !== undefined || flag(call, 'local-workers') !== undefined)) throw new OrchestratorError('invalid_input', '--sequential runs every phase in the project folder itself, and work orders need a worktree per phase: leave out --sequential (or --remote and --local-workers)');
  const concurrency = sequential ? 1 : integerInRange('--concurrency', flag(call, 'concurrency') ?? 2, 1, 64);
  const order = plan.phases.map((phase) => phase.id);
  const skipped = plan.phases.filter((phase) => phase.status === 'Completed' || (from !== undefined && order.indexOf(phase.id) < order.indexOf(from))).map((phase) => phase.id);
  if (call.values['dry-run']) return dryRun(plan, skipped, concurrency, warnings);
  for (const w of warnings) call.progress(`warning: ${w.file}:${w.line}: ${w.message}`);

  const settings: PlanSettings = {
    plan_file: plan.file,
    agent,
    // config.yaml's model is design D's, a Claude model; another CLI keeps its own default.
    model: agent === 'command' ? null : (flag(call, 'model') ?? (agent === 'claude' ? config.model : undefined) ?? null),
    argv: agent === 'command' ? argv : null,
    ...(agents.length > 1 ? { agents } : {}),
    concurrency,
    sequential,
    timeout_s: config.timeout ?? 1800,
    max_retries: config.max_retries ?? 2,
    strict_compliance: config.strict_compliance ?? true,
    notes_sections: (config.notes_sections ?? DEFAULT_NOTES_SECTIONS).map((name) => name.replace(/^#+\s*/, '')),
    notifications: config.notifications ?? null,
    skipped,
  };
  const board = await call.board();
  const built = await deps(call, board, root);
  const end = await startPlan(built, plan, settings);
  if (!settings.sequential) await pushRunBranch(call, built.dispatcher, built.repo, end.run.branch);
  return reply(end);
};


/** `orchestrate resume` for a plan run. */
export async function resume(call: Call, board: Board, run: Run): Promise<Reply> {
  const built = await deps(call, board, call.settings.projectRoot.value);
  const end = await resumePlan(built, run.id, flag(call, 'guidance') ?? null);
  if (!(run.options as { sequential?: boolean }).sequential) await pushRunBranch(call, built.dispatcher, built.repo, end.run.branch);
  return reply(end);
}

/** The phases of a plan run, for `orchestrate status --run`. */
export async function statusLines(board: Board, run: Run): Promise<{ phases: Awaited<ReturnType<typeof phaseStatuses>>; text: string }> {
  const phases = await phaseStatuses(board, run);
  const rows = phases.map((p) => [p.id, p.status, p.attempts, p.title.slice(0, 40), (p.reason ?? '').split('\n')[0]!.slice(0, 80)]);
  return { phases, text: table(['PHASE', 'STATUS', 'ATTEMPTS', 'TITLE', 'REASON'], rows) };
}

async function deps(call: Call, board: Board, root: string): Promise<PlanDeps> {
  const repo = await Repo.open(root, call.env);
  return {
    board,
    repo,
    // Workers inherit the board's location, so `orchestrate done` finds it from any folder.
    dispatcher: await agentRuns(call, board, repo, () => startDispatcher(call, board, { env: { ORCHESTRATOR_DB: call.settings.db.value } })),
    env: call.env,
    supervisor: processIdentity(process.pid),
    stateDir: ensureStateDir(repo.root),
    doneCommand: [process.execPath, MAIN],
    onProgress: (line) => call.progress(line),
    onAgentEvent: agentLines(call, !call.values.quiet),
    signal: call.io.shutdownSignal(),
    roles: call.settings.roles,
    budgets: call.settings.budgets,
  };
}

function reply(end: PlanEnd): Reply {
  const { run } = end;
  const exitCode = end.end === 'completed' ? 0 : end.end === 'blocked' || end.end === 'failed' ? RUN_ESCALATED : RUN_NOT_FINISHED;
  const lines = [`${run.id}: ${run.status} — ${run.phase}`, `${(run.options as { sequential?: boolean }).sequential ? 'in the working tree' : `branch ${run.branch}`} · $${run.cost_usd.toFixed(4)}`];
  if (exitCode === RUN_ESCALATED) lines.push(`needs a person: see .orchestrator/runs/${run.id}/escalation.json, then 'orchestrate resume --run ${run.id} --guidance "…"'`);
  return { data: { run, end: end.end }, text: lines.join('\n'), exitCode };
}

function invalid(plan: MasterPlan, problems: PlanProblem[], warnings: PlanProblem[]): Reply {
  const lines = [...problems.map((p) => `${p.file}:${p.line}: ${p.message}`), ...warnings.map((w) => `${w.file}:${w.line}: warning: ${w.message}`)];
  return {
    data: { valid: false, plan: plan.file, problems, warnings },
    text: `${lines.join('\n')}\n${problems.length} problem${problems.length === 1 ? '' : 's'} in the plan; fix ${problems.length === 1 ? 'it' : 'them'} and run again`,
    exitCode: 2,
  };
}

/** The plan's phases and the order the engine would run them in (waves at the concurrency). */
function dryRun(plan: MasterPlan, skipped: string[], concurrency: number, warnings: PlanProblem[]): Reply {
  const left = plan.phases.filter((phase) => !skipped.includes(phase.id));
  const spans = simulate(left.map((phase) => ({ id: phase.id, depends_on: phase.depends_on.filter((id) => !skipped.includes(id)), files: [], duration: 1 })), concurrency).spans;
  const waves: string[][] = [];
  for (const [id, span] of spans) (waves[span.start] ??= []).push(id);
  const rows = plan.phases.map((phase) => [
    phase.id,
    skipped.includes(phase.id) ? `${phase.status} (skipped)` : phase.status,
    phase.title.slice(0, 30),
    phase.depends_on.join(', ') || '—',
    phase.gates.length,
    phase.required_agents.join(', ') || '—',
    phase.write_notes ?? '—',
  ]);
  const text = [
    `${plan.file}: "${plan.title}" — ${plan.phases.length} phases, valid${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}`,
    table(['PHASE', 'STATUS', 'TITLE', 'DEPENDS ON', 'GATES', 'AGENTS', 'NOTES'], rows),
    'gates the orchestrator runs after each phase:',
    ...plan.phases.flatMap((phase) => phase.gates.map((gate) => `  ${phase.id}: ${gate.command}${gate.name ? `  (${gate.name})` : ''}`)),
    `order at concurrency ${concurrency}:`,
    ...waves.map((wave, i) => `  ${i + 1}. ${wave.join(', ')}`),
    ...warnings.map((w) => `${w.file}:${w.line}: warning: ${w.message}`),
  ].join('\n');
  return { data: { valid: true, plan, skipped, waves, warnings }, text };
}
