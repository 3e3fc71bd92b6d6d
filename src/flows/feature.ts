import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DispatchSpec } from '../board/processes.js';
import { newTokens, type Run } from '../board/runs.js';
import { OrchestratorError } from '../core/errors.js';
import { runCycle, type Hold, type WorkRequest, type WorkResult } from '../engine/executor.js';
import { planMarkdown, type Plan } from '../engine/plan.js';
import { accountOf } from '../runner/accounts.js';
import type { AgentEvent } from '../runner/events.js';
import type { UsageReading } from '../runner/usage.js';
import { chooseCli, runRouted } from './routing.js';
import * as support from './run-support.js';
import { daySpent, engineAgent, recordPause, refuseSecondDriver, removeRunWorktrees, waitOutPause, watchStop, workResult, writeAccess, writeAtomic, type RunDeps } from './run-support.js';

/**
 * A feature run (design C): a planner agent submits a plan (submit_plan), a second model may
 * critique it (submit_review, subject plan), the engine runs it cycle by cycle on a run branch
 * (runCycle: worktrees, verified work, merge queue), a reviewer reviews the run branch's diff
 * (submit_review) — approval completes the run, findings become the next cycle's fix tasks — and
 * whatever the engine cannot settle becomes an escalation a person answers with `resume
 * --guidance`. A rate limit, or a usage window fuller than the threshold, pauses the run until
 * its reset (no new agent starts, running ones finish); a spent budget holds and escalates.
 * All state is on the board and in `.orchestrator/runs/<id>/`, so `resume` after a crash goes on
 * from where the run was.
 */
export type AgentKind = DispatchSpec['agent'];

export interface FeatureSettings {
  concurrency: number;
  max_cycles: number;
  planner: AgentKind;
  worker: AgentKind;
  /** Several CLIs a task may run on: each attempt goes to the one with the most headroom (flows/routing.ts). */
  workers?: AgentKind[];
  reviewer: AgentKind | 'none';
  budget_usd: number | null;
  /** A budget in new tokens (input, output, cache writes), for a flat-rate plan where dollars mean little. */
  budget_tokens?: number | null;
  /** Pause when a usage window is fuller than this (0..1), if `FeatureDeps.usage` can read it. */
  usage_threshold: number;
  auto_resume: boolean;
  dry_run: boolean;
}

export interface FeatureDeps extends RunDeps {
  /** Reads how full the usage window is (absent: no reading, only rate limits pause). */
  usage?: () => Promise<UsageReading | null>;
  /** A line said once the run exists (which CLI plays which role, and why). */
  startNote?: string;
}

export type RunEnd = { run: Run; end: 'completed' | 'escalated' | 'paused' | 'stopped' | 'planned' };

const WORKER_TOOLS = ['Read', 'Write', 'Edit', 'MultiEdit', 'Bash', 'Glob', 'Grep', 'LS'];
const READER_TOOLS = ['Read', 'Glob', 'Grep', 'LS', 'Bash(git diff:*)', 'Bash(git log:*)', 'Bash(ls:*)'];
const PLAN_ATTEMPTS = 3;
const PLAN_REVIEW_ROUNDS = 2;
const DIFF_LIMIT = 100_000;

export function slugify(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'feature';
}

/** Starts a feature run from the last commit of the user's checkout, which it never touches. */
export async function startFeature(deps: FeatureDeps, feature: string, context: string, settings: FeatureSettings): Promise<RunEnd> {
  const { repo, board } = deps;
  const base = await repo.head(); // a repository without a commit is refused first
  const dirty = await repo.changes();
  if (dirty.length > 0) {
    throw new OrchestratorError('invalid_input', `the working tree has uncommitted changes (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}): commit or stash them first — the run starts from your last commit and never touches your checkout`);
  }
  repo.excludeStateDir();
  const slug = slugify(feature);
  let branch = `orchestrate/${slug}`;
  for (let n = 2; await repo.branchExists(branch); n++) branch = `orchestrate/${slug}-${n}`;
  const run = await board.runs.create({ kind: 'feature', title: feature, project: repo.root, branch, base, options: { ...settings }, supervisor: deps.supervisor });
  const dir = runDir(deps, run);
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'context.md'), context.endsWith('\n') ? context : `${context}\n`);
  await repo.addWorktree(integrationTree(deps, run), branch, base);
  deps.onProgress?.(`run ${run.id} on branch ${branch} (from ${base.slice(0, 10)})`);
  if (deps.startNote) deps.onProgress?.(deps.startNote);
  return drive(deps, run);
}

