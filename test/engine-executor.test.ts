// One cycle of the engine on a real repository, with scripted workers standing in for agents:
// tasks in their own worktrees, completion verified by the engine (outcome, a commit, gates it
// runs itself), remediation prompts with the failing output, the merge queue, integration gates
// that undo a merge, a failure blocking its dependants, a pause on a rate limit, and a restart
// that never merges a task twice.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Board } from '../src/board/board.js';
import { runCycle, type WorkRequest, type WorkResult } from '../src/engine/executor.js';
import { Repo } from '../src/engine/git.js';
import type { Plan } from '../src/engine/plan.js';
import { cleanupBackends, newBoardUrl, openBoard, tempDir } from './support/backends.js';
import { cleanEnv } from './support/cli.js';

after(cleanupBackends);

const ok = (message = 'done'): WorkResult => ({ outcome: { kind: 'ok', message, reset_at: null, session_id: 's', cost_usd: 0.01, usage: null }, process_id: null, log_path: null });

async function setup(plan: Plan) {
  const dir = tempDir('orchestrator-engine-');
  const sh = (cmd: string, cwd = dir) => spawnSync('sh', ['-c', cmd], { cwd, encoding: 'utf8' });
  sh('git init -q -b main && echo "line 1" > app.txt && git add -A && git -c user.name=Me -c user.email=me@x.test commit -q -m start');
  const env = cleanEnv();
  const repo = await Repo.open(dir, env);
  repo.excludeStateDir();
  const board: Board = await openBoard(newBoardUrl('sqlite'));
  const base = await repo.head();
  const run = await board.runs.create({ kind: 'feature', title: 't', project: dir, branch: 'orchestrate/t', base, options: {}, supervisor: 'x' });
  const engine = await board.agents.register({ name: `engine-${run.id}`, lease_ttl_ms: 3_600_000 });
  const integrationTree = join(dir, '.orchestrator', 'worktrees', `${run.id}-run`);
  await repo.addWorktree(integrationTree, run.branch, base);
  const prompts: WorkRequest[] = [];
  const lines: string[] = [];
  const cycle = (work: (request: WorkRequest) => Promise<WorkResult>, extra: Partial<Parameters<typeof runCycle>[0]> = {}) =>
    runCycle({ board, repo, run, plan, cycle: 1, engineAgent: engine.id, integrationTree, worktreeRoot: join(dir, '.orchestrator', 'worktrees'), runDir: join(dir, '.orchestrator', 'runs', run.id), concurrency: 2, env, onProgress: (line) => lines.push(line), work: async (request) => {
      prompts.push(request);
      return work(request);
    }, ...extra });
  return { dir, sh, repo, board, run, cycle, prompts, lines, integrationTree };
}

const threeTasks: Plan = {
  tasks: [
    { id: 'a', title: 'write a', description: 'create a.txt', files: ['a.txt'], gates: ['test -f a.txt'] },
    { id: 'b', title: 'write b', description: 'create b.txt', files: ['b.txt'], gates: ['grep -q good b.txt'] },
    { id: 'c', title: 'write c', description: 'create c.txt from a and b', depends_on: ['a', 'b'], files: ['c.txt'], gates: ['test -f c.txt'] },
  ],
  gates: ['test -f app.txt'],
};

