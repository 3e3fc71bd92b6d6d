import type { Db } from '../store/open.js';

/** The longest any single wait may last (a caller asking for more gets this). */
export const MAX_WAIT_MS = 3_600_000;

/**
 * Waits until `check` finds something, then returns it; returns null when `timeoutMs` passes or
 * `abort` fires. Between checks it sleeps on the store's change signal, not on a timer, so a
 * change made by any process wakes it at once and an idle board costs nothing but the probe.
 */
export interface WaitOptions {
  timeout_ms: number;
  /** Called once, when the first check found nothing and the wait begins. */
  onWaiting?: () => void;
}

export async function waitFor<T>(
  db: Db,
  check: () => Promise<T | null>,
  options: WaitOptions,
  abort?: AbortSignal,
): Promise<T | null> {
  const deadline = Date.now() + Math.min(Math.max(options.timeout_ms, 0), MAX_WAIT_MS);
  let waiting = false;
  for (;;) {
    const signal = await db.changes();
    const seen = signal.current();
    const found = await check();
    if (found !== null) return found;
    const left = deadline - Date.now();
    if (left <= 0 || abort?.aborted) return null;
    if (!waiting) {
      waiting = true;
      options.onWaiting?.();
    }
    await signal.next(seen, left, abort);
  }
}