/** Goes on with a run: after a pause, an escalation (with a person's guidance) or a crash. */
export async function resumeFeature(deps: FeatureDeps, runId: string, guidance: string | null, changes: Partial<Pick<FeatureSettings, 'budget_usd' | 'budget_tokens'>> = {}): Promise<RunEnd> {
  const { board } = deps;
  let run = await board.runs.get(runId);
  refuseSecondDriver(run, deps.supervisor);
  const options = settingsOf(run);
  const lastReview = await board.runs.review(run.id, run.cycle, 'code');
  const reopened = run.status === 'escalated' && run.cycle >= options.max_cycles && lastReview?.verdict === 'changes';
  run = await board.runs.update(run.id, {
    status: run.plan_version === 0 ? 'planning' : 'running',
    supervisor: deps.supervisor,
    guidance: guidance ?? run.guidance,
    escalation: null,
    paused_until: null,
    // Out of cycles with findings open: one more cycle, with the person's guidance.
    options: { ...run.options, ...changes, ...(reopened ? { max_cycles: options.max_cycles + 1 } : {}) },
  }, guidance ? 'resumed with guidance' : 'resumed');
  if (reopened) run = await nextCycle(deps, run, lastReview.findings as Finding[]);
  // Tasks that failed get another try (the guidance goes into their prompts).
  for (const task of await board.tasks.all({ run_id: run.id, status: 'failed' })) await board.tasks.retry(task.id, null);
  deps.onProgress?.(`resuming run ${run.id} (${run.phase})`);
  return drive(deps, run);
}

function settingsOf(run: Run): FeatureSettings {
  return run.options as unknown as FeatureSettings;
}

const runDir = (deps: FeatureDeps, run: Run) => support.runDir(deps.stateDir, run);
const integrationTree = (deps: FeatureDeps, run: Run) => support.integrationTree(deps.stateDir, run);