test('a cycle: worktrees, verified work, remediation with the gate output, merges, evidence; the user checkout untouched', async () => {
  const t = await setup(threeTasks);
  const order: string[] = [];
  const end = await t.cycle(async (request) => {
    order.push(`${request.task.id}#${request.attempt}`);
    const write = (file: string, text: string) => writeFileSync(join(request.worktree, file), text);
    if (request.task.id === 'a') {
      write('a.txt', 'a\n');
      t.sh('git add -A && git -c user.name=W -c user.email=w@x.test commit -q -m "a"', request.worktree);
    }
    if (request.task.id === 'b') write('b.txt', request.attempt === 1 ? 'bad\n' : 'good\n'); // uncommitted: the engine commits it
    if (request.task.id === 'c') {
      assert.ok(existsSync(join(request.worktree, 'a.txt')) && existsSync(join(request.worktree, 'b.txt')), 'c starts from a run branch that has a and b');
      write('c.txt', 'c\n');
    }
    return ok();
  });
  assert.deepEqual(end, { status: 'done' });
  assert.deepEqual(order.sort(), ['a#1', 'b#1', 'b#2', 'c#1']);
  const remediation = t.prompts.find((p) => p.task.id === 'b' && p.attempt === 2)!.prompt;
  assert.match(remediation, /not accepted:\ngates failed:\n\$ grep -q good b.txt\n\(exit 1\)/);
  for (const file of ['a.txt', 'b.txt', 'c.txt']) assert.ok(existsSync(join(t.integrationTree, file)), `${file} is on the run branch`);
  const tasks = (await t.board.tasks.list({ run_id: t.run.id })).items;
  assert.deepEqual(tasks.map((task) => task.status), ['completed', 'completed', 'completed']);
  const evidence = JSON.parse(readFileSync(join(t.dir, '.orchestrator', 'runs', t.run.id, 'evidence', 'c1-b.json'), 'utf8'));
  assert.equal(evidence.attempts.length, 2);
  assert.equal(evidence.attempts[0].gates[0].passed, false);
  assert.match(evidence.diff_stat, /b\.txt/);
  assert.match(evidence.merged, /^[0-9a-f]{40}$/);
  assert.equal((await t.board.runs.get(t.run.id)).cost_usd.toFixed(2), '0.04');
  assert.deepEqual((await t.repo.worktrees()).length, 2, 'task worktrees removed: the checkout and the run branch remain');
  assert.equal(await t.repo.currentBranch(), 'main');
  assert.deepEqual(readdirSync(t.dir).sort(), ['.git', '.orchestrator', 'app.txt']);
  assert.deepEqual(await t.repo.changes(), []);
  await t.board.close();
});

test('a task whose gate never passes fails after its attempts and blocks what depends on it; integration gates undo a merge', async () => {
  const t = await setup({ ...threeTasks, gates: ['test ! -f forbidden.txt'] });
  const end = await t.cycle(async (request) => {
    if (request.task.id === 'a') writeFileSync(join(request.worktree, 'a.txt'), 'a\n');
    if (request.task.id === 'b' && request.attempt === 1) {
      writeFileSync(join(request.worktree, 'b.txt'), 'good\n'); // its own gate passes …
      writeFileSync(join(request.worktree, 'forbidden.txt'), 'x\n'); // … the run's integration gate does not
    }
    if (request.task.id === 'b' && request.attempt === 2) writeFileSync(join(request.worktree, 'b.txt'), 'bad\n');
    return ok();
  }, { maxAttempts: 2 });
  assert.equal(end.status, 'failed');
  const failed = end.status === 'failed' ? Object.fromEntries(end.failed.map((f) => [f.id, f.reason])) : {};
  assert.match(failed.b!, /gates failed/);
  assert.equal(existsSync(join(t.integrationTree, 'forbidden.txt')), false, 'the merge the integration gate rejected was undone');
  assert.match(t.prompts.find((p) => p.task.id === 'b' && p.attempt === 2)!.prompt, /integration gates failed \(the merge was undone\)/);
  assert.equal(t.prompts.some((p) => p.task.id === 'c'), false, 'c never started');
  const statuses = Object.fromEntries((await t.board.tasks.list({ run_id: t.run.id })).items.map((task) => [task.metadata.plan_id, task.status]));
  assert.deepEqual(statuses, { a: 'completed', b: 'failed', c: 'pending' });
  await t.board.close();
});

test('a rate limit pauses the cycle; running again later finishes it without merging anything twice', async () => {
  const t = await setup(threeTasks);
  const reset = new Date(Date.now() + 60_000).toISOString();
  const first = await t.cycle(async (request) => {
    writeFileSync(join(request.worktree, `${request.task.id}.txt`), 'good\n');
    if (request.task.id === 'b') return { ...ok(), outcome: { ...ok().outcome, kind: 'rate_limited', message: 'usage limit reached', reset_at: reset } };
    return ok();
  });
  assert.deepEqual(first, { status: 'paused', reset_at: reset, reason: 'task b: usage limit reached' });
  const merges = () => t.sh(`git log --merges --format=%s ${t.run.branch}`).stdout.trim().split('\n').filter(Boolean).sort();
  // a was merged if its agent started before b's limit came back; if not, it waits for the next run.
  assert.ok(merges().length <= 1 && merges().every((m) => m === 'Merge a: write a'), merges().join());
  const second = await t.cycle(async (request) => {
    writeFileSync(join(request.worktree, `${request.task.id}.txt`), 'good\n');
    return ok();
  });
  assert.deepEqual(second, { status: 'done' });
  assert.deepEqual(merges(), ['Merge a: write a', 'Merge b: write b', 'Merge c: write c']);
  await t.board.close();
});

