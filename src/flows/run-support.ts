import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agent } from '../board/agents.js';
import type { Board } from '../board/board.js';
import type { DispatchSpec, Spend } from '../board/processes.js';
import type { Run } from '../board/runs.js';
import type { Budget, RoleSettings } from '../config/config-file.js';
import { OrchestratorError } from '../core/errors.js';
import type { CycleEnd, WorkResult } from '../engine/executor.js';
import type { Repo } from '../engine/git.js';
import type { AgentRuns } from '../runner/dispatcher.js';
import type { AgentEvent } from '../runner/events.js';
import { identityAlive } from '../runner/os-process.js';

/**
 * What every run flow (feature runs, master plans) does alike: its folders under `.orchestrator/`,
 * the engine's board agent, noticing `orchestrate stop`, refusing a second live driver, waiting
 * out a usage limit, the files it writes and the worktrees it leaves behind at the end.
 */
/** What a flow is driven with: the board, the repository, the runner, and the words it prints. */
export interface RunDeps {
  board: Board;
  repo: Repo;
  /** Runs the agents: here (a Dispatcher), or as work orders for workers on other hosts (RemoteWork). */
  dispatcher: AgentRuns;
  env: Record<string, string | undefined>;
  /** `pid:start-time` of this process, recorded as the run's driver. */
  supervisor: string;
  /** The project's `.orchestrator`. */
  stateDir: string;
  onProgress?: (line: string) => void;
  onAgentEvent?: (source: string, event: AgentEvent) => void;
  signal?: AbortSignal;
  /** Waits (for a usage reset); tests shorten it. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Per-role settings (config.yaml): a role's `agents` are the CLIs its tasks may run on; its day budget. */
  roles?: Record<string, RoleSettings>;
  /** What every run together may spend in a day (config.yaml `budgets.per_day`). */
  budgets?: { per_day?: Budget };
}

/** A day budget spent (every run together since local midnight, or one role's — with `only`, that role's), as a reason; or null. */
export async function daySpent(deps: Pick<RunDeps, 'board' | 'roles' | 'budgets'>, only?: string): Promise<string | null> {
  const roles = Object.entries(deps.roles ?? {}).filter(([name, role]) => role.budget_per_day && (only === undefined || name === only));
  if (!deps.budgets?.per_day && roles.length === 0) return null;
  const midnight = new Date(deps.board.now());
  midnight.setHours(0, 0, 0, 0);
  const spent = await deps.board.processes.spentSince(midnight.getTime());
  const over = (who: string, spend: Spend, budget: Budget) => {
    if (budget.tokens !== undefined && spend.tokens >= budget.tokens) return `${who} used ${spend.tokens} tokens today, of ${budget.tokens} a day`;
    if (budget.usd !== undefined && spend.usd >= budget.usd) return `${who} spent $${spend.usd.toFixed(4)} today, of $${budget.usd} a day`;
    return null;
  };
  const reasons = [
    deps.budgets?.per_day ? over('every run together', spent.total, deps.budgets.per_day) : null,
    ...roles.map(([name, role]) => over(`the ${name} role`, spent.byRole[name] ?? { usd: 0, tokens: 0 }, role.budget_per_day!)),
  ].filter((r): r is string => r !== null);
  return reasons.length ? `${reasons.join('; ')} (config.yaml budgets; raise them, or resume tomorrow)` : null;
}

/** The Claude Code tools a worker outside the engine (a team worker, an inbox worker) works with. */
export const WORKER_TOOLS = ['Read', 'Write', 'Edit', 'MultiEdit', 'Bash', 'Glob', 'Grep', 'LS', 'TodoWrite'];

/**
 * What an agent that changes files needs on top of a dispatch spec, per CLI: Claude Code the
 * tools it may use unasked; Gemini CLI edits approved (its shell still needs a person, so a
 * headless run has none); Codex nothing (its default sandbox writes in the working folder).
 */
export function writeAccess(agent: DispatchSpec['agent'], claudeTools: string[]): Pick<DispatchSpec, 'allowed_tools' | 'argv'> {
  if (agent === 'claude') return { allowed_tools: claudeTools };
  if (agent === 'gemini') return { argv: ['--approval-mode', 'auto_edit'] };
  return {};
}

export const runDir = (stateDir: string, run: Run) => join(stateDir, 'runs', run.id);
export const integrationTree = (stateDir: string, run: Run) => join(stateDir, 'worktrees', `${run.id}-run`);

/** A pause is never shorter than this, even when the reset has passed: a limit is never retried in a tight loop. */
export const MIN_PAUSE_MS = 5_000;

/**
 * The agent that holds the run's tasks, alive while this process drives the run (its presence).
 * After a crash it is taken over: still online if the crash was shorter than its lease, else
 * registered again under its name (same id); the tasks it held went back to the queue then, and
 * the executor settles them.
 */
export async function engineAgent(board: Board, run: Run): Promise<Agent> {
  const name = `engine-${run.id}`;
  const agent = await board.agents.register({ name, role: 'generalist', kind: 'command' }).catch(async (error: unknown) => {
    if (error instanceof OrchestratorError && error.code === 'name_taken') return board.agents.get(name);
    throw error;
  });
  board.presence.keep(agent.id); // until the flow unregisters it at the end
  return agent;
}

/** A signal that aborts when the run is stopped on the board (`orchestrate stop`, from any process) or `signal` aborts. */
export function watchStop(board: Board, runId: string, signal?: AbortSignal): { signal: AbortSignal; close(): void } {
  const stop = new AbortController();
  signal?.addEventListener('abort', () => stop.abort(), { once: true });
  if (signal?.aborted) stop.abort();
  const watcher = everySecond(async () => {
    if ((await board.runs.get(runId)).status === 'stopped') stop.abort();
  });
  return { signal: stop.signal, close: watcher.close };
}

