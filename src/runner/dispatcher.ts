import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Board } from '../board/board.js';
import type { DispatchSpec, ProcessRecord } from '../board/processes.js';
import type { RunnerConfig } from '../board/runner-config.js';
import { WRITING_TOOLS, type RoleSettings } from '../config/config-file.js';
import { OrchestratorError } from '../core/errors.js';
import type { Adapter, McpServer } from './adapter.js';
import { claude } from './adapters/claude.js';
import { codex } from './adapters/codex.js';
import { commandAdapter } from './adapters/command.js';
import { gemini } from './adapters/gemini.js';
import type { AgentEvent } from './events.js';
import { rolePrompt } from './roles.js';
import { Supervisor, type Job, type SupervisedResult } from './supervisor.js';
import type { Task } from '../board/tasks.js';

/**
 * Dispatches: one-shot agent runs asked for by a person or another agent (design A's dispatch
 * tools, design B's submit_task, `orchestrate dispatch`). A spec — agent, full prompt, cwd, model,
 * timeout, extra argv — becomes an adapter job on one Supervisor whose limits and timeouts come
 * from the board's runner settings (configure_orchestrator). The spec is recorded with the
 * process, so a dispatch can be retried whole, stopped or answered from any process that shares
 * the board.
 */
export interface DispatcherOptions {
  board: Board;
  /** The orchestrator's environment, which agents inherit. */
  env: Record<string, string | undefined>;
  host: string;
  /** `pid:start-time` of this process. */
  supervisor: string;
  /** The project's state folder (`.orchestrator`): logs/ and runs/ go there. */
  stateDir: string;
  /** What a relative cwd in a spec is relative to. */
  baseDir: string;
  /** How agents reach this board's MCP server (approvals need it); asked when a job needs it. */
  mcpServer?: () => McpServer | null;
  /** Programs per agent kind (default: the name on the PATH). */
  programs?: Partial<Record<DispatchSpec['agent'], string>>;
  /** Per-role settings (config.yaml `roles.<role>`): a spec's role picks its model and its tools. */
  roles?: Record<string, RoleSettings>;
}

export interface DispatchExtras {
  priority?: number;
  taskId?: string | null;
  onEvent?: (event: AgentEvent) => void;
  signal?: AbortSignal;
  idleTimeoutMs?: number;
  /**
   * Work orders only: the branch the attempt's work goes to on the remote, when the folder's own
   * branch must not move (a workflow's steps share the project folder). The folder is left as it is;
   * the work comes back as that local branch.
   */
  workBranch?: string;
}

export interface AgentRunResult extends Pick<SupervisedResult, 'outcome' | 'processIds'> {
  /**
   * The event log's id when this work began, when that was before the call: a restarted run took
   * up work ordered before it went down (what the agent reported since then is this work's).
   */
  began?: number;
}

/** What a run needs of whoever runs its agents: this process's Dispatcher, or work orders for other hosts (flows/remote-work.ts). */
export interface AgentRuns {
  run(spec: DispatchSpec, createdBy: string | null, extras?: DispatchExtras): Promise<AgentRunResult>;
  /** Stops what it runs and lets go of what it holds on the board (at the end of the run). */
  close(): Promise<void>;
}

/** Board agents the runner registers for its workers are named so; recovery releases their tasks. */
export const WORKER_PREFIX = 'worker-';

const AGENTS: DispatchSpec['agent'][] = ['claude', 'codex', 'gemini', 'command'];

/** Checks a spec from a person or an agent; every failure says what to pass. */
export function checkSpec(spec: DispatchSpec, baseDir: string): DispatchSpec {
  if (!AGENTS.includes(spec.agent)) throw new OrchestratorError('invalid_input', `agent '${String(spec.agent)}' is not one of ${AGENTS.join(', ')}`);
  if (typeof spec.prompt !== 'string' || spec.prompt.trim() === '') throw new OrchestratorError('invalid_input', 'prompt is required: the full instructions for the agent');
  const cwd = resolve(baseDir, spec.cwd || '.');
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new OrchestratorError('invalid_input', `cwd '${cwd}' is not a folder; pass an existing folder`);
  if (spec.agent === 'command' && (!spec.argv || spec.argv.length === 0)) throw new OrchestratorError('invalid_input', "agent 'command' needs argv: the program and its arguments ('{prompt}' marks where the prompt goes)");
  if (spec.interactive && spec.agent !== 'claude') throw new OrchestratorError('invalid_input', 'interactive sessions are Claude Code only (it reads follow-up prompts as stream-json)');
  if (spec.allowed_tools && spec.agent !== 'claude') throw new OrchestratorError('invalid_input', 'allowed_tools is a Claude Code setting; pass the CLI\'s own flags in argv for the others');
  if (spec.approvals && spec.agent !== 'claude') throw new OrchestratorError('invalid_input', 'central approvals are Claude Code only (--permission-prompt-tool)');
  return { ...spec, cwd };
}

export class Dispatcher {
  private runner: Supervisor | null = null;

