// The store: migrations with a ledger, refusal of newer schemas, several processes migrating at
// once, the same tables on both dialects, and clear errors for stores that cannot be used.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { isOrchestratorError } from '../src/core/errors.js';
import { latestVersion, loadMigrations } from '../src/store/migrate.js';
import { openDb, schemaVersion } from '../src/store/open.js';
import { ChangeCounter } from '../src/store/change-signal.js';
import { watchFiles } from '../src/store/sqlite.js';
import { BACKENDS, cleanupBackends, newBoardUrl, tempDir } from './support/backends.js';

after(cleanupBackends);

function runNode(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('both dialects have the same migrations', () => {
  const sqlite = loadMigrations('sqlite').map((m) => `${m.version}_${m.name}`);
  const postgres = loadMigrations('postgres').map((m) => `${m.version}_${m.name}`);
  assert.deepEqual(sqlite, postgres);
  assert.equal(latestVersion('sqlite'), sqlite.length);
});

for (const backend of BACKENDS) {
  describe(`store on ${backend}`, () => {
    test('a new database is migrated to the latest version once; reopening changes nothing', async () => {
      const url = newBoardUrl(backend);
      const db = await openDb(url);
      assert.equal(await schemaVersion(db), latestVersion(backend));
      await db.close();
      const again = await openDb(url);
      const ledger = await again.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(ledger.map((r) => r.version), loadMigrations(backend).map((m) => m.version));
      await again.close();
    });

    test('a schema newer than this build is refused with a clear message', async () => {
      const url = newBoardUrl(backend);
      const db = await openDb(url);
      await db.exec('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [999, 'future', 0]);
      await db.close();
      await assert.rejects(openDb(url), (error: unknown) => {
        assert.ok(isOrchestratorError(error, 'schema_too_new'));
        assert.match(error.message, new RegExp(`schema version 999, newer than this claude-orchestrator knows \\(${latestVersion(backend)}\\); upgrade`));
        return true;
      });
    });

    test('four processes opening a new database at once apply each migration exactly once', async () => {
      const url = newBoardUrl(backend);
      // Each process waits for the same instant before opening, so the four really race.
      const src = (file: string) => JSON.stringify(new URL(`../src/store/${file}`, import.meta.url).pathname);
      const script = `import { openDb } from ${src('open.ts')};
        await import(${src('sqlite.ts')}); await import(${src('postgres.ts')}); await import(${src('migrate.ts')});
        while (Date.now() < Number(process.argv[2])) await new Promise((r) => setTimeout(r, 1));
        const db = await openDb(process.argv[1]); await db.close(); console.log('ok');`;
      const startAt = String(Date.now() + 2500);
      const results = await Promise.all(
        [1, 2, 3, 4].map(() => runNode(['--import', 'tsx', '--input-type=module', '-e', script, url, startAt])),
      );
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      const db = await openDb(url);
      const ledger = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
      assert.equal(ledger.length, latestVersion(backend));
      await db.close();
    });
  });
}

test('SQLite and PostgreSQL schemas have the same tables and columns', { skip: !process.env.PG_URL }, async () => {
  const sqliteFile = newBoardUrl('sqlite');
  await (await openDb(sqliteFile)).close();
  const lite = new Database(sqliteFile, { readonly: true });
  const tables = lite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
  const sqliteColumns = tables.flatMap(({ name }) =>
    (lite.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]).map((c) => `${name}.${c.name}`));
  lite.close();

  const url = new URL(newBoardUrl('postgres'));
  await (await openDb(url.toString())).close();
  const schema = url.searchParams.get('schema')!;
  const client = new pg.Client({ connectionString: process.env.PG_URL });
  await client.connect();
  const { rows } = await client.query(
    'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position',
    [schema],
  );
  await client.end();
  assert.deepEqual(sqliteColumns, rows.map((r) => `${r.table_name}.${r.column_name}`));
});

test('a file that is not a database, or cannot be created, is store_unreachable', async () => {
  const dir = tempDir();
  const garbage = join(dir, 'garbage.db');
  writeFileSync(garbage, 'this is not a database, it is a text file of some length.'.repeat(100));
  await assert.rejects(openDb(garbage), (error: unknown) => isOrchestratorError(error, 'store_unreachable') && /garbage\.db/.test(error.message));
  await assert.rejects(openDb(join(dir, 'garbage.db', 'inside', 'state.db')), (error: unknown) => isOrchestratorError(error, 'store_unreachable'));
});

test('a PostgreSQL server that is not there is store_unreachable', async () => {
  await assert.rejects(openDb('postgres://user:secret@127.0.0.1:1/none'), (error: unknown) => {
    assert.ok(isOrchestratorError(error, 'store_unreachable'), String(error));
    assert.doesNotMatch(error.message, /secret/, 'the password never appears in messages');
    return true;
  });
});

test('a SQLite file locked by another process past the busy timeout is store_locked', async () => {
  const file = newBoardUrl('sqlite');
  await (await openDb(file)).close();
  const holder = new Database(file);
  holder.exec('BEGIN IMMEDIATE');
  const db = await openDb(file, { busyTimeoutMs: 100 });
  await assert.rejects(db.exec('INSERT INTO context (key, value, version, updated_at) VALUES (?, ?, 1, 0)', ['k', 'v']), (error: unknown) =>
    isOrchestratorError(error, 'store_locked') && error.retryable);
  holder.exec('ROLLBACK');
  holder.close();
  await db.close();
});

test('a SQLite waiter wakes on another process\'s commit through file-system events alone (no fast probe runs)', async () => {
  const file = join(tempDir(), 'state.db');
  const db = await openDb(file);
  let poked = false;
  const counter = new ChangeCounter({
    check: () => {
      const was = poked;
      poked = false;
      return was;
    },
    everyMs: 3_600_000, // neither probe can fire within the test: only the watch can wake it
    slowMs: 3_600_000,
    watch: (poke) => watchFiles(file, () => {
      poked = true;
      poke();
    }),
  });
  const seen = counter.current();
  const woken = counter.next(seen, 60_000);
  const writer = spawn(process.execPath, ['-e', `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(file)}); d.exec("INSERT INTO context (key, value, updated_by, updated_at, version) VALUES ('k', 'v', 'x', 1, 1)"); d.close();`], { stdio: 'inherit' });
  await new Promise((resolve) => writer.on('exit', resolve));
  assert.notEqual(await woken, seen, 'woken by the commit, before the 60 s timeout');
  await db.close();
});
