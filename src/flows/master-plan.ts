import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Board } from '../board/board.js';
import type { DispatchSpec } from '../board/processes.js';
import type { Run } from '../board/runs.js';
import type { NotificationSettings } from '../config/config-file.js';
import { OrchestratorError } from '../core/errors.js';
import { shellWord } from '../core/shell.js';
import { boardTaskId, runCycle, type TaskState, type WorkRequest, type WorkResult } from '../engine/executor.js';
import type { Plan, PlanTask } from '../engine/plan.js';
import type { AgentEvent } from '../runner/events.js';
import { checkPhase } from './compliance.js';
import type { AgentKind } from './feature.js';
import { notify, type NotificationKind } from './notify.js';
import { writePhaseStatus, type MasterPlan, type PhaseSpec, type PhaseStatus } from './plan-files.js';
import { ROUTING_THRESHOLD, runRouted } from './routing.js';
import { blockOnBudget, dayBudgetHold, engineAgent, integrationTree, recordPause, refuseSecondDriver, removeRunWorktrees, runDir, waitOutPause, watchStop, workResult, writeAccess, writeAtomic, type RunDeps } from './run-support.js';

/**
 * A master-plan run (design D): a person wrote the plan; the orchestrator runs its phases as a
 * DAG on the engine and verifies every one. Each phase gets a fresh agent session with its phase
 * file, the notes of the phases before it and the instruction to report `done`; afterwards the
 * orchestrator re-runs the phase's gates and checks compliance (the report, required agents,
 * the notes file); a phase that fails is retried with a remediation prompt that names exactly
 * what failed, up to `max_retries`, then fails; a phase that reports `blocked` stops at once.
 * Either way what depends on it never starts, and the run ends `failed` or `blocked` with
 * `escalation.json`. Statuses are written back into the plan files as phases move.
 *
 * Parallel mode (the default): the run branch `orchestrate/<plan>` in its own worktree, a
 * worktree per phase, the merge queue; statuses are committed on the run branch, the user's
 * checkout is never touched. Sequential mode (`--sequential`, design D's behaviour): one phase
 * at a time in the project's own working tree, statuses written there.
 */
export interface PlanSettings {
  /** The master plan, relative to the project root. */
  plan_file: string;
  agent: AgentKind;
  /** Several CLIs a phase may run on (`--cli claude,codex`): each attempt goes to the one with the most headroom (flows/routing.ts). */
  agents?: AgentKind[];
  /** The first CLI's model (another CLI keeps its own default). */
  model: string | null;
  /** The program and arguments of a command agent (`--cli command`). */
  argv?: string[] | null;
  concurrency: number;
  sequential: boolean;
  /** Seconds per attempt of a phase. */
  timeout_s: number;
  max_retries: number;
  strict_compliance: boolean;
  notes_sections: string[];
  notifications: NotificationSettings | null;
  /** Phases not run: those before `--phase`, and those the plan says are Completed. */
  skipped: string[];
}

export interface PlanDeps extends RunDeps {
  /** How a worker runs `orchestrate done` from its folder (the program and the flags that find this board). */
  doneCommand: string[];
}

export type PlanEnd = { run: Run; end: 'completed' | 'blocked' | 'failed' | 'paused' | 'stopped' };

/** How long statuses of settled phases wait for others before they are committed on their own. */
const STATUS_COMMIT_MS = 5_000;

const PHASE_TOOLS = ['Read', 'Write', 'Edit', 'MultiEdit', 'Bash', 'Glob', 'Grep', 'LS', 'TodoWrite', 'Agent', 'Task'];

/** Starts a run of the plan (already read and valid). */
export async function startPlan(deps: PlanDeps, plan: MasterPlan, settings: PlanSettings): Promise<PlanEnd> {
  const { repo, board } = deps;
  const base = await repo.head(); // a repository without a commit is refused first
  let branch: string;
  if (settings.sequential) {
    branch = (await repo.currentBranch()) ?? 'HEAD';
  } else {
    const dirty = await repo.changes();
    if (dirty.length > 0) {
      throw new OrchestratorError('invalid_input', `the working tree has uncommitted changes (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}): commit them (the plan files too) — parallel phases start from your last commit and never touch your checkout; or run with --sequential to work in the checkout itself`);
    }
    repo.excludeStateDir();
    const slug = plan.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'plan';
    branch = `orchestrate/${slug}`;
    for (let n = 2; await repo.branchExists(branch); n++) branch = `orchestrate/${slug}-${n}`;
  }
  let run = await board.runs.create({ kind: 'plan', title: plan.title, project: repo.root, branch, base, options: { ...settings }, supervisor: deps.supervisor });
  const version = await board.runs.addPlan(run.id, plan, 'master plan');
  run = await board.runs.update(run.id, { status: 'running', plan_version: version, phase: 'starting' });
  mkdirSync(runDir(deps.stateDir, run), { recursive: true });
  if (!settings.sequential) await repo.addWorktree(integrationTree(deps.stateDir, run), branch, base);
  deps.onProgress?.(`run ${run.id}: ${plan.phases.length - settings.skipped.length} phases of ${plan.file}, ${settings.sequential ? 'one at a time in the working tree' : `up to ${settings.concurrency} at once on branch ${branch}`}`);
  for (const id of settings.skipped) deps.onProgress?.(`[phase ${id}] skipped`);
  return drive(deps, run);
}

