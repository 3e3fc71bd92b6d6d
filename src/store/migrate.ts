import { readdirSync, readFileSync } from 'node:fs';
import { OrchestratorError } from '../core/errors.js';
import type pg from 'pg';
import type { Dialect } from './db.js';
import { mapStoreError } from './errors.js';
import type { SqliteDb } from './sqlite.js';
import { quoteIdent } from './identifiers.js';
import type { PostgresDb } from './postgres.js';

/**
 * Numbered, append-only migrations: `migrations/<dialect>/NNN_name.sql`, applied in order and
 * recorded in the `schema_migrations` ledger, whose highest version is the schema version. A
 * migration that has shipped is never edited; a change is a new file (in both dialects).
 *
 * Several processes may start at once against a new database: on SQLite the work runs inside
 * BEGIN IMMEDIATE, on PostgreSQL under an advisory lock, and each re-reads the ledger after taking
 * the lock, so every migration runs exactly once. A database whose ledger is ahead of this
 * build is refused; one behind it is migrated.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** An arbitrary constant: the first half of the advisory lock key (the schema is the second). */
const LOCK_NAMESPACE = 727_245;

export function loadMigrations(dialect: Dialect): Migration[] {
  const folder = new URL(`./migrations/${dialect}/`, import.meta.url);
  const migrations = readdirSync(folder)
    .filter((file) => /^\d{3}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(new URL(file, folder), 'utf8'),
    }));
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`migration numbers must run 1, 2, 3…: found ${migration.version}`);
  });
  return migrations;
}

export function latestVersion(dialect: Dialect): number {
  return loadMigrations(dialect).length;
}

function refuseNewer(found: number, known: number, location: string): void {
  if (found > known) {
    throw new OrchestratorError(
      'schema_too_new',
      `the board at ${location} has schema version ${found}, newer than this claude-orchestrator knows (${known}); upgrade claude-orchestrator to use it`,
    );
  }
}

export async function migrateSqlite(db: SqliteDb, now: number): Promise<number> {
  const migrations = loadMigrations('sqlite');
  const known = migrations.length;
  const current = await sqliteVersion(db);
  refuseNewer(current, known, db.location);
  if (current === known) return current;

  db.begin();
  try {
    db.execScript(LEDGER);
    const applied = await sqliteVersion(db);
    refuseNewer(applied, known, db.location);
    for (const migration of migrations.slice(applied)) {
      db.execScript(migration.sql);
      await db.exec('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        now,
      ]);
    }
    db.commit();
  } catch (error) {
    db.rollback();
    throw error;
  }
  return known;
}

async function sqliteVersion(db: SqliteDb): Promise<number> {
  const ledger = await db.query<{ n: number }>(
    "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
  );
  if (!ledger[0]?.n) return 0;
  const rows = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}

export async function migratePostgres(db: PostgresDb, now: number): Promise<number> {
  const migrations = loadMigrations('postgres');
  const known = migrations.length;
  const client = await db.connect();
  try {
    const current = await postgresVersion(client, db.schema);
    refuseNewer(current, known, db.location);
    if (current === known) return current;
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_NAMESPACE, db.schema]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(db.schema)}`);
      await client.query(LEDGER);
      const applied = await postgresVersion(client, db.schema);
      refuseNewer(applied, known, db.location);
      for (const migration of migrations.slice(applied)) {
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            now,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, db.schema]);
    }
  } catch (error) {
    throw mapStoreError(error, db.location);
  } finally {
    client.release();
  }
  return known;
}

async function postgresVersion(client: pg.ClientBase, schema: string): Promise<number> {
  const ledger = await client.query('SELECT to_regclass($1) AS t', [`${quoteIdent(schema)}.schema_migrations`]);
  if (!ledger.rows[0]?.t) return 0;
  const version = await client.query('SELECT max(version) AS v FROM schema_migrations');
  return Number(version.rows[0]?.v ?? 0);
}
