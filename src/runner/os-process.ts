import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Facts about operating-system processes, for recovery: whether a pid is still the process we
 * started (a pid can be reused), and stopping a process group in steps.
 */

/** The kernel's start time of a running process (Linux /proc), or null when unknown, gone or ended. */
export function processStartTime(pid: number): string | null {
  const found = stat(pid);
  return found && found.state !== 'Z' ? found.start : null;
}

/**
 * The start time of a child just spawned, even when it has already ended (a zombie not reaped yet
 * keeps it): a short process on a busy machine can be done before its parent reads its record.
 */
export function childStartTime(pid: number): string | null {
  return stat(pid)?.start ?? null;
}

/** True when `pid` runs and (when known) started at `startTime`: the very process we recorded. */
export function isSameProcess(pid: number, startTime: string | null): boolean {
  const now = processStartTime(pid);
  return now !== null && (startTime === null || now === startTime);
}

/** The process's state letter and start time, from /proc. */
function stat(pid: number): { state: string; start: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return fields[19] ? { state: fields[0]!, start: fields[19] } : null;
  } catch {
    return null;
  }
}

/** SIGTERM to the group, then SIGKILL after `graceMs` if anything of it is left. */
export async function stopGroup(pid: number, graceMs: number): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // gone already
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && processStartTime(pid) !== null) await new Promise((resolve) => setTimeout(resolve, 20));
  signal('SIGKILL');
}

/** `pid:start-time` of a process: who supervises a record, told apart from a later pid reuse. */
export function processIdentity(pid: number): string {
  return `${pid}:${processStartTime(pid) ?? '?'}`;
}

/** True when the process an identity names still runs. */
export function identityAlive(identity: string): boolean {
  const [pid, start] = identity.split(':');
  return start !== '?' && isSameProcess(Number(pid), start ?? null);
}

/** Opens a URL in the default browser, if this machine has one (no browser: nothing happens). */
export function openInBrowser(url: string, env: Record<string, string | undefined>): void {
  const program = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(program, [url], { detached: true, stdio: 'ignore', env: env as NodeJS.ProcessEnv });
  child.on('error', () => undefined);
  child.unref();
}
