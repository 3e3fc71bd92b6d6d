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

export class ChangeCounter implements ChangeSignal {
  private counter = 0;
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | null = null;

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
    this.unwatch = watch?.(look) ?? null;
    this.timer = setInterval(look, this.unwatch ? (slowMs ?? everyMs) : everyMs);
  }

  private stopProbe(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unwatch?.();
    this.unwatch = null;
  }
}
