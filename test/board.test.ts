// The store conformance suite: every board operation, run on SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { CLAIM_SQLITE } from '../src/board/claim-sql.js';
import { latestVersion } from '../src/store/migrate.js';
import { BACKENDS, cleanupBackends, manualClock, newBoardUrl, openBoard, rejectsWith } from './support/backends.js';

after(cleanupBackends);


for (const backend of BACKENDS) {
  describe(`board on ${backend}`, () => {
    async function fresh(options: Parameters<typeof openBoard>[1] = {}) {
      return openBoard(newBoardUrl(backend), options);
    }

    describe('agents', () => {
      test('register, list, names unique among online agents, revive by name', async () => {
        const board = await fresh();
        const jerry = await board.agents.register({ name: 'Jerry', role: 'developer', kind: 'claude', work_dir: '/w', metadata: { a: 1 } });
        assert.equal(jerry.role, 'implementer');
        assert.equal(jerry.status, 'online');
        assert.deepEqual(jerry.metadata, { a: 1 });
        await rejectsWith(board.agents.register({ name: 'Jerry' }), 'name_taken', /unregister/);
        const tom = await board.agents.register({ name: 'Tom', role: 'architect' });
        assert.deepEqual((await board.agents.list()).items.map((a) => a.name), ['Jerry', 'Tom']);
        await board.agents.unregister('Jerry');
        assert.deepEqual((await board.agents.list()).items.map((a) => a.name), ['Tom']);
        assert.deepEqual((await board.agents.list({ all: true })).items.map((a) => `${a.name}:${a.status}`), ['Jerry:offline', 'Tom:online']);
        const again = await board.agents.register({ name: 'Jerry', role: 'tester' });
        assert.equal(again.id, jerry.id, 'a returning name keeps its id');
        assert.equal(again.role, 'tester');
        assert.equal((await board.agents.get(tom.id)).name, 'Tom');
        await rejectsWith(board.agents.get('nobody'), 'not_found', /agent list/);
        await rejectsWith(board.agents.register({ name: '' }), 'invalid_input');
        await rejectsWith(board.agents.register({ name: 'X', kind: 'robot' }), 'invalid_input', /claude, codex/);
        await rejectsWith(board.agents.register({ name: 'X', role: 'bad role!' }), 'invalid_input');
        await board.close();
      });

      test('an expired lease takes the agent offline and returns its tasks to the queue', async () => {
        const clock = manualClock();
        const board = await fresh({ now: clock.now, leaseTtlMs: 1000 });
        await board.agents.register({ name: 'W' });
        await board.agents.register({ name: 'Keeper', lease_ttl_ms: 60_000 });
        const held = await board.tasks.push({ title: 'held', max_retries: 1 });
        const started = await board.tasks.push({ title: 'started' });
        await board.tasks.claim('W');
        await board.tasks.claim('W');
        await board.agents.heartbeat('W', { current_task: started.id });
        assert.equal((await board.tasks.get(started.id)).status, 'in_progress', 'heartbeat with current task starts it');
        clock.advance(900);
        await board.agents.heartbeat('W');
        clock.advance(900);
        assert.equal((await board.agents.get('W')).status, 'online', 'the heartbeat renewed the lease');
        clock.advance(200);
        await board.sweep(true);
        assert.equal((await board.agents.get('W')).status, 'offline');
        for (const id of [held.id, started.id]) {
          const task = await board.tasks.get(id);
          assert.equal(task.status, 'pending');
          assert.equal(task.retry_count, 1);
        }
        await rejectsWith(board.agents.heartbeat('W'), 'lease_expired', /register again/);
        await rejectsWith(board.tasks.claim('W'), 'lease_expired');
        // One retry allowed: the second expiry fails the task for good.
        await board.agents.register({ name: 'W' });
        assert.equal((await board.tasks.claim('W', { task_id: held.id }))?.id, held.id);
        clock.advance(5000);
        await board.sweep(true);
        const failed = await board.tasks.get(held.id);
        assert.equal(failed.status, 'failed');
        assert.match(failed.reason ?? '', /no retries left/);
        assert.equal((await board.agents.get('Keeper')).status, 'online');
        await board.close();
      });
    });

    describe('tasks', () => {
      test('push validates input and refuses cycles, unknown dependencies and duplicates, writing nothing', async () => {
        const board = await fresh();
        const task = await board.tasks.push({ title: '  Add login  ', description: 'd', labels: ['auth', 'auth'], metadata: { x: 1 } });
        assert.equal(task.title, 'Add login');
        assert.equal(task.status, 'pending');
        assert.equal(task.priority, 2);
        assert.equal(task.max_retries, 3);
        assert.deepEqual(task.labels, ['auth']);
        await rejectsWith(board.tasks.push({ title: 'x', priority: 4 }), 'invalid_input', /0 to 3/);
        await rejectsWith(board.tasks.push({ title: '' }), 'invalid_input', /title/);
        await rejectsWith(board.tasks.push({ title: 'x', depends_on: ['nope'] }), 'not_found', /'nope'/);
        await rejectsWith(board.tasks.push({ id: 'me', title: 'x', depends_on: ['me'] }), 'cycle');
        await rejectsWith(board.tasks.pushMany([
          { id: 'a', title: 'a', depends_on: ['c'] },
          { id: 'b', title: 'b', depends_on: ['a'] },
          { id: 'c', title: 'c', depends_on: ['b', task.id] },
        ]), 'cycle', /a → c → b → a|c → b → a → c|b → a → c → b/);
        await rejectsWith(board.tasks.pushMany([{ id: 'a', title: 'a' }, { id: 'a', title: 'b' }]), 'invalid_input', /twice/);
        await rejectsWith(board.tasks.push({ id: task.id, title: 'dup' }), 'conflict', /already exists/);
        await rejectsWith(board.tasks.push({ id: 'bad id', title: 'x' }), 'invalid_input');
        assert.equal((await board.tasks.list()).items.length, 1, 'failed pushes wrote nothing');
        const batch = await board.tasks.pushMany([
          { id: 'p1', title: 'first' },
          { id: 'p2', title: 'second', depends_on: ['p1', task.id] },
        ]);
        assert.deepEqual(batch[1]!.depends_on.sort(), ['p1', task.id].sort());
        await board.close();
      });

      test('claim takes the highest priority, then the oldest, and never a task waiting on dependencies', async () => {
        const board = await fresh();
        await board.agents.register({ name: 'W' });
        const low = await board.tasks.push({ title: 'low', priority: 3 });
        const first = await board.tasks.push({ title: 'normal first', priority: 2 });
        const second = await board.tasks.push({ title: 'normal second', priority: 2 });
        const urgent = await board.tasks.push({ title: 'urgent but waiting', priority: 0, depends_on: [low.id] });
        const order: string[] = [];
        for (;;) {
          const task = await board.tasks.claim('W');
          if (!task) break;
          order.push(task.title);
          assert.equal(task.status, 'claimed');
          assert.equal(task.claimed_by, (await board.agents.get('W')).id);
        }
        assert.deepEqual(order, ['normal first', 'normal second', 'low']);
        assert.equal((await board.tasks.get(urgent.id)).waiting_on[0], low.id);
        await board.tasks.complete(low.id, 'W', 'done');
        assert.equal((await board.tasks.claim('W'))?.id, urgent.id, 'claimable once its dependency completed');
        assert.equal(first.priority, second.priority);
        await board.close();
      });

      test('roles and assignees decide who may claim', async () => {
        const board = await fresh();
        const tester = await board.agents.register({ name: 'T', role: 'tester' });
        await board.agents.register({ name: 'D', role: 'developer' });
        await board.agents.register({ name: 'G', role: 'generalist' });
        const forDev = await board.tasks.push({ title: 'code', role: 'developer' });
        const forTom = await board.tasks.push({ title: 'for Tom', assignee: 'Tom' });
        const forTester = await board.tasks.push({ title: 'for tester by id', assignee: tester.id });
        assert.equal(forDev.role, 'implementer');
        assert.equal((await board.tasks.claim('T'))?.id, forTester.id);
        assert.equal(await board.tasks.claim('T'), null, 'the tester may not take the implementer task');
        assert.equal((await board.tasks.claim('D'))?.id, forDev.id);
        assert.equal(await board.tasks.claim('G'), null, 'only Tom may take his task');
        await board.agents.register({ name: 'Tom', role: 'reviewer' });
        assert.equal((await board.tasks.claim('Tom'))?.id, forTom.id);
        const any = await board.tasks.push({ title: 'review', role: 'reviewer' });
        assert.equal((await board.tasks.claim('G'))?.id, any.id, 'a generalist takes any role');
        await board.close();
      });

      test('every move follows the state machine, and wrong moves are conflicts', async () => {
        const board = await fresh();
        await board.agents.register({ name: 'A' });
        await board.agents.register({ name: 'B' });
        const task = await board.tasks.push({ title: 't', max_retries: 1 });
        await rejectsWith(board.tasks.complete(task.id, 'A'), 'conflict', /is pending; 'complete' needs a task that is claimed or in_progress/);
        await rejectsWith(board.tasks.start(task.id, 'A'), 'conflict');
        await board.tasks.claim('A');
        await rejectsWith(board.tasks.start(task.id, 'B'), 'conflict', /held by agent/);
        assert.equal((await board.tasks.start(task.id, 'A')).status, 'in_progress');
        assert.equal((await board.tasks.block(task.id, 'A', 'waiting for a key')).status, 'blocked');
        await rejectsWith(board.tasks.block(task.id, 'A', 'again'), 'conflict');
        await rejectsWith(board.tasks.block(task.id, 'A', ''), 'invalid_input', /reason/);
        assert.equal((await board.tasks.unblock(task.id)).status, 'pending');
        await board.tasks.claim('B');
        const failed = await board.tasks.fail(task.id, 'B', 'tests red');
        assert.equal(failed.status, 'failed');
        assert.equal(failed.reason, 'tests red');
        const retried = await board.tasks.retry(task.id);
        assert.equal(retried.status, 'pending');
        assert.equal(retried.retry_count, 1);
        await board.tasks.claim('A');
        await board.tasks.fail(task.id, null, 'again');
        await rejectsWith(board.tasks.retry(task.id), 'conflict', /used all 1 retries/);
        assert.equal((await board.tasks.cancel(task.id, null, 'giving up')).status, 'cancelled');
        await rejectsWith(board.tasks.cancel(task.id), 'conflict', /cancelled/);
        await rejectsWith(board.tasks.get('missing'), 'not_found', /task list/);
        const done = await board.tasks.push({ title: 'done' });
        await board.tasks.claim('A');
        const completed = await board.tasks.complete(done.id, 'A', 'PR #42');
        assert.equal(completed.result, 'PR #42');
        assert.ok(completed.finished_at);
        await rejectsWith(board.tasks.cancel(done.id), 'conflict');
        await rejectsWith(board.tasks.claim('A', { task_id: done.id }), 'conflict', /completed/);
        const types = (await board.events.list({ subject: task.id })).items.map((e) => e.type);
        assert.deepEqual(types, ['task.pushed', 'task.claimed', 'task.started', 'task.blocked', 'task.unblocked', 'task.claimed', 'task.failed', 'task.retried', 'task.claimed', 'task.failed', 'task.cancelled']);
        await board.close();
      });

      test('list filters and pages with cursors', async () => {
        const board = await fresh();
        await board.agents.register({ name: 'A', role: 'tester' });
        for (let i = 0; i < 7; i++) await board.tasks.push({ title: `t${i}`, role: i % 2 ? 'tester' : null, run_id: i < 3 ? 'run-1' : null });
        await board.tasks.claim('A');
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await board.tasks.list({ limit: 3, cursor });
          seen.push(...page.items.map((t) => t.title));
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        assert.deepEqual(seen, ['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
        assert.deepEqual((await board.tasks.list({ status: 'claimed' })).items.map((t) => t.title), ['t0']);
        assert.deepEqual((await board.tasks.list({ status: ['claimed', 'pending'], role: 'tester' })).items.map((t) => t.title), ['t1', 't3', 't5']);
        assert.deepEqual((await board.tasks.list({ claimed_by: 'A' })).items.map((t) => t.title), ['t0']);
        assert.deepEqual((await board.tasks.list({ run_id: 'run-1' })).items.length, 3);
        await rejectsWith(board.tasks.list({ status: 'done' as never }), 'invalid_input', /pending, claimed/);
        await rejectsWith(board.tasks.list({ cursor: 'garbage' }), 'invalid_input', /cursor/);
        await rejectsWith(board.tasks.list({ limit: 0 }), 'invalid_input');
        const counts = await board.tasks.counts();
        assert.equal(counts.pending, 6);
        assert.equal(counts.claimed, 1);
        // More than a page holds (a plan of 1 205 phases): all() reads every one, in push order.
        await board.tasks.pushMany(Array.from({ length: 1205 }, (_, i) => ({ title: `p${i}`, run_id: 'run-big' })));
        const all = await board.tasks.all({ run_id: 'run-big' });
        assert.deepEqual(all.map((t) => t.title), Array.from({ length: 1205 }, (_, i) => `p${i}`));
        assert.equal((await board.tasks.all({ run_id: 'run-big', status: 'claimed' })).length, 0);
        const pushed = await board.events.all({ type: 'task.pushed' });
        assert.equal(pushed.length, 1212);
        assert.deepEqual((await board.events.all({ type: 'task.pushed' }, pushed[1209]!.id)).map((e) => e.id), pushed.slice(1210).map((e) => e.id), 'after an event: the ones after it');
        await board.close();
      });

      test('watch returns a task pushed by another connection, and null on timeout', async () => {
        const url = newBoardUrl(backend);
        const watcher = await openBoard(url);
        const pusher = await openBoard(url);
        await pusher.tasks.push({ title: 'old' });
        assert.equal(await watcher.tasks.watch({ timeout_ms: 50 }), null);
        const watching = watcher.tasks.watch({ timeout_ms: 10_000 });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await pusher.tasks.push({ title: 'fresh', role: 'tester' });
        assert.equal((await watching)?.title, 'fresh');
        const aborted = new AbortController();
        const cancelled = watcher.tasks.watch({ timeout_ms: 10_000 }, aborted.signal);
        aborted.abort();
        assert.equal(await cancelled, null);
        await watcher.close();
        await pusher.close();
      });
    });

    describe('messages', () => {
      test('direct, broadcast and help messages; read and dismiss; nothing lost while offline', async () => {
        const board = await fresh();
        const tom = await board.agents.register({ name: 'Tom' });
        await board.agents.register({ name: 'Jerry' });
        const hello = await board.messages.send('Tom', 'Jerry', 'How is PR #42?');
        await board.messages.broadcast('Jerry', 'standup in 5');
        const help = await board.messages.requestHelp('Jerry', 'Which JWT lib?', 'Express, 100k DAU');
        assert.equal(help.kind, 'help');
        const jerryInbox = (await board.messages.poll('Jerry')).items;
        assert.deepEqual(jerryInbox.map((m) => m.content), ['How is PR #42?'], 'no one receives their own broadcast');
        assert.equal(jerryInbox[0]!.from, tom.id);
        assert.equal(jerryInbox[0]!.from_name, 'Tom');
        assert.deepEqual((await board.messages.poll('Tom')).items.map((m) => m.content), ['standup in 5', 'Which JWT lib?']);
        await board.messages.markRead('Jerry', hello.id);
        assert.equal((await board.messages.poll('Jerry')).items.length, 0);
        assert.equal((await board.messages.poll('Jerry', { include_read: true })).items[0]?.state, 'read');
        await board.messages.dismiss('Jerry', hello.id);
        assert.equal((await board.messages.poll('Jerry', { include_read: true })).items.length, 0);
        await rejectsWith(board.messages.markRead('Tom', hello.id), 'not_found', /inbox of Tom/);
        await rejectsWith(board.messages.send('Tom', 'Nobody', 'x'), 'not_found');
        await rejectsWith(board.messages.send('Tom', 'Jerry', ''), 'invalid_input');
        // Offline: messages wait in the store; the returning name gets them.
        await board.agents.unregister('Jerry');
        await board.messages.send('Tom', 'Jerry', 'while you were away');
        await board.agents.register({ name: 'Jerry' });
        assert.deepEqual((await board.messages.poll('Jerry')).items.map((m) => m.content), ['while you were away']);
        const late = await board.agents.register({ name: 'Late' });
        assert.equal((await board.messages.poll(late.id)).items.length, 0, 'broadcasts from before registering are not delivered');
        await board.close();
      });

      test('wait wakes on a message from another connection, marks it read, and times out empty', async () => {
        const url = newBoardUrl(backend);
        const receiver = await openBoard(url);
        const sender = await openBoard(url);
        await receiver.agents.register({ name: 'R' });
        assert.deepEqual(await receiver.messages.wait('R', { timeout_ms: 30 }), []);
        const waiting = receiver.messages.wait('R', { timeout_ms: 10_000 });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await sender.messages.send(null, 'R', 'wake up');
        const got = await waiting;
        assert.deepEqual(got.map((m) => [m.content, m.state]), [['wake up', 'read']]);
        assert.equal((await receiver.messages.poll('R')).items.length, 0);
        await receiver.close();
        await sender.close();
      });
    });

    describe('shared context', () => {
      test('set, get, compare-and-set, delete, list by prefix', async () => {
        const board = await fresh();
        const first = await board.context.set('api/version', 'v2');
        assert.equal(first.version, 1);
        assert.equal((await board.context.set('api/version', 'v3')).version, 2);
        assert.equal((await board.context.set('api/version', 'v4', { expected_version: 2 })).value, 'v4');
        await rejectsWith(board.context.set('api/version', 'v5', { expected_version: 2 }), 'conflict', /version 3/);
        await rejectsWith(board.context.set('api/version', 'v5', { expected_version: 0 }), 'conflict');
        assert.equal((await board.context.set('new', 'x', { expected_version: 0 })).version, 1);
        await rejectsWith(board.context.set('absent', 'x', { expected_version: 4 }), 'conflict', /version 0/);
        assert.equal((await board.context.get('api/version'))?.value, 'v4');
        assert.equal(await board.context.get('nope'), null);
        await board.context.set('a_b', '1');
        await board.context.set('axb', '2');
        await board.context.set('a%', '3');
        assert.deepEqual((await board.context.listKeys({ prefix: 'a_' })).items.map((k) => k.key), ['a_b']);
        assert.deepEqual((await board.context.listKeys({ prefix: 'a%' })).items.map((k) => k.key), ['a%']);
        const all: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await board.context.listKeys({ limit: 2, cursor });
          all.push(...page.items.map((k) => k.key));
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        assert.deepEqual(all, ['a%', 'a_b', 'api/version', 'axb', 'new']);
        await rejectsWith(board.context.delete('api/version', { expected_version: 1 }), 'conflict');
        assert.equal((await board.context.delete('api/version')).value, 'v4');
        await rejectsWith(board.context.delete('api/version'), 'not_found');
        await board.close();
      });

      test('watch wakes when another connection changes the key', async () => {
        const url = newBoardUrl(backend);
        const a = await openBoard(url);
        const b = await openBoard(url);
        await a.context.set('jwt', 'access:15min');
        assert.equal(await a.context.watch('jwt', { timeout_ms: 30 }), null);
        const watching = a.context.watch('jwt', { timeout_ms: 10_000 });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await b.context.set('jwt', 'access:10min');
        const change = await watching;
        assert.equal(change?.deleted, false);
        assert.equal(change && !change.deleted ? change.value : null, 'access:10min');
        const deleting = a.context.watch('jwt', { timeout_ms: 10_000 });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await b.context.delete('jwt');
        assert.deepEqual(await deleting, { key: 'jwt', deleted: true });
        await a.close();
        await b.close();
      });
    });

    describe('leader', () => {
      test('one leader at a time, by lease', async () => {
        const clock = manualClock();
        const board = await fresh({ now: clock.now, leaseTtlMs: 1000 });
        await board.agents.register({ name: 'Tom' });
        await board.agents.register({ name: 'Ann', lease_ttl_ms: 100_000 });
        assert.equal((await board.leader.status()).agent_id, null);
        const won = await board.leader.acquire('Tom');
        assert.equal(won.agent_name, 'Tom');
        assert.equal(won.term, 1);
        assert.equal((await board.leader.acquire('Tom')).term, 1, 'acquiring again keeps the term');
        await rejectsWith(board.leader.acquire('Ann'), 'conflict', /Tom leads until/);
        clock.advance(800);
        await board.agents.heartbeat('Tom');
        clock.advance(800);
        await rejectsWith(board.leader.acquire('Ann'), 'conflict', /heartbeat renews|leads until/);
        clock.advance(500);
        assert.equal((await board.leader.status()).agent_id, null, 'an expired lease leaves no leader');
        const next = await board.leader.acquire('Ann');
        assert.equal(next.agent_name, 'Ann');
        assert.equal(next.term, 2);
        await rejectsWith(board.leader.resign('Tom'), 'conflict', /not the leader/);
        await board.leader.resign('Ann');
        assert.equal((await board.leader.status()).agent_id, null);
        await board.close();
      });

      test("the leader's heartbeat sweeps expired leases on a quiet board", async () => {
        const clock = manualClock();
        const board = await fresh({ now: clock.now, leaseTtlMs: 1000, sweepEveryMs: 3_600_000 });
        await board.agents.register({ name: 'Lead', lease_ttl_ms: 60_000 });
        await board.agents.register({ name: 'Worker' });
        await board.leader.acquire('Lead');
        const task = await board.tasks.push({ title: 'held' });
        await board.tasks.claim('Worker');
        clock.advance(1500);
        assert.equal((await board.agents.get('Worker')).status, 'online', 'nobody has swept yet');
        await board.agents.heartbeat('Lead');
        assert.equal((await board.agents.get('Worker')).status, 'offline');
        assert.equal((await board.tasks.get(task.id)).status, 'pending');
        await board.close();
      });
    });

    test('status counts everything and every change is in the event log', async () => {
      const board = await fresh();
      await board.agents.register({ name: 'A' });
      await board.tasks.push({ title: 'x' });
      await board.messages.send(null, 'A', 'hi');
      await board.context.set('k', 'v');
      const status = await board.status();
      assert.equal(status.store.dialect, backend);
      assert.equal(status.store.schema_version, latestVersion(backend));
      assert.deepEqual(status.agents, { online: 1, offline: 0 });
      assert.equal(status.tasks.pending, 1);
      assert.equal(status.unread_messages, 1);
      assert.equal(status.context_keys, 1);
      const events = (await board.events.list()).items.map((e) => e.type);
      assert.deepEqual(events, ['agent.registered', 'task.pushed', 'message.sent', 'context.set']);
      assert.equal(status.last_event_id, (await board.events.recent(1))[0]!.id);
      await board.close();
    });
  });
}

test('SQLite reads a claim\'s candidates along tasks_pending, whatever other index could serve status (no sort of every pending task per claim)', async () => {
  const board = await openBoard(newBoardUrl('sqlite'));
  try {
    await board.tasks.pushMany(Array.from({ length: 200 }, (_, i) => ({ title: `t${i}`, priority: i % 4 })));
    const plan = await board.db.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${CLAIM_SQLITE}`, ['a', 0, 'a', 0, 0, 0, null, null]);
    const details = plan.map((row) => row.detail).join('\n');
    assert.match(details, /tasks_pending/);
    assert.doesNotMatch(details, /TEMP B-TREE FOR ORDER BY/);
  } finally {
    await board.close();
  }
});
