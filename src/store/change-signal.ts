import type { ChangeSignal } from './db.js';

/**
 * A counter with waiters: the part of the change signal both backends share. The backend calls
 * `bump()` when it learns of a change (its own commit, a PostgreSQL notification, a moved SQLite
 * data_version) and may supply a probe, checked while anyone waits: at once whenever `watch`
 * reports activity (file-system events: nothing runs while nothing happens) and every `slowMs` as
 * a safety net — or every `everyMs` where watching is not possible.
 */
export interface Probe {
  check: () => boolean;
  everyMs: number;
  /** Calls `poke` on activity that may be a change; returns the stop function, or null when it cannot watch. */
  watch?: (poke: () => void) => (() => void) | null;
  slowMs?: number;
}

/** How long a waiter keeps looking quickly after the file system reported activity. */
const BURST_MS = 100;

export class ChangeCounter implements ChangeSignal {
  private counter = 0;
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | null = null;
  private burst: NodeJS.Timeout | undefined;
  private burstUntil = 0;

  constructor(private readonly probe?: Probe) {}

  current(): number {
    if (this.probe?.check()) this.counter++;
    return this.counter;
  }

  bump(): void {
    this.counter++;
    for (const wake of [...this.waiters]) wake();
  }

  next(seen: number, timeoutMs: number, abort?: AbortSignal): Promise<number> {
    if (this.current() !== seen || abort?.aborted || timeoutMs <= 0) return Promise.resolve(this.counter);
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(deadline);
        abort?.removeEventListener('abort', finish);
        this.waiters.delete(finish);
        if (this.waiters.size === 0) this.stopProbe();
        resolve(this.counter);
      };
      const deadline = setTimeout(finish, timeoutMs);
      abort?.addEventListener('abort', finish, { once: true });
      this.waiters.add(finish);
      this.startProbe();
    });
  }

  private startProbe(): void {
    if (!this.probe || this.timer) return;
    const { check, everyMs, watch, slowMs } = this.probe;
    const look = (): void => {
      if (check()) this.bump();
    };
    // Activity is seen a moment before it is committed (SQLite writes the -wal file, then makes
    // the commit visible through shared memory, which no file event reports): after each poke,
    // look every `everyMs` for a short while.
    const poke = (): void => {
      if (check()) this.bump();
      if (!this.timer) return; // the last waiter left: nobody to look for
      this.burstUntil = Date.now() + BURST_MS;
      this.burst ??= setInterval(() => {
        look();
        if (Date.now() > this.burstUntil) this.stopBurst();
      }, everyMs);
    };
    this.unwatch = watch?.(poke) ?? null;
    this.timer = setInterval(look, this.unwatch ? (slowMs ?? everyMs) : everyMs);
  }

  private stopProbe(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopBurst();
    this.unwatch?.();
    this.unwatch = null;
  }

  private stopBurst(): void {
    if (this.burst) clearInterval(this.burst);
    this.burst = undefined;
  }
}
