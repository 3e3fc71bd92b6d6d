import pg from 'pg';
import type { Db, Queryable, SqlValue } from './db.js';
import { ChangeCounter } from './change-signal.js';
import { OrchestratorError } from '../core/errors.js';
import { maskSecrets } from '../core/secrets.js';
import { isConnectionFailure, mapStoreError } from './errors.js';
import { quoteIdent } from './identifiers.js';

const INT8 = 20;
const NUMERIC = 1700;

/** Integers come back as numbers, like on SQLite (board integers stay far below 2^53). */
const toNumber = (value: string): number => Number(value);
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    return oid === INT8 || oid === NUMERIC ? toNumber : pg.types.getTypeParser(oid, format);
  },
};

/**
 * Each distinct statement becomes a named prepared statement: `?` placeholders, in order,
 * become `$1, $2, …` (board SQL never has `?` inside a literal), and every connection plans it
 * once instead of on every call (planning cost more than running a claim).
 */
const prepared = new Map<string, { name: string; text: string }>();
function statement(sql: string, params: readonly SqlValue[]): pg.QueryConfig {
  let entry = prepared.get(sql);
  if (entry === undefined) {
    let n = 0;
    entry = { name: `orchestrator_${prepared.size + 1}`, text: sql.replace(/\?/g, () => `$${++n}`) };
    prepared.set(sql, entry);
  }
  return { name: entry.name, text: entry.text, values: params as SqlValue[] };
}

export interface PostgresTarget {
  /** The connection string as pg takes it (the `schema` and `connect_timeout` parameters removed). */
  connectionString: string;
  /** The schema that holds the board (`?schema=` in the URL), `public` by default. */
  schema: string;
  /** The URL without its password, for messages. */
  location: string;
  /** How long a connection attempt may take (`?connect_timeout=<s>`, as in libpq; 10 s by default). */
  connectTimeoutMs: number;
}

/** A server that accepts connections and never answers is given up on after this long. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** No board statement takes this long; one that does waits on a dead connection, which is then dropped. */
export const QUERY_TIMEOUT_MS = 30_000;
/** How long the server keeps a session that began a transaction and went silent. */
const IDLE_IN_TRANSACTION_MS = 15_000;
/** How often this host's clock is compared with the server's again (a host clock may be stepped). */
const CLOCK_RESYNC_MS = 30_000;
/** How often a listening connection is checked while it listens (a silently cut network sends no error). */
const LISTEN_CHECK_MS = 10_000;

