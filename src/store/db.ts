/**
 * The store port: the only way the rest of the program talks to a database. Two adapters
 * implement it: SQLite (a file, the default) and PostgreSQL (a URL, for many machines).
 *
 * SQL handed to the port uses `?` placeholders, in order; the PostgreSQL adapter rewrites them
 * to `$1, $2, …`. Values are strings, numbers or null (JSON is stored as text). Integers come
 * back as JavaScript numbers on both backends.
 */
export type Dialect = 'sqlite' | 'postgres';

export type SqlValue = string | number | null;

export type Row = Record<string, unknown>;

export interface Queryable {
  readonly dialect: Dialect;
  /** Runs a statement and returns its rows (a write with RETURNING returns rows too). */
  query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement and returns how many rows it changed. */
  exec(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface Db extends Queryable {
  /** Where the data lives, for messages: a file path or a URL without its password. */
  readonly location: string;
  /**
   * Runs `work` in one write transaction: it commits when `work` resolves and rolls back when it
   * throws. On SQLite it starts with BEGIN IMMEDIATE (the write lock is taken up front, so
   * read-then-write is safe); on PostgreSQL it runs at READ COMMITTED and the SQL guards itself.
   * Inside `work`, use only `tx`: the Db itself waits until the transaction ends (on SQLite a
   * call to it from inside would wait forever).
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * The store's clock, in ms since the epoch: the one every process on the board agrees on for
   * leases. PostgreSQL: the server's time (this host's clock corrected by the measured offset);
   * SQLite (one machine): this host's clock.
   */
  now(): number;
  /**
   * When the store last started (PostgreSQL: the server's start; SQLite: 0). Nobody could renew a
   * lease while it was down, so a lease does not end before one TTL after this.
   */
  upSince(): number;
  /** The change signal, set up on first use (PostgreSQL opens a LISTEN connection). */
  changes(): Promise<ChangeSignal>;
  /** After a bulk write: refresh the planner's statistics of these tables (PostgreSQL). */
  refreshStatistics(tables: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Tells waiters that the board may have changed. Waiters read `current()` before they check
 * their condition and then wait with `next(seen)`: a change after the check always moves the
 * counter, so a wake-up is never missed (a spurious one is harmless: the waiter checks again).
 */
export interface ChangeSignal {
  current(): number;
  /** Resolves with the counter once it differs from `seen`, or when time runs out or `abort` fires. */
  next(seen: number, timeoutMs: number, abort?: AbortSignal): Promise<number>;
}