/** The run's state machine: plan → (plan review) → cycles of work and code review → an end. */
async function drive(deps: FeatureDeps, start: Run): Promise<RunEnd> {
  const { board } = deps;
  const settings = settingsOf(start);
  let run = start;
  const engine = await engineAgent(board, run);
  const stop = watchStop(board, run.id, deps.signal);
  try {
    await deps.repo.recover(integrationTree(deps, run));
    await deps.repo.addWorktree(integrationTree(deps, run), run.branch, run.base);
    if (run.plan_version === 0) {
      const planned = await planPhase(deps, run, settings, stop.signal);
      if ('end' in planned) return planned;
      run = planned;
      if (settings.dry_run) {
        run = await board.runs.update(run.id, { status: 'stopped', phase: 'dry run: planned, not started' });
        return { run, end: 'planned' };
      }
    }
    for (;;) {
      if (stop.signal.aborted) return stopped(deps, run);
      const spent = await overBudget(deps, run);
      if (spent) return escalate(deps, run, 'budget reached', spent, 'raise the budget (--budget-usd, --budget-tokens, or config.yaml budgets) and resume, or finish by hand');
      const plan = (await board.runs.plan(run.id, run.plan_version))!.plan as Plan;
      run = await board.runs.update(run.id, { status: 'running', phase: `cycle ${run.cycle}: ${plan.tasks.length} tasks` });
      deps.onProgress?.(`[cycle ${run.cycle}] ${plan.tasks.length} tasks, concurrency ${settings.concurrency}`);
      const end = await runCycle({
        board,
        repo: deps.repo,
        run,
        plan,
        cycle: run.cycle,
        engineAgent: engine.id,
        integrationTree: integrationTree(deps, run),
        worktreeRoot: join(deps.stateDir, 'worktrees'),
        runDir: runDir(deps, run),
        concurrency: settings.concurrency,
        env: deps.env,
        guidance: run.guidance,
        work: (request) => work(deps, settings, engine.id, request),
        onProgress: (line) => deps.onProgress?.(`[cycle ${run.cycle}] ${line}`),
        hold: async () => hold(deps, run, settings),
        signal: stop.signal,
      });
      if (end.status === 'stopped') return stopped(deps, run);
      if (end.status === 'held' && end.until === undefined) return escalate(deps, run, 'budget reached', `${end.reason}; no new task was started, the running ones finished`, 'raise the budget (--budget-usd, --budget-tokens, or config.yaml budgets) and resume, or finish by hand');
      if (end.status === 'paused' || end.status === 'held') {
        const pause = await recordPause(board, run, end);
        run = pause.run;
        if (!settings.auto_resume) return { run, end: 'paused' };
        await waitOutPause(deps, pause, stop.signal);
        continue;
      }
      if (end.status === 'failed') {
        return escalate(deps, run, 'tasks failed', end.failed.map((f) => `${f.id}: ${f.reason}`).join('\n\n'), 'look at the evidence and logs, then resume with guidance for the workers (orchestrate resume --guidance "…")');
      }
      // The cycle is merged: the code review decides.
      if (settings.reviewer === 'none') return complete(deps, run, 'all tasks merged and gates green; no reviewer');
      run = await board.runs.update(run.id, { status: 'reviewing', phase: `cycle ${run.cycle}: code review` });
      const review = await reviewCode(deps, run, settings, stop.signal);
      if (review === null) return escalate(deps, run, 'no review', 'the reviewer did not submit a review', 'review the run branch yourself, then resume with guidance, or use --reviewer none');
      if (review.verdict === 'approve') return complete(deps, run, `approved by the reviewer in cycle ${run.cycle}`);
      if (run.cycle >= settingsOf(run).max_cycles) {
        return escalate(deps, run, 'out of cycles', `cycle ${run.cycle} of ${settingsOf(run).max_cycles} still has findings:\n${findingsText(review.findings)}`, 'resume with guidance to run one more cycle, or finish the branch by hand');
      }
      run = await nextCycle(deps, run, review.findings);
    }
  } finally {
    stop.close();
    await board.agents.unregister(engine.id).catch(() => undefined);
  }
}

/** Why the run may start no more work (its budget is spent), or null. */
async function overBudget(deps: FeatureDeps, run: Run): Promise<string | null> {
  const current = await deps.board.runs.get(run.id);
  const { budget_usd: budget, budget_tokens: tokens } = settingsOf(current);
  if (budget !== null && current.cost_usd >= budget) return `the run has spent $${current.cost_usd.toFixed(4)} of its $${budget} budget`;
  const used = newTokens(current.tokens);
  if (tokens && used >= tokens) return `the run has used ${used} tokens of its ${tokens} budget (${current.tokens.input} in, ${current.tokens.output} out, ${current.tokens.cache_write} cache writes)`;
  return daySpent(deps);
}

/**
 * A hold before new work: a spent budget (escalates), or no room — Claude's usage window over the
 * threshold, or, when the run may route, no allowed CLI with room (pauses until the earliest reset).
 */
