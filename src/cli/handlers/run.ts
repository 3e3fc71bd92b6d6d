import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Board } from '../../board/board.js';
import { integerInRange } from '../../board/input.js';
import { decimal } from '../../core/numbers.js';
import { waitFor } from '../../board/waiting.js';
import type { Run } from '../../board/runs.js';
import { ensureStateDir } from '../../config/settings.js';
import { OrchestratorError } from '../../core/errors.js';
import { readRegularFile } from '../../core/files.js';
import { Repo } from '../../engine/git.js';
import { resumeFeature, startFeature, type AgentKind, type FeatureDeps, type FeatureSettings, type RunEnd } from '../../flows/feature.js';
import { agentProblem } from '../../runner/doctor.js';
import { renderEvent } from '../../runner/events.js';
import { spawnDetached } from '../../runner/exec.js';
import { processIdentity } from '../../runner/os-process.js';
import { usageFrom } from '../../runner/usage.js';
import { flag, flagOrArg, list, required, type Call, type Handler, type Reply } from '../call.js';
import { moreHint, table } from '../format.js';
import { status as boardStatus } from './board.js';
import { startDispatcher, stop as stopProcess } from './dispatch.js';
import { RemoteWork } from '../../flows/remote-work.js';
import type { AgentRuns } from '../../runner/dispatcher.js';

/** A run that needs a person (escalation.json says what), and one that paused or stopped before its end. */
export const RUN_ESCALATED = 13;
export const RUN_NOT_FINISHED = 14;

/** The agent CLIs a run can plan, work and review with (a bare command cannot use the MCP tools a run needs). */
const RUN_AGENTS: AgentKind[] = ['claude', 'codex', 'gemini'];

function agentFlag(call: Call, name: string, fallback: AgentKind | 'none', allowNone = false): AgentKind | 'none' {
  const value = flag(call, name) ?? fallback;
  if (value === 'none' && allowNone) return 'none';
  if (!RUN_AGENTS.includes(value as AgentKind)) throw new OrchestratorError('invalid_input', `--${name} '${value}' is not one of claude, codex, gemini${allowNone ? ', none' : ''}`);
  return value as AgentKind;
}

async function deps(call: Call, board: Board): Promise<FeatureDeps> {
  const root = resolve(call.cwd, flag(call, 'project') ?? call.settings.projectRoot.value);
  const repo = await Repo.open(root, call.env);
  const verbose = Boolean(call.values.verbose);
  return {
    board,
    repo,
    dispatcher: await agentRuns(call, board, repo, () => startDispatcher(call, board)),
    env: call.env,
    supervisor: processIdentity(process.pid),
    stateDir: ensureStateDir(repo.root),
    onProgress: (line) => call.progress(line),
    onAgentEvent: verbose
      ? (source, event) => {
          const line = renderEvent(event);
          if (line) call.progress(`  ${source}: ${line}`);
        }
      : undefined,
    signal: call.io.shutdownSignal(),
    usage: usageFrom(call.env, call.settings.home.value),
    roles: call.settings.roles,
    budgets: call.settings.budgets,
  };
}

/**
 * Who runs the run's agents. Without a remote: this process, directly (no work orders: nobody else
 * could take them). With `--remote <url>` (or `--local-workers 0`, which needs one: `--remote`, else
 * the repository's origin, checked before anything starts): every attempt is a work order on the
 * board, taken by `orchestrate worker` on any host or by one of this process's `--local-workers`
 * slots (default: as many as the run's concurrency, so other hosts take the overflow).
 */
export async function agentRuns(call: Call, board: Board, repo: Repo | null, local: () => Promise<AgentRuns>): Promise<AgentRuns> {
  const given = flag(call, 'local-workers');
  const slots = given === undefined ? integerInRange('--concurrency', flag(call, 'concurrency') ?? 2, 1, 64) : integerInRange('--local-workers', given, 0, 64);
  if (slots > 0 && flag(call, 'remote') === undefined) return local();
  if (!repo) throw new OrchestratorError('invalid_input', 'workers on other hosts take the work through git: run this in a git repository with a remote every host reaches; nothing was started');
  const origin = await repo.git(['remote', 'get-url', 'origin'], repo.root, { allowFailure: true });
  const remote = flag(call, 'remote') ?? (origin.code === 0 ? origin.stdout.trim() : '');
  if (!remote) throw new OrchestratorError('invalid_input', "--local-workers 0 leaves the agents to workers on other hosts, which fetch and push through a git remote: pass --remote <url> (or add an origin); nothing was started");
  const reached = await repo.git(['ls-remote', '--heads', remote], repo.root, { allowFailure: true });
  if (reached.code !== 0) throw new OrchestratorError('invalid_input', `the remote ${remote} cannot be reached from here (${(reached.stderr || reached.stdout).trim().split('\n').at(-1)}); workers need one every host can reach; nothing was started`);
  call.progress(`the agents run on workers (${slots > 0 ? `${slots} here, and ` : ''}'orchestrate worker' on any host with this board), through ${remote}`);
  return new RemoteWork({ board, repo, remote, local: slots > 0 ? { runs: await local(), slots, host: hostname() } : undefined, onProgress: (line) => call.progress(line) });
}

