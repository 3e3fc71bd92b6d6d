import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Facts about operating-system processes, for recovery: whether a pid is still the process we
 * started (a pid can be reused), and stopping a process group in steps.
 */

/** The kernel's start time of a process (Linux /proc), or null when unknown or gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

/** True when `pid` runs and (when known) started at `startTime`: the very process we recorded. */
export function isSameProcess(pid: number, startTime: string | null): boolean {
  const now = processStartTime(pid);
  return now !== null && (startTime === null || now === startTime);
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
