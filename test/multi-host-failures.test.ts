// Hosts that fail during a run on remote workers (hosts made of network namespaces, see
// support/cluster.ts): a host's cable pulled while its agent works — its lease runs out, its work
// order goes back to the queue, the other host does it, and when the cable is back its late answer
// is refused; a worker kill -9ed mid-task, the same by the lease; the orchestrator kill -9ed while
// a worker is busy — resume takes up that worker's order, and nothing is done or merged twice; and
// the same when the worker finished while the orchestrator was down — resume uses its answer.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

  test('the orchestrator kill -9ed while a worker is busy: resume takes up that worker\'s order, nothing is done or merged twice', async () => {
    const busy = c.worker('w1', 'w1-busy', { TOUR_SLOW_S: '8' });
    const idle = c.worker('w2', 'w2-idle', { TOUR_SLOW_S: '8' });
    await Promise.all([busy.waitFor(/takes work orders for command/), idle.waitFor(/takes work orders for command/)]);
    const dir = c.project('engine-killed');
    const args = ['--local-workers', '0', '--remote', `${c.gitUrl}/engine-killed.git`];
    const engine = c.network.hosts.db!.start([process.execPath, MAIN, 'run', 'docs/master-plan.md', '--concurrency', '2', ...args, ...tourAgent], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url, ORCHESTRATOR_LEASE_TTL: '5' }, cwd: dir, hostname: 'host-main' });
    c.keep(engine);
    await busy.waitFor(/\[wo-\S+ \S+\] claimed/);
    engine.kill('SIGKILL');
    const resumed = await c.network.hosts.db!.run([process.execPath, MAIN, 'resume', ...args], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url }, cwd: dir, timeoutMs: 180_000 });
    assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}\nbusy:\n${busy.output()}\nidle:\n${idle.output()}`);
    assert.match(resumed.stderr, /takes up work order wo-\S+ \(claimed on host-w[12]\)/, 'the restarted run waited for the order a worker held');
    const runId = (await c.ask(['runs'])).items.at(-1).id as string;
    const { orders } = await c.ask(['worker', 'list']) as { orders: { task_id: string; state: string }[] };
    const phase1 = orders.filter((o) => o.task_id === `${runId}.c1.1`);
    assert.equal(phase1.length, 1, 'phase 1 was ordered once: the restart took up its order');
    const branch = (await c.ask(['runs'])).items.at(-1).branch as string;
    const log = spawnSync('git', ['--git-dir', c.bare('engine-killed'), 'log', '--format=%s', branch], { encoding: 'utf8' }).stdout;
    assert.equal(log.match(/^Merge \d: /gm)?.length, 3, `each phase merged once:\n${log}`);
    await Promise.all([busy.stop(), idle.stop()]);
  });

  test('the orchestrator kill -9ed and its worker finishes while it is down: resume uses that result and orders nothing again', async () => {
    const lone = c.worker('w1', 'w1-lone', { TOUR_SLOW_S: '3' });
    await lone.waitFor(/takes work orders for command/);
    const dir = c.project('engine-away');
    const args = ['--local-workers', '0', '--remote', `${c.gitUrl}/engine-away.git`];
    const engine = c.network.hosts.db!.start([process.execPath, MAIN, 'run', 'docs/master-plan.md', '--concurrency', '1', ...args, ...tourAgent], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url, ORCHESTRATOR_LEASE_TTL: '5' }, cwd: dir, hostname: 'host-main' });
    c.keep(engine);
    const [, taken] = await lone.waitFor(/\[(wo-\S+) \S+\] claimed/);
    engine.kill('SIGKILL');
    await lone.waitFor(new RegExp(`\\[${taken} \\S+\\] ok, pushed`), 60_000);
    const resumed = await c.network.hosts.db!.run([process.execPath, MAIN, 'resume', ...args], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url }, cwd: dir, timeoutMs: 180_000 });
    assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}\nlone:\n${lone.output()}`);
    assert.match(resumed.stderr, new RegExp(`takes up work order ${taken} \\(settled on host-w1\\)`), 'the restarted run used the answer given while it was down');
    const runId = (await c.ask(['runs'])).items.at(-1).id as string;
    const { orders } = await c.ask(['worker', 'list']) as { orders: { id: string; task_id: string; state: string; claims: number }[] };
    assert.deepEqual(orders.filter((o) => o.task_id === `${runId}.c1.1`).map((o) => [o.id, o.state, o.claims]), [[taken, 'used', 1]], 'phase 1 was ordered and done once');
    const log = spawnSync('git', ['--git-dir', c.bare('engine-away'), 'log', '--format=%s', (await c.ask(['runs'])).items.at(-1).branch], { encoding: 'utf8' }).stdout;
    assert.equal(log.match(/^Merge \d: /gm)?.length, 3, `each phase merged once:\n${log}`);
    await lone.stop();
  });
});