test('a hold (a spent budget) starts nothing more: what runs finishes, the rest waits', async () => {
  const t = await setup(threeTasks);
  let started = 0;
  const end = await t.cycle(async (request) => {
    started++;
    writeFileSync(join(request.worktree, `${request.task.id}.txt`), 'good\n');
    return ok();
  }, { hold: async () => (started >= 1 ? { reason: 'the run has spent $1.00 of its $1 budget' } : null) });
  assert.deepEqual(end, { status: 'held', reason: 'the run has spent $1.00 of its $1 budget' });
  const statuses = Object.fromEntries((await t.board.tasks.list({ run_id: t.run.id })).items.map((task) => [task.metadata.plan_id, task.status]));
  assert.equal(Object.values(statuses).filter((s) => s === 'completed').length, started, 'what started was finished and merged');
  assert.equal(statuses.c, 'pending');
  await t.board.close();
});

test('a merge conflict goes back to the task: its agent merges the run branch, resolves, and the merge goes through', async () => {
  // x and y both edit app.txt but do not say so, so they run at once and the second merge conflicts.
  const t = await setup({ tasks: [
    { id: 'x', title: 'x edits', description: 'change line 1', files: ['x-notes.txt'] },
    { id: 'y', title: 'y edits', description: 'change line 1 too', files: ['y-notes.txt'] },
  ] });
  const commit = (cwd: string, message: string) => t.sh(`git add -A && git -c user.name=W -c user.email=w@x.test commit -q -m "${message}"`, cwd);
  const end = await t.cycle(async (request) => {
    const file = join(request.worktree, 'app.txt');
    if (request.attempt === 1) {
      writeFileSync(file, `line 1 by ${request.task.id}\n`);
      commit(request.worktree, request.task.id);
    } else {
      assert.match(request.prompt, /merging into the run branch conflicts in: app\.txt\. Merge the branch orchestrate\/t into your branch/);
      t.sh('git merge orchestrate/t', request.worktree); // stops at the conflict: both sides in the file
      assert.match(readFileSync(file, 'utf8'), /<<<<<<<[\s\S]*=======[\s\S]*>>>>>>>/);
      writeFileSync(file, 'line 1 by x\nline 1 by y\n');
      commit(request.worktree, 'resolve');
    }
    return ok();
  });
  assert.deepEqual(end, { status: 'done' });
  assert.equal(readFileSync(join(t.integrationTree, 'app.txt'), 'utf8'), 'line 1 by x\nline 1 by y\n');
  assert.equal(t.prompts.filter((p) => p.attempt === 2).length, 1, 'only the task that lost the race went again');
  await t.board.close();
});

test('the engine cut off from the board longer than its lease: its task went back to the queue; it takes it again and merges it once', async () => {
  const t = await setup({ tasks: [{ id: 'a', title: 'write a', description: 'create a.txt', files: ['a.txt'], gates: ['test -f a.txt'] }] });
  const engine = (await t.board.agents.list()).items.find((agent) => agent.name.startsWith('engine-'))!;
  t.board.presence.keep(engine.id);
  const end = await t.cycle(async (request) => {
    writeFileSync(join(request.worktree, 'a.txt'), 'a\n');
    // Meanwhile another process, two hours later by its clock, found the engine's lease ended.
    const later = await openBoard(t.board.db.location, { now: () => Date.now() + 2 * 3_600_000 });
    await later.sweep(true);
    assert.equal((await later.tasks.get(request.boardId)).status, 'pending');
    await later.close();
    return ok();
  });
  assert.deepEqual(end, { status: 'done' });
  const task = (await t.board.tasks.list({ run_id: t.run.id })).items[0]!;
  assert.equal(task.status, 'completed');
  assert.equal(task.claimed_by, engine.id, 'the engine took it again under its own id');
  assert.ok(t.lines.some((line) => /went back to the queue while it ran/.test(line)));
  assert.equal(t.sh(`git log --oneline --merges orchestrate/t`).stdout.trim().split('\n').length, 1, 'merged once');
  await t.board.close();
});