/** Goes on with a plan run after a pause, a stop, a crash, or a blocked or failed phase (retried, with the person's guidance). */
export async function resumePlan(deps: PlanDeps, runId: string, guidance: string | null): Promise<PlanEnd> {
  const { board } = deps;
  let run = await board.runs.get(runId);
  refuseSecondDriver(run, deps.supervisor);
  run = await board.runs.update(run.id, { status: 'running', supervisor: deps.supervisor, guidance: guidance ?? run.guidance, escalation: null, paused_until: null }, guidance ? 'resumed with guidance' : 'resumed');
  for (const task of await board.tasks.all({ run_id: run.id, status: 'failed' })) await board.tasks.retry(task.id, null);
  deps.onProgress?.(`resuming run ${run.id}`);
  return drive(deps, run);
}

/** Each phase of a plan run with its status on the board, for `orchestrate status`. */
export async function phaseStatuses(board: Board, run: Run): Promise<{ id: string; title: string; status: string; attempts: number; reason: string | null }[]> {
  const plan = (await board.runs.plan(run.id))?.plan as MasterPlan | undefined;
  const skipped = new Set((run.options as unknown as PlanSettings).skipped ?? []);
  const tasks = new Map((await board.tasks.all({ run_id: run.id })).map((task) => [task.id, task]));
  return Promise.all((plan?.phases ?? []).map(async (phase) => {
    const task = tasks.get(boardTaskId(run, 1, phase.id));
    const status = skipped.has(phase.id) ? 'skipped' : (task?.status ?? 'pending');
    const attempts = task ? (await board.processes.forTask(task.id)).length : 0;
    return { id: phase.id, title: phase.title, status, attempts, reason: task?.status === 'failed' ? task.reason : null };
  }));
}