/** After a run on work orders: its branch on the remote too, for every host to see; this process's worker slots let go. */
export async function pushRunBranch(call: Call, runs: AgentRuns, repo: Repo, branch: string): Promise<void> {
  if (!(runs instanceof RemoteWork)) return;
  await runs.close();
  const pushed = await repo.git(['push', '--quiet', '--force', runs.remote, `refs/heads/${branch}:refs/heads/${branch}`], repo.root, { allowFailure: true });
  call.progress(pushed.code === 0 ? `the run branch ${branch} is on ${runs.remote}` : `the run branch was not pushed to ${runs.remote}: ${pushed.stderr.trim().split('\n').at(-1)}`);
}

function reply(end: RunEnd) {
  const { run } = end;
  const exitCode = end.end === 'completed' || end.end === 'planned' ? 0 : end.end === 'escalated' ? RUN_ESCALATED : RUN_NOT_FINISHED;
  const lines = [`${run.id}: ${run.status} — ${run.phase}`, `branch ${run.branch} · cycle ${run.cycle} · $${run.cost_usd.toFixed(4)}`];
  if (end.end === 'escalated') lines.push(`needs a person: see .orchestrator/runs/${run.id}/escalation.json, then 'orchestrate resume --run ${run.id} --guidance "…"'`);
  if (end.end === 'planned') lines.push(`the plan: .orchestrator/runs/${run.id}/plan-v${run.plan_version}.md`);
  return { data: { run, end: end.end }, text: lines.join('\n'), exitCode };
}

/** `orchestrate start "<feature>"`: plan, work, merge and review a feature on a run branch. */
export const start: Handler = async (call) => {
  if (call.values.detach || call.values.tui) return inBackground(call);
  const board = await call.board();
  const feature = required(flagOrArg(call, 'feature'), 'the feature', 'what to build, as the argument: orchestrate start "Add a health endpoint"');
  const contextFile = flag(call, 'context-file');
  let context = feature;
  if (contextFile) {
    const text = readRegularFile(resolve(call.cwd, contextFile), CONTEXT_FILE_BYTES, '--context-file');
    if (text === null) throw new OrchestratorError('invalid_input', `--context-file ${contextFile} does not exist; pass a readable file`);
    context = `${feature}\n\n${text}`;
  }
  const budget = dollars(flag(call, 'budget-usd'));
  const thresholdText = flag(call, 'usage-threshold');
  const threshold = thresholdText === undefined ? undefined : decimal('--usage-threshold', thresholdText);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new OrchestratorError('invalid_input', `--usage-threshold must be a number from 0 to 1, not '${thresholdText}'`);
  // Several workers (--worker claude,codex): each task goes to the one with the most headroom.
  const workers = [...new Set(list(flag(call, 'worker')) ?? ['claude'])].map((cli) => {
    if (!RUN_AGENTS.includes(cli as AgentKind)) throw new OrchestratorError('invalid_input', `--worker '${cli}' is not one of claude, codex, gemini (or several, comma-separated: claude,codex)`);
    return cli as AgentKind;
  });
  const settings: FeatureSettings = {
    concurrency: integerInRange('--concurrency', flag(call, 'concurrency') ?? 2, 1, 64),
    max_cycles: integerInRange('--max-cycles', flag(call, 'max-cycles') ?? 5, 1, 50),
    planner: agentFlag(call, 'planner', 'claude') as AgentKind,
    worker: workers[0]!,
    ...(workers.length > 1 ? { workers } : {}),
    reviewer: agentFlag(call, 'reviewer', 'claude', true),
    budget_usd: budget ?? null,
    budget_tokens: tokenBudget(flag(call, 'budget-tokens')) ?? null,
    usage_threshold: threshold ?? 0.8,
    auto_resume: !call.values['no-auto-resume'],
    dry_run: Boolean(call.values['dry-run']),
  };
  if (call.values['skip-codex']) {
    const codex = (['planner', 'worker', 'reviewer'] as const).filter((role) => settings[role] === 'codex' || (role === 'worker' && workers.includes('codex')));
    if (codex.length > 0) throw new OrchestratorError('invalid_input', `--skip-codex, yet the ${codex.join(' and ')} ${codex.length === 1 ? 'is' : 'are'} codex; drop one of them`);
  }
  await refuseUnusableAgents(call, [settings.planner, ...workers, settings.reviewer]);
  // Design C reviewed with Codex by default; the run says which reviewer it uses, and why.
  const note = flag(call, 'reviewer') === undefined ? ' (the default; --reviewer codex reviews with Codex as design C did, --reviewer none skips reviews)' : '';
  const built = await deps(call, board);
  const end = await startFeature({ ...built, startNote: `planner ${settings.planner}, workers ${workers.join(workers.length > 1 ? ' or ' : '')}${workers.length > 1 ? ' (by headroom)' : ''}, reviewer ${settings.reviewer}${note}` }, feature, context, settings);
  await pushRunBranch(call, built.dispatcher, built.repo, end.run.branch);
  return reply(end);
};

