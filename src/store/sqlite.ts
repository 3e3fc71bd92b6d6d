import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, watch } from 'node:fs';
import { OrchestratorError } from '../core/errors.js';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Db, Queryable, SqlValue } from './db.js';
import { ChangeCounter } from './change-signal.js';
import { mapStoreError } from './errors.js';

/**
 * The transaction whose work is running, as seen from the code it calls: a statement that work
 * sends to the Db instead of its `tx` would wait for the transaction to end — forever, with the
 * board's write lock held. It fails at once instead, naming the mistake.
 */
const inside = new AsyncLocalStorage<{ db: SqliteDb; open: boolean }>();

function nested(): OrchestratorError {
  return new OrchestratorError('internal', 'a statement was sent to the board outside the transaction that is running it (it would wait forever); the transaction was rolled back');
}

/**
 * How often a waiter probes `PRAGMA data_version` for commits by other processes: where the
 * file system reports writes to the database's files (inotify, FSEvents), at once on each and
 * every SAFETY_PROBE_MS besides; elsewhere every PROBE_MS.
 */
const PROBE_MS = 5;
const SAFETY_PROBE_MS = 250;
const BUSY_TIMEOUT_MS = 5000;

/**
 * The SQLite adapter: one better-sqlite3 connection per process, WAL, synchronous=NORMAL and a
 * busy timeout. better-sqlite3 is synchronous, so statements run atomically between awaits; a
 * transaction may await, so transactions are queued one after another, and statements from
 * outside a running transaction wait for it rather than slip into it.
 */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private readonly conn: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly signal: ChangeCounter;
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;
  private dataVersion: number;

  constructor(readonly location: string, options: { busyTimeoutMs?: number } = {}) {
    try {
      mkdirSync(dirname(location), { recursive: true });
      this.conn = new Database(location);
      const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? BUSY_TIMEOUT_MS);
      this.conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
      this.enableWal(busyTimeoutMs);
      this.conn.pragma('synchronous = NORMAL');
      this.conn.pragma('cache_size = -32000'); // 32 MB: the whole board of a busy day stays in memory
    } catch (error) {
      throw mapStoreError(error, location);
    }
    this.dataVersion = this.readDataVersion();
    this.signal = new ChangeCounter({ check: () => this.dataVersionMoved(), everyMs: PROBE_MS, slowMs: SAFETY_PROBE_MS, watch: (poke) => watchFiles(location, poke) });
  }

  query<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.outside(() => this.statement(sql, params, true).rows as T[]);
  }

  exec(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.outside(() => this.statement(sql, params, true).changed);
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.runningHere()) return Promise.reject(nested());
    const run = async (): Promise<T> => {
      this.begin();
      this.inTransaction = true;
      const tx: Queryable = {
        dialect: 'sqlite',
        query: async <R>(sql: string, params: readonly SqlValue[] = []) => this.statement(sql, params, false).rows as R[],
        exec: async (sql: string, params: readonly SqlValue[] = []) => this.statement(sql, params, false).changed,
      };
      const context = { db: this, open: true };
      try {
        const result = await inside.run(context, () => work(tx));
        this.commit();
        this.signal.bump();
        return result;
      } catch (error) {
        this.rollback();
        throw error;
      } finally {
        context.open = false;
        this.inTransaction = false;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Switching a new file to WAL takes an exclusive lock and answers SQLITE_BUSY at once, without
   * the busy handler, while another process does the same: retry it for the busy timeout.
   */
  private enableWal(busyTimeoutMs: number): void {
    const deadline = Date.now() + busyTimeoutMs;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      try {
        this.conn.pragma('journal_mode = WAL');
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
        Atomics.wait(pause, 0, 0, 10); // a synchronous 10 ms pause: the constructor cannot await
      }
    }
  }

  now(): number {
    return Date.now();
  }

  upSince(): number {
    return 0;
  }

  /** SQLite plans the board's statements well without statistics. */
  async refreshStatistics(): Promise<void> {}

  async changes(): Promise<ChangeCounter> {
    return this.signal;
  }

  /** Runs raw SQL text with several statements (migrations only). */
  execScript(sql: string): void {
    try {
      this.conn.exec(sql);
    } catch (error) {
      throw mapStoreError(error, this.location);
    }
  }

  /** BEGIN IMMEDIATE, waiting out the busy timeout like any other statement. */
  begin(): void {
    this.statement('BEGIN IMMEDIATE', [], false);
  }

  commit(): void {
    this.statement('COMMIT', [], false);
  }

  rollback(): void {
    if (this.conn.inTransaction) this.conn.exec('ROLLBACK');
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.conn.open) this.conn.close();
  }

  /** True when called from the work of this Db's open transaction. */
  private runningHere(): boolean {
    const context = inside.getStore();
    return context?.db === this && context.open;
  }

  private outside<T>(work: () => T): Promise<T> {
    if (this.runningHere()) return Promise.reject(nested());
    if (!this.inTransaction) {
      try {
        return Promise.resolve(work());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Runs one statement; outside a transaction a write wakes this process's waiters. */
  private statement(sql: string, params: readonly SqlValue[], autocommit: boolean): { rows: unknown[]; changed: number } {
    try {
      let statement = this.statements.get(sql);
      if (!statement) {
        statement = this.conn.prepare(sql);
        this.statements.set(sql, statement);
      }
      let rows: unknown[] = [];
      let changed: number;
      if (statement.reader) {
        rows = statement.all(...params);
        changed = statement.readonly ? 0 : rows.length;
      } else {
        changed = statement.run(...params).changes;
      }
      if (autocommit && changed > 0) this.signal.bump();
      return { rows, changed };
    } catch (error) {
      throw mapStoreError(error, this.location);
    }
  }

  private readDataVersion(): number {
    return this.conn.pragma('data_version', { simple: true }) as number;
  }

  private dataVersionMoved(): boolean {
    if (!this.conn.open) return false;
    const version = this.readDataVersion();
    if (version === this.dataVersion) return false;
    this.dataVersion = version;
    return true;
  }
}

/**
 * Watches the folder of a database file for writes to it and its -wal and -shm files (another
 * process's commit appends to the -wal file); null where the file system cannot be watched.
 */
export function watchFiles(location: string, poke: () => void): (() => void) | null {
  if (location === ':memory:' || location === '') return null;
  const name = basename(location);
  try {
    const watcher = watch(dirname(location), { persistent: false }, (_event, file) => {
      if (file === null || String(file).startsWith(name)) poke();
    });
    watcher.on('error', () => undefined); // the folder went away: the safety probe still runs
    return () => watcher.close();
  } catch {
    return null;
  }
}
