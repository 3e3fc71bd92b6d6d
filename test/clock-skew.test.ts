// Hosts with wrong clocks on one PostgreSQL board, under Debian's faketime: leases are decided by
// the server's clock, so a host 60 s ahead takes no task from a live agent, and a host 60 s behind
// keeps no dead agent alive and is not expired by the others while it renews.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { cleanupBackends, newBoardUrl } from './support/backends.js';
import { cleanEnv, cli, cliInBackground, MAIN, newProject, runProgram, type CliResult } from './support/cli.js';
import { until } from './support/until.js';

after(cleanupBackends);

const haveFaketime = spawnSync('faketime', ['-f', '+0s', 'true']).status === 0;
// CI installs faketime (.ci/run); elsewhere a missing one skips the test and says why.
const skip = !process.env.PG_URL ? 'needs PostgreSQL (PG_URL)' : !haveFaketime && !process.env.CI ? 'needs faketime (apt-get install faketime)' : false;

/** The CLI on a host whose clock is `offset` off (faketime -f +60s / -60s). */
function skewed(offset: string, cwd: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return runProgram('faketime', ['-f', offset, process.execPath, MAIN, ...args], { cwd, env });
}

test('clocks 60 s ahead and 60 s behind: no task taken from a live agent, no dead agent kept alive', { skip }, async () => {
  const project = newProject();
  const env = cleanEnv({ ORCHESTRATOR_DB: newBoardUrl('postgres'), ORCHESTRATOR_LEASE_TTL: '5' });
  const ahead = (args: string[]) => skewed('+60s', project, args, env);
  const behind = (args: string[]) => skewed('-60s', project, args, env);
  assert.ok(Math.abs(Date.parse((await ahead(['agent', 'register', '--name', 'Probe', '--json'])).json.registered_at) - Date.now()) < 5_000, 'a host 60 s ahead writes the server\'s time');

  // A live agent: a team worker whose command runs 25 s, five leases, on a host with a right clock.
  assert.equal((await cli(project, ['team', 'create', 'live', '--goal', 'work', '--role', 'implementer:1:command'], env)).code, 0);
  const team = cliInBackground(project, ['team', 'up', 'live', '--json', '--program', 'sh', '--arg=-c', '--arg', 'sleep 25; echo finished'], env);
  try {
    const task = (await cli(project, ['task', 'push', 'long work', '--role', 'implementer', '--json'], env)).json;
    await until('the worker holds the task', async () => (await cli(project, ['task', 'get', task.id, '--json'], env)).json?.status === 'in_progress', 60_000, 200);

    // A host 60 s behind registers and renews its own agent; a host 60 s ahead claims and lists
    // (both sweep) for more than two leases.
    // Its lease (30 s) is shorter than its clock is off, and longer than a loaded machine takes between renewals.
  assert.equal((await behind(['agent', 'register', '--name', 'Behind', '--role', 'implementer', '--lease-ttl', '30'])).code, 0);
    assert.equal((await ahead(['agent', 'register', '--name', 'Ahead', '--role', 'implementer', '--lease-ttl', '3600'])).code, 0);
    const started = Date.now();
    while (Date.now() - started < 12_000) {
      assert.equal((await behind(['agent', 'heartbeat', '--agent', 'Behind'])).code, 0, 'the host behind renews in time by the server\'s clock');
      const claim = await ahead(['task', 'claim', '--agent', 'Ahead', '--json']);
      assert.equal(claim.code, 0, claim.stderr);
      assert.equal(claim.json, null, 'the host ahead took a task from a live agent');
      const agents = (await ahead(['agent', 'list', '--json'])).json.items.map((a: { name: string }) => a.name);
      assert.ok(agents.includes('Behind') && agents.some((name: string) => name.startsWith('live-implementer')), `live agents stay online: ${agents.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }

    // A dead agent holding a task: registered once, never renewed. Nobody else looks at the board
    // for longer than its lease; then the host behind does, and sees the lease ended.
    assert.equal((await cli(project, ['agent', 'register', '--name', 'Dead', '--role', 'tester'], env)).code, 0);
    const orphan = (await cli(project, ['task', 'push', 'orphan', '--role', 'tester', '--json'], env)).json;
    assert.equal((await cli(project, ['task', 'claim', '--agent', 'Dead', '--json'], env)).json.id, orphan.id);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    assert.equal((await behind(['task', 'get', orphan.id, '--json'])).json.status, 'pending', 'the host behind kept a dead agent alive');
    assert.equal((await behind(['agent', 'get', 'Dead', '--json'])).json.status, 'offline');

    const done = await until('the live worker completes its task', async () => {
      const now = (await cli(project, ['task', 'get', task.id, '--json'], env)).json;
      return now?.status === 'completed' ? now : null;
    }, 60_000, 500);
    assert.equal(done.result, 'finished');
    assert.equal(done.retry_count, 0, 'never released');
    assert.equal((await cli(project, ['team', 'down', 'live'], env)).code, 0);
    assert.equal((await team.done).code, 0);
  } finally {
    team.child.kill('SIGKILL');
  }
});
