import { join } from 'node:path';
import type { Board } from '../board/board.js';
import { maskSecrets } from '../core/secrets.js';
import type { DispatchSpec } from '../board/processes.js';
import type { Adapter } from './adapter.js';
import { accountOf } from './accounts.js';
import { windowsOf, type AgentEvent, type Outcome, type OutcomeKind } from './events.js';
import { childStartTime } from './os-process.js';
import { runAgent, type AgentControl, type RunResult } from './run-agent.js';

/**
 * Runs agent processes under limits: at most `concurrency` at once, and at most
 * `perKind[kind]` of one kind; the rest wait in a queue, best priority (0) first, then in the
 * order they came. Every attempt is recorded on the board (queued → running → exited with its
 * outcome) and logs its events to `<logDir>/<process-id>.jsonl`. Outcomes that a second try
 * may fix (a hung or garbled run, a server error) are retried with growing backoff; a
 * rate limit is not a failure and is handed back at once, with its reset time, so the caller
 * can pause.
 *
 * Others reach its processes through the board: while anything runs, the supervisor looks every
 * `pollMs` for stop requests (stop_process, cancel_dispatch, `orchestrate stop` — from any
 * process) and for follow-up prompts queued for its sessions that wait for one.
 */
export interface SupervisorOptions {
  board: Board;
  /** The orchestrator's environment, which agents inherit. */
  env: Record<string, string | undefined>;
  /** This machine's name: recovery settles only its own processes. */
  host: string;
  /** `pid:start-time` of this orchestrator process (processIdentity): recovery leaves live supervisors' processes alone. */
  supervisor: string;
  logDir: string;
  concurrency: number;
  perKind?: Record<string, number>;
  idleTimeoutMs: number;
  totalTimeoutMs: number;
  stopGraceMs?: number;
  retries?: { max: number; backoffMs: number };
  /** How often to look for stop requests and queued prompts while processes run (default 250 ms). */
  pollMs?: number;
}

export interface Job<Options> {
  adapter: Adapter<Options>;
  options: Options;
  cwd: string;
  priority?: number;
  taskId?: string | null;
  onEvent?: (event: AgentEvent) => void;
  signal?: AbortSignal;
  /** The dispatch as asked, recorded with the process so it can be retried whole. */
  spec?: DispatchSpec;
  createdBy?: string | null;
  /** Override the supervisor's timeouts for this job. */
  totalTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** The record exists (queued): its id. */
  onQueued?: (id: string) => void;
  /** The process wrote its first byte. */
  onFirstByte?: () => void;
}

export interface SupervisedResult {
  outcome: Outcome;
  /** Every attempt's process id, the last one last. */
  processIds: string[];
  last: RunResult;
}

const RETRYABLE: ReadonlySet<OutcomeKind> = new Set(['idle_timeout', 'stream_parse_error']);

function retryable(result: RunResult): boolean {
  if (RETRYABLE.has(result.outcome.kind)) return true;
  const last = [...result.events].reverse().find((e) => e.type === 'result');
  return result.outcome.kind === 'failed' && last?.type === 'result' && (last.api_error_status ?? 0) >= 500;
}

/** A process of this supervisor while it runs: how to stop it and talk to it, and when it is recorded as ended. */
interface Live {
  stop: AbortController;
  control: AgentControl | null;
  awaiting: boolean;
  done: Promise<void>;
}

interface Waiting {
  kind: string;
  priority: number;
  order: number;
  start: () => void;
}

export class Supervisor {
  private readonly waiting: Waiting[] = [];
  private readonly runningByKind = new Map<string, number>();
  private running = 0;
  private order = 0;
  /** This supervisor's live processes: how to stop them and talk to them. */
  private readonly live = new Map<string, Live>();
  private poller: NodeJS.Timeout | null = null;

  constructor(private readonly options: SupervisorOptions) {}

  /** Changes the limits; waiting jobs start at once if the new limits allow. */
  configure(limits: { concurrency?: number; perKind?: Record<string, number>; idleTimeoutMs?: number; totalTimeoutMs?: number }): void {
    if (limits.concurrency !== undefined) this.options.concurrency = limits.concurrency;
    if (limits.perKind !== undefined) this.options.perKind = limits.perKind;
    if (limits.idleTimeoutMs !== undefined) this.options.idleTimeoutMs = limits.idleTimeoutMs;
    if (limits.totalTimeoutMs !== undefined) this.options.totalTimeoutMs = limits.totalTimeoutMs;
    this.startWaiting();
  }

