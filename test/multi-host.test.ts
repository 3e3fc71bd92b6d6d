// Runs across machines, on several hosts made on this machine (network namespaces, each host with
// its own name, process ids and folders; see ../shared/notes/multi-host.md and support/cluster.ts):
// a "db" host runs the board's PostgreSQL and a git daemon with the run's bare repository, and
// starts the run with --local-workers 0; two worker hosts run `orchestrate worker` with only the
// board URL and the git URL. A master plan's phases run on both hosts, the engine re-runs every
// gate itself and merges each phase once; the run branch ends on the remote. A feature run does
// the same with real Claude Code workers, each host with its own scripted model. The work orders
// themselves on both stores; without a reachable remote, a run on remote workers is refused before
// anything starts. A slot here beside a skewed clock, and workflows: multi-host-mixed.test.ts;
// hosts that fail: multi-host-failures.test.ts; the orchestrator killed: multi-host-restart.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { OrchestratorError } from '../src/core/errors.js';
import { BACKENDS, cleanupBackends, manualClock, newBoardUrl, openBoard, tempDir } from './support/backends.js';
import { cleanEnv, cli, MAIN } from './support/cli.js';
import { CLAUDE, claudeEnv, claudeHome } from './support/claude.js';
import { project as featureProject } from './support/feature.js';
import { cluster } from './support/cluster.js';
import { cannotMakeHosts } from './support/hosts.js';
import { tourAgent, writeTourPlan } from '../scripts/tour-plan.mjs';

after(cleanupBackends);

const why = cannotMakeHosts();
if (why) console.log(`# multi-host tests skipped: ${why}`);

