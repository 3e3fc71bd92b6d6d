import { join } from 'node:path';
import type { Board } from '../board/board.js';
import type { Adapter } from './adapter.js';
import type { AgentEvent, Outcome, OutcomeKind } from './events.js';
import { processStartTime } from './os-process.js';
import { runAgent, type RunResult } from './run-agent.js';

/**
 * Runs agent processes under limits: at most `concurrency` at once, and at most
 * `perKind[kind]` of one kind; the rest wait in a queue, best priority (0) first, then in the
 * order they came. Every attempt is recorded on the board (queued → running → exited with its
 * outcome) and logs its events to `<logDir>/<process-id>.jsonl`. Outcomes that a second try
 * may fix (a hung or garbled run, a server error) are retried with growing backoff; a
 * rate limit is not a failure and is handed back at once, with its reset time, so the caller
 * can pause.
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
}

export interface Job<Options> {
  adapter: Adapter<Options>;
  options: Options;
  cwd: string;
  priority?: number;
  taskId?: string | null;
  onEvent?: (event: AgentEvent) => void;
  signal?: AbortSignal;
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

  constructor(private readonly options: SupervisorOptions) {}

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
        argv: maskSecrets(commandArgv(job)),
        cwd: job.cwd,
        priority: job.priority ?? 2,
        task_id: job.taskId ?? null,
        attempt,
        host: this.options.host,
        supervisor: this.options.supervisor,
      });
      processIds.push(record.id);
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
    const { board } = this.options;
    const logPath = join(this.options.logDir, `${id}.jsonl`);
    let started: Promise<void> = Promise.resolve();
    const result = await runAgent(job.adapter, job.options, {
      cwd: job.cwd,
      env: this.options.env,
      idleTimeoutMs: this.options.idleTimeoutMs,
      totalTimeoutMs: this.options.totalTimeoutMs,
      stopGraceMs: this.options.stopGraceMs,
      signal: job.signal,
      logPath,
      onEvent: job.onEvent,
      onSpawn: (pid) => {
        started = board.processes.started(id, pid, processStartTime(pid), logPath);
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
    });
    return result;
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
export function maskSecrets(argv: string[]): string[] {
  return argv.map((arg, i) => {
    if (/^(sk|pk|ghp|gho|xox[abp])[-_][A-Za-z0-9_-]{10,}/.test(arg)) return '***';
    if (/(token|secret|password|api[-_]?key)=/i.test(arg)) return arg.replace(/=.*/, '=***');
    if (i > 0 && /^--?(token|secret|password|api[-_]?key)$/i.test(argv[i - 1]!)) return '***';
    return arg;
  });
}
