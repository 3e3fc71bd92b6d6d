// Team workers are alive while their `team up` process is: two teams' workers (two processes, as
// on two hosts) with a 5 s lease, one task whose command agent runs 20 s — four leases long. The
// busy worker keeps its task, the idle one never gets it, and the task runs once and is completed
// once.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cleanEnv, cli, cliInBackground, newProject } from './support/cli.js';
import { until } from './support/until.js';

after(cleanupBackends);

test('a team worker with a 5 s lease runs a 20 s command agent: one run, completed once; the other team never takes it', async () => {
  const project = newProject();
  const env = cleanEnv({ ORCHESTRATOR_LEASE_TTL: '5' });
  for (const team of ['east', 'west']) {
    assert.equal((await cli(project, ['team', 'create', team, '--goal', 'build', '--role', 'implementer:1:command'], env)).code, 0);
  }
  const up = (team: string) => cliInBackground(project, ['team', 'up', team, '--json', '--program', 'sh', '--arg=-c', '--arg', `sleep 20; echo "built by ${team}"`], env);
  const teams = [up('east'), up('west')];
  try {
    await until('both teams are up', async () => {
      const online = (await cli(project, ['agent', 'list', '--json'], env)).json?.items ?? [];
      return online.length === 2;
    }, 60_000, 200);
    const task = (await cli(project, ['task', 'push', 'long build', '--role', 'implementer', '--json'], env)).json;
    const done = await until('the task is completed', async () => {
      const now = (await cli(project, ['task', 'get', task.id, '--json'], env)).json;
      return now?.status === 'completed' ? now : null;
    }, 120_000, 500);
    assert.match(done.result, /^built by (east|west)/);
    const events = (await cli(project, ['events', '--json', '--limit', '500'], env)).json.items.filter((e: { subject: string }) => e.subject === task.id).map((e: { type: string }) => e.type);
    assert.deepEqual(events.filter((type: string) => type !== 'task.started'), ['task.pushed', 'task.claimed', 'task.completed'], 'claimed once, never released, completed once');
    const runs = (await cli(project, ['ps', '--json'], env)).json;
    const forTask = (runs.items ?? runs).filter((p: { task_id: string }) => p.task_id === task.id);
    assert.equal(forTask.length, 1, 'the agent ran once');
    assert.equal(forTask[0].outcome, 'ok');
    for (const team of ['east', 'west']) assert.equal((await cli(project, ['team', 'down', team], env)).code, 0);
    for (const running of teams) {
      const end = await running.done;
      assert.equal(end.code, 0, end.stderr);
    }
  } finally {
    for (const running of teams) running.child.kill('SIGKILL');
  }
});
