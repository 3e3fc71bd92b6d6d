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
    const { PostgresDb, parsePostgresUrl } = await loadDriver(() => import('./postgres.js'), 'pg');
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
  const { SqliteDb } = await loadDriver(() => import('./sqlite.js'), 'better-sqlite3');
  const { migrateSqlite } = await import('./migrate.js');
  const db = driverCall(() => new SqliteDb(location, { busyTimeoutMs: options.busyTimeoutMs }), 'better-sqlite3');
  try {
    await migrateSqlite(db, now);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/**
 * A driver that does not load is a broken install, not a bug: a native module built for another
 * Node (NODE_MODULE_VERSION), one whose binary is missing (an install script that was blocked), or
 * a package that is not there. One message with the whole cause and the fix.
 */
async function loadDriver<T>(load: () => Promise<T>, driver: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw brokenInstall(error, driver);
  }
}

function driverCall<T>(make: () => T, driver: string): T {
  try {
    return make();
  } catch (error) {
    throw brokenInstall(error, driver);
  }
}

const BROKEN = /ERR_DLOPEN_FAILED|NODE_MODULE_VERSION|bindings file|was compiled against a different Node|invalid ELF header|wrong ELF class|cannot open shared object|Cannot find (module|package)|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND/;

function brokenInstall(error: unknown, driver: string): unknown {
  const code = (error as { code?: unknown })?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof OrchestratorError || !(BROKEN.test(String(code)) || BROKEN.test(text))) return error;
  const cause = text.replace(/\s+/g, ' ').trim();
  return new OrchestratorError(
    'install_broken',
    `the ${driver} driver does not load on Node ${process.version} (${cause.length > 300 ? `${cause.slice(0, 299)}…` : cause}); reinstall claude-orchestrator with this Node (npm install -g claude-orchestrator), or in a source checkout run 'npm rebuild ${driver}'`,
    { cause: error },
  );
}

/** The schema version of an open database (the highest applied migration). */
export async function schemaVersion(db: Db): Promise<number> {
  const rows = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}