/** Splits an orchestrator URL (`postgres://…[?schema=name][&connect_timeout=s]`) into what pg and the board need. */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a valid URL: ${maskSecrets(url)}`);
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,50}$/.test(schema)) {
    throw new Error(`schema '${schema}' must be letters, digits and _ (starting with a letter or _), at most 51 characters`);
  }
  const timeout = parsed.searchParams.get('connect_timeout');
  if (timeout !== null && !/^\d{1,4}$/.test(timeout)) throw new Error(`connect_timeout '${timeout}' must be whole seconds`);
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('connect_timeout');
  const connectionString = parsed.toString();
  return { connectionString, schema, location: maskSecrets(connectionString), connectTimeoutMs: timeout === null || timeout === '0' ? CONNECT_TIMEOUT_MS : Number(timeout) * 1000 };
}

const CLOCK_SQL = `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::int8 AS now,
  (extract(epoch FROM pg_postmaster_start_time()) * 1000)::int8 AS started`;

/** A statement that only reads may be sent again after its connection broke; a write may have been applied. */
const READ_ONLY = /^\s*SELECT\b/i;

/**
 * The PostgreSQL adapter: a small pool, every connection with the board's schema on its
 * search_path. The change signal is LISTEN on a channel named after the schema; the board's
 * events table has a trigger that NOTIFYs it, so every commit that appends events wakes waiters
 * in every process on every machine.
 *
 * Time is the server's: `now()` is this host's clock corrected by the offset measured against
 * `clock_timestamp()` (at open, then every 30 s), so a host with a wrong clock decides leases as
 * everyone else does. Connecting and every statement are bounded (connect_timeout, 30 s); a
 * connection that broke or timed out is dropped, never handed out again. A failure to reach the
 * server is `store_unreachable`, retryable when nothing can have been applied (it broke while
 * connecting, inside a transaction before COMMIT, or during a read) and not otherwise.
 */
export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  readonly schema: string;
  private readonly connectionString: string;
  private readonly connectTimeoutMs: number;
  private readonly pool: pg.Pool;
  private signal: Promise<ChangeCounter> | undefined;
  private listener: pg.Client | undefined;
  private listenCheck: NodeJS.Timeout | undefined;
  private clockOffsetMs = 0;
  private serverStartedAt = 0;
  private clockReadAt = Number.NEGATIVE_INFINITY;
  private clockReading: Promise<void> | null = null;
  /** A connection broke: the server may have restarted, so its clock and start are read again first. */
  private clockStale = false;
  private closed = false;

  constructor(target: PostgresTarget, options: { maxConnections?: number } = {}) {
    this.location = target.location;
    this.schema = target.schema;
    this.connectionString = target.connectionString;
    this.connectTimeoutMs = target.connectTimeoutMs;
    this.pool = new pg.Pool({
      connectionString: target.connectionString,
      max: options.maxConnections ?? 4,
      types,
      // Generic plans: the board's statements are few and always fit the same indexes. A client cut
      // off inside a transaction (a host's cable pulled between two statements) would keep its row
      // locks until the server's TCP gives up, many minutes, and stall every other host on them:
      // the server ends such a session after 15 s (a board transaction never waits on anything).
      options: `-c search_path=${quoteIdent(target.schema)} -c plan_cache_mode=force_generic_plan -c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
      connectionTimeoutMillis: target.connectTimeoutMs,
      query_timeout: QUERY_TIMEOUT_MS,
      keepAlive: true,
    });
    this.pool.on('error', () => {
      // An idle connection died (the server may have restarted): the pool replaces it on next use,
      // which reads the server's clock and start first.
      this.clockStale = true;
    });
    // A connection that breaks between statements (inside a transaction) emits 'error' with no
    // statement to fail: without a listener that would end the process. The next statement reports it.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  /** The NOTIFY channel of this board (one per schema). */
  get channel(): string {
    return `orchestrator_${this.schema}`;
  }

  async query<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.run(sql, params)).rows as T[];
  }

  async exec(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.run(sql, params)).rowCount ?? 0;
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.connect();
    const tx = clientQueryable(client, this.location);
    let committing = false;
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      committing = true;
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      if (brokenConnection(error)) {
        drop(client);
        this.clockStale = true;
        // The server rolls back a transaction whose connection ended, unless COMMIT was on its way.
        throw unreachable(error, this.location, committing ? 'while committing' : null);
      }
      // A connection that cannot even roll back is broken: the pool must not hand it out again.
      let broken = false;
      await client.query('ROLLBACK').catch(() => (broken = true));
      if (broken) drop(client);
      else client.release();
      throw mapStoreError(error, this.location);
    }
  }

  /** A new table's planner statistics say "empty" until autovacuum runs; a bulk load needs them now. */
  async refreshStatistics(tables: readonly string[]): Promise<void> {
    for (const table of tables) {
      if (!/^[a-z_]+$/.test(table)) throw new Error(`not a board table: ${table}`);
      // Only an optimisation: a role without the right to ANALYZE still has a working board.
      await this.exec(`ANALYZE ${table}`).catch(() => undefined);
    }
  }

  /** A connection of its own, for work that must hold one (migrations under an advisory lock). */
  async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.clockStale = true;
      throw mapStoreError(error, this.location);
    }
    if (this.clockStale) {
      // The first statement after an outage: nothing is decided on the old server start.
      try {
        await this.readClockOn(client);
        this.clockStale = false;
      } catch (error) {
        drop(client);
        throw mapStoreError(error, this.location);
      }
    }
    return client;
  }

  /** The server's time: this host's clock plus the offset last measured (measured again when it is 30 s old). */
  now(): number {
    const local = Date.now();
    if (local - this.clockReadAt > CLOCK_RESYNC_MS && !this.clockReading && !this.closed) {
      this.clockReading = this.readClock().catch(() => undefined).finally(() => (this.clockReading = null));
    }
    return local + this.clockOffsetMs;
  }

  upSince(): number {
    return this.serverStartedAt;
  }

  /**
   * Measures how far this host's clock is from the server's (half the round trip is the error
   * bound), and when the server started.
   */
  async readClock(): Promise<void> {
    const client = await this.connect();
    try {
      await this.readClockOn(client);
      client.release();
    } catch (error) {
      drop(client);
      this.clockStale = true;
      throw mapStoreError(error, this.location);
    }
  }

  private async readClockOn(client: pg.PoolClient): Promise<void> {
    const sent = Date.now();
    const { rows } = await client.query<{ now: number; started: number }>(CLOCK_SQL);
    const back = Date.now();
    this.clockOffsetMs = rows[0]!.now - Math.round((sent + back) / 2);
    this.serverStartedAt = rows[0]!.started;
    this.clockReadAt = back;
  }

  changes(): Promise<ChangeCounter> {
    this.signal ??= this.listen();
    return this.signal;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.clockReading;
    this.forgetListener();
    await this.pool.end();
  }

  /** One statement on a pooled connection; a broken connection is dropped, not returned to the pool. */
  private async run(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    const client = await this.connect();
    try {
      const result = await client.query(statement(sql, params));
      client.release();
      return result;
    } catch (error) {
      if (brokenConnection(error)) {
        drop(client);
        this.clockStale = true;
        throw unreachable(error, this.location, READ_ONLY.test(sql) ? null : 'during a write');
      }
      client.release();
      throw mapStoreError(error, this.location);
    }
  }

  /**
   * LISTEN on a connection of its own. When it breaks — an error, the server closing it, or a
   * check query that gets no answer — every waiter is woken to look again, and the next wait
   * listens anew, so no change is missed across an outage.
   */
  private async listen(): Promise<ChangeCounter> {
    const counter = new ChangeCounter();
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: this.connectTimeoutMs, query_timeout: QUERY_TIMEOUT_MS, keepAlive: true });
    client.on('error', () => undefined); // reported through lost() below
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (error) {
      drop(client);
      this.signal = undefined;
      this.clockStale = true;
      throw mapStoreError(error, this.location);
    }
    let gone = false;
    const lost = (): void => {
      if (gone) return;
      gone = true;
      this.clockStale = true;
      if (this.listener === client) this.forgetListener();
      drop(client);
      counter.bump();
    };
    client.on('notification', () => counter.bump());
    client.on('error', lost);
    client.on('end', lost);
    this.listener = client;
    this.listenCheck = setInterval(() => void client.query('SELECT 1').catch(lost), LISTEN_CHECK_MS);
    this.listenCheck.unref();
    return counter;
  }

  private forgetListener(): void {
    if (this.listenCheck) clearInterval(this.listenCheck);
    this.listenCheck = undefined;
    const listener = this.listener;
    this.listener = undefined;
    this.signal = undefined;
    if (listener) void listener.end().catch(() => undefined);
  }
}