/** The run: its phases on the engine until they are all done, one fails or blocks, a limit pauses it, or it is stopped. */
async function drive(deps: PlanDeps, start: Run): Promise<PlanEnd> {
  const { board, repo } = deps;
  let run = start;
  const settings = run.options as unknown as PlanSettings;
  const plan = (await board.runs.plan(run.id, run.plan_version))!.plan as MasterPlan;
  const byId = new Map(plan.phases.map((phase) => [phase.id, phase]));
  const tree = settings.sequential ? repo.root : integrationTree(deps.stateDir, run);
  const progress = (line: string) => deps.onProgress?.(line);
  const engine = await engineAgent(board, run);
  const stop = watchStop(board, run.id, deps.signal);
  /** The newest event before each attempt: reports after it are this attempt's. */
  const marks = new Map<string, number>();
  const blocked = new Map<string, string>();
  const doneCommand = (phase: string, status: string) => [...deps.doneCommand, 'done', '--run', run.id, '--phase', phase, '--status', status].map(shellWord).join(' ');
  const howToReport = (phase: string) => `run \`${doneCommand(phase, 'completed')}\` (or call the MCP tool phase_done with run_id "${run.id}", phase "${phase}", status "completed")`;

  const tell = async (kind: NotificationKind, title: string, message: string, phase: string | null) => {
    const failure = await notify(settings.notifications, { kind, run_id: run.id, title, message, phase }, deps.env);
    if (failure) {
      progress(`notification not sent: ${failure}`);
      await board.runs.update(run.id, {}, `notification not sent: ${failure}`).catch(() => undefined);
    }
  };

  // Statuses go onto the run branch as phases settle, in one commit with whatever else changed
  // since the last one: at once when that was STATUS_COMMIT_MS ago (a phase of real work takes
  // longer), else with the next, and always when the cycle ends. Until then they are kept here, not
  // in the run's worktree (a merge in a worktree with changes costs git a stash). A crash forgets
  // them; the restart writes what the board has completed.
  const statuses = new Map<string, { phase: PhaseSpec; status: PhaseStatus }>();
  let committedAt = -Infinity;
  const put = (phase: PhaseSpec, status: PhaseStatus, write: (file: string, text: string) => void) => {
    for (const missed of writePhaseStatus(tree, plan.file, phase, status, write)) progress(`[phase ${phase.id}] status not written: ${missed}`);
  };
  const commitStatuses = async () => {
    if (statuses.size === 0) return;
    const files = new Set<string>();
    const said = [...statuses.values()].map(({ phase, status }) => `${phase.id} ${status}`);
    for (const { phase, status } of statuses.values()) {
      put(phase, status, (file, text) => {
        writeAtomic(file, text);
        files.add(relative(tree, file));
      });
    }
    statuses.clear();
    committedAt = performance.now();
    await repo.commitFiles(tree, [...files], `orchestrator: phase${said.length > 1 ? 's' : ''} ${said.slice(0, 20).join(', ')}${said.length > 20 ? ', …' : ''}`);
  };
  const writeStatus = async (phase: PhaseSpec, status: PhaseStatus) => {
    if (settings.sequential) return put(phase, status, writeAtomic); // the person's checkout: theirs to commit
    statuses.set(phase.id, { phase, status });
    if (status !== 'In Progress' && performance.now() - committedAt >= STATUS_COMMIT_MS) await commitStatuses();
  };

  const onTaskState = async (task: PlanTask, state: TaskState, detail: string) => {
    const phase = byId.get(task.id)!;
    const status: PhaseStatus = state === 'started' ? 'In Progress' : state === 'completed' ? 'Completed' : state === 'interrupted' ? 'Pending' : blocked.has(task.id) ? 'Blocked' : 'Failed';
    await writeStatus(phase, status);
    progress(`[phase ${task.id}] ${status}${state === 'failed' ? `: ${detail.split('\n')[0]}` : ''}`);
    if (status === 'Blocked') await tell('blocked', `Phase ${task.id} blocked: ${phase.title}`, blocked.get(task.id)!, task.id);
    if (status === 'Failed') await tell('failed', `Phase ${task.id} failed: ${phase.title}`, `after ${settings.max_retries + 1} attempts: ${detail.slice(0, 1000)}`, task.id);
  };

  const accept = async ({ task, tree: phaseTree, result }: { task: PlanTask; tree: string; result: WorkResult }) => {
    const phase = byId.get(task.id)!;
    const reports = await board.runs.phaseReports(run.id, phase.id, marks.get(task.id) ?? 0);
    const check = checkPhase({ phase, tree: phaseTree, logPath: result.log_path, reports, notesSections: settings.notes_sections, strict: settings.strict_compliance, howToReport: howToReport(phase.id) });
    for (const warning of check.warnings) progress(`[phase ${phase.id}] warning: ${warning}`);
    if (check.blocked !== null) {
      blocked.set(phase.id, check.blocked);
      return { problems: [`the phase reported itself blocked: ${check.blocked}`], final: true };
    }
    return check.problems.length > 0 ? { problems: check.problems.map((problem) => `- ${problem}`) } : null;
  };

  const work = async (request: WorkRequest): Promise<WorkResult> => {
    marks.set(request.task.id, await board.events.latestId());
    const spec = (cli: AgentKind): DispatchSpec => ({ agent: cli, prompt: request.prompt, cwd: request.worktree, model: cli === settings.agent ? (settings.model ?? undefined) : undefined, timeout_s: settings.timeout_s, board: true, ...(cli === 'command' ? { argv: settings.argv ?? [] } : writeAccess(cli, PHASE_TOOLS)) });
    const extras = { taskId: request.boardId, signal: request.signal, onEvent: deps.onAgentEvent ? (event: AgentEvent) => deps.onAgentEvent!(`phase ${request.task.id}`, event) : undefined };
    const result = await runRouted({ board, runs: deps.dispatcher, env: deps.env, allowed: settings.agents ?? [settings.agent], threshold: ROUTING_THRESHOLD, build: (cli) => spec(cli as AgentKind), createdBy: engine.id, extras, subject: request.boardId, onProgress: progress });
    // Work ordered before a restart: the agent's report may have come while this run was down.
    if (result.began !== undefined) marks.set(request.task.id, Math.min(marks.get(request.task.id)!, result.began));
    return workResult(board, result);
  };

  const prompt = (task: PlanTask, phaseTree: string, problem: string | null) =>
    phasePrompt({ run, plan, phase: byId.get(task.id)!, byId, tree: phaseTree, settings, doneCommand, howToReport: howToReport(task.id), problem });

  const skipped = new Set(settings.skipped);
  const engineModel: Plan = {
    tasks: plan.phases.filter((phase) => !skipped.has(phase.id)).map((phase) => ({
      id: phase.id,
      title: phase.title,
      description: `Phase ${phase.id} of ${plan.file}: ${phase.file}`,
      depends_on: phase.depends_on.filter((id) => !skipped.has(id)),
      gates: phase.gates.map((gate) => gate.command),
    })),
  };
  try {
    if (!settings.sequential) {
      await repo.recover(tree);
      await repo.addWorktree(tree, run.branch, run.base);
      await repo.commitAll(tree, 'orchestrator: phase statuses'); // written just before a crash
      const prefix = boardTaskId(run, 1, '');
      for (const task of await board.tasks.all({ run_id: run.id, status: 'completed' })) {
        const phase = byId.get(task.id.slice(prefix.length));
        if (phase) statuses.set(phase.id, { phase, status: 'Completed' });
      }
      await commitStatuses(); // what a crash kept from the run branch (unchanged files commit nothing)
    }
    for (;;) {
      if (engineModel.tasks.length === 0) return complete(deps, run, 'every phase was already Completed or skipped', tell);
      run = await board.runs.update(run.id, { status: 'running', phase: `${engineModel.tasks.length} phases` });
      const end = await runCycle({
        board,
        repo,
        run,
        plan: engineModel,
        cycle: 1,
        engineAgent: engine.id,
        integrationTree: tree,
        worktreeRoot: join(deps.stateDir, 'worktrees'),
        runDir: runDir(deps.stateDir, run),
        concurrency: settings.concurrency,
        maxAttempts: settings.max_retries + 1,
        env: deps.env,
        shared: settings.sequential,
        requireCommit: false,
        accept,
        onTaskState,
        prompt,
        work,
        onProgress: (line) => progress(line.replace(/^\[([^\]]+)\]/, '[phase $1]')),
        signal: stop.signal,
        // A day budget spent (config.yaml): no new phase starts, the running ones finish, the run asks a person.
        hold: dayBudgetHold(deps),
      });
      if (!settings.sequential) await commitStatuses();
      if (end.status === 'held' && end.until === undefined) return budgetReached(deps, run, end.reason, tell);
      if (end.status === 'stopped') return { run: await board.runs.update(run.id, { status: 'stopped', phase: `stopped in ${run.phase}` }), end: 'stopped' };
      if (end.status === 'paused' || end.status === 'held') {
        const pause = await recordPause(board, run, end);
        run = pause.run;
        await waitOutPause(deps, pause, stop.signal);
        if (stop.signal.aborted) return { run: await board.runs.update(run.id, { status: 'stopped', phase: 'stopped while paused' }), end: 'stopped' };
        continue;
      }
      if (end.status === 'done') return complete(deps, run, `all ${engineModel.tasks.length} phases completed and verified`, tell);
      return stuck(deps, run, end.failed, blocked, tell);
    }
  } finally {
    stop.close();
    await board.agents.unregister(engine.id).catch(() => undefined);
  }
}