describe('runs across hosts', { skip: why ?? false }, () => {
  const c = cluster();

  test('a master plan on workers on two hosts: phases on both, gates re-run by the engine, each merged once, the branch on the remote', async () => {
    const w1 = c.worker('w1', 'w1');
    const w2 = c.worker('w2', 'w2');
    await Promise.all([w1.waitFor(/takes work orders for command/), w2.waitFor(/takes work orders for command/)]);
    const dir = c.project('greetings');
    const run = await c.network.hosts.db!.run([process.execPath, MAIN, 'run', 'docs/master-plan.md', '--concurrency', '2', '--local-workers', '0', '--remote', `${c.gitUrl}/greetings.git`, ...tourAgent], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url }, cwd: dir, timeoutMs: 120_000 });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\nw1:\n${w1.output()}\nw2:\n${w2.output()}`);
    assert.match(run.stderr, /\[phase 2\] attempt 1 not accepted: gates failed/, 'the engine ran the gate itself and refused the first attempt');

    const { workers, orders } = await c.ask(['worker', 'list']) as { workers: { name: string; metadata: { host: string } }[]; orders: { host: string; state: string; task_id: string }[] };
    assert.deepEqual(workers.map((w) => [w.name, w.metadata.host]).sort(), [['w1', 'host-w1'], ['w2', 'host-w2']]);
    assert.equal(orders.length, 4, 'one order per attempt: phases 1 and 3 once, phase 2 twice');
    assert.ok(orders.every((o) => o.state === 'used'), 'each result used by the run');
    assert.deepEqual([...new Set(orders.map((o) => o.host))].sort(), ['host-w1', 'host-w2'], 'both hosts worked');
    const held = (await c.ask(['worker', 'list'])).orders as { worker: string; claimed_at: number; settled_at: number }[];
    for (const a of held) {
      assert.ok(!held.some((b) => b !== a && b.worker === a.worker && b.claimed_at < a.settled_at && a.claimed_at < b.settled_at), '--max 1: a worker holds one order at a time');
    }
    const processes = (await c.ask(['ps'])).items as { host: string; kind: string }[];
    assert.deepEqual([...new Set(processes.map((p) => p.host))].sort(), ['host-w1', 'host-w2'], 'no agent ran on the run\'s own host');

    const branch = (await c.ask(['runs'])).items.at(-1).branch as string;
    const log = spawnSync('git', ['--git-dir', c.bare('greetings'), 'log', '--format=%s', branch], { encoding: 'utf8' }).stdout;
    assert.equal(log.match(/^Merge \d: /gm)?.length, 3, `each phase merged once on the remote's run branch:\n${log}`);
    await Promise.all([w1.stop(), w2.stop()]);
  });

  test('a feature run on Claude Code workers on two hosts (each with its own scripted model): tasks on both, reviewed, merged once, the starter\'s checkout untouched', async () => {
    const MODEL_HOST = join(new URL('.', import.meta.url).pathname, 'support', 'model-host.ts');
    const repoRoot = new URL('..', import.meta.url).pathname;
    const claudeWorker = async (host: 'w1' | 'w2') => {
      const model = c.network.hosts[host]!.start([process.execPath, '--import', 'tsx', MODEL_HOST], { env: cleanEnv(), cwd: repoRoot });
      c.keep(model);
      const modelUrl = JSON.parse((await model.waitFor(/^\{.*\}$/m))[0]).url as string;
      const dir = tempDir(`orchestrator-${host}-claude-`);
      const env = { ...claudeEnv(claudeHome(), modelUrl, { ORCHESTRATOR_CLAUDE: CLAUDE }), ORCHESTRATOR_DB: c.url };
      const process_ = c.network.hosts[host]!.start([process.execPath, MAIN, 'worker', '--name', `${host}-claude`, '--agents', 'claude', '--max', '1', '--work-dir', join(dir, 'work')], { env, cwd: dir });
      c.keep(process_);
      await process_.waitFor(/takes work orders for claude/);
      return process_;
    };
    const [w1, w2] = await Promise.all([claudeWorker('w1'), claudeWorker('w2')]);
    const dir = featureProject();
    spawnSync('git', ['init', '-q', '--bare', c.bare('feature')]);
    const starter = { ...claudeEnv(claudeHome(), 'http://127.0.0.1:9/none', { ORCHESTRATOR_CLAUDE: CLAUDE }), ORCHESTRATOR_DB: c.url };
    const run = await c.network.hosts.db!.run([process.execPath, MAIN, 'start', 'greet the world', '--concurrency', '2', '--local-workers', '0', '--remote', `${c.gitUrl}/feature.git`], { env: starter, cwd: dir, timeoutMs: 240_000 });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\nw1:\n${w1.output()}\nw2:\n${w2.output()}`);
    const runId = (await c.ask(['runs'])).items.at(-1).id as string;
    const { orders } = await c.ask(['worker', 'list']) as { orders: { task_id: string | null; host: string; run_id: string | null }[] };
    const ofRun = orders.filter((o) => o.task_id?.startsWith(`${runId}.`));
    assert.deepEqual([...new Set(ofRun.map((o) => o.host))].sort(), ['host-w1', 'host-w2'], 'the tasks ran on both hosts');
    assert.ok(orders.some((o) => o.task_id === null && (o.host === 'host-w1' || o.host === 'host-w2')), 'the planner and the reviewers ran on the workers too');
    const branch = (await c.ask(['runs'])).items.at(-1).branch as string;
    const log = spawnSync('git', ['--git-dir', c.bare('feature'), 'log', '--format=%s', branch], { encoding: 'utf8' }).stdout;
    for (const id of ['a', 'b', 'c']) assert.equal(log.match(new RegExp(`^Merge ${id}: `, 'gm'))?.length, 1, `task ${id} merged once:\n${log}`);
    assert.equal(spawnSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }).stdout.trim(), '', 'the starter\'s checkout is untouched');
    assert.equal(spawnSync('git', ['branch', '--show-current'], { cwd: dir, encoding: 'utf8' }).stdout.trim(), 'main');
    await Promise.all([w1.stop(), w2.stop()]);
  });
});

test('--local-workers 0 needs a git remote this host reaches, a worktree per attempt, a git repository: refused before anything starts; a worker\'s role must be a word', async () => {
  const dir = tempDir('orchestrator-no-remote-');
  writeTourPlan(dir);
  const none = await cli(dir, ['run', 'docs/master-plan.md', '--local-workers', '0', ...tourAgent]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^error: --local-workers 0 leaves the agents to workers on other hosts, which fetch and push through a git remote: pass --remote <url> \(or add an origin\); nothing was started/);
  const unreachable = await cli(dir, ['run', 'docs/master-plan.md', '--local-workers', '0', '--remote', join(dir, 'no-such.git'), ...tourAgent]);
  assert.equal(unreachable.code, 2);
  assert.match(unreachable.stderr, /^error: the remote \S+no-such\.git cannot be reached from here \(.+\); workers need one every host can reach; nothing was started/);
  const sequential = await cli(dir, ['run', 'docs/master-plan.md', '--sequential', '--remote', join(dir, 'no-such.git'), ...tourAgent]);
  assert.equal(sequential.code, 2);
  assert.match(sequential.stderr, /^error: --sequential runs every phase in the project folder itself, and work orders need a worktree per phase/);
  const notGit = tempDir('orchestrator-no-git-');
  const workflow = await cli(notGit, ['workflow', 'run', 'multi-model-critique', '--input', 'question=q', '--local-workers', '0', '--cli', 'command', '--program', 'true']);
  assert.equal(workflow.code, 2, workflow.stderr);
  assert.match(workflow.stderr, /^error: workers on other hosts take the work through git: run this in a git repository with a remote every host reaches; nothing was started/);
  const role = await cli(dir, ['worker', '--roles', 'Not A Role', '--agents', 'command']);
  assert.equal(role.code, 2);
  assert.match(role.stderr, /^error: role 'Not A Role' is not a word/);
  assert.deepEqual((await cli(dir, ['runs', '--json'])).json, { items: [], next_cursor: null }, 'no run was created');
});

for (const backend of BACKENDS) {
  test(`work orders on ${backend}: only a worker with the CLI (and the role) claims; one claim at a time; a late settle is refused; a lost worker's order goes back; a settled one is used once`, async () => {
    const clock = manualClock();
    const board = await openBoard(newBoardUrl(backend), { now: clock.now, leaseTtlMs: 10_000 });
    try {
      const order = await board.workOrders.put({ run_id: null, task_id: 'run-x.c1.1', spec: { agent: 'command', prompt: 'do it', argv: ['true'] }, remote: 'git://h/r.git', branch: 'b', base: 'a'.repeat(40) });
      const codexOnly = await board.agents.register({ name: 'codex-host', kind: 'codex' });
      const commandHost = await board.agents.register({ name: 'command-host', kind: 'command' });
      const other = await board.agents.register({ name: 'other-host', kind: 'command' });
      assert.equal(await board.workOrders.claim(codexOnly.id, { clis: ['codex'] }, 'h1'), null, 'a worker without the CLI never claims it');
      const claimed = (await board.workOrders.claim(commandHost.id, { clis: ['command', 'codex'] }, 'h2'))!;
      assert.deepEqual([claimed.id, claimed.state, claimed.host, claimed.claims], [order.id, 'claimed', 'h2', 1]);
      assert.equal(await board.workOrders.claim(other.id, { clis: ['command'] }, 'h3'), null, 'claimed once');
      assert.deepEqual((await board.workOrders.openFor('run-x.c1.1'))?.id, order.id);

      clock.advance(11_000); // command-host's lease runs out (nothing renews it here)
      const late = await board.agents.register({ name: 'late-host', kind: 'command' });
      const again = (await board.workOrders.claim(late.id, { clis: ['command'] }, 'h3'))!;
      assert.deepEqual([again.id, again.host, again.claims], [order.id, 'h3', 2], 'back in the queue, claimed again');
      const result = { outcome: { kind: 'ok', message: 'done', reset_at: null, session_id: null, cost_usd: null, usage: null }, process_id: 'p-1', log_path: '/elsewhere/p-1.jsonl', head: 'b'.repeat(40), log_tail: '{"type":"text","text":"hi"}\n' };
      await assert.rejects(board.workOrders.settle(order.id, commandHost.id, 1, result), (error: OrchestratorError) => error.code === 'conflict' && /no longer yours/.test(error.message));
      const settled = await board.workOrders.settle(order.id, late.id, 2, result);
      assert.deepEqual([settled.state, settled.result?.head], ['settled', 'b'.repeat(40)]);
      assert.equal((await board.workOrders.openFor('run-x.c1.1'))?.id, order.id, 'settled while the run was away: still its to take up');
      await board.workOrders.use(order.id);
      assert.equal(await board.workOrders.openFor('run-x.c1.1'), null, 'used once');
      assert.equal((await board.workOrders.ofProcess('p-1'))?.result?.log_tail, result.log_tail, 'the log\'s end, for hosts without the file');
      assert.equal(await board.workOrders.ofProcess('p-2'), null);

      // Roles as on the board: a reviewer takes reviews and orders with no role; a generalist takes any.
      const review = await board.workOrders.put({ run_id: null, task_id: 'run-x.c1.2', spec: { agent: 'command', prompt: 'review', argv: ['true'], role: 'reviewer' }, remote: 'git://h/r.git', branch: 'b2', base: 'a'.repeat(40) });
      const tester = await board.agents.register({ name: 'tester-host', kind: 'command' });
      assert.equal(await board.workOrders.claim(tester.id, { clis: ['command'], roles: ['tester'] }, 'h4'), null, 'a tester does not take a review');
      assert.equal((await board.workOrders.claim(tester.id, { clis: ['command'], roles: ['reviewer'] }, 'h4'))?.id, review.id);
      const anyRole = await board.workOrders.put({ run_id: null, task_id: 'run-x.c1.3', spec: { agent: 'command', prompt: 'p', argv: ['true'] }, remote: 'git://h/r.git', branch: 'b3', base: 'a'.repeat(40) });
      assert.equal((await board.workOrders.claim(tester.id, { clis: ['command'], roles: ['tester'] }, 'h4'))?.id, anyRole.id, 'an order with no role is anyone\'s');
      const byId = await board.workOrders.put({ run_id: null, task_id: 'run-x.c1.4', spec: { agent: 'command', prompt: 'p', argv: ['true'] }, remote: 'git://h/r.git', branch: 'b4', base: 'a'.repeat(40) });
      await board.workOrders.put({ run_id: null, task_id: 'run-x.c1.5', spec: { agent: 'command', prompt: 'p', argv: ['true'] }, remote: 'git://h/r.git', branch: 'b5', base: 'a'.repeat(40) });
      assert.equal(await board.workOrders.claim(tester.id, { clis: ['command'], id: 'wo-none' }, 'h4'), null);
      const generalist = await board.agents.register({ name: 'local-slot', kind: 'command' });
      const newer = await board.workOrders.claim(generalist.id, { clis: ['command'], roles: ['generalist'], id: (await board.workOrders.recent(1))[0]!.id }, 'h5');
      assert.equal(newer?.task_id, 'run-x.c1.5', 'a local slot takes its own order by id, not the oldest');
      assert.equal((await board.workOrders.get(byId.id)).state, 'queued');
      const types = (await board.events.list({ subject: 'run-x.c1.1' })).items.map((e) => e.type);
      assert.deepEqual(types, ['work_order.queued', 'work_order.claimed', 'work_order.requeued', 'work_order.claimed', 'work_order.settled']);
    } finally {
      await board.close();
    }
  });
}