/**
 * Runs `look` about once a second until closed, never two at once: while the board is slow or
 * unreachable (an outage), the next look waits for the last instead of piling up. Its failures
 * are ignored: it looks again.
 */
export function everySecond(look: () => Promise<void>): { close(): void } {
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const next = () => {
    if (!closed) timer = setTimeout(() => void look().catch(() => undefined).finally(next), 1000);
  };
  next();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Refuses to drive a run another live process drives (running, or paused and waiting for its reset): the work would be done twice. */
export function refuseSecondDriver(run: Run, supervisor: string): void {
  if (run.status === 'completed') throw new OrchestratorError('conflict', `run ${run.id} is completed; nothing to resume`);
  if (run.supervisor && run.supervisor !== supervisor && identityAlive(run.supervisor) && !['escalated', 'blocked', 'stopped', 'failed'].includes(run.status)) {
    throw new OrchestratorError('conflict', `run ${run.id} is being driven by another orchestrator process (${run.supervisor.split(':')[0]}); 'orchestrate stop --run ${run.id}' stops it`);
  }
}

/** How long to pause for a limit that resets at `until` (ms since the epoch; unknown: 5 minutes). */
export function pauseMs(until: number | null): number {
  return Math.max(MIN_PAUSE_MS, (until ?? Date.now() + 300_000) - Date.now());
}

/** What the executor keeps of an agent's run: its outcome and its last process (for the evidence). */
export async function workResult(board: Board, result: { outcome: WorkResult['outcome']; processIds: string[] }): Promise<WorkResult> {
  const last = result.processIds.at(-1);
  if (last === undefined) return { outcome: result.outcome, process_id: null, log_path: null }; // a work order that ended before its agent started
  const record = await board.processes.get(last);
  return { outcome: result.outcome, process_id: record.id, log_path: record.log_path };
}

/** The executor's hold for the day budgets (config.yaml): what is spent, as the reason to start nothing more; or null. */
export function dayBudgetHold(deps: Pick<RunDeps, 'board' | 'roles' | 'budgets'>): () => Promise<{ reason: string } | null> {
  return async () => {
    const spent = await daySpent(deps);
    return spent ? { reason: spent } : null;
  };
}

/**
 * A day budget spent (`dayBudgetHold`): no new task started, the running ones
 * finished; the run waits for a person (blocked; escalation.json says what it needs) until the
 * budget is raised and the run resumed. `unit`: what the run's tasks are called (phase, step).
 */
export async function blockOnBudget(deps: Pick<RunDeps, 'board' | 'stateDir' | 'onProgress'>, run: Run, reason: string, unit: string): Promise<{ run: Run; details: string; needs: string }> {
  const needs = 'raise the budget (config.yaml budgets.per_day, roles.<role>.budget_per_day), then orchestrate resume';
  const escalation = { run_id: run.id, at: new Date().toISOString(), reason: 'budget reached', details: `${reason}; no new ${unit} was started, the running ones finished`, needs, resume: `orchestrate resume --run ${run.id}` };
  writeAtomic(join(runDir(deps.stateDir, run), 'escalation.json'), `${JSON.stringify(escalation, null, 2)}\n`);
  deps.onProgress?.(`blocked: budget reached — ${reason}`);
  return { run: await deps.board.runs.update(run.id, { status: 'blocked', phase: 'budget reached', escalation }), details: escalation.details, needs };
}

/** Records a cycle that paused for a usage limit (or held until a reset): the run is `paused` until then. */
export async function recordPause(board: Board, run: Run, end: Extract<CycleEnd, { status: 'paused' | 'held' }>): Promise<{ run: Run; until: number | null; reason: string }> {
  const resetAt = end.status === 'paused' ? end.reset_at : (end.until ?? null);
  const until = resetAt ? Date.parse(resetAt) : null;
  return { run: await board.runs.update(run.id, { status: 'paused', phase: `paused: ${end.reason}`, paused_until: until }), until, reason: end.reason };
}

/** Waits out a recorded pause (at least MIN_PAUSE_MS), saying until when. */
export async function waitOutPause(deps: Pick<RunDeps, 'onProgress' | 'sleep'>, pause: { until: number | null; reason: string }, signal: AbortSignal): Promise<void> {
  deps.onProgress?.(`paused: ${pause.reason}; resuming ${pause.until ? `at ${new Date(pause.until).toISOString()}` : 'in 5 minutes to try again (no reset time was given)'}`);
  await (deps.sleep ?? sleep)(pauseMs(pause.until), signal);
}

/**
 * Every worktree of the run (its run branch's, and task worktrees a crash may have left), with
 * their task branches; task branches a crash left without a worktree once they are merged; and
 * with `branch`, the run branch itself.
 */
export async function removeRunWorktrees(repo: Repo, stateDir: string, run: Run, options: { branch?: boolean } = {}): Promise<void> {
  for (const tree of await repo.worktrees()) {
    if (tree.path.startsWith(join(stateDir, 'worktrees', `${run.id}-`))) await repo.removeWorktree(tree.path, { deleteBranch: tree.branch?.startsWith(`${run.branch}--`) ? tree.branch : undefined });
  }
  for (const branch of await repo.branches(`${run.branch}--`)) {
    if (await repo.mergedInto(run.branch, branch)) await repo.deleteBranch(branch);
  }
  if (options.branch) await repo.deleteBranch(run.branch); // a run that did nothing: its branch too
}

/** Writes a file whole or not at all (a temp file renamed over it). */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
