// Presence with the real Claude Code, the other way: `kill -9` of the Claude Code process, over
// stdio and over a shared `orchestrate serve` — its task is back in the queue within the lease.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli } from './support/cli.js';
import { claimAsOther, claudeOn, fakeModel, session, setUp, TTL_S, withModel } from './support/sessions.js';
import { until } from './support/until.js';

withModel();

test('kill -9 of Claude Code: its task goes back to the queue within the lease, over stdio and over HTTP', async () => {
  const { project, env, server, url, stdio } = await setUp();
  let runs: ReturnType<typeof claudeOn>[] = [];
  try {
    for (const title of ['first', 'second']) assert.equal((await cli(project, ['task', 'push', title], env)).code, 0);
    fakeModel().setScenarios([session('KilledStdio', 600_000), session('KilledHttp', 600_000)]);
    runs = [claudeOn(project, 'KilledStdio', { stdio }), claudeOn(project, 'KilledHttp', { url })];
    await until('both sessions hold a task', async () => {
      const tasks = (await cli(project, ['task', 'list', '--json'], env)).json?.items ?? [];
      return tasks.length === 2 && tasks.every((t: { status: string }) => t.status === 'claimed');
    }, 120_000, 250);
    // Several leases in silence first: they are alive, and kept so.
    await new Promise((resolve) => setTimeout(resolve, 2 * TTL_S * 1000));
    assert.equal(await claimAsOther(project, env), null);
    const killedAt = Date.now();
    for (const run of runs) run.child.kill('SIGKILL');
    await Promise.all(runs.map((run) => run.done));
    const back = await until('both tasks are back in the queue', async () => {
      const tasks = (await cli(project, ['task', 'list', '--json'], env)).json?.items ?? [];
      return tasks.every((t: { status: string }) => t.status === 'pending') ? tasks : null;
    }, 60_000, 200);
    assert.equal(back.length, 2);
    for (const name of ['KilledStdio', 'KilledHttp']) {
      const agent = (await cli(project, ['agent', 'get', name, '--json'], env)).json;
      assert.equal(agent.status, 'offline');
      // No renewal after the kill but what was under way (1 s to notice the closed connection).
      assert.ok(Date.parse(agent.lease_expires_at) <= killedAt + TTL_S * 1000 + 1000, `${name}'s lease ended at ${agent.lease_expires_at}, killed at ${new Date(killedAt).toISOString()}`);
    }
    assert.ok((await claimAsOther(project, env)) !== null, 'the other agent can take a released task');
  } finally {
    for (const run of runs) run.child.kill('SIGKILL');
    await server.stop();
  }
});
