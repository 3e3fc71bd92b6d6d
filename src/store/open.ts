import { OrchestratorError } from '../core/errors.js';
import type { Db } from './db.js';

export type { Db, Queryable, ChangeSignal, Dialect, SqlValue, Row } from './db.js';
export { isUniqueViolation } from './errors.js';

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Opens the board's database and brings its schema up to date: a `postgres://` URL opens
 * PostgreSQL, anything else is a SQLite file path. Drivers load lazily, so a process that uses
 * one never pays for the other.
 */
export interface OpenOptions {
  /** SQLite: how long a statement waits for another process's lock before store_locked (5 s). */
  busyTimeoutMs?: number;
  /** PostgreSQL: the most connections this process opens (4). */
  maxConnections?: number;
  now?: number;
}

export async function openDb(location: string, options: OpenOptions = {}): Promise<Db> {
  const now = options.now ?? Date.now();
  if (isPostgresUrl(location)) {
    const { PostgresDb, parsePostgresUrl } = await import('./postgres.js');
    const { migratePostgres } = await import('./migrate.js');
    let target;
    try {
      target = parsePostgresUrl(location);
    } catch (error) {
      throw new OrchestratorError('invalid_input', `${(error as Error).message}; pass --db postgres://user:pass@host:5432/db`);
    }
    const db = new PostgresDb(target, { maxConnections: options.maxConnections });
    try {
      await db.readClock();
      await migratePostgres(db, now);
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    return db;
  }
  const { SqliteDb } = await import('./sqlite.js');
  const { migrateSqlite } = await import('./migrate.js');
  const db = new SqliteDb(location, { busyTimeoutMs: options.busyTimeoutMs });
  try {
    await migrateSqlite(db, now);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** The schema version of an open database (the highest applied migration). */
export async function schemaVersion(db: Db): Promise<number> {
  const rows = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}
