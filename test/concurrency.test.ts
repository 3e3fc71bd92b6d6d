// Many claimers, one queue: every task is claimed exactly once and none is lost, on SQLite
// (four OS processes on one file) and on PostgreSQL (four connections); and a worker killed with
// kill -9 while holding tasks gives them back when its lease runs out.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { Board } from '../src/board/board.js';
import { openDb } from '../src/store/open.js';
import { BACKENDS, cleanupBackends, newBoardUrl, openBoard } from './support/backends.js';

after(cleanupBackends);

const WORKER = new URL('./support/claim-worker.ts', import.meta.url).pathname;

function startWorker(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => stdout.includes('ready') && resolve());
    child.on('exit', () => reject(new Error(`worker exited before it was ready: ${stderr}`)));
  });
  ready.catch(() => undefined); // only 'hold' workers are awaited for it
  return { child, exited, ready };
}

async function pushMany(board: Board, total: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let start = 0; start < total; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, total - start) }, (_, i) => ({ title: `task ${start + i}`, priority: (start + i) % 4 }));
    for (const task of await board.tasks.pushMany(batch)) ids.add(task.id);
  }
  return ids;
}

test('4 processes claiming 20 000 tasks from one SQLite file: each claimed exactly once', async () => {
  const url = newBoardUrl('sqlite');
  const board = await openBoard(url);
  const pushed = await pushMany(board, 20_000);
  const workers = [1, 2, 3, 4].map((n) => startWorker([url, `w${n}`, 'drain']));
  const results = await Promise.all(workers.map((w) => w.exited));
  const counts = await board.tasks.counts();
  assert.equal(counts.claimed, 20_000, 'the board holds every task as claimed');
  assert.equal(counts.pending, 0);
  const claimed: string[] = [];
  for (const result of results) {
    assert.equal(result.code, 0, result.stderr);
    claimed.push(...result.stdout.split('\n').filter(Boolean));
  }
  assert.equal(claimed.length, 20_000, 'every task was claimed');
  assert.equal(new Set(claimed).size, 20_000, 'no task was claimed twice');
  assert.deepEqual(new Set(claimed), pushed);
  assert.ok(results.filter((r) => r.stdout.trim() !== '').length >= 2, 'the work was shared between processes');
  await board.close();
});

test('4 connections claiming from PostgreSQL: each task claimed exactly once', { skip: !process.env.PG_URL }, async () => {
  const url = newBoardUrl('postgres');
  const setup = await openBoard(url);
  const pushed = await pushMany(setup, 5_000);
  const boards = await Promise.all([1, 2, 3, 4].map(async () => new Board(await openDb(url, { maxConnections: 1 }))));
  const claimed = await Promise.all(boards.map(async (board, n) => {
    await board.agents.register({ name: `c${n}`, lease_ttl_ms: 600_000 });
    const ids: string[] = [];
    for (;;) {
      const task = await board.tasks.claim(`c${n}`);
      if (!task) break;
      ids.push(task.id);
    }
    return ids;
  }));
  const all = claimed.flat();
  assert.equal(all.length, 5_000);
  assert.deepEqual(new Set(all), pushed);
  assert.ok(claimed.filter((ids) => ids.length > 0).length >= 2, 'the work was shared between connections');
  assert.equal((await setup.tasks.counts()).claimed, 5_000);
  await Promise.all([...boards, setup].map((b) => b.close()));
});

for (const backend of BACKENDS) {
  describe(`kill -9 on ${backend}`, () => {
    test('a worker killed while holding tasks gives them back when its lease runs out', async () => {
      const url = newBoardUrl(backend);
      const board = await openBoard(url);
      await pushMany(board, 5);
      const ttl = 600;
      const worker = startWorker([url, 'doomed', 'hold', '3', String(ttl)]);
      await worker.ready;
      const held = (await board.tasks.list({ claimed_by: 'doomed' })).items;
      assert.equal(held.length, 3);
      worker.child.kill('SIGKILL');
      await worker.exited;
      const agent = await board.agents.get('doomed');
      // Wait out the lease itself (the one deliberate wait: leases are about time passing).
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(agent.lease_expires_at!) - Date.now()) + 20));
      const after = (await board.tasks.list({ status: 'pending' })).items;
      assert.equal(after.length, 5, 'the three held tasks are pending again');
      for (const task of after.filter((t) => held.some((h) => h.id === t.id))) assert.equal(task.retry_count, 1);
      assert.equal((await board.agents.get('doomed')).status, 'offline');
      await board.agents.register({ name: 'rescuer' });
      assert.ok(await board.tasks.claim('rescuer'), 'another agent can take the released work');
      await board.close();
    });
  });
}

for (const backend of BACKENDS) {
  test(`kill -9 in the middle of writing leaves a consistent board on ${backend}`, async () => {
    const url = newBoardUrl(backend);
    const board = await openBoard(url);
    const writer = startWorker([url, 'writer', 'push']);
    await writer.ready;
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 300));
    writer.child.kill('SIGKILL');
    await writer.exited;
    if (backend === 'sqlite') {
      const [check] = await board.db.query<{ integrity_check: string }>('PRAGMA integrity_check');
      assert.equal(check?.integrity_check, 'ok');
    }
    const counts = await board.tasks.counts();
    assert.ok(counts.pending >= 150, `three batches at least (${counts.pending})`);
    assert.equal(counts.pending % 50, 0, 'only whole batches: a push is all or nothing');
    const [edges] = await board.db.query<{ n: number }>('SELECT count(*) AS n FROM task_deps');
    assert.equal(edges?.n, (counts.pending / 50) * 49, 'every task has its dependency rows');
    const [pushed] = await board.db.query<{ n: number }>("SELECT count(*) AS n FROM events WHERE type = 'task.pushed'");
    assert.equal(pushed?.n, counts.pending, 'every task has its event');
    const batches = Number((await board.context.get('batches'))?.value);
    assert.ok(counts.pending / 50 - batches <= 1 && counts.pending / 50 >= batches, 'the batch counter trails the batches by at most one');
    await board.close();
  });
}