/** A context file is read whole into the planner's prompt. */
const CONTEXT_FILE_BYTES = 1024 * 1024;

/** Before anything is created: each agent CLI the run will use can be started (as doctor checks). */
async function refuseUnusableAgents(call: Call, agents: string[]): Promise<void> {
  for (const agent of new Set(agents)) {
    if (agent !== 'claude' && agent !== 'codex' && agent !== 'gemini') continue;
    const problem = await agentProblem(agent, call.env);
    if (problem) throw new OrchestratorError('invalid_input', `the run cannot use ${agent}: ${problem}; nothing was created ('orchestrate doctor' checks every CLI)`);
  }
}

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/**
 * `start`/`run --detach`: the run in a process of its own; with `--tui`, the live view on it
 * here until q (the run goes on).
 */
export async function inBackground(call: Call): Promise<Reply> {
  if (!call.values.tui) return detach(call);
  const { hasTerminal, openTui } = await import('./views.js');
  if (!hasTerminal(call)) throw new OrchestratorError('invalid_input', '--tui needs a terminal; --detach runs it in the background without one (follow it with orchestrate log --follow)');
  const started = await detach(call);
  await openTui(call);
  const { run } = started.data as { run: Run };
  return { ...started, text: `${started.text}\nthe view closed; ${run.id} goes on ('orchestrate tui' opens the view again, 'orchestrate stop --run ${run.id}' stops it)` };
}

/**
 * `start --detach` (and `resume --detach`): the same command without --detach, in a process of
 * its own that outlives this one (output in .orchestrator/runs/detached-<time>.log); returns once
 * its run exists — for resume, once that process drives the run.
 */
async function detach(call: Call, resumed: Run | null = null): Promise<Reply> {
  const board = await call.board();
  const root = resolve(call.cwd, flag(call, 'project') ?? call.settings.projectRoot.value);
  // A resumed run is named (a newer run started meanwhile is not the one resumed) and goes on in its own project.
  const args = [
    ...call.argv.filter((arg) => arg !== '--detach' && arg !== '--tui'),
    ...(resumed !== null && !flag(call, 'run') ? ['--run', resumed.id] : []),
    ...(resumed !== null && !flag(call, 'project') ? ['--project', resumed.project] : []),
  ];
  const logFile = join(ensureStateDir(root), 'runs', `detached-${Date.now().toString(36)}.log`);
  const { pid, exited } = spawnDetached(process.execPath, [MAIN, ...args], { cwd: call.cwd, env: call.env, logFile });
  const identity = processIdentity(pid);
  const ended = new AbortController();
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
    ended.abort();
  });
  const ours = async () => {
    const latest = resumed === null ? await board.runs.latest() : await board.runs.get(resumed.id);
    return latest && latest.supervisor === identity ? latest : null;
  };
  const run = (await waitFor(board.db, ours, { timeout_ms: 60_000 }, AbortSignal.any([call.io.shutdownSignal(), ended.signal]))) ?? (await ours());
  if (!run) {
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join('\n');
    // A refusal (dirty tree, bad flag) ends the child at once: its own error, said now.
    if (exitCode !== undefined) {
      const said = tail.split('\n').filter((line) => line.startsWith('error: ')).map((line) => line.slice(7)).join('; ') || tail;
      throw new OrchestratorError(exitCode === 2 ? 'invalid_input' : 'internal', `the run did not start (exit ${exitCode}): ${said}`);
    }
    throw new OrchestratorError('internal', `the detached run did not start within 60 s; its output (${logFile}):\n${tail}`);
  }
  return { data: { run, pid, log: logFile }, text: `${run.id} runs in the background (pid ${pid}); follow it with 'orchestrate log --follow', output in ${logFile}` };
}

