// The live views' shared model on a real board with a manual clock: every agent, task, process,
// approval and run gets its attention class from board facts; what needs you sorts first; the
// model follows the event log from its cursor, re-reading only what the events name; time alone
// moves working to stalled and a lapsing lease to dead, at the deadline the model announces (a lease
// renewed without an event is read again then); the
// model never writes (no sweep); `status --json` carries the same classes.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BACKENDS, cleanupBackends, manualClock, newBoardUrl, openBoard } from './support/backends.js';
import { cleanEnv, cli, newProject } from './support/cli.js';
import { countByAttention, Live, readRows } from '../src/views/model.js';

after(cleanupBackends);

for (const backend of BACKENDS) {
  describe(`the view model on ${backend}`, () => {
    test('facts become classes; events move them; time alone moves them at the announced deadline; reading writes nothing', async () => {
      const clock = manualClock();
      const board = await openBoard(newBoardUrl(backend), { now: clock.now, leaseTtlMs: 3_600_000 });
      try {
        const busy = await board.agents.register({ name: 'busy' });
        await board.agents.register({ name: 'idle' });
        const gone = await board.agents.register({ name: 'gone', lease_ttl_ms: 5_000 });
        const kept = await board.agents.register({ name: 'kept', lease_ttl_ms: 5_000 });
        const quitter = await board.agents.register({ name: 'quitter' });
        await board.agents.unregister(quitter.id);
        const base = await board.tasks.push({ title: 'base' });
        const later = await board.tasks.push({ title: 'after base', depends_on: [base.id] });
        const held = await board.tasks.claim('busy');
        assert.equal(held?.id, base.id);
        await board.tasks.start(base.id, 'busy');
        const orphan = await board.tasks.push({ title: 'held by gone', priority: 0 });
        await board.tasks.claim('gone', { task_id: orphan.id });
        const blocked = await board.tasks.push({ title: 'needs a key' });
        await board.tasks.claim('idle', { task_id: blocked.id });
        await board.tasks.block(blocked.id, 'idle', 'waits for the API key');
        const red = await board.tasks.push({ title: 'red gate' });
        await board.tasks.claim('idle', { task_id: red.id });
        await board.tasks.fail(red.id, 'idle', 'gates failed:\nnpm test exited 1');
        const asked = await board.approvals.request({ agent: busy.id, role: null, tool_name: 'Bash', input: { command: 'ls' }, tool_use_id: null });
        const proc = await board.processes.queue({ kind: 'claude', argv: ['claude'], cwd: '/tmp', priority: 0, task_id: base.id, attempt: 1, host: 'elsewhere', supervisor: '1:1' });
        await board.processes.started(proc.id, 4242, null, null);
        const limited = await board.processes.queue({ kind: 'codex', argv: ['codex'], cwd: '/tmp', priority: 0, task_id: null, attempt: 1, host: 'elsewhere', supervisor: '1:1' });
        await board.processes.started(limited.id, 4243, null, null);
        await board.processes.exited(limited.id, { outcome: 'rate_limited', message: 'usage limit', reset_at: new Date(clock.now() + 3_600_000).toISOString(), session_id: null, usage: { input_tokens: 1200, output_tokens: 300 }, cost_usd: 0.25 });
        const broken = await board.processes.queue({ kind: 'gemini', argv: ['gemini'], cwd: '/tmp', priority: 0, task_id: null, attempt: 1, host: 'elsewhere', supervisor: '1:1' });
        await board.processes.exited(broken.id, { outcome: 'auth_failed', message: 'not logged in', reset_at: null, session_id: null, usage: null, cost_usd: null });
        const run = await board.runs.create({ kind: 'feature', title: 'greetings', project: '/tmp', branch: 'b', base: 'a', options: { budget_usd: 5 }, supervisor: '1:1' });
        await board.runs.update(run.id, { status: 'escalated', phase: 'escalated: tasks failed' });

        const live = await Live.open(board.db, { stalledAfterMs: 600_000 }, clock.now);
        const cls = () => Object.fromEntries(live.all().map((row) => [row.key, row.attention]));
        assert.deepEqual(cls(), {
          [`agent:${busy.id}`]: 'needs_you', // it waits for an answer on Bash
          [`agent:${(await board.agents.get('idle')).id}`]: 'idle',
          [`agent:${gone.id}`]: 'working',
          [`agent:${kept.id}`]: 'idle',
          [`agent:${quitter.id}`]: 'done',
          [`task:${base.id}`]: 'working',
          [`task:${later.id}`]: 'queued',
          [`task:${orphan.id}`]: 'working',
          [`task:${blocked.id}`]: 'needs_you',
          [`task:${red.id}`]: 'gate_failed',
          [`approval:${asked.id}`]: 'needs_you',
          [`process:${proc.id}`]: 'working',
          [`process:${limited.id}`]: 'paused',
          [`process:${broken.id}`]: 'setup_error',
          [`run:${run.id}`]: 'needs_you',
        });
        const rows = live.all();
        assert.deepEqual([...new Set(rows.map((r) => r.attention))], ['needs_you', 'setup_error', 'gate_failed', 'paused', 'working', 'queued', 'idle', 'done'], 'sorted attention first');
        assert.equal(rows.find((r) => r.key === `task:${later.id}`)!.why, 'waits for 1 dependency');
        assert.equal(rows.find((r) => r.key === `process:${limited.id}`)!.tokens, 1500);
        assert.equal(rows.find((r) => r.key === `run:${run.id}`)!.extra.budget_usd, 5);
        assert.equal(countByAttention(rows).needs_you, 4);

        // A run's task is named after the run (run-….c1.api): its events reach its row, not the run's.
        const runTask = await board.tasks.push({ id: `${run.id}.c1.api`, title: 'run task' });
        await board.tasks.claim('idle', { task_id: runTask.id });
        await live.catchUp();
        assert.equal(live.all().find((r) => r.key === `task:${runTask.id}`)?.attention, 'working');
        await board.tasks.complete(runTask.id, 'idle', 'done');
        await live.catchUp();
        assert.equal(live.all().find((r) => r.key === `task:${runTask.id}`)?.attention, 'done');
        assert.equal(live.all().find((r) => r.key === `run:${run.id}`)?.attention, 'needs_you', 'the run keeps its own row');

        // A dependency completes: the task waiting for it is ready, though no event names it.
        const dep = await board.tasks.push({ title: 'dependency' });
        const waiter = await board.tasks.push({ title: 'waits for it', depends_on: [dep.id] });
        await live.catchUp();
        assert.equal(live.all().find((r) => r.key === `task:${waiter.id}`)?.why, 'waits for 1 dependency');
        await board.tasks.claim('idle', { task_id: dep.id });
        await board.tasks.complete(dep.id, 'idle', 'done');
        await live.catchUp();
        assert.equal(live.all().find((r) => r.key === `task:${waiter.id}`)?.why, 'ready to be claimed');

        // An event: the approval is answered; only what it names is read again.
        await board.approvals.decide(asked.id, 'allowed', 'alice');
        const first = await live.catchUp();
        assert.deepEqual(first.events.map((e) => e.type), ['approval.allowed']);
        assert.deepEqual(first.changed.map((r) => [r.key, r.attention]).sort(), [[`agent:${busy.id}`, 'working'], [`approval:${asked.id}`, 'done']].sort());

        // Time alone: gone's lease lapses (dead, its task too) at the deadline announced; nothing is swept.
        const deadline = live.nextDeadline()!;
        assert.equal(deadline, Date.parse((await board.agents.get(gone.id)).lease_expires_at!) - Math.floor(5_000 / 3), 'first: gone\'s lease is about to lapse');
        // kept's process renews its lease all along, which writes no event: the view reads it again at the deadline.
        clock.advance(deadline - clock.now() + 1);
        await board.agents.renewLeases([kept.id]);
        const classes = (rows: { key: string; attention: string }[]) => Object.fromEntries(rows.map((r) => [r.key, r.attention]));
        assert.deepEqual(classes((await live.refresh()).changed), { [`agent:${gone.id}`]: 'stalled', [`agent:${kept.id}`]: 'idle' }, 'kept: its new lease end, still idle');
        clock.advance(5_000);
        await board.agents.renewLeases([kept.id]);
        assert.deepEqual(classes((await live.refresh()).changed), { [`agent:${gone.id}`]: 'dead', [`task:${orphan.id}`]: 'dead', [`agent:${kept.id}`]: 'idle' });
        clock.advance(600_000);
        const stalled = (await live.refresh()).changed.map((r) => [r.key, r.attention]);
        assert.ok(stalled.some(([key, a]) => key === `task:${base.id}` && a === 'stalled'), 'no event for 10 minutes: stalled');
        assert.ok(stalled.some(([key, a]) => key === `process:${proc.id}` && a === 'stalled'));
        const raw = await board.db.query<{ status: string }>('SELECT status FROM agents WHERE id = ?', [gone.id]);
        assert.equal(raw[0]!.status, 'online', 'the view did not sweep: reading writes nothing');
        assert.equal((await live.catchUp()).events.length, 0);
      } finally {
        await board.close();
      }
    });

    test('a board with months of finished work: every row in play and the newest 1000 finished ones, through the indexes', async () => {
      const board = await openBoard(newBoardUrl(backend));
      try {
        await board.agents.register({ name: 'worker' });
        const old = await board.tasks.pushMany(Array.from({ length: 1_205 }, (_, i) => ({ title: `old ${i}` })), null);
        await board.db.exec(`UPDATE tasks SET status = 'completed' WHERE id IN (${old.map(() => '?').join(', ')})`, old.map((t) => t.id));
        // the oldest task of all failed (it needs someone, however old)
        const cancelled = await board.tasks.push({ title: 'dropped' });
        await board.tasks.cancel(cancelled.id, null);
        const waiting = await board.tasks.push({ title: 'still to do' });
        const failed = old[0]!;
        await board.db.exec("UPDATE tasks SET status = 'failed' WHERE id = ?", [failed.id]);
        const tasks = (await readRows(board.db)).rows.filter((r) => r.kind === 'task');
        const ids = new Set(tasks.map((r) => r.id));
        assert.ok(ids.has(waiting.id) && ids.has(failed.id), 'every task in play, however old');
        assert.ok(ids.has(cancelled.id) && ids.has(old.at(-1)!.id), 'the newest finished ones');
        assert.equal(ids.has(old[1]!.id), false, 'not the oldest finished ones');
        assert.equal(tasks.filter((r) => r.attention === 'done').length, 1000);
      } finally {
        await board.close();
      }
    });
  });
}

test('status --json carries the same classes, what needs you first', async () => {
  const dir = newProject();
  const env = cleanEnv({ ORCHESTRATOR_DB: `${newProject()}/board.db` });
  await cli(dir, ['task', 'push', 'ready one'], env);
  const board = await openBoard(env.ORCHESTRATOR_DB!);
  try {
    await board.agents.register({ name: 'w' });
    const blocked = await board.tasks.push({ title: 'blocked one' });
    await board.tasks.claim('w', { task_id: blocked.id });
    await board.tasks.block(blocked.id, 'w', 'waits for you');
    const status = await cli(dir, ['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const { rows } = await readRows(board.db);
    assert.deepEqual(status.json.attention.counts, countByAttention(rows));
    assert.deepEqual(status.json.attention.items.map((r: { id: string; attention: string }) => [r.id, r.attention])[0], [blocked.id, 'needs_you']);
    assert.match((await cli(dir, ['status'], env)).stdout, /attention:\s+needs you 1 · queued 1 · idle 1/);
  } finally {
    await board.close();
  }
});
