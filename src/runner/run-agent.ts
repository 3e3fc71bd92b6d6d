import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Adapter, CommandLine } from './adapter.js';
import type { AgentEvent, Outcome, OutcomeKind } from './events.js';

/**
 * Runs one agent process to its end, supervised. The process gets its own process group, the
 * orchestrator's environment plus what the adapter adds, and a closed stdin (after the prompt,
 * when the adapter sends one there). Every stdout line becomes events through the adapter; the
 * idle timer restarts on each line, the total timer does not. Stopping goes in steps: close
 * stdin, SIGTERM to the group 0.1 s later (or at `stopGraceMs`, if shorter), SIGKILL to the
 * group at `stopGraceMs`. stderr is kept to its last 64 KiB. Events are appended to `logPath`
 * (JSON lines) as they come.
 *
 * An interactive run (a long-lived session) keeps stdin open: after each `result` it waits for
 * the next prompt, which `AgentControl.send` writes; when it has waited for the idle timeout,
 * stdin is closed and the session ends by itself, with the outcome of its last answer.
 */
export interface AgentControl {
  /** Sends a follow-up prompt; false when the session is not waiting for one (busy or ended). */
  send(text: string): boolean;
}

export interface RunOptions {
  cwd: string;
  /** The orchestrator's environment (the interface passes it in). */
  env: Record<string, string | undefined>;
  idleTimeoutMs: number;
  totalTimeoutMs: number;
  /** Cancels the run: the process is stopped and the outcome is `killed`. */
  signal?: AbortSignal;
  logPath?: string;
  onEvent?: (event: AgentEvent) => void;
  /** The first byte of output arrived (for the spawn-overhead benchmark). */
  onFirstByte?: () => void;
  /** The process exists: its pid, for records and recovery. */
  onSpawn?: (pid: number) => void;
  /** An interactive session answered and waits for the next prompt. */
  onAwaitingInput?: () => void;
  /** How to talk to an interactive session, given once it runs. */
  onControl?: (control: AgentControl) => void;
  stopGraceMs?: number;
}

export interface RunResult {
  outcome: Outcome;
  events: AgentEvent[];
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  durationMs: number;
}

const STDERR_LIMIT = 64 * 1024;

export function runAgent<Options>(adapter: Adapter<Options>, options: Options, run: RunOptions): Promise<RunResult> {
  const started = performance.now();
  let command: CommandLine;
  try {
    command = adapter.commandLine(options);
    command.prepare?.();
  } catch (error) {
    const outcome: Outcome = { kind: 'spawn_failed', message: `cannot start the ${adapter.kind} agent: ${(error as Error).message}`, reset_at: null, session_id: null, cost_usd: null, usage: null };
    return Promise.resolve({ outcome, events: [], pid: null, exitCode: null, signal: null, stderr: '', durationMs: performance.now() - started });
  }
  const events: AgentEvent[] = [];
  let stderr = '';
  let pending = '';
  let stoppedFor: OutcomeKind | null = null;
  let spawnError: Error | null = null;
  const grace = run.stopGraceMs ?? 2000;
  const timers: NodeJS.Timeout[] = [];

  if (run.logPath) mkdirSync(dirname(run.logPath), { recursive: true });
  const interactive = command.interactive === true && adapter.inputLine !== undefined;
  let awaiting = false;
  const record = (event: AgentEvent) => {
    events.push(event);
    if (run.logPath) appendFileSync(run.logPath, `${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
    run.onEvent?.(event);
    if (interactive && event.type === 'result') {
      awaiting = true;
      run.onAwaitingInput?.();
    }
  };

  const child = spawn(command.program, command.args, {
    cwd: run.cwd,
    env: { ...run.env, ...command.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdin.on('error', () => undefined); // a process that exits early closes its stdin
  if (child.pid !== undefined) run.onSpawn?.(child.pid);
  if (interactive) child.stdin.write(command.stdin ?? '');
  else if (command.stdin !== null) child.stdin.end(command.stdin);
  else child.stdin.end();

  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };

  const stop = (reason: OutcomeKind) => {
    if (stoppedFor !== null) return;
    stoppedFor = reason;
    child.stdin.destroy();
    timers.push(setTimeout(() => signalGroup('SIGTERM'), Math.min(grace, 100)));
    timers.push(setTimeout(() => signalGroup('SIGKILL'), grace));
  };

  let idle: NodeJS.Timeout | undefined;
  const restartIdle = () => {
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => {
      if (!awaiting) return stop('idle_timeout');
      awaiting = false; // nobody had more to ask: end the session, it exits by itself
      child.stdin.end();
    }, run.idleTimeoutMs);
  };
  if (interactive) {
    run.onControl?.({
      send(text) {
        if (!awaiting || stoppedFor !== null || !child.stdin.writable) return false;
        awaiting = false;
        child.stdin.write(adapter.inputLine!(text));
        restartIdle();
        return true;
      },
    });
  }
  restartIdle();
  timers.push(setTimeout(() => stop('total_timeout'), run.totalTimeoutMs));
  const onAbort = () => stop('killed');
  run.signal?.addEventListener('abort', onAbort, { once: true });
  if (run.signal?.aborted) onAbort();

  let firstByte = true;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    if (firstByte) {
      firstByte = false;
      run.onFirstByte?.();
    }
    restartIdle();
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      if (line.trim() !== '') for (const event of adapter.parseLine(line)) record(event);
      newline = pending.indexOf('\n');
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT);
  });

  return new Promise((resolve) => {
    child.on('error', (error) => {
      spawnError = error;
    });
    // Whatever the program left running in its group goes with it (and closes the pipes it holds).
    child.on('exit', () => signalGroup('SIGKILL'));
    child.on('close', (exitCode, signal) => {
      if (idle) clearTimeout(idle);
      for (const timer of timers) clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      if (pending.trim() !== '') for (const event of adapter.parseLine(pending)) record(event);
      try {
        command.cleanup?.();
      } catch {
        // leftovers of a per-run setting are not worth failing the run over
      }
      try {
        for (const event of adapter.afterExit?.(events, options, { ...run.env, ...command.env }) ?? []) record(event);
      } catch {
        // what the CLI left behind is extra information; the run's outcome does not depend on it
      }
      const end = { exitCode, signal, stderr };
      const outcome: Outcome = spawnError
        ? { kind: 'spawn_failed', message: `cannot start ${command.program}: ${spawnError.message}`, reset_at: null, session_id: null, cost_usd: null, usage: null }
        : stoppedFor !== null
          ? { ...adapter.outcome(events, end, options), kind: stoppedFor, message: stopMessage(stoppedFor, run) }
          : adapter.outcome(events, end, options);
      resolve({ outcome, events, pid: child.pid ?? null, exitCode, signal, stderr, durationMs: performance.now() - started });
    });
  });
}

function stopMessage(reason: OutcomeKind, run: RunOptions): string {
  if (reason === 'idle_timeout') return `no output for ${run.idleTimeoutMs / 1000} s: stopped`;
  if (reason === 'total_timeout') return `still running after ${run.totalTimeoutMs / 1000} s: stopped`;
  return 'cancelled: stopped';
}
