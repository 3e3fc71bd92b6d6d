// PostgreSQL outages, on a server of this file's own that it stops and starts again: `team up`
// processes — one idle, one whose agent runs through the outage — say once that the board is
// unreachable, wait it out, and go on: the running task is completed exactly once, and a task
// pushed after the outage is taken by the idle worker. A server that accepts connections and
// never answers is store_unreachable (exit 9) within the connect timeout, password masked.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cleanEnv, cli, cliInBackground, newProject } from './support/cli.js';
import { startPostgres } from './support/postgres-server.mjs';
import { until } from './support/until.js';

const OUTAGE_MS = 60_000;

let server: Awaited<ReturnType<typeof startPostgres>>;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.stop();
  await cleanupBackends();
});

test('team up waits out a 60 s outage, idle and while its agent runs: the work is done exactly once', async () => {
  const project = newProject();
  const env = cleanEnv({ ORCHESTRATOR_DB: `${server.url}?schema=outage`, ORCHESTRATOR_LEASE_TTL: '10', ORCHESTRATOR_DEBUG: '1' }); // a failure prints its stack
  assert.equal((await cli(project, ['team', 'create', 'busy', '--goal', 'build', '--role', 'implementer:1:command'], env)).code, 0);
  assert.equal((await cli(project, ['team', 'create', 'idle', '--goal', 'check', '--role', 'tester:1:command'], env)).code, 0);
  const busy = cliInBackground(project, ['team', 'up', 'busy', '--json', '--program', 'sh', '--arg=-c', '--arg', 'sleep 20; echo built'], env);
  const idle = cliInBackground(project, ['team', 'up', 'idle', '--json', '--program', 'sh', '--arg=-c', '--arg', 'echo checked'], env);
  try {
    await until('both teams are up', async () => ((await cli(project, ['agent', 'list', '--json'], env)).json?.items ?? []).length === 2, 60_000, 200);
    const build = (await cli(project, ['task', 'push', 'build', '--role', 'implementer', '--json'], env)).json;
    await until('the busy worker runs its agent', async () => (await cli(project, ['task', 'get', build.id, '--json'], env)).json?.status === 'in_progress', 30_000, 200);

    await server.pause();
    const down = await cli(project, ['task', 'list'], env);
    assert.equal(down.code, 9, down.stderr);
    assert.match(down.stderr, /^error: cannot reach the PostgreSQL board at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres/);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)); // the outage: nothing to wait on but time
    await server.resume();

    const check = (await cli(project, ['task', 'push', 'check', '--role', 'tester', '--json'], env)).json;
    const finished = await until('both tasks are completed', async () => {
      const tasks = (await cli(project, ['task', 'list', '--json'], env)).json?.items ?? [];
      return tasks.length === 2 && tasks.every((t: { status: string }) => t.status === 'completed') ? tasks : null;
    }, 90_000, 500);
    assert.deepEqual(finished.map((t: { id: string; result: string }) => [t.id, t.result]), [[build.id, 'built'], [check.id, 'checked']]);
    const events = (await cli(project, ['events', '--json', '--limit', '500'], env)).json.items;
    const ofBuild = events.filter((e: { subject: string }) => e.subject === build.id).map((e: { type: string }) => e.type);
    assert.deepEqual(ofBuild.filter((type: string) => type !== 'task.started'), ['task.pushed', 'task.claimed', 'task.completed'], 'claimed once, never released, completed once');
    assert.ok(!events.some((e: { type: string }) => e.type === 'agent.expired'), 'no worker lost its lease to the outage');
    const runs = (await cli(project, ['ps', '--json'], env)).json;
    assert.equal((runs.items ?? runs).filter((p: { task_id: string }) => p.task_id === build.id).length, 1, 'the agent ran once');

    for (const team of ['busy', 'idle']) assert.equal((await cli(project, ['team', 'down', team], env)).code, 0);
    for (const running of [busy, idle]) {
      const end = await running.done;
      assert.equal(end.code, 0, end.stderr);
      assert.equal(end.stderr.match(/board unreachable: cannot reach the PostgreSQL board/g)?.length, 1, `said once: ${end.stderr}`);
      assert.equal(end.stderr.match(/board reachable again after \d+\.\d s/g)?.length, 1, `said once: ${end.stderr}`);
      assert.doesNotMatch(end.stderr, /orchestrator-test|internal error/, 'no password, no internal error');
    }
  } catch (error) {
    // A failed assertion must not leave the workers running (the file would never end); what they said helps.
    for (const running of [busy, idle]) running.child.kill('SIGKILL');
    for (const [name, running] of [['busy', busy], ['idle', idle]] as const) console.log(`# team ${name} said:\n${(await running.done).stderr.slice(-3000)}`);
    throw error;
  }
});

test('a server that accepts connections and never answers is store_unreachable within the connect timeout', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => sockets.add(socket)); // accepts, reads, never writes
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = silent.address() as AddressInfo;
    const result = await cli(newProject(), ['task', 'list', '--db', `postgres://someone:s3cret@127.0.0.1:${port}/board?connect_timeout=2`]);
    assert.equal(result.code, 9, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
    assert.match(result.stderr, new RegExp(`^error: cannot reach the PostgreSQL board at postgres://someone:\\*\\*\\*@127\\.0\\.0\\.1:${port}/board`));
    assert.doesNotMatch(result.stderr, /s3cret|this is a bug/);
    assert.ok(sockets.size > 0, 'it did connect');
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});