  constructor(private readonly options: DispatcherOptions) {}

  /** Queues a dispatch and returns its record at once; the run goes on in this process. */
  async dispatch(spec: DispatchSpec, createdBy: string | null, extras: DispatchExtras = {}): Promise<ProcessRecord> {
    let queued!: (id: string) => void;
    const id = new Promise<string>((resolve) => (queued = resolve));
    const run = this.start(spec, createdBy, extras, queued);
    run.catch(() => undefined); // the outcome is on the board
    return this.options.board.processes.get(await Promise.race([id, run.then(() => id)]));
  }

  /** Runs a dispatch to its end (the CLI's foreground `orchestrate dispatch`). */
  async run(spec: DispatchSpec, createdBy: string | null, extras: DispatchExtras = {}): Promise<SupervisedResult> {
    return this.start(spec, createdBy, extras, () => undefined);
  }

  /** Runs the same dispatch again, with its full original prompt. */
  async retry(id: string, createdBy: string | null): Promise<ProcessRecord> {
    const record = await this.options.board.processes.get(id);
    if (!record.spec) throw new OrchestratorError('invalid_input', `process ${id} was not a dispatch (no spec to run again)`);
    return this.dispatch(record.spec, createdBy, { priority: record.priority, taskId: record.task_id });
  }

  /**
   * Design B's submit_task: a board task for the role, claimed by a worker agent registered for
   * it, and an agent process that works on it with the role's prompt. The outcome settles the
   * task: ok completes it with the answer, a rate limit or a stop puts it back in the queue, any
   * other outcome fails it (with its retries counted as the board counts them).
   */
  async submitTask(input: { prompt: string; title?: string; role?: string; agent?: DispatchSpec['agent']; cwd?: string; model?: string; priority?: number; timeout_s?: number; argv?: string[] }, createdBy: string | null): Promise<{ task: Task; process: ProcessRecord }> {
    const { board } = this.options;
    const role = input.role ?? 'generalist';
    const spec = checkSpec({ agent: input.agent ?? 'claude', prompt: input.prompt, cwd: input.cwd ?? '.', model: input.model, timeout_s: input.timeout_s, argv: input.argv, role }, this.options.baseDir);
    const title = input.title ?? (input.prompt.trim().split('\n')[0]!.slice(0, 200) || 'task');
    const task = await board.tasks.push({ title, description: input.prompt, role, priority: input.priority }, createdBy);
    const worker = await this.registerWorker(spec);
    await board.tasks.claim(worker, { task_id: task.id });
    await board.tasks.start(task.id, worker);
    const prompt = `${rolePrompt(this.options.stateDir, role).prompt}\n\nTask ${task.id}: ${title}\n\n${input.prompt}`;
    let queued!: (id: string) => void;
    const id = new Promise<string>((resolve) => (queued = resolve));
    const run = this.start({ ...spec, prompt }, createdBy, { priority: input.priority, taskId: task.id }, queued)
      .then((result) => this.settleTask(task.id, worker, result))
      .catch(() => board.agents.unregister(worker).catch(() => undefined));
    const processId = await Promise.race([id, run.then(() => id)]);
    return { task: await board.tasks.get(task.id), process: await board.processes.get(processId) };
  }

  private async settleTask(taskId: string, worker: string, result: SupervisedResult): Promise<void> {
    const { board } = this.options;
    const { outcome } = result;
    if (outcome.kind === 'ok') await board.tasks.complete(taskId, worker, outcome.message.slice(0, 10_000));
    else if (outcome.kind !== 'rate_limited' && outcome.kind !== 'killed') await board.tasks.fail(taskId, worker, `${outcome.kind}: ${outcome.message}`.slice(0, 2000));
    await board.agents.unregister(worker); // a task still held (rate limit, stop) goes back to the queue
  }

  /** Stops every process this dispatcher runs and waits until each is recorded (at shutdown). */
  async close(): Promise<void> {
    await this.runner?.stopAll();
  }

  private async start(spec: DispatchSpec, createdBy: string | null, extras: DispatchExtras, onQueued: (id: string) => void): Promise<SupervisedResult> {
    const checked = checkSpec(spec, this.options.baseDir);
    const config = await this.options.board.runnerSettings.get();
    const supervisor = this.supervisor(config);
    const worker = checked.approvals ? await this.registerWorker(checked) : null;
    try {
      const job = this.jobFor(checked, config, worker);
      return await supervisor.run({
        ...job,
        cwd: checked.cwd,
        spec: checked,
        createdBy,
        priority: extras.priority,
        taskId: extras.taskId ?? null,
        onEvent: extras.onEvent,
        signal: extras.signal,
        totalTimeoutMs: checked.timeout_s ? checked.timeout_s * 1000 : undefined,
        idleTimeoutMs: extras.idleTimeoutMs,
        onQueued,
      });
    } finally {
      if (worker) await this.options.board.agents.unregister(worker).catch(() => undefined);
    }
  }

