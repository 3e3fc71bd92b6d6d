import type { ChangeSignal } from './db.js';

/**
 * A counter with waiters: the part of the change signal both backends share. The backend calls
 * `bump()` when it learns of a change (its own commit, a PostgreSQL notification, a moved SQLite
 * data_version) and may supply `probe`, polled every `probeMs` while anyone waits.
 */
export class ChangeCounter implements ChangeSignal {
  private counter = 0;
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly probe?: { check: () => boolean; everyMs: number }) {}

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
    const { check, everyMs } = this.probe;
    this.timer = setInterval(() => {
      if (check()) this.bump();
    }, everyMs);
  }

  private stopProbe(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
