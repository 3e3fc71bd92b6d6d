// Runs across hosts, continued (hosts made of network namespaces, see support/cluster.ts): a run
// whose own slot takes work beside a worker on a host whose clock is 10 minutes behind (libfaketime)
// — phases on both, none lost to the skew; a workflow on workers on two hosts — each step's changes
// come back as its own branch, the project folder untouched, and a log read from the board on a
// host without the file. (The first runs across hosts: multi-host.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends, tempDir } from './support/backends.js';
import { cleanEnv, MAIN } from './support/cli.js';
import { cluster } from './support/cluster.js';
import { cannotMakeHosts } from './support/hosts.js';
import { tourAgent, writeWidePlan } from '../scripts/tour-plan.mjs';

after(cleanupBackends);

const why = cannotMakeHosts();
// libfaketime preloaded (not the faketime wrapper: its semaphore is named by the pid, which a new PID namespace reuses).
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const haveFaketime = existsSync(FAKETIME_LIB);
if (!haveFaketime && process.env.CI) throw new Error('CI installs faketime (.ci/run), and it is not here');
if (why) console.log(`# multi-host mixed tests skipped: ${why}`);

describe('runs across hosts: a slot here, skewed clocks, workflows', { skip: why ?? false }, () => {
  const c = cluster();

  test('one agent here and a worker on a host whose clock is 10 minutes behind: phases on both hosts, none lost to the skew, each merged once', async () => {
    if (!haveFaketime) console.log('# the skewed clock is left out: libfaketime is not installed (apt-get install faketime)');
    const behind = c.worker('w1', 'w1-behind', { TOUR_SLOW_S: '2', ...(haveFaketime ? { LD_PRELOAD: FAKETIME_LIB, FAKETIME: '-600s' } : {}) });
    await behind.waitFor(/takes work orders for command/);
    const dir = tempDir('orchestrator-hosts-mixed-');
    writeWidePlan(dir, 4);
    spawnSync('git', ['init', '-q', '--bare', c.bare('mixed')]);
    const run = await c.network.hosts.db!.run([process.execPath, MAIN, 'run', 'docs/master-plan.md', '--concurrency', '3', '--local-workers', '1', '--remote', `${c.gitUrl}/mixed.git`, ...tourAgent], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url, TOUR_SLOW_S: '2' }, cwd: dir, timeoutMs: 120_000 });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\nbehind:\n${behind.output()}`);
    assert.match(run.stderr, /the agents run on workers \(1 here, and 'orchestrate worker' on any host with this board\)/);
    const runId = (await c.ask(['runs'])).items.at(-1).id as string;
    const { workers, orders } = await c.ask(['worker', 'list']) as { workers: { name: string; status: string; metadata: { host: string; local?: boolean } }[]; orders: { task_id: string | null; host: string; state: string }[] };
    const ofRun = orders.filter((o) => o.task_id?.startsWith(`${runId}.`));
    assert.equal(ofRun.length, 4, `one order per phase: no attempt was lost and ordered again\n${JSON.stringify(ofRun)}\n${run.stderr}\nbehind:\n${behind.output()}`);
    assert.ok(ofRun.every((o) => o.state === 'used'));
    const here = hostname(); // the run's host (the db host's network, this machine's name)
    assert.deepEqual([...new Set(ofRun.map((o) => o.host))].sort(), [here, 'host-w1'].sort(), 'phases ran here and on the other host');
    const local = workers.find((w) => w.metadata.local)!;
    assert.deepEqual([local.metadata.host, local.status], [here, 'offline'], 'the run\'s own slot is a worker on the board, gone with the run');
    const requeued = (await c.ask(['events', '--type', 'work_order.requeued'])).items as { subject: string }[];
    assert.deepEqual(requeued.filter((e) => e.subject.startsWith(runId)), [], 'the host 10 minutes behind kept its orders: leases are the board\'s clock');
    const processes = (await c.ask(['ps'])).items as { host: string; task_id: string }[];
    assert.deepEqual([...new Set(processes.filter((p) => p.task_id?.startsWith(runId)).map((p) => p.host))].sort(), [here, 'host-w1'].sort());
    const log = spawnSync('git', ['--git-dir', c.bare('mixed'), 'log', '--format=%s', (await c.ask(['runs'])).items.at(-1).branch], { encoding: 'utf8' }).stdout;
    assert.equal(log.match(/^Merge \d: /gm)?.length, 4, `each phase merged once:\n${log}`);
    if (haveFaketime) {
      const times = spawnSync('git', ['--git-dir', c.bare('mixed'), 'log', '--format=%ct', (await c.ask(['runs'])).items.at(-1).branch], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
      assert.ok(times.some((t) => t < Date.now() / 1000 - 300), 'the worker\'s commits carry its clock, 10 minutes behind: the skew was real');
    }
    await behind.stop();
  });

  test('a workflow run on workers on two hosts: steps on both, answers passed on, each step\'s changes on a branch of its own, the project folder untouched; logs from the board', async () => {
    const w1 = c.worker('w1', 'wf-w1');
    const w2 = c.worker('w2', 'wf-w2');
    await Promise.all([w1.waitFor(/takes work orders for command/), w2.waitFor(/takes work orders for command/)]);
    const dir = tempDir('orchestrator-hosts-workflow-');
    const git = (...args: string[]) => spawnSync('git', args, { cwd: dir, encoding: 'utf8' }).stdout.trim();
    git('init', '-q', '-b', 'main');
    writeFileSync(join(dir, 'README.md'), 'a project\n');
    git('add', '-A');
    git('-c', 'user.name=T', '-c', 'user.email=t@localhost', 'commit', '-q', '-m', 'start');
    spawnSync('git', ['init', '-q', '--bare', c.bare('workflow')]);
    // Each critique writes its answer to a file (a change that must come back) and says which host it ran on.
    const script = [
      'step=$(printf "%s" "$1" | sed -n "s/^Workflow .*, step \\([a-z0-9_-]*\\):.*/\\1/p")',
      'case "$step" in',
      '  synthesis) echo "SYNTHESIS over $(printf "%s" "$1" | grep -c "^ANSWER") answers";;',
      '  *) sleep 1; echo "$step" > "answer-$step.txt"; echo "ANSWER from $step on $(uname -n)";;',
      'esac',
    ].join('\n');
    const agent = ['--cli', 'command', '--program', 'sh', '--arg=-c', '--arg', script, '--arg', 'agent'];
    const run = await c.network.hosts.db!.run([process.execPath, MAIN, 'workflow', 'run', 'multi-model-critique', '--input', 'question=Shard?', '--concurrency', '3', ...agent, '--local-workers', '0', '--remote', `${c.gitUrl}/workflow.git`, '--json'], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url }, cwd: dir, timeoutMs: 120_000 });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\nw1:\n${w1.output()}\nw2:\n${w2.output()}`);
    const { workflow, run: record } = JSON.parse(run.stdout);
    assert.equal(workflow.status, 'completed');
    const notes = Object.fromEntries(workflow.steps.map((s: any) => [s.id, s.notes]));
    for (const step of ['claude', 'codex', 'gemini']) assert.match(notes[step], new RegExp(`^ANSWER from ${step} on host-w[12]$`));
    assert.deepEqual([...new Set(['claude', 'codex', 'gemini'].map((step) => notes[step].split(' ').at(-1)))].sort(), ['host-w1', 'host-w2'], 'the steps ran on both hosts');
    assert.equal(notes.synthesis, 'SYNTHESIS over 3 answers', 'the answers reached the last step');
    for (const step of ['claude', 'codex', 'gemini']) assert.equal(git('show', `orchestrate/${record.id}/step-${step}:answer-${step}.txt`), step, `step ${step}'s change came back as its branch`);
    assert.equal(git('status', '--porcelain', '--untracked-files=all'), '', 'the project folder is as it was');
    assert.equal(git('branch', '--show-current'), 'main');

    // The log is on the worker's disk; from a host without the file, its end comes from the board.
    const claude = ((await c.ask(['ps'])).items as { id: string; task_id: string; log_path: string; host: string }[]).find((p) => p.task_id === `${record.id}.c1.claude`)!;
    renameSync(claude.log_path, `${claude.log_path}.away`);
    const logs = await c.network.hosts.db!.run([process.execPath, MAIN, 'logs', claude.id], { env: { ...cleanEnv(), ORCHESTRATOR_DB: c.url }, cwd: dir });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, new RegExp(`the end of its log, from the board: the file is on ${claude.host}`));
    assert.match(logs.stdout, /ANSWER from claude on host-w/);
    await Promise.all([w1.stop(), w2.stop()]);
  });
});