/** SQLSTATEs with which the server ends a statement it did not apply: admin or crash shutdown, cannot connect now, too many connections. */
const SERVER_ENDED = new Set(['57P01', '57P02', '57P03', '53300']);

function sqlState(error: unknown): string {
  const direct = (error as { code?: unknown })?.code;
  const cause = error instanceof OrchestratorError ? (error.cause as { code?: unknown } | undefined)?.code : undefined;
  return typeof direct === 'string' && /^[0-9A-Z]{5}$/.test(direct) ? direct : typeof cause === 'string' ? cause : '';
}

/** True when the connection itself failed (not the statement): it must be dropped. */
function brokenConnection(error: unknown): boolean {
  return (error instanceof OrchestratorError && error.code === 'store_unreachable') || isConnectionFailure(error);
}

/** Closes a connection's socket at once (ending it politely would wait on a dead peer) and drops it from the pool. */
function drop(client: pg.Client | pg.PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  if ('release' in client) {
    try {
      client.release(true);
    } catch {
      // released already
    }
  }
}

/**
 * A broken connection as store_unreachable: retryable unless a change may have been applied
 * (`when` says when it broke: during a write outside a transaction, or while committing).
 */
function unreachable(error: unknown, location: string, when: string | null): unknown {
  const mapped = mapStoreError(error, location);
  if (when === null || !(mapped instanceof OrchestratorError) || mapped.code !== 'store_unreachable') return mapped;
  // The server said it ended the statement (shutting down, refusing): nothing was applied.
  if (SERVER_ENDED.has(sqlState(error))) return mapped;
  return new OrchestratorError(
    'store_unreachable',
    `${mapped.message}; the connection broke ${when}, so whether that change was saved is unknown — look at the board before doing it again`,
    { retryable: false, cause: mapped.cause },
  );
}

function clientQueryable(client: pg.PoolClient, location: string): Queryable {
  return {
    dialect: 'postgres',
    async query<T>(sql: string, params: readonly SqlValue[] = []) {
      try {
        return (await client.query(statement(sql, params))).rows as T[];
      } catch (error) {
        throw mapStoreError(error, location);
      }
    },
    async exec(sql: string, params: readonly SqlValue[] = []) {
      try {
        return (await client.query(statement(sql, params))).rowCount ?? 0;
      } catch (error) {
        throw mapStoreError(error, location);
      }
    },
  };
}
