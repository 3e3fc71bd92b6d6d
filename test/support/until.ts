import { processStartTime } from '../../src/runner/os-process.js';

/** Polls until `check` holds and returns what it found (work that runs in another process has no event to wait on). */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until a process this test caused (a detached run, say) has exited: nothing of a test outlives it. */
export async function untilExited(what: string, pid: number): Promise<void> {
  await until(`${what} (pid ${pid}) to exit`, async () => processStartTime(pid) === null, 60_000, 100);
}
