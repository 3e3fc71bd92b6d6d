// Presence with the real Claude Code: a session that claims a task and then works a minute in
// silence — the scripted model pauses 60 s between two tool calls, far longer than the 5 s lease —
// keeps its task: another agent's claims get nothing, and the session completes it. Over stdio
// (`orchestrate mcp`, one process per session) and over a shared `orchestrate serve` (Streamable
// HTTP), side by side. (kill -9 of a session: presence-kill.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli } from './support/cli.js';
import { claimAsOther, claudeOn, fakeModel, session, setUp, withModel } from './support/sessions.js';
import { until } from './support/until.js';

withModel();

test('a session silent for 60 s keeps its task over stdio and over HTTP; the other agent gets nothing; both complete', async () => {
  const { project, env, server, url, stdio } = await setUp();
  let runs: ReturnType<typeof claudeOn>[] = [];
  try {
    for (const title of ['first', 'second']) assert.equal((await cli(project, ['task', 'push', title], env)).code, 0);
    fakeModel().setScenarios([session('OverStdio', 60_000), session('OverHttp', 60_000)]);
    runs = [claudeOn(project, 'OverStdio', { stdio }), claudeOn(project, 'OverHttp', { url })];
    await until('both sessions hold a task', async () => {
      const tasks = (await cli(project, ['task', 'list', '--json'], env)).json?.items ?? [];
      return tasks.length === 2 && tasks.every((t: { status: string }) => t.status === 'claimed');
    }, 120_000, 250);
    const claimedAt = Date.now();
    let claims = 0;
    while (Date.now() - claimedAt < 45_000) {
      assert.equal(await claimAsOther(project, env), null, 'a task of a live, silent session was handed to another agent');
      claims++;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.ok(claims >= 5, `the other agent tried ${claims} times over many leases`);
    const ends = await Promise.all(runs.map((run) => run.done));
    for (const end of ends) assert.equal(end.code, 0, end.stderr);
    const tasks = (await cli(project, ['task', 'list', '--json'], env)).json.items;
    assert.deepEqual(tasks.map((t: { status: string; result: string }) => t.status), ['completed', 'completed']);
    assert.deepEqual(tasks.map((t: { result: string }) => t.result).sort(), ['done by OverHttp', 'done by OverStdio']);
    const events = (await cli(project, ['events', '--json', '--limit', '200'], env)).json.items.map((e: { type: string }) => e.type);
    assert.ok(!events.includes('task.released'), `no task was released: ${events.join(' ')}`);
    assert.ok(!events.slice(0, events.lastIndexOf('task.completed')).includes('agent.expired'), `no lease ran out while they worked: ${events.join(' ')}`);
  } finally {
    for (const run of runs) run.child.kill('SIGKILL');
    await server.stop();
  }
});
