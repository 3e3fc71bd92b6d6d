import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Board } from '../../board/board.js';
import { integerInRange } from '../../board/input.js';
import type { DispatchSpec, ProcessRecord, ProcessState } from '../../board/processes.js';
import type { RunnerConfig } from '../../board/runner-config.js';
import { ensureStateDir } from '../../config/settings.js';
import { OrchestratorError } from '../../core/errors.js';
import type { McpServer } from '../../runner/adapter.js';
import { dashboard as runnerDashboard } from '../../runner/dashboard.js';
import { Dispatcher } from '../../runner/dispatcher.js';
import { checkAgents } from '../../runner/doctor.js';
import { renderEvent } from '../../runner/events.js';
import { processIdentity } from '../../runner/os-process.js';
import { dispatchView } from '../../runner/process-view.js';
import { Repo } from '../../engine/git.js';
import { recoverProcesses } from '../../runner/recovery.js';
import { flag, flagOrArg, json, list, required, seconds, type Call, type Handler } from '../call.js';
import { moreHint, table } from '../format.js';

/** The exit code of a dispatch whose agent run did not end `ok` (its outcome says why). */
export const AGENT_NOT_OK = 12;

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/**
 * The runner of this orchestrator process, after recovery has settled what a crashed one left.
 * Its agents reach the board's MCP server as `server` (stdio by default: this program's `mcp`
 * on the same board).
 */
