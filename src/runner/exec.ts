import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/**
 * One short command to its end — git for the engine, a gate in a worktree — with an argument
 * array (a gate is `sh -c <the gate's own text>`, as CI runs it), its own process group killed
 * at the timeout, and output kept to its last 256 KiB per stream.
 */
export interface CommandResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

const OUTPUT_LIMIT = 256 * 1024;

export function runCommand(program: string, args: string[], options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; input?: string }): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env ?? {}, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: Error | null = null;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(-OUTPUT_LIMIT)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-OUTPUT_LIMIT)));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, options.timeoutMs)
      : null;
    child.on('error', (error) => (spawnError = error));
    child.on('exit', kill); // whatever it left running in its group goes with it
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (spawnError) stderr += `cannot start ${program}: ${spawnError.message}`;
      resolve({ code: spawnError ? null : code, signal, stdout, stderr, timedOut, durationMs: performance.now() - started });
    });
  });
}

/**
 * A program that outlives this one (`orchestrate start --detach`): its own session, stdin closed,
 * stdout and stderr appended to `logFile`. Returns its pid.
 */
export function spawnDetached(program: string, args: string[], options: { cwd: string; env: Record<string, string | undefined>; logFile: string }): { pid: number; exited: Promise<number | null> } {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const out = openSync(options.logFile, 'a');
  try {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', out, out], detached: true });
    child.unref();
    if (child.pid === undefined) throw new Error(`cannot start ${program}`);
    // While this process lives it hears of the child's early end (a refusal), without waiting for it.
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { pid: child.pid, exited };
  } finally {
    closeSync(out);
  }
}

/** The program a name resolves to on the PATH, or null. */
export function onPath(name: string, path: string | undefined): string | null {
  for (const dir of (path ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return null;
}
