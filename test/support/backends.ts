// Where tests put boards: a fresh SQLite file in a temp folder, or a fresh schema on the
// PostgreSQL server the test command started (PG_URL). Every board a test opens is its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import pg from 'pg';
import { isOrchestratorError, type ErrorCode } from '../../src/core/errors.js';
import { Board, type BoardSettings } from '../../src/board/board.js';
import { openDb } from '../../src/store/open.js';

export type BackendName = 'sqlite' | 'postgres';

export const BACKENDS: BackendName[] = process.env.PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

const made: { dirs: string[]; schemas: string[] } = { dirs: [], schemas: [] };

export function tempDir(prefix = 'orchestrator-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.dirs.push(dir);
  return dir;
}

/** A location for a new, empty board on the backend. */
export function newBoardUrl(backend: BackendName): string {
  if (backend === 'sqlite') return join(tempDir(), 'state.db');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  made.schemas.push(schema);
  const url = new URL(process.env.PG_URL!);
  url.searchParams.set('schema', schema);
  return url.toString();
}

export async function openBoard(url: string, options: Partial<BoardSettings> & { now?: () => number } = {}): Promise<Board> {
  return new Board(await openDb(url), options);
}

/** Removes the temp folders and PostgreSQL schemas this test file made. */
export async function cleanupBackends(): Promise<void> {
  // A process a test started may still be closing a file in it: retried, not failed, while it does.
  for (const dir of made.dirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  const schemas = made.schemas.splice(0);
  if (schemas.length > 0 && process.env.PG_URL) {
    const client = new pg.Client({ connectionString: process.env.PG_URL });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

/**
 * A clock a test moves by hand, so lease expiry needs no sleeping. It starts a day ahead of now:
 * no lease ends before one TTL after the store started (a PostgreSQL server started just now).
 */
export function manualClock(start = Math.floor(Date.now() / 60_000) * 60_000 + 86_400_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => { time += ms; } };
}

/** Asserts that the promise fails with an OrchestratorError of this code (and a message matching the pattern). */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isOrchestratorError(error), `expected an OrchestratorError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}