export async function startDispatcher(call: Call, board: Board, extra: { server?: () => McpServer; programs?: Record<string, string | undefined>; env?: Record<string, string> } = {}): Promise<Dispatcher> {
  const host = hostname();
  await recoverProcesses(board, host);
  const root = call.settings.projectRoot.value;
  const programs = { claude: call.env.ORCHESTRATOR_CLAUDE, codex: call.env.ORCHESTRATOR_CODEX, gemini: call.env.ORCHESTRATOR_GEMINI, ...extra.programs };
  return new Dispatcher({
    board,
    env: { ...call.env, ...extra.env },
    host,
    supervisor: processIdentity(process.pid),
    stateDir: ensureStateDir(root),
    baseDir: call.cwd,
    mcpServer: extra.server ?? (() => ({ command: process.execPath, args: [MAIN, 'mcp'], env: { ORCHESTRATOR_DB: call.settings.db.value } })),
    programs: Object.fromEntries(Object.entries(programs).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    roles: call.settings.roles,
  });
}

function record(id: string, view: ReturnType<typeof dispatchView>): string {
  const cost = view.cost_usd === null ? '' : `, $${view.cost_usd.toFixed(4)}`;
  const outcome = view.outcome ?? view.status;
  return `${id}: ${outcome}${cost}${view.session_id ? `, session ${view.session_id}` : ''}\n${view.output || view.message || ''}`.trimEnd();
}

/** `orchestrate dispatch`: one agent run in the foreground, supervised and recorded. */
export const dispatch: Handler = async (call) => {
  const board = await call.board();
  const agent = (flag(call, 'cli') ?? 'claude') as DispatchSpec['agent'];
  const prompt = required(flagOrArg(call, 'prompt'), 'the prompt', 'the prompt as the argument or --prompt');
  const program = flag(call, 'program');
  const args = (call.values.arg as string[] | undefined) ?? [];
  let argv: string[] | undefined;
  if (agent === 'command') argv = [required(program, 'the program', '--program <name> (and --arg for each argument)'), ...args];
  else {
    const allowed = list(flag(call, 'allowed-tools'));
    argv = [...(allowed ? ['--allowedTools', allowed.join(',')] : []), ...args];
  }
  const dispatcher = await startDispatcher(call, board, { programs: agent === 'command' ? {} : { [agent]: program } });
  const timeout = flag(call, 'timeout');
  const spec: DispatchSpec = { agent, prompt, cwd: flag(call, 'cwd') ?? '.', model: flag(call, 'model'), argv: argv.length ? argv : undefined, ...(timeout ? { timeout_s: seconds(timeout, 'timeout', 1800) / 1000 } : {}) };
  const idle = flag(call, 'idle-timeout');
  const onEvent = call.values.verbose ? (event: Parameters<typeof renderEvent>[0]) => {
    const line = renderEvent(event);
    if (line) call.progress(line);
  } : undefined;
  const result = await dispatcher.run(spec, call.settings.agent.value, { onEvent, signal: call.io.shutdownSignal(), ...(idle ? { idleTimeoutMs: seconds(idle, 'idle-timeout', 300) } : {}) });
  const last = await board.processes.get(result.processIds[result.processIds.length - 1]!);
  const view = dispatchView(last);
  return { data: { ...view, attempts: result.processIds.length, outcome: result.outcome }, text: record(last.id, view), exitCode: result.outcome.kind === 'ok' ? 0 : AGENT_NOT_OK };
};

const processId = (call: Call) => required(flag(call, 'id') ?? call.positionals[0], 'the dispatch id', "the id as the argument ('orchestrate dispatch list' shows them)");

/** `orchestrate dispatch result <id> [--wait S]`. */
export const result: Handler = async (call) => {
  const board = await call.board();
  const wait = flag(call, 'wait');
  const found = await board.processes.waitUntilExited(processId(call), wait === undefined ? 0 : integerInRange('--wait', wait, 0, 3600) * 1000, call.io.shutdownSignal());
  const view = dispatchView(found);
  return { data: view, text: record(found.id, view) };
};

/** `orchestrate dispatch cancel <id>` and `orchestrate stop <process-id>`: stop it, wherever it runs. */
export const stop: Handler = async (call) => {
  const board = await call.board();
  const id = processId(call);
  const after = await board.processes.requestStop(id);
  return { data: dispatchView(after), text: after.state === 'exited' ? `${id} has already ended: ${after.outcome}` : `asked ${id} to stop; its supervisor stops it within a second` };
};

/** `orchestrate dispatch retry <id>`: the same dispatch again, in the foreground. */
export const retry: Handler = async (call) => {
  const board = await call.board();
  const old = await board.processes.get(processId(call));
  if (!old.spec) throw new OrchestratorError('invalid_input', `process ${old.id} was not a dispatch (no spec to run again)`);
  const dispatcher = await startDispatcher(call, board);
  const done = await dispatcher.run(old.spec, call.settings.agent.value, { signal: call.io.shutdownSignal() });
  const last: ProcessRecord = await board.processes.get(done.processIds[done.processIds.length - 1]!);
  const view = dispatchView(last);
  return { data: { ...view, retry_of: old.id }, text: record(last.id, view), exitCode: done.outcome.kind === 'ok' ? 0 : AGENT_NOT_OK };
};

/** `orchestrate dispatch list`. */
export const listDispatches: Handler = async (call) => {
  const state = flag(call, 'state') as ProcessState | undefined;
  const page = await (await call.board()).processes.list({ state, dispatches: true, limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  const views = page.items.map(dispatchView);
  const rows = views.map((v) => [v.dispatch_id, v.agent, v.status, v.cost_usd === null ? null : `$${v.cost_usd.toFixed(4)}`, v.queued_at]);
  return { data: { items: views, next_cursor: page.next_cursor }, text: table(['ID', 'AGENT', 'STATUS', 'COST', 'QUEUED'], rows, 'no dispatches') + moreHint(page.next_cursor) };
};

/** `orchestrate respond <process-id> <text>`: a follow-up prompt for a waiting session. */
export const respond: Handler = async (call) => {
  const id = processId(call);
  const text = required(flag(call, 'text') ?? call.positionals[1], 'the text', 'the prompt as the second argument or --text');
  const queued = await (await call.board()).processes.addInput(id, text);
  return { data: queued, text: `queued for ${id} (${queued.queued_inputs} waiting); it is delivered when the session has answered` };
};

/** `orchestrate approvals list|allow|deny`. */
export const approvals: Handler = async (call) => {
  const board = await call.board();
  const state = flag(call, 'state') ?? 'pending';
  if (!['pending', 'allowed', 'denied', 'all'].includes(state)) throw new OrchestratorError('invalid_input', `--state '${state}' is unknown; use pending, allowed, denied or all`);
  const page = await board.approvals.list({ state: state === 'all' ? undefined : (state as 'pending'), limit: flag(call, 'limit') as never, cursor: flag(call, 'cursor') });
  const rows = page.items.map((a) => [a.id, a.state, a.tool_name, JSON.stringify(a.input).slice(0, 60), a.agent, a.role, a.decided_by]);
  return { data: page, text: table(['ID', 'STATE', 'TOOL', 'INPUT', 'AGENT', 'ROLE', 'BY'], rows, `no ${state === 'all' ? '' : `${state} `}approvals`) + moreHint(page.next_cursor) };
};

const decide = (decision: 'allowed' | 'denied'): Handler => async (call) => {
  const id = required(flag(call, 'id') ?? call.positionals[0], 'the approval id', "the id as the argument ('orchestrate approvals list' shows them)");
  const answered = await (await call.board()).approvals.decide(id, decision, call.settings.agent.value ?? call.env.USER ?? 'cli', flag(call, 'reason') ?? null);
  return { data: answered, text: `${answered.id}: ${answered.tool_name} ${answered.state}` };
};
export const allow = decide('allowed');
export const deny = decide('denied');

/** `orchestrate runner config [--concurrency N …]`: the runner's settings on this board, changed by the flags given. */
export const runnerConfig: Handler = async (call) => {
  const board = await call.board();
  const changes: Partial<RunnerConfig> = {};
  const number = (name: string, min: number, max: number) => {
    const value = flag(call, name);
    return value === undefined ? undefined : integerInRange(`--${name}`, value, min, max);
  };
  const set = <K extends keyof RunnerConfig>(key: K, value: RunnerConfig[K] | undefined) => {
    if (value !== undefined) changes[key] = value;
  };
  set('concurrency', number('concurrency', 1, 256));
  set('idle_timeout_s', number('idle-timeout', 1, 86_400));
  set('total_timeout_s', number('timeout', 1, 604_800));
  set('approval_timeout_s', number('approval-timeout', 1, 86_400));
  set('per_kind', json(flag(call, 'per-kind'), '--per-kind') as RunnerConfig['per_kind'] | undefined);
  set('models', json(flag(call, 'models'), '--models') as RunnerConfig['models'] | undefined);
  set('approval_policy', json(flag(call, 'approval-policy'), '--approval-policy') as RunnerConfig['approval_policy'] | undefined);
  const config = Object.keys(changes).length > 0 ? await board.runnerSettings.set(changes) : await board.runnerSettings.get();
  return { data: config, text: Object.entries(config).map(([key, value]) => `${key.padEnd(20)} ${typeof value === 'object' ? JSON.stringify(value) : value}`).join('\n') };
};

/** `orchestrate dashboard`: processes, queue, outcomes, approvals and settings as text. */
export const dashboard: Handler = async (call) => {
  const text = await runnerDashboard(await call.board());
  return { data: { text }, text };
};

/** Worktrees under .orchestrator/worktrees/ whose run has ended or is gone (an escalated or paused run keeps its own). */
async function leftoverWorktrees(call: Call): Promise<{ path: string; why: string }[]> {
  let repo: Repo;
  try {
    repo = await Repo.open(call.settings.projectRoot.value, call.env);
  } catch {
    return []; // not a repository: no worktrees of ours
  }
  const board = await call.board();
  const found: { path: string; why: string }[] = [];
  for (const tree of await repo.worktrees()) {
    const run = /\/\.orchestrator\/worktrees\/(run-[a-z0-9]+-[a-z0-9]+)/.exec(tree.path)?.[1];
    if (!run) continue;
    const record = await board.runs.get(run).catch(() => null);
    if (!record) found.push({ path: tree.path, why: `run ${run} is not on this board` });
    else if (['completed', 'stopped', 'failed'].includes(record.status)) found.push({ path: tree.path, why: `run ${run} is ${record.status}` });
  }
  return found;
}

/** `orchestrate doctor`: each agent CLI's version, login and permission mode, and a real smoke run. */
export const doctor: Handler = async (call) => {
  const scratch = mkdtempSync(join(tmpdir(), 'orchestrate-doctor-'));
  try {
    const checks = await checkAgents(call.env, { smoke: !call.values['skip-smoke'], cwd: scratch });
    const install: Record<string, string> = { claude: '@anthropic-ai/claude-code', codex: '@openai/codex', gemini: '@google/gemini-cli' };
    const lines = checks.flatMap((check) => {
      if (!check.program) return [`${check.agent.padEnd(7)} not found on the PATH (npm install -g ${install[check.agent]}, or set ORCHESTRATOR_${check.agent.toUpperCase()})`];
      const smoke = check.smoke;
      return [
        `${check.agent.padEnd(7)} ${check.program} ${check.version ?? '(version unknown)'}${check.version_warning ? '' : ' (tested)'}`,
        ...(check.version_warning ? [`  warning: ${check.version_warning}`] : []),
        `  auth: ${check.auth}`,
        `  permissions: ${check.permission_mode}`,
        smoke ? `  smoke run: ${smoke.outcome} in ${smoke.seconds} s (exit ${smoke.exit_code ?? 'none'})${smoke.message ? `: ${smoke.message.split('\n')[0]}` : ''}` : '  smoke run: skipped',
      ];
    });
    const leftovers = await leftoverWorktrees(call);
    if (leftovers.length > 0) {
      lines.push(`worktrees of runs that ended (remove with 'git worktree remove --force <path>'):`, ...leftovers.map((tree) => `  ${tree.path} (${tree.why})`));
    }
    const failed = checks.some((check) => check.smoke && check.smoke.outcome !== 'ok');
    // Usable: found, and (when smoke-run) its run ended ok.
    const usable = checks.filter((check) => check.program && (!check.smoke || check.smoke.outcome === 'ok')).map((check) => check.agent);
    lines.push(usable.length > 0
      ? `usable: ${usable.join(', ')}${failed ? '; some smoke runs failed (see above)' : ''}`
      : 'no agent CLI is usable: install one (npm install -g @anthropic-ai/claude-code) or point ORCHESTRATOR_CLAUDE at it, then run doctor again');
    return { data: { agents: checks, usable, leftover_worktrees: leftovers }, text: lines.join('\n'), exitCode: failed || usable.length === 0 ? AGENT_NOT_OK : 0 };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
};