async function hold(deps: FeatureDeps, run: Run, settings: FeatureSettings): Promise<Hold | null> {
  const spent = await overBudget(deps, run);
  if (spent) return { reason: spent };
  const reading = deps.usage ? await deps.usage() : null;
  if (reading) await deps.board.accounts.observe('claude', accountOf('claude', deps.env), reading.windows).catch(() => undefined);
  // Routed (the run's workers, a role's or a task's agents): the run holds only when no allowed CLI has room.
  const plan = (await deps.board.runs.plan(run.id))?.plan as Plan | undefined;
  const allowed = new Set([...(settings.workers ?? [settings.worker]), ...Object.values(deps.roles ?? {}).flatMap((role) => role.agents ?? []), ...(plan?.tasks ?? []).flatMap((task) => task.agents ?? [])]);
  if (allowed.size > 1) {
    const choice = await chooseCli(deps.board, [...allowed], settings.usage_threshold, deps.env);
    return choice.cli ? null : { reason: `no allowed CLI has room: ${choice.reason}`, until: choice.until === null ? null : new Date(choice.until).toISOString() };
  }
  if (!reading || reading.utilization < settings.usage_threshold) return null;
  return { reason: `the ${reading.window} usage window is ${Math.round(reading.utilization * 100)}% used (threshold ${Math.round(settings.usage_threshold * 100)}%)`, until: reading.resets_at };
}

/** The review's findings become the fix tasks of the next cycle (with the plan's integration gates). */
async function nextCycle(deps: FeatureDeps, run: Run, findings: Finding[]): Promise<Run> {
  const current = (await deps.board.runs.plan(run.id, run.plan_version))!.plan as Plan;
  const fixes: Plan = {
    summary: `Fixes from the review of cycle ${run.cycle}`,
    tasks: findings.map((finding, i) => ({ id: `fix-${i + 1}`, title: finding.title, description: finding.description, files: finding.files })),
    gates: current.gates,
  };
  const version = await deps.board.runs.addPlan(run.id, fixes, 'fixes');
  writePlan(deps, run, version, fixes);
  return deps.board.runs.update(run.id, { cycle: run.cycle + 1, plan_version: version, status: 'running' }, `${fixes.tasks.length} fixes for cycle ${run.cycle + 1}`);
}

interface Finding {
  title: string;
  description: string;
  files?: string[];
}

function findingsText(findings: Finding[]): string {
  return findings.map((f, i) => `${i + 1}. ${f.title}${f.files?.length ? ` (${f.files.join(', ')})` : ''}\n${f.description}`).join('\n');
}

/** The planner until it submits a valid plan (bounded), then the plan review rounds. */
async function planPhase(deps: FeatureDeps, start: Run, settings: FeatureSettings, signal: AbortSignal): Promise<Run | RunEnd> {
  const { board } = deps;
  let run = await board.runs.update(start.id, { status: 'planning', phase: 'planning' });
  const context = readFileSync(join(runDir(deps, run), 'context.md'), 'utf8');
  let concerns: Finding[] = [];
  for (let round = 0; round <= (settings.reviewer === 'none' ? 0 : PLAN_REVIEW_ROUNDS); round++) {
    const before = (await board.runs.plan(run.id))?.version ?? 0;
    let version = before;
    for (let attempt = 1; attempt <= PLAN_ATTEMPTS && version === before; attempt++) {
      if (signal.aborted) return stopped(deps, run);
      deps.onProgress?.(`[plan] ${round === 0 ? 'planning' : 'revising the plan'} (attempt ${attempt})`);
      const planned = await agent(deps, run, 'planner', { agent: settings.planner, prompt: plannerPrompt(run, context, concerns, attempt > 1, run.guidance), board: true, allowed_tools: READER_TOOLS }, signal);
      if (planned.outcome.kind === 'auth_failed' || planned.outcome.kind === 'spawn_failed') {
        // Another attempt cannot help: say why now. A dry run leaves nothing behind.
        if (settings.dry_run) await removeRunWorktrees(deps.repo, deps.stateDir, run, { branch: true });
        return escalate(deps, run, 'the planner cannot run', `${settings.planner}: ${planned.outcome.kind}: ${planned.outcome.message}`, 'fix the planner\'s CLI or its login (orchestrate doctor), then start again or resume');
      }
      version = (await board.runs.plan(run.id))?.version ?? 0;
    }
    if (version === before) return escalate(deps, run, 'no plan', `the planner did not submit a valid plan in ${PLAN_ATTEMPTS} attempts`, 'check the planner logs (orchestrate ps, orchestrate logs), then resume with guidance');
    const stored = (await board.runs.plan(run.id, version))!;
    writePlan(deps, run, version, stored.plan as Plan);
    run = await board.runs.update(run.id, { plan_version: version }, `plan v${version}`);
    if (settings.reviewer === 'none' || round === PLAN_REVIEW_ROUNDS) break;
    deps.onProgress?.(`[plan] review of plan v${version} by ${settings.reviewer}`);
    const reviewsBefore = await board.runs.review(run.id, run.cycle, 'plan');
    await agent(deps, run, 'plan reviewer', { agent: settings.reviewer, prompt: planReviewPrompt(run, planMarkdown(run.title, version, stored.plan as Plan)), board: true, allowed_tools: READER_TOOLS }, signal);
    const review = await board.runs.review(run.id, run.cycle, 'plan');
    if (!review || review === reviewsBefore || review.verdict === 'approve') break;
    concerns = review.findings as Finding[];
    if (concerns.length === 0) break;
  }
  return run;
}

