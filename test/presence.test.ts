// Presence on the board, on SQLite and PostgreSQL: an agent kept by a live process stays online
// however long it is silent, and its lease runs out once the process lets go; a kept agent the
// board swept while its process was cut off is taken back (same id) without its released tasks;
// no lease ends before one TTL after the store started; reads show expired leases; the clock is
// the store's; a store outage is waited out by long-running processes.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { OrchestratorError } from '../src/core/errors.js';
import type { Db } from '../src/store/db.js';
import { openDb } from '../src/store/open.js';
import { RetryingDb } from '../src/store/retrying.js';
import { Board } from '../src/board/board.js';
import { BACKENDS, cleanupBackends, manualClock, newBoardUrl, openBoard, rejectsWith } from './support/backends.js';
import { until } from './support/until.js';

after(cleanupBackends);

/** The same store, as if it had started at `at` (a PostgreSQL restart). */
function startedAt(db: Db, at: number): Db {
  return new Proxy(db, {
    get(target, key) {
      if (key === 'upSince') return () => at;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

for (const backend of BACKENDS) {
  describe(`presence on ${backend}`, () => {
    test('a kept agent stays online through many TTLs of silence; let go, its lease ends one TTL after its last renewal', async () => {
      const url = newBoardUrl(backend);
      const ttl = 600;
      const board = await openBoard(url, { leaseTtlMs: ttl });
      const observer = await openBoard(url, { leaseTtlMs: ttl }); // another process: it sweeps, it keeps nobody
      const kept = await board.agents.register({ name: 'Kept' });
      await board.agents.register({ name: 'Silent' });
      const task = await board.tasks.push({ title: 'long work' });
      await board.tasks.claim('Kept');
      await board.tasks.start(task.id, 'Kept');
      const release = board.presence.keep(kept.id);
      const until3Ttl = board.now() + 3 * ttl;
      await until('Silent expires', async () => (await observer.agents.get('Silent')).status === 'offline', 10_000, 50);
      while (board.now() < until3Ttl) {
        assert.equal((await observer.agents.get('Kept')).status, 'online', 'kept alive although it never called the board');
        assert.equal((await observer.tasks.claim('Silent').catch(() => null)), null);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal((await observer.tasks.get(task.id)).status, 'in_progress');
      release();
      const releasedAt = board.now();
      const gone = await until('Kept expires', async () => {
        const agent = await observer.agents.get('Kept');
        return agent.status === 'offline' ? agent : null;
      }, 10_000, 50);
      assert.ok(Date.parse(gone.lease_expires_at!) <= releasedAt + ttl, 'no renewal after it was let go');
      assert.equal(gone.offline_reason, 'lease expired');
      const back = await observer.tasks.get(task.id);
      assert.equal(back.status, 'pending');
      assert.equal(back.retry_count, 1);
      await board.close();
      await observer.close();
    });

    test('a kept agent swept while its process was cut off is taken back, without the tasks it held', async () => {
      const url = newBoardUrl(backend);
      const board = await openBoard(url, { leaseTtlMs: 60_000 });
      const agent = await board.agents.register({ name: 'Worker' });
      const task = await board.tasks.push({ title: 'in hand' });
      await board.tasks.claim('Worker');
      await board.tasks.start(task.id, 'Worker');
      const revived: string[] = [];
      board.presence.listen({ revived: (id) => revived.push(id) });
      board.presence.keep(agent.id);
      // Another process, two minutes later by its clock, sees the lease ended (this one was cut off).
      const clock = manualClock(board.now() + 120_000);
      const elsewhere = await openBoard(url, { now: clock.now });
      await elsewhere.sweep(true);
      assert.equal((await elsewhere.agents.get(agent.id)).status, 'offline');
      assert.equal((await elsewhere.tasks.get(task.id)).status, 'pending');
      await board.presence.renewNow();
      assert.deepEqual(revived, [agent.id]);
      const back = await board.agents.get('Worker');
      assert.equal(back.id, agent.id, 'same id');
      assert.equal(back.status, 'online');
      await rejectsWith(board.tasks.complete(task.id, agent.id, 'done late'), 'conflict');
      const events = (await board.events.list({ limit: 100 })).items.filter((e) => e.subject === agent.id).map((e) => e.type);
      assert.deepEqual(events.slice(-2), ['agent.expired', 'agent.returned']);
      await board.close();
      await elsewhere.close();
    });

    test('an unregistered agent is let go, not taken back; one registered again elsewhere stays kept', async () => {
      const url = newBoardUrl(backend);
      const board = await openBoard(url, { leaseTtlMs: 60_000 });
      const other = await openBoard(url, { leaseTtlMs: 60_000 });
      const lost: string[] = [];
      board.presence.listen({ lost: (id, why) => lost.push(`${id}:${why}`) });
      const a = await board.agents.register({ name: 'A' });
      const b = await board.agents.register({ name: 'B' });
      board.presence.keep(a.id);
      board.presence.keep(b.id);
      await other.agents.unregister(a.id);
      const clock = manualClock(board.now() + 120_000);
      const later = await openBoard(url, { now: clock.now });
      await later.sweep(true);
      await later.agents.register({ name: 'B' }); // revives B (same id) elsewhere: it is online, so still kept here
      await board.presence.renewNow();
      assert.deepEqual(lost, [`${a.id}:unregistered`]);
      assert.equal(board.presence.isKept(a.id), false);
      assert.equal(board.presence.isKept(b.id), true);
      assert.equal((await board.agents.get(a.id)).status, 'offline');
      await board.close();
      await other.close();
      await later.close();
    });

    test('no lease ends before one TTL after the store started', async () => {
      const clock = manualClock();
      const url = newBoardUrl(backend);
      const setup = await openBoard(url, { now: clock.now, leaseTtlMs: 1000 });
      await setup.agents.register({ name: 'W' });
      const task = await setup.tasks.push({ title: 't' });
      await setup.tasks.claim('W');
      await setup.close();
      const restartedAt = clock.now() + 5000;
      const board = new Board(startedAt(await openDb(url), restartedAt), { now: clock.now, leaseTtlMs: 1000 });
      clock.advance(5500); // the lease ended 4.5 s ago, but the store has been up only 0.5 s
      await board.sweep(true);
      assert.equal((await board.agents.get('W')).status, 'online');
      clock.advance(501);
      await board.sweep(true);
      assert.equal((await board.agents.get('W')).status, 'offline');
      assert.equal((await board.tasks.get(task.id)).status, 'pending');
      await board.close();
    });

    test('an agent whose lease lapsed acts before anything renewed it: kept here or just after a restart it goes on, else it is told it is gone', async () => {
      const clock = manualClock();
      const url = newBoardUrl(backend);
      const board = await openBoard(url, { now: clock.now, leaseTtlMs: 1000, sweepEveryMs: 60_000 });
      try {
        const kept = await board.agents.register({ name: 'Kept' });
        const loose = await board.agents.register({ name: 'Loose' });
        board.presence.keep(kept.id);
        await board.presence.renewNow();
        const first = await board.tasks.push({ title: 'pushed before the stall', role: null });
        clock.advance(5000); // this process stalled (or the store was away) for 5 TTLs; no sweep ran yet
        const claimed = await board.tasks.claim('Kept');
        assert.equal(claimed?.id, first.id, 'the claim renews the lapsed lease and takes the task');
        clock.advance(1500);
        assert.equal((await board.agents.heartbeat('Kept', { current_task: first.id })).status, 'online');
        await rejectsWith(board.tasks.claim('Loose'), 'lease_expired');
        await rejectsWith(board.agents.heartbeat(loose.id), 'lease_expired');
      } finally {
        await board.close();
      }
      // Another process, just after the store started again: nobody could renew, so the lapsed lease is spared for one TTL.
      const restarted = new Board(startedAt(await openDb(url), clock.now() - 200), { now: clock.now, leaseTtlMs: 1000, sweepEveryMs: 60_000 });
      try {
        clock.advance(500);
        assert.equal((await restarted.agents.heartbeat('Kept')).status, 'online');
      } finally {
        await restarted.close();
      }
    });

    test('reads show leases that ended: task get, agent get, agent list, status', async () => {
      const clock = manualClock();
      const board = await openBoard(newBoardUrl(backend), { now: clock.now, leaseTtlMs: 1000, sweepEveryMs: 0 });
      await board.agents.register({ name: 'W' });
      const task = await board.tasks.push({ title: 't' });
      await board.tasks.claim('W');
      clock.advance(1001);
      assert.equal((await board.tasks.get(task.id)).status, 'pending');
      assert.equal((await board.agents.get('W')).status, 'offline');
      await board.close();
      const again = await openBoard(newBoardUrl(backend), { now: clock.now, leaseTtlMs: 1000 });
      await again.agents.register({ name: 'V' });
      clock.advance(1001);
      assert.deepEqual((await again.status()).agents, { online: 0, offline: 1 });
      await again.close();
    });
  });
}

test('the board clock on PostgreSQL is the server\'s, whatever this host\'s clock says', { skip: !process.env.PG_URL }, async () => {
  const url = newBoardUrl('postgres');
  const realNow = Date.now;
  for (const skew of [60_000, -60_000]) {
    Date.now = () => realNow() + skew;
    try {
      const db = await openDb(url);
      const board = new Board(db);
      assert.ok(Math.abs(board.now() - realNow()) < 2_000, `a host ${skew / 1000} s off still reads the server's time (off by ${board.now() - realNow()} ms)`);
      await board.close();
    } finally {
      Date.now = realNow;
    }
  }
});

test('a long-running process waits out an outage: retried until the store answers, said once each way; unknown outcomes are not retried', async () => {
  const down = (retryable: boolean) => new OrchestratorError('store_unreachable', 'cannot reach the PostgreSQL board at postgres://x', { retryable });
  let failures = 3;
  const calls: string[] = [];
  const inner = {
    dialect: 'postgres',
    location: 'postgres://x',
    async query(sql: string) {
      calls.push(sql);
      if (sql === 'write' ) throw down(false);
      if (failures-- > 0) throw down(true);
      return [{ ok: 1 }];
    },
  } as unknown as Db;
  const said: string[] = [];
  const db = new RetryingDb(inner, { down: (e) => said.push(`down: ${e.code}`), up: () => said.push('up') }, undefined, 20);
  assert.deepEqual(await db.query('read'), [{ ok: 1 }]);
  await until('back is said once it stays up', async () => said.length === 2, 5_000, 5);
  assert.deepEqual(said, ['down: store_unreachable', 'up']);
  assert.equal(calls.length, 4);
  await rejectsWith(db.query('write'), 'store_unreachable');
  const stop = new AbortController();
  failures = Number.POSITIVE_INFINITY;
  const stopped = new RetryingDb(inner, { down: () => undefined, up: () => undefined }, stop.signal);
  const pending = stopped.query('read');
  setTimeout(() => stop.abort(), 300);
  await rejectsWith(pending, 'store_unreachable');
});

test('one outage is said once each way: an answer to a statement sent before it was noticed, or one between refusals (a server shutting down), does not end it; closing says it is back', async () => {
  let failures = 1;
  let answer: () => void = () => undefined;
  const earlier = new Promise<void>((resolve) => (answer = resolve));
  const inner = {
    dialect: 'postgres',
    location: 'postgres://x',
    async query(sql: string) {
      if (sql === 'sent before') {
        await earlier;
        return [{ early: 1 }];
      }
      if (failures-- > 0) throw new OrchestratorError('store_unreachable', 'the database system is shutting down', { retryable: true });
      return [{ ok: 1 }];
    },
    async close() {},
  } as unknown as Db;
  const said: string[] = [];
  const db = new RetryingDb(inner, { down: () => said.push('down'), up: () => said.push('up') }, undefined, 300);
  const inFlight = db.query('sent before');
  const read = db.query('read');
  await until('the outage is noticed', async () => said.length > 0, 5_000, 5);
  answer();
  assert.deepEqual(await inFlight, [{ early: 1 }]);
  assert.deepEqual(await read, [{ ok: 1 }], 'answered after its retry');
  failures = 1; // refused again at once: the same outage
  assert.deepEqual(await db.query('read'), [{ ok: 1 }]);
  assert.deepEqual(said, ['down'], 'neither answer ended the outage');
  await until('back, once it stayed up', async () => said.length === 2, 5_000, 5);
  assert.deepEqual(said, ['down', 'up']);

  failures = 1;
  assert.deepEqual(await db.query('read'), [{ ok: 1 }]);
  await db.close();
  assert.deepEqual(said, ['down', 'up', 'down', 'up'], 'a second outage; closing says it is back without waiting');
});
