// The orchestrator that dies during a run on remote workers (hosts made of network namespaces,
// see support/cluster.ts): kill -9ed while a worker is busy — resume takes up that worker's order,
// and nothing is done or merged twice; kill -9ed while its worker finishes — resume uses the answer
// given while it was down. (Hosts that fail: multi-host-failures.test.ts.)
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
if (why) console.log(`# multi-host restart tests skipped: ${why}`);

describe('the orchestrator restarted during a run on workers', { skip: why ?? false }, () => {
  const c = cluster();

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
