import pg from 'pg';
import type { Db, Queryable, SqlValue } from './db.js';
import { ChangeCounter } from './change-signal.js';
import { mapStoreError } from './errors.js';
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
  /** The connection string as pg takes it (the `schema` parameter removed). */
  connectionString: string;
  /** The schema that holds the board (`?schema=` in the URL), `public` by default. */
  schema: string;
  /** The URL without its password, for messages. */
  location: string;
}

/** Splits an orchestrator URL (`postgres://…[?schema=name]`) into what pg and the board need. */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a valid URL: ${url}`);
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,50}$/.test(schema)) {
    throw new Error(`schema '${schema}' must be letters, digits and _ (starting with a letter or _), at most 51 characters`);
  }
  parsed.searchParams.delete('schema');
  const connectionString = parsed.toString();
  if (parsed.password) parsed.password = '***';
  return { connectionString, schema, location: parsed.toString() };
}

/**
 * The PostgreSQL adapter: a small pool, every connection with the board's schema on its
 * search_path. The change signal is LISTEN on a channel named after the schema; the board's
 * events table has a trigger that NOTIFYs it, so every commit that appends events wakes waiters
 * in every process on every machine.
 */
export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  readonly schema: string;
  private readonly connectionString: string;
  private readonly pool: pg.Pool;
  private signal: Promise<ChangeCounter> | undefined;
  private listener: pg.Client | undefined;

  constructor(target: PostgresTarget, options: { maxConnections?: number } = {}) {
    this.location = target.location;
    this.schema = target.schema;
    this.connectionString = target.connectionString;
    this.pool = new pg.Pool({
      connectionString: target.connectionString,
      max: options.maxConnections ?? 4,
      types,
      // Generic plans: the board's statements are few and always fit the same indexes.
      options: `-c search_path=${quoteIdent(target.schema)} -c plan_cache_mode=force_generic_plan`,
      connectionTimeoutMillis: 10_000,
    });
    this.pool.on('error', () => {
      // An idle connection died; the pool replaces it on next use, and that use reports errors.
    });
  }

  /** The NOTIFY channel of this board (one per schema). */
  get channel(): string {
    return `orchestrator_${this.schema}`;
  }

  async query<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      const result = await this.pool.query(statement(sql, params));
      return result.rows as T[];
    } catch (error) {
      throw mapStoreError(error, this.location);
    }
  }

  async exec(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    try {
      const result = await this.pool.query(statement(sql, params));
      return result.rowCount ?? 0;
    } catch (error) {
      throw mapStoreError(error, this.location);
    }
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.connect();
    const tx = clientQueryable(client, this.location);
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is broken: the pool must not hand it out again.
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw mapStoreError(error, this.location);
    } finally {
      client.release(broken);
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
    try {
      return await this.pool.connect();
    } catch (error) {
      throw mapStoreError(error, this.location);
    }
  }

  changes(): Promise<ChangeCounter> {
    this.signal ??= this.listen();
    return this.signal;
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await listener.end().catch(() => undefined);
    await this.pool.end();
  }

  private async listen(): Promise<ChangeCounter> {
    const counter = new ChangeCounter();
    const client = new pg.Client({ connectionString: this.connectionString });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.signal = undefined;
      throw mapStoreError(error, this.location);
    }
    client.on('notification', () => counter.bump());
    client.on('error', () => {
      // The listening connection broke: wake everyone so they re-check, and listen anew next time.
      this.signal = undefined;
      this.listener = undefined;
      counter.bump();
    });
    this.listener = client;
    return counter;
  }
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