  /** Stops every process of this supervisor and waits until each is recorded as ended (at shutdown). */
  async stopAll(): Promise<void> {
    for (const entry of this.live.values()) entry.stop.abort();
    await Promise.all([...this.live.values()].map((entry) => entry.done.catch(() => undefined)));
  }

  /** How many processes run now, and how many wait. */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<Options>(job: Job<Options>): Promise<SupervisedResult> {
    const { board } = this.options;
    const retries = this.options.retries ?? { max: 0, backoffMs: 1000 };
    const processIds: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const record = await board.processes.queue({
        kind: job.adapter.kind,
        argv: maskArgv(commandArgv(job)),
        cwd: job.cwd,
        priority: job.priority ?? 2,
        task_id: job.taskId ?? null,
        attempt,
        host: this.options.host,
        supervisor: this.options.supervisor,
        spec: job.spec ?? null,
        created_by: job.createdBy ?? null,
      });
      processIds.push(record.id);
      job.onQueued?.(record.id);
      await this.slot(job.adapter.kind, job.priority ?? 2);
      let result: RunResult;
      try {
        result = await this.attempt(job, record.id);
      } finally {
        this.release(job.adapter.kind);
      }
      if (attempt > retries.max || !retryable(result) || job.signal?.aborted) return { outcome: result.outcome, processIds, last: result };
      await new Promise((resolve) => setTimeout(resolve, retries.backoffMs * 2 ** (attempt - 1)));
    }
  }

  private async attempt<Options>(job: Job<Options>, id: string): Promise<RunResult> {
    const holder = await this.keepHolder(job.taskId ?? null);
    try {
      return await this.supervise(job, id);
    } finally {
      holder();
    }
  }

  /**
   * The agent that holds the job's task stays alive while its process runs (the supervisor is
   * its presence): a long silent run never loses its task to a lease. A hung process is ended by
   * the idle and total timeouts instead.
   */
  private async keepHolder(taskId: string | null): Promise<() => void> {
    if (taskId === null) return () => undefined;
    const { board } = this.options;
    const task = await board.tasks.get(taskId).catch(() => null);
    return task?.claimed_by && (task.status === 'claimed' || task.status === 'in_progress') ? board.presence.keep(task.claimed_by) : () => undefined;
  }

  private async supervise<Options>(job: Job<Options>, id: string): Promise<RunResult> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    job.signal?.addEventListener('abort', onAbort, { once: true });
    if (job.signal?.aborted) stop.abort();
    let ended!: () => void;
    const entry: Live = { stop, control: null, awaiting: false, done: new Promise<void>((resolve) => (ended = resolve)) };
    this.live.set(id, entry);
    this.poll();
    try {
      return await this.runAndRecord(job, id, entry);
    } finally {
      this.live.delete(id);
      job.signal?.removeEventListener('abort', onAbort);
      ended();
    }
  }

  /** One process from spawn to its recorded end. */
  private async runAndRecord<Options>(job: Job<Options>, id: string, entry: Live): Promise<RunResult> {
    const { board } = this.options;
    const logPath = join(this.options.logDir, `${id}.jsonl`);
    let started: Promise<void> = Promise.resolve();
    const result = await runAgent(job.adapter, job.options, {
      cwd: job.cwd,
      env: this.options.env,
      idleTimeoutMs: job.idleTimeoutMs ?? this.options.idleTimeoutMs,
      totalTimeoutMs: job.totalTimeoutMs ?? this.options.totalTimeoutMs,
      stopGraceMs: this.options.stopGraceMs,
      signal: entry.stop.signal,
      logPath,
      onEvent: job.onEvent,
      onFirstByte: job.onFirstByte,
      onSpawn: (pid) => {
        started = board.processes.started(id, pid, childStartTime(pid), logPath);
      },
      onControl: (control) => {
        entry.control = control;
      },
      onAwaitingInput: () => {
        entry.awaiting = true;
        void started.then(() => board.processes.setAwaitingInput(id, true)).catch(() => undefined);
      },
    });
    await started.catch(() => undefined);
    const { outcome } = result;
    await board.processes.exited(id, {
      outcome: outcome.kind,
      message: outcome.message,
      reset_at: outcome.reset_at,
      session_id: outcome.session_id,
      usage: outcome.usage,
      cost_usd: outcome.cost_usd,
      windows: windowsOf(result.events),
      output: finalText(result),
    });
    await this.noteAccount(job.adapter.kind, result.events, outcome);
    await this.noteDenials(job, id, result.events);
    return result;
  }

  /** What the run said of its account's usage windows, and a refusal, on the board (routing reads them). */
  private async noteAccount(cli: string, events: AgentEvent[], outcome: Outcome): Promise<void> {
    if (cli === 'command') return;
    const { board } = this.options;
    const account = accountOf(cli, this.options.env);
    try {
      await board.accounts.observe(cli, account, windowsOf(events));
      if (outcome.kind === 'rate_limited') await board.accounts.refused(cli, account, outcome.reset_at, outcome.message);
    } catch {
      // the process's own record has the windows; the account's view catches up with the next run
    }
  }

  /** Each tool call the CLI's own permission settings refused, as an event (`orchestrate audit` lists them). */
  private async noteDenials<Options>(job: Job<Options>, id: string, events: AgentEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type !== 'denied') continue;
      await this.options.board.events.note({ type: 'permission.denied', subject: job.taskId ?? id, actor: job.createdBy ?? null, data: { process: id, cli: job.adapter.kind, tool: event.tool, input: event.input, by: `${job.adapter.kind}'s permission settings (the role's tools)` } }).catch(() => undefined);
    }
  }

  /** While processes run: stop what others asked to stop, and hand queued prompts to sessions that wait. */
  private poll(): void {
    if (this.poller || this.live.size === 0) return;
    this.poller = setTimeout(() => {
      void this.pollOnce().finally(() => {
        this.poller = null;
        this.poll();
      });
    }, this.options.pollMs ?? 250);
  }

  private async pollOnce(): Promise<void> {
    const { board } = this.options;
    try {
      for (const id of await board.processes.stopRequests(this.options.supervisor)) this.live.get(id)?.stop.abort();
      for (const [id, entry] of this.live) {
        if (!entry.awaiting || !entry.control) continue;
        const text = await board.processes.takeInput(id);
        if (text === null) continue;
        entry.awaiting = false;
        await board.processes.setAwaitingInput(id, false);
        // The session may have ended just now: then the prompt goes back (and is refused, if it has exited).
        if (!entry.control.send(text)) await board.processes.addInput(id, text).catch(() => undefined);
      }
    } catch {
      // the board is briefly unreachable: look again next time
    }
  }

  /** Waits for a free slot, globally and for the kind. */
  private slot(kind: string, priority: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ kind, priority, order: this.order++, start: resolve });
      this.waiting.sort((a, b) => a.priority - b.priority || a.order - b.order);
      this.startWaiting();
    });
  }

  private release(kind: string): void {
    this.running--;
    this.runningByKind.set(kind, (this.runningByKind.get(kind) ?? 1) - 1);
    this.startWaiting();
  }

  private startWaiting(): void {
    while (this.running < this.options.concurrency) {
      const index = this.waiting.findIndex((job) => (this.runningByKind.get(job.kind) ?? 0) < (this.options.perKind?.[job.kind] ?? Infinity));
      if (index < 0) return;
      const [job] = this.waiting.splice(index, 1);
      this.running++;
      this.runningByKind.set(job!.kind, (this.runningByKind.get(job!.kind) ?? 0) + 1);
      job!.start();
    }
  }
}

/** The agent's final answer: the outcome's message when ok, else the text it wrote. */
function finalText(result: RunResult): string {
  if (result.outcome.kind === 'ok') return result.outcome.message;
  return result.events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text).join('\n');
}

/** The command line to record (an adapter that refuses its options is recorded by kind; the run then fails to start). */
function commandArgv<Options>(job: Job<Options>): string[] {
  try {
    const command = job.adapter.commandLine(job.options);
    return [command.program, ...command.args];
  } catch {
    return [job.adapter.kind];
  }
}

/** Values that look like secrets are masked before an argv is stored or logged. */
export function maskArgv(argv: string[]): string[] {
  return argv.map((arg, i) => {
    arg = maskSecrets(arg); // a password in a URL, a named secret
    if (/^(sk|pk|ghp|gho|xox[abp])[-_][A-Za-z0-9_-]{10,}/.test(arg)) return '***';
    if (/(token|secret|password|api[-_]?key)=/i.test(arg)) return arg.replace(/=.*/, '=***');
    if (i > 0 && /^--?(token|secret|password|api[-_]?key)$/i.test(argv[i - 1]!)) return '***';
    return arg;
  });
}