type Tell = (kind: NotificationKind, title: string, message: string, phase: string | null) => Promise<void>;

async function complete(deps: PlanDeps, run: Run, why: string, tell: Tell): Promise<PlanEnd> {
  const settings = run.options as unknown as PlanSettings;
  const where = settings.sequential ? 'in the working tree' : `on branch ${run.branch}`;
  deps.onProgress?.(`completed: ${why}; the work is ${where}`);
  const done = await deps.board.runs.update(run.id, { status: 'completed', phase: why });
  if (!settings.sequential) await removeRunWorktrees(deps.repo, deps.stateDir, run);
  await tell('completed', `Plan completed: ${run.title}`, `${why}; the work is ${where}`, null);
  return { run: done, end: 'completed' };
}

/** A spent budget: the run waits for a person (blocked, exit 13) until it is raised and the run resumed. */
async function budgetReached(deps: PlanDeps, run: Run, reason: string, tell: Tell): Promise<PlanEnd> {
  const blocked = await blockOnBudget(deps, run, reason, 'phase');
  await tell('escalated', `Plan blocked: ${run.title}`, `${blocked.details}\n${blocked.needs}`.slice(0, 2000), null);
  return { run: blocked.run, end: 'blocked' };
}

/** A phase failed or blocked: what depends on it never started. escalation.json says what it needs. */
async function stuck(deps: PlanDeps, run: Run, failed: { id: string; reason: string }[], blocked: Map<string, string>, tell: Tell): Promise<PlanEnd> {
  const stopped = failed.filter((f) => blocked.has(f.id));
  const broken = failed.filter((f) => !blocked.has(f.id) && f.reason !== 'blocked by a failed task');
  const waiting = failed.filter((f) => f.reason === 'blocked by a failed task').map((f) => f.id);
  const status = broken.length === 0 && stopped.length > 0 ? 'blocked' : 'failed';
  const lines = [
    ...stopped.map((f) => `phase ${f.id} blocked: ${blocked.get(f.id)}`),
    ...broken.map((f) => `phase ${f.id} failed: ${f.reason}`),
    ...(waiting.length ? [`not started (they depend on the above): ${waiting.join(', ')}`] : []),
  ];
  const summary = lines[0]!.split('\n')[0]!;
  const needs = status === 'blocked' ? 'give the blocked phases what they need, then orchestrate resume (with --guidance "…" for the agent)' : 'look at the evidence and logs, fix the plan or the code, then orchestrate resume --guidance "…"';
  const escalation = { run_id: run.id, at: new Date().toISOString(), reason: summary, details: lines.join('\n\n'), needs, resume: `orchestrate resume --run ${run.id} --guidance "…"` };
  writeAtomic(join(runDir(deps.stateDir, run), 'escalation.json'), `${JSON.stringify(escalation, null, 2)}\n`);
  deps.onProgress?.(`${status}: ${summary} — ${needs}`);
  const current = await deps.board.runs.update(run.id, { status, phase: summary.slice(0, 500), escalation });
  await tell('escalated', `Plan ${status}: ${run.title}`, `${lines.join('\n')}\n${needs}`.slice(0, 2000), null);
  return { run: current, end: status };
}