async function chosenRun(call: Call, board: Board): Promise<Run> {
  const id = flag(call, 'run');
  if (id) return board.runs.get(id);
  const latest = await board.runs.latest();
  if (!latest) throw new OrchestratorError('not_found', "no runs on this board yet; 'orchestrate start \"<feature>\"' starts one");
  return latest;
}

/** `orchestrate resume [--run ID] [--guidance "…"]`. */
export const resume: Handler = async (call) => {
  const board = await call.board();
  const run = await chosenRun(call, board);
  if (call.values.detach) {
    return detach(call, run);
  }
  if (run.kind === 'plan') return (await import('./plan.js')).resume(call, board, run);
  if (run.kind === 'workflow') return (await import('./workflow.js')).resume(call, board, run);
  const budget = dollars(flag(call, 'budget-usd'));
  const tokens = tokenBudget(flag(call, 'budget-tokens'));
  const resumed = await deps(call, board);
  const end = await resumeFeature(resumed, run.id, flag(call, 'guidance') ?? null, { ...(budget === undefined ? {} : { budget_usd: budget }), ...(tokens === undefined ? {} : { budget_tokens: tokens }) });
  await pushRunBranch(call, resumed.dispatcher, resumed.repo, end.run.branch);
  return reply(end);
};

/** --budget-usd: a positive number of dollars. */
function dollars(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = decimal('--budget-usd', text);
  if (!(value > 0)) throw new OrchestratorError('invalid_input', `--budget-usd must be a positive number of dollars, not '${text}'`);
  return value;
}

/** --budget-tokens: a whole number of tokens (1 to 10^12). */
function tokenBudget(text: string | undefined): number | undefined {
  return text === undefined ? undefined : integerInRange('--budget-tokens', text, 1, 1e12);
}

/** `orchestrate status`: the board's health and the newest run in a line; with --run, that run in full. */
export const status: Handler = async (call) => {
  if (!flag(call, 'run')) {
    const health = await boardStatus(call);
    const latest = await (await call.board()).runs.latest();
    if (!latest) return health;
    const line = `latest run      ${latest.id} ${latest.status} — ${latest.phase} ('orchestrate status --run ${latest.id}' for more)`;
    return { ...health, data: { ...(health.data as Record<string, unknown>), latest_run: latest }, text: `${health.text}\n${line}` };
  }
  const board = await call.board();
  const run = await chosenRun(call, board);
  if (run.kind === 'plan') {
    const { phases, text } = await (await import('./plan.js')).statusLines(board, run);
    const head = [`${run.id}  ${run.status}  ${run.title}`, `phase: ${run.phase}`, `${(run.options as { sequential?: boolean }).sequential ? 'in the working tree' : `branch ${run.branch}`} · $${run.cost_usd.toFixed(4)}`];
    const escalation = run.escalation ? [`needs: ${(run.escalation as { needs: string }).needs}`] : [];
    return { data: { run, phases }, text: [...head, ...escalation, text].join('\n') };
  }
  const tasks = await board.tasks.all({ run_id: run.id });
  const count = (status: string) => tasks.filter((task) => task.status === status).length;
  const counts = { completed: count('completed'), running: count('in_progress') + count('claimed'), pending: count('pending'), failed: count('failed') };
  const text = [
    `${run.id}  ${run.status}  ${run.title}`,
    `phase: ${run.phase}`,
    `cycle ${run.cycle} of ${String(run.options.max_cycles ?? '?')} · plan v${run.plan_version} · branch ${run.branch} · $${run.cost_usd.toFixed(4)}`,
    `tasks: ${counts.completed} done, ${counts.running} running, ${counts.pending} pending, ${counts.failed} failed`,
    ...(run.paused_until ? [`paused until ${run.paused_until}`] : []),
    ...(run.escalation ? [`escalated: ${(run.escalation as { reason: string; needs: string }).reason} — ${(run.escalation as { needs: string }).needs}`] : []),
  ].join('\n');
  return { data: { run, tasks: counts }, text };
};