/** One agent run for the flow, in the run branch's worktree, its cost added to the run. */
async function agent(deps: FeatureDeps, run: Run, role: string, spec: Omit<DispatchSpec, 'cwd'> & { cwd?: string }, signal: AbortSignal) {
  const full: DispatchSpec = {
    ...spec,
    role: spec.role ?? (role === 'planner' ? 'architect' : 'reviewer'),
    cwd: spec.cwd ?? integrationTree(deps, run),
    allowed_tools: spec.agent === 'claude' ? spec.allowed_tools : undefined,
  };
  const result = await deps.dispatcher.run(full, null, { signal, onEvent: deps.onAgentEvent ? (event) => deps.onAgentEvent!(role, event) : undefined });
  await deps.board.runs.addSpend(run.id, result.outcome.cost_usd, result.outcome.usage);
  return result;
}

async function work(deps: FeatureDeps, settings: FeatureSettings, engine: string, request: WorkRequest): Promise<WorkResult> {
  const spec = (cli: AgentKind): DispatchSpec => ({ agent: cli, prompt: request.prompt, cwd: request.worktree, role: request.task.role, ...writeAccess(cli, WORKER_TOOLS) });
  const extras = { taskId: request.boardId, signal: request.signal, onEvent: deps.onAgentEvent ? (event: AgentEvent) => deps.onAgentEvent!(request.task.id, event) : undefined };
  // The CLIs this task may run on: the plan's for it, else its role's (config.yaml), else the run's --worker list.
  const allowed = request.task.agents ?? (request.task.role ? deps.roles?.[request.task.role]?.agents : undefined) ?? settings.workers ?? [settings.worker];
  const result = await runRouted({ board: deps.board, runs: deps.dispatcher, env: deps.env, allowed, threshold: settings.usage_threshold, build: (cli) => spec(cli as AgentKind), createdBy: engine, extras, subject: request.boardId, onProgress: deps.onProgress });
  return workResult(deps.board, result);
}

async function reviewCode(deps: FeatureDeps, run: Run, settings: FeatureSettings, signal: AbortSignal): Promise<{ verdict: 'approve' | 'changes'; findings: Finding[] } | null> {
  const diff = (await deps.repo.git(['diff', `${run.base}..${run.branch}`])).stdout;
  const shown = diff.length > DIFF_LIMIT ? `${diff.slice(0, DIFF_LIMIT)}\n… (${diff.length - DIFF_LIMIT} more characters: read the files)` : diff;
  for (let attempt = 1; attempt <= 2; attempt++) {
    deps.onProgress?.(`[cycle ${run.cycle}] code review by ${settings.reviewer}${attempt > 1 ? ' (again: no review came)' : ''}`);
    await agent(deps, run, 'reviewer', { agent: settings.reviewer as AgentKind, prompt: reviewPrompt(run, shown), board: true, allowed_tools: READER_TOOLS }, signal);
    const review = await deps.board.runs.review(run.id, run.cycle, 'code');
    if (review) return { verdict: review.verdict, findings: review.findings as Finding[] };
    if (signal.aborted) return null;
  }
  return null;
}