function phasePrompt(input: { run: Run; plan: MasterPlan; phase: PhaseSpec; byId: Map<string, PhaseSpec>; tree: string; settings: PlanSettings; doneCommand: (phase: string, status: string) => string; howToReport: string; problem: string | null }): string {
  const { run, plan, phase, tree, settings } = input;
  const read = (file: string) => {
    try {
      return readFileSync(join(tree, file), 'utf8').trim();
    } catch {
      return null;
    }
  };
  const notes = [...new Set([...phase.depends_on.map((id) => input.byId.get(id)?.write_notes ?? null), ...phase.read_notes].filter((file): file is string => Boolean(file)))];
  const checks = [
    ...phase.gates.map((gate) => `- the gate \`${gate.command}\` passes${gate.description ? ` (${gate.description})` : ''} — the orchestrator runs it again itself`),
    ...phase.required_agents.map((name) => `- the required agent ${name} was invoked: use the Agent tool with subagent_type "${name}"`),
    ...(phase.write_notes ? [`- the notes file ${phase.write_notes} exists with the sections ${settings.notes_sections.map((s) => `## ${s}`).join(', ')}, each filled in`] : []),
    `- you reported the phase done: ${input.howToReport}`,
  ];
  return [
    `You are running phase ${phase.id} ("${phase.title}") of the master plan ${plan.file}, in a fresh session of run ${run.id}.`,
    settings.sequential ? 'The current folder is the project; no other phase runs at the same time.' : 'The current folder is a git worktree of your own, on a branch of the run; commit your work with git when you are done.',
    '',
    `The phase file ${phase.file}:`,
    '<<<',
    read(phase.file) ?? '(the phase file cannot be read)',
    '>>>',
    ...(notes.length ? ['', 'Notes from the phases before this one:', ...notes.map((file) => `--- ${file} ---\n${read(file) ?? '(not written)'}`)] : []),
    '',
    'When you finish, the orchestrator checks — do all of it:',
    ...checks,
    `If the phase cannot be done (something it needs is missing or broken), report it blocked instead — \`${input.doneCommand(phase.id, 'blocked')} --reason "<why>"\` (or phase_done with status "blocked" and a reason) — and stop.`,
    `Where the phase file tells you to report with another tool (\`debussy done …\`, a script, editing a status), do not: here \`${input.doneCommand(phase.id, '<status>')}\` (or the MCP tool phase_done) is the only report the orchestrator reads. Status failed (\`--status failed --reason "<why>"\`) means this attempt did not work and another should be made.`,
    'Do not edit the **Status:** line of the phase file or the Status column of the master plan: the orchestrator keeps them.',
    ...(run.guidance ? ['', `Guidance from the person running this: ${run.guidance}`] : []),
    ...(input.problem ? ['', 'Your previous attempt was not accepted:', input.problem, 'Fix exactly this, then report the phase again.'] : []),
  ].join('\n');
}