/** `orchestrate runs`: every run (feature, plan, workflow), oldest first. */
export const runs: Handler = async (call) => {
  const page = await (await call.board()).runs.list({ limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  const rows = page.items.map((run) => [run.id, run.status, run.kind, run.cycle, `$${run.cost_usd.toFixed(4)}`, run.created_at, run.title.slice(0, 50)]);
  return { data: page, text: table(['ID', 'STATUS', 'KIND', 'CYCLE', 'COST', 'STARTED', 'TITLE'], rows, 'no runs') + moreHint(page.next_cursor) };
};

/** `orchestrate history [--limit N]`: the newest runs first, of every kind. */
export const history: Handler = async (call) => {
  const limit = integerInRange('--limit', flag(call, 'limit') ?? 20, 1, 1000);
  const runs = await (await call.board()).runs.recent(limit);
  const took = (run: Run) => (run.created_at && run.ended_at ? `${Math.round((Date.parse(run.ended_at) - Date.parse(run.created_at)) / 1000)} s` : '');
  const rows = runs.map((run) => [run.id, run.kind, run.status, run.created_at, took(run), `$${run.cost_usd.toFixed(4)}`, tokenText(run.tokens), run.title.slice(0, 50)]);
  return { data: runs, text: table(['ID', 'KIND', 'STATUS', 'STARTED', 'TOOK', 'COST (EST.)', 'TOKENS IN/OUT/CACHE', 'TITLE'], rows, 'no runs yet') };
};

/** Tokens as people read them: new input / output / cache writes+reads, in k or M. */
function tokenText(t: Run['tokens']): string {
  const n = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : String(x));
  return `${n(t.input)}/${n(t.output)}/${n(t.cache_write + t.cache_read)}`;
}

/** `orchestrate log [--run ID] [-n 100] [--follow]`: what the run did, from the board's event log. */
export const log: Handler = async (call) => {
  const board = await call.board();
  const run = await chosenRun(call, board);
  const count = integerInRange('-n', flag(call, 'lines') ?? 100, 1, 100_000);
  const line = (e: { at: string | null; type: string; subject: string | null; data: Record<string, unknown> }) =>
    `${(e.at ?? '').slice(11, 19)} ${e.type.padEnd(16)} ${e.subject === run.id ? '' : `${e.subject} `}${Object.entries(e.data).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}`;
  type Entry = Parameters<typeof line>[0] & { id: number };
  /** Every event of the run after `after` (an event id), oldest first. */
  const since = async (after: number): Promise<Entry[]> => (await board.events.all({ subject_prefix: run.id }, after)) as Entry[];
  const all = await since(0);
  if (!call.values.follow) return { data: { events: all.slice(-count) }, text: all.slice(-count).map(line).join('\n') || 'no events yet' };
  for (const event of all.slice(-count)) call.io.stdout(line(event));
  let last = all[all.length - 1]?.id ?? 0;
  const stop = call.io.shutdownSignal();
  // Follow until the run ends (or Ctrl-C), waking on the board's change signal.
  while (!stop.aborted) {
    const fresh = await waitFor(board.db, async () => {
      const events = await since(last);
      return events.length ? events : null;
    }, { timeout_ms: 2000 }, stop);
    for (const event of fresh ?? []) call.io.stdout(line(event));
    last = fresh?.[fresh.length - 1]?.id ?? last;
    if (!fresh && ['completed', 'stopped', 'escalated', 'failed'].includes((await board.runs.get(run.id)).status)) break;
  }
  return { data: null, text: null };
};

/** `orchestrate stop [--run ID]` stops a run; `orchestrate stop <process-id>` stops one agent process. */
export const stop: Handler = async (call) => {
  const target = flag(call, 'id') ?? call.positionals[0];
  if (target?.startsWith('proc-')) return stopProcess(call);
  const board = await call.board();
  const run = await chosenRun(call, board);
  if (['completed', 'stopped'].includes(run.status)) return { data: run, text: `${run.id} is already ${run.status}` };
  const stopped = await board.runs.update(run.id, { status: 'stopped', phase: `stopped by request in ${run.phase}` });
  return { data: stopped, text: `asked ${run.id} to stop; its orchestrator stops starting work and ends within a second (running agents are stopped)` };
};
