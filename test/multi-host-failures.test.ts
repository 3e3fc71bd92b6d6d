// Hosts that fail during a run on remote workers (hosts made of network namespaces, see
// support/cluster.ts): a host's cable pulled while its agent works — its lease runs out, its work
// order goes back to the queue, the other host does it, and when the cable is back its late answer
// is refused; a worker kill -9ed mid-task, the same by the lease. (The orchestrator itself killed:
// multi-host-restart.test.ts.)
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cleanEnv, MAIN } from './support/cli.js';
import { cluster } from './support/cluster.js';
import { cannotMakeHosts } from './support/hosts.js';
import { tourAgent } from '../scripts/tour-plan.mjs';

after(cleanupBackends);

const why = cannotMakeHosts();
if (why) console.log(`# multi-host failure tests skipped: ${why}`);

describe('hosts that fail', { skip: why ?? false }, () => {
  const c = cluster();

  test('a host cut off mid-task loses its work order: the other host does it, the late answer is refused', async () => {
    const slow = c.worker('w1', 'w1-slow', { TOUR_SLOW_S: '20', ORCHESTRATOR_LEASE_TTL: '4' });
    const quick = c.worker('w2', 'w2-quick');
    await Promise.all([slow.waitFor(/takes work orders for command/), quick.waitFor(/takes work orders for command/)]);
    const dir = c.project('partition');
    const running = c.network.hosts.db!.run([process.execPath, MAIN, 'run', 'docs/master-plan.md', '--concurrency', '2', '--local-workers', '0', '--remote', `${c.gitUrl}/partition.git`, ...tourAgent], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url }, cwd: dir, timeoutMs: 120_000 });
    const [, taken] = await slow.waitFor(/\[(wo-\S+) \S+\] claimed/);
    c.network.cut('w1');
    const run = await running;
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\nslow:\n${slow.output()}\nquick:\n${quick.output()}`);
    const requeued = (await c.ask(['events', '--type', 'work_order.requeued'])).items as { data: { id: string } }[];
    assert.deepEqual(requeued.map((e) => e.data.id), [taken], 'the cut host\'s order went back to the queue');
    const { orders } = await c.ask(['worker', 'list']) as { orders: { id: string; host: string; claims: number; state: string }[] };
    const order = orders.find((o) => o.id === taken)!;
    assert.deepEqual([order.state, order.host, order.claims], ['used', 'host-w2', 2], 'the other host did it, on the second claim');
    c.network.heal('w1');
    await slow.waitFor(new RegExp(`\\[${taken} \\S+\\] not settled: work order ${taken} is no longer yours`), 90_000);
    await Promise.all([slow.stop(), quick.stop()]); // the next tests bring their own workers
  });

  test('a worker kill -9ed mid-task: its order goes back after the lease and the other host does it', async () => {
    const doomed = c.worker('w1', 'w1-doomed', { TOUR_SLOW_S: '20', ORCHESTRATOR_LEASE_TTL: '4' });
    const other = c.worker('w2', 'w2-other');
    await Promise.all([doomed.waitFor(/takes work orders for command/), other.waitFor(/takes work orders for command/)]);
    const dir = c.project('killed-worker');
    const running = c.network.hosts.db!.run([process.execPath, MAIN, 'run', 'docs/master-plan.md', '--concurrency', '2', '--local-workers', '0', '--remote', `${c.gitUrl}/killed-worker.git`, ...tourAgent], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url }, cwd: dir, timeoutMs: 120_000 });
    const [, taken] = await doomed.waitFor(/\[(wo-\S+) \S+\] claimed/);
    doomed.kill('SIGKILL');
    const run = await running;
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\nother:\n${other.output()}`);
    const { orders } = await c.ask(['worker', 'list']) as { orders: { id: string; host: string; claims: number; state: string }[] };
    const order = orders.find((o) => o.id === taken)!;
    assert.deepEqual([order.state, order.host, order.claims], ['used', 'host-w2', 2]);
    await other.stop();
  });
});
