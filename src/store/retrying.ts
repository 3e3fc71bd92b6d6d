import { OrchestratorError } from '../core/errors.js';
import type { ChangeSignal, Db, Queryable, SqlValue } from './db.js';

/**
 * What a long-running process (`team up`, `serve`, `mcp`, a run) stands on: the board's Db, with
 * every statement, transaction and LISTEN that fails because the store is unreachable tried again
 * — after 0.25 s, then twice as long each time up to 2 s — for as long as the outage lasts. Only
 * failures that cannot have applied anything are retried (see PostgresDb); a write whose fate is
 * unknown is thrown to the caller. The process is told once when the store goes away and once
 * when it is back: a statement sent after the outage was noticed is answered, and nothing fails
 * for SETTLE_MS after it. (A PostgreSQL server shutting down answers a statement or two between
 * its refusals, and one already on its way says nothing: that is all one outage.) A one-shot CLI
 * command does not use this: it exits 9 at once. A transaction retried after an outage runs late:
 * work whose time matters (a lease renewal) reads the clock inside its transaction.
 */
export interface OutageReport {
  /** The store became unreachable (said once per outage). */
  down(error: OrchestratorError): void;
  /** The store answers again after being down for `ms`. */
  up(ms: number): void;
}

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 2_000;
const SETTLE_MS = 3_000;

function retryable(error: unknown): error is OrchestratorError {
  return error instanceof OrchestratorError && error.code === 'store_unreachable' && error.retryable;
}

export class RetryingDb implements Db {
  readonly dialect: Db['dialect'];
  readonly location: string;
  private downSince: number | null = null;
  /** Attempts are numbered as they are sent; only one sent after `downAfter` (the last failure) can end the outage. */
  private attempts = 0;
  private downAfter = 0;
  /** The store answered again: said when the timer ends without a failure. */
  private settling: { timer: NodeJS.Timeout; ms: number } | null = null;

  /** `stop` ends the retrying (the process shuts down): the last error is thrown. */
  constructor(private readonly inner: Db, private readonly report: OutageReport, private readonly stop?: AbortSignal, private readonly settleMs = SETTLE_MS) {
    this.dialect = inner.dialect;
    this.location = inner.location;
  }

  query<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.retry(() => this.inner.query<T>(sql, params));
  }

  exec(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.retry(() => this.inner.exec(sql, params));
  }

  /** The whole transaction runs again: the failed attempt was rolled back by the server. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.retry(() => this.inner.transaction(work));
  }

  changes(): Promise<ChangeSignal> {
    return this.retry(() => this.inner.changes());
  }

  now(): number {
    return this.inner.now();
  }

  upSince(): number {
    return this.inner.upSince();
  }

  refreshStatistics(tables: readonly string[]): Promise<void> {
    return this.inner.refreshStatistics(tables);
  }

  close(): Promise<void> {
    if (this.settling) this.back(this.settling.ms);
    return this.inner.close();
  }

  private async retry<T>(attempt: () => Promise<T>): Promise<T> {
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      const sent = ++this.attempts;
      try {
        const result = await attempt();
        if (this.downSince !== null && sent > this.downAfter && !this.settling) {
          const ms = Date.now() - this.downSince;
          this.settling = { timer: setTimeout(() => this.back(ms), this.settleMs), ms };
          this.settling.timer.unref();
        }
        return result;
      } catch (error) {
        if (!retryable(error) || this.stop?.aborted) throw error;
        if (this.settling) clearTimeout(this.settling.timer); // the same outage goes on
        this.settling = null;
        this.downAfter = this.attempts;
        if (this.downSince === null) {
          this.downSince = Date.now();
          this.report.down(error);
        }
        await pause(backoff, this.stop);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private back(ms: number): void {
    clearTimeout(this.settling!.timer);
    this.settling = null;
    this.downSince = null;
    this.report.up(ms);
  }
}

function pause(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    }
    stop?.addEventListener('abort', done, { once: true });
  });
}