async function complete(deps: FeatureDeps, run: Run, why: string): Promise<RunEnd> {
  deps.onProgress?.(`completed: ${why}; the work is on branch ${run.branch}`);
  const done = await deps.board.runs.update(run.id, { status: 'completed', phase: why });
  // The run branch stays; its worktree and every task worktree and branch a crash may have left go.
  await removeRunWorktrees(deps.repo, deps.stateDir, run);
  return { run: done, end: 'completed' };
}

async function stopped(deps: FeatureDeps, run: Run): Promise<RunEnd> {
  const current = await deps.board.runs.update(run.id, { status: 'stopped', phase: `stopped in ${run.phase}` });
  return { run: current, end: 'stopped' };
}

/** What happened and what it needs, for a person: escalation.json and the run's status. */
async function escalate(deps: FeatureDeps, run: Run, reason: string, details: string, needs: string): Promise<RunEnd> {
  const escalation = { run_id: run.id, at: new Date().toISOString(), cycle: run.cycle, reason, details, needs, resume: `orchestrate resume --run ${run.id} --guidance "…"` };
  writeAtomic(join(runDir(deps, run), 'escalation.json'), `${JSON.stringify(escalation, null, 2)}\n`);
  deps.onProgress?.(`escalated: ${reason} — ${needs}`);
  const current = await deps.board.runs.update(run.id, { status: 'escalated', phase: `escalated: ${reason}`, escalation });
  return { run: current, end: 'escalated' };
}

function writePlan(deps: FeatureDeps, run: Run, version: number, plan: Plan): void {
  writeAtomic(join(runDir(deps, run), `plan-v${version}.md`), planMarkdown(run.title, version, plan));
}

function plannerPrompt(run: Run, context: string, concerns: Finding[], again: boolean, guidance: string | null): string {
  return [
    `You are the planner of feature run ${run.id}. Explore the repository in the current folder (do not change any file) and plan the feature below as tasks that other agents will do in parallel, each in its own git worktree.`,
    '',
    'The feature and its requirements:',
    context.trim(),
    '',
    `Submit the plan by calling the MCP tool submit_plan (server "orchestrator") with run_id "${run.id}". Give each task an id, a title, a description precise enough for an agent who sees only that task, depends_on for tasks that need others merged first, the files it expects to touch, and gates: shell commands whose exit code proves the task done. Top-level gates run on the run branch after every merge.`,
    concerns.length ? `\nA reviewer raised these concerns about the previous plan; submit a revised plan that answers them:\n${findingsText(concerns)}` : '',
    again ? '\nYour previous run did not submit an accepted plan: call submit_plan, and fix every problem it reports.' : '',
    guidance ? `\nGuidance from the person running this: ${guidance}` : '',
  ].filter((line) => line !== '').join('\n');
}

function planReviewPrompt(run: Run, plan: string): string {
  return [
    `You review the plan of feature run ${run.id} before any work starts. Read the repository as you need (change nothing). Look for missing work, wrong dependencies, tasks too vague for an agent, files two parallel tasks would both touch, and gates that would not prove the task done.`,
    '',
    plan,
    '',
    `Answer by calling the MCP tool submit_review with run_id "${run.id}", subject "plan", and verdict "approve", or "changes" with findings (title, description, files).`,
  ].join('\n');
}

function reviewPrompt(run: Run, diff: string): string {
  return [
    `You review the work of feature run ${run.id} (cycle ${run.cycle}): the feature "${run.title}". The diff of the run branch against its base follows; the current folder has the run branch checked out (change nothing).`,
    '',
    '```diff',
    diff.trim() || '(no changes)',
    '```',
    '',
    `Answer by calling the MCP tool submit_review with run_id "${run.id}", subject "code", and verdict "approve", or "changes" with findings: each a problem to fix, with a title, a description precise enough for another agent, and the files involved.`,
  ].join('\n');
}