  private supervisor(config: RunnerConfig): Supervisor {
    const limits = { concurrency: config.concurrency, perKind: config.per_kind, idleTimeoutMs: config.idle_timeout_s * 1000, totalTimeoutMs: config.total_timeout_s * 1000 };
    if (this.runner) {
      this.runner.configure(limits);
      return this.runner;
    }
    this.runner = new Supervisor({ board: this.options.board, env: this.options.env, host: this.options.host, supervisor: this.options.supervisor, logDir: join(this.options.stateDir, 'logs'), ...limits });
    return this.runner;
  }

  /**
   * A board agent for a worker (its role picks the approval policy; it holds a submitted task),
   * alive while this process runs it; unregistering it at the end lets it go.
   */
  private async registerWorker(spec: DispatchSpec): Promise<string> {
    const { board } = this.options;
    const agent = await board.agents.register({ name: `${WORKER_PREFIX}${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, role: spec.role ?? 'generalist', kind: spec.agent });
    board.presence.keep(agent.id);
    return agent.id;
  }

  private jobFor(original: DispatchSpec, config: RunnerConfig, worker: string | null): Pick<Job<unknown>, 'adapter' | 'options'> {
    const role = original.role ? this.options.roles?.[original.role] : undefined;
    const spec = role ? leastPrivilege(original, role) : original;
    const program = this.options.programs?.[spec.agent];
    const model = spec.model ?? role?.model ?? config.models[spec.agent];
    const extraArgs = spec.argv;
    const job = <Options>(adapter: Adapter<Options>, options: Options) => ({ adapter, options }) as Pick<Job<unknown>, 'adapter' | 'options'>;
    const server = spec.approvals || spec.board ? this.options.mcpServer?.() ?? null : null;
    if ((spec.approvals || spec.board) && !server) throw new OrchestratorError('invalid_input', "the orchestrator's MCP tools need its MCP server; this process has none configured");
    const orchestrator = server ? { orchestrator: asAgent(server, worker) } : undefined;
    switch (spec.agent) {
      case 'claude': {
        const tools = server ? { mcpConfig: JSON.stringify({ mcpServers: { orchestrator: claudeMcp(orchestrator!.orchestrator) } }), allowedTools: ['mcp__orchestrator', ...(spec.allowed_tools ?? [])] } : { allowedTools: spec.allowed_tools };
        const approvals = spec.approvals ? { permissionPromptTool: 'mcp__orchestrator__approve_permission' } : {};
        return job(claude, { prompt: spec.prompt, program, model, extraArgs, interactive: spec.interactive, disallowedTools: role?.denied_tools, ...tools, ...approvals });
      }
      case 'codex':
        return job(codex, { prompt: spec.prompt, program, model, extraArgs, mcpServers: orchestrator });
      case 'gemini':
        return job(gemini, { prompt: spec.prompt, program, model, extraArgs, mcpServers: orchestrator, runDir: join(this.options.stateDir, 'runs', 'gemini', `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`) });
      case 'command':
        return job(commandAdapter(), { program: spec.argv![0]!, args: spec.argv!.slice(1), prompt: spec.prompt });
    }
  }
}

/**
 * A spec narrowed to its role's tools (config.yaml `roles.<role>`): Claude Code gets exactly the
 * allowed tools (and `--disallowedTools` for the denied ones, in jobFor); a role allowed no tool
 * that writes or runs programs is read-only on the other CLIs too — Codex in its read-only sandbox,
 * Gemini CLI asking before every edit (which a headless run refuses).
 */
function leastPrivilege(spec: DispatchSpec, role: RoleSettings): DispatchSpec {
  if (!role.allowed_tools) return spec;
  const readOnly = !role.allowed_tools.some((tool) => WRITING_TOOLS.includes(tool.replace(/\(.*$/, '')));
  const argv = (spec.argv ?? []).filter((arg, i, all) => !(arg === '--approval-mode' || all[i - 1] === '--approval-mode') && !(arg === '--sandbox' || all[i - 1] === '--sandbox'));
  switch (spec.agent) {
    case 'claude':
      return { ...spec, allowed_tools: role.allowed_tools };
    case 'codex':
      return readOnly ? { ...spec, argv: [...argv, '--sandbox', 'read-only'] } : spec;
    case 'gemini':
      return readOnly ? { ...spec, argv: [...argv, '--approval-mode', 'default'] } : spec;
    default:
      return spec;
  }
}

/** The orchestrator's MCP server acting for `agent` (its header over HTTP, its environment over stdio). */
function asAgent(server: McpServer, agent: string | null): McpServer {
  if (!agent) return server;
  if ('url' in server) return { ...server, headers: { ...server.headers, 'X-Orchestrator-Agent': agent } };
  return { ...server, env: { ...server.env, ORCHESTRATOR_AGENT: agent } };
}

/** An MCP server as Claude Code's --mcp-config names it. */
function claudeMcp(server: McpServer): Record<string, unknown> {
  if ('url' in server) return { type: 'http', url: server.url, headers: server.headers ?? {} };
  return { type: 'stdio', command: server.command, args: server.args ?? [], env: server.env ?? {} };
}
