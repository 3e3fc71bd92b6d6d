// Runs across machines, on several hosts made on this machine (network namespaces, each host with
// its own name, process ids and folders; see ../shared/notes/multi-host.md): a "db" host runs the
// board's PostgreSQL and a git daemon with the run's bare repository, and starts the run with
// --local-workers 0; two worker hosts run `orchestrate worker` with only the board URL and the git
// URL. The master plan's phases run on both hosts, the engine re-runs every gate itself and merges
// each phase once; the run branch ends on the remote. Then a host's cable is pulled while its agent
// works: its lease runs out, its work order goes back to the queue, the other host does it, and
// when the cable is back the cut host's late answer is refused. Without a reachable remote, a run
// on remote workers is refused before anything starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from './support/backends.js';
import { cleanEnv, cli, MAIN } from './support/cli.js';
import { cannotMakeHosts, makeNetwork, type Network, type Started } from './support/hosts.js';
import { until } from './support/until.js';
import { tourAgent, writeTourPlan } from '../scripts/tour-plan.mjs';

const why = cannotMakeHosts();
if (why) console.log(`# multi-host tests skipped: ${why}`);

describe('runs across hosts', { skip: why ?? false }, () => {
  let network: Network;
  let db: Started;
  let gitDaemon: Started;
  let url: string;
  let gitUrl: string;
  const started: Started[] = [];
  const PG_HOST = join(new URL('.', import.meta.url).pathname, 'support', 'pg-host.mjs');

  before(async () => {
    network = makeNetwork(['db', 'w1', 'w2']);
    const home = tempDir('orchestrator-hosts-');
    const env = cleanEnv();
    db = network.hosts.db!.start([process.execPath, PG_HOST, network.hosts.db!.address, `${network.net}.0/24`], { env, cwd: home, hostname: 'host-db' });
    url = JSON.parse((await db.waitFor(/^\{.*\}$/m, 60_000))[0]).url;
    gitRoot = home;
    mkdirSync(repos());
    gitDaemon = network.hosts.db!.start(['git', 'daemon', '--reuseaddr', `--base-path=${repos()}`, '--export-all', '--enable=receive-pack', `--listen=${network.hosts.db!.address}`, '--port=9418', repos()], { env, cwd: repos(), hostname: 'host-db' });
    gitUrl = `git://${network.hosts.db!.address}:9418`;
    spawnSync('git', ['init', '-q', '--bare', join(repos(), 'probe.git')]);
    await until('the git daemon listens', async () => (await network.hosts.w1!.run(['git', 'ls-remote', `${gitUrl}/probe.git`], { env, cwd: home })).code === 0, 30_000, 200);
  });

  after(async () => {
    for (const process of started.reverse()) await process.stop();
    await gitDaemon?.stop();
    await db?.stop();
    network?.teardown();
  });

  const worker = (host: 'w1' | 'w2', name: string, extra: Record<string, string> = {}) => {
    const dir = tempDir(`orchestrator-${host}-`);
    const started_ = network.hosts[host]!.start([process.execPath, MAIN, 'worker', '--name', name, '--agents', 'command', '--max', '1', '--work-dir', join(dir, 'work')], { env: { ...cleanEnv(), ORCHESTRATOR_DB: url, ...extra }, cwd: dir });
    started.push(started_);
    return started_;
  };
  /** The orchestrate CLI on the db host, as JSON. */
  const ask = async (args: string[]) => {
    const result = await network.hosts.db!.run([process.execPath, MAIN, ...args, '--json'], { env: { ...cleanEnv(), ORCHESTRATOR_DB: url }, cwd: tempDir() });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout);
  };
  const project = (repo: string) => {
    const dir = tempDir('orchestrator-hosts-plan-');
    writeTourPlan(dir);
    spawnSync('git', ['init', '-q', '--bare', join(repos(), `${repo}.git`)]);
    return dir;
  };
  const repos = () => join(gitRoot, 'git');
  let gitRoot = '';

  test('a master plan on workers on two hosts: phases on both, gates re-run by the engine, each merged once, the branch on the remote', async () => {
    const w1 = worker('w1', 'w1');
    const w2 = worker('w2', 'w2');
    await Promise.all([w1.waitFor(/takes work orders for command/), w2.waitFor(/takes work orders for command/)]);
    const dir = project('greetings');
    const run = await network.hosts.db!.run([process.execPath, MAIN, 'run', 'docs/master-plan.md', '--concurrency', '2', '--local-workers', '0', '--remote', `${gitUrl}/greetings.git`, ...tourAgent], { env: { ...cleanEnv(), ORCHESTRATOR_DB: url }, cwd: dir, timeoutMs: 120_000 });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\nw1:\n${w1.output()}\nw2:\n${w2.output()}`);
    assert.match(run.stderr, /\[phase 2\] attempt 1 not accepted: gates failed/, 'the engine ran the gate itself and refused the first attempt');

    const { workers, orders } = await ask(['worker', 'list']) as { workers: { name: string; metadata: { host: string } }[]; orders: { host: string; state: string; task_id: string }[] };
    assert.deepEqual(workers.map((w) => [w.name, w.metadata.host]).sort(), [['w1', 'host-w1'], ['w2', 'host-w2']]);
    assert.equal(orders.length, 4, 'one order per attempt: phases 1 and 3 once, phase 2 twice');
    assert.ok(orders.every((o) => o.state === 'settled'));
    assert.deepEqual([...new Set(orders.map((o) => o.host))].sort(), ['host-w1', 'host-w2'], 'both hosts worked');
    const processes = (await ask(['ps'])).items as { host: string; kind: string }[];
    assert.deepEqual([...new Set(processes.map((p) => p.host))].sort(), ['host-w1', 'host-w2'], 'no agent ran on the run\'s own host');

    const branch = (await ask(['runs'])).items.at(-1).branch as string;
    const log = spawnSync('git', ['--git-dir', join(repos(), 'greetings.git'), 'log', '--format=%s', branch], { encoding: 'utf8' }).stdout;
    assert.equal(log.match(/^Merge \d: /gm)?.length, 3, `each phase merged once on the remote's run branch:\n${log}`);
    await Promise.all([w1.stop(), w2.stop()]);
  });

  test('a host cut off mid-task loses its work order: the other host does it, the late answer is refused', async () => {
    const slow = worker('w1', 'w1-slow', { TOUR_SLOW_S: '20', ORCHESTRATOR_LEASE_TTL: '4' });
    const quick = worker('w2', 'w2-quick');
    await Promise.all([slow.waitFor(/takes work orders for command/), quick.waitFor(/takes work orders for command/)]);
    const dir = project('partition');
    const running = network.hosts.db!.run([process.execPath, MAIN, 'run', 'docs/master-plan.md', '--concurrency', '2', '--local-workers', '0', '--remote', `${gitUrl}/partition.git`, ...tourAgent], { env: { ...cleanEnv(), ORCHESTRATOR_DB: url }, cwd: dir, timeoutMs: 120_000 });
    const [, taken] = await slow.waitFor(/\[(wo-\S+) \S+\] claimed/);
    network.cut('w1');
    const run = await running;
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\nslow:\n${slow.output()}\nquick:\n${quick.output()}`);
    const requeued = (await ask(['events', '--type', 'work_order.requeued'])).items as { data: { id: string } }[];
    assert.deepEqual(requeued.map((e) => e.data.id), [taken], 'the cut host\'s order went back to the queue');
    const { orders } = await ask(['worker', 'list']) as { orders: { id: string; host: string; claims: number; state: string }[] };
    const order = orders.find((o) => o.id === taken)!;
    assert.deepEqual([order.state, order.host, order.claims], ['settled', 'host-w2', 2], 'the other host did it, on the second claim');
    network.heal('w1');
    await slow.waitFor(new RegExp(`\\[${taken} \\S+\\] not settled: work order ${taken} is no longer yours`), 90_000);
  });
});

test('--local-workers 0 needs a git remote this host reaches: refused before anything starts', async () => {
  const dir = tempDir('orchestrator-no-remote-');
  writeTourPlan(dir);
  const none = await cli(dir, ['run', 'docs/master-plan.md', '--local-workers', '0', ...tourAgent]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^error: --local-workers 0 leaves the agents to workers on other hosts, which fetch and push through a git remote: pass --remote <url> \(or add an origin\); nothing was started/);
  const unreachable = await cli(dir, ['run', 'docs/master-plan.md', '--local-workers', '0', '--remote', join(dir, 'no-such.git'), ...tourAgent]);
  assert.equal(unreachable.code, 2);
  assert.match(unreachable.stderr, /^error: the remote \S+no-such\.git cannot be reached from here \(.+\); workers need one every host can reach; nothing was started/);
  assert.deepEqual((await cli(dir, ['runs', '--json'])).json, { items: [], next_cursor: null }, 'no run was created');
});
