// Feature runs end to end with the real Claude Code CLI and the fake model server, in a temp git
// repository: a planner submits a plan, a reviewer approves it, workers write files in their own
// worktrees, the engine runs the gates and merges, the code review approves or asks for fixes;
// a gate that keeps failing escalates and `resume --guidance` finishes; a usage limit pauses the
// run until its reset, so do a usage window above the threshold and a spent budget; stop, dry
// run, detach. (Crashes: feature-crash.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli, cliInBackground } from './support/cli.js';
import type { Scenario } from './support/fake-model/server.js';
import { featureModel, git, project, runId, scenarios, write } from './support/feature.js';
import { until } from './support/until.js';

after(cleanupBackends);

const fake = featureModel();
const env = fake.env;

describe('feature runs with the real Claude Code', () => {
  test('plan, plan review, parallel workers in worktrees, gates, merges, approval in cycle 1; the checkout untouched', async () => {
    const dir = project();
    fake.model().setScenarios(scenarios());
    const run = await cli(dir, ['start', 'Add greetings', '--concurrency', '2', '--json'], env());
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json.end, 'completed');
    const { id, branch } = run.json.run;
    assert.equal(branch, 'orchestrate/add-greetings');
    assert.equal(git(dir, 'show', `${branch}:hello.txt`), 'hello');
    assert.equal(git(dir, 'show', `${branch}:world.txt`), 'world');
    assert.equal(git(dir, 'show', `${branch}:both.txt`), 'hello world');
    assert.deepEqual(git(dir, 'log', '--merges', '--format=%s', branch).split('\n').sort(), ['Merge a: Write hello', 'Merge b: Write world', 'Merge c: Combine them']);
    // The user's checkout: still main at the first commit, no new files, nothing to commit.
    assert.equal(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.equal(git(dir, 'rev-list', '--count', 'HEAD'), '1');
    assert.equal(git(dir, 'status', '--porcelain'), '');
    assert.equal(git(dir, 'worktree', 'list').split('\n').length, 1, 'every worktree was removed');
    assert.match(readFileSync(join(dir, '.git', 'info', 'exclude'), 'utf8'), /\/\.orchestrator\//);
    const refused = fake.model().requests.find((r) => r.scenario === 'planner' && r.conversation?.turn === 1 && r.conversation.prompt.includes(id))!;
    assert.match(refused.conversation!.toolResults[0]!, /the plan was not accepted; fix these and call submit_plan again:\n- tasks\.q\.depends_on: 'ghost' is not a task of this plan/);
    const runDir = join(dir, '.orchestrator', 'runs', id);
    assert.match(readFileSync(join(runDir, 'plan-v1.md'), 'utf8'), /\| c \| Combine them \|  \| a, b \|/);
    assert.equal(readFileSync(join(runDir, 'context.md'), 'utf8'), 'Add greetings\n');
    assert.deepEqual(readdirSync(join(runDir, 'evidence')).sort(), ['c1-a.json', 'c1-b.json', 'c1-c.json']);
    const evidence = JSON.parse(readFileSync(join(runDir, 'evidence', 'c1-c.json'), 'utf8'));
    assert.equal(evidence.attempts[0].outcome, 'ok');
    assert.equal(evidence.attempts[0].gates[0].passed, true);
    assert.ok(existsSync(evidence.attempts[0].log_path));
    // Both independent tasks ran before c; c's worker started from a run branch holding a and b.
    const workers = fake.model().requests.filter((r) => r.scenario?.startsWith('worker') && r.conversation?.turn === 0);
    assert.equal(workers[workers.length - 1]!.scenario, 'worker c');
    const status = await cli(dir, ['status', '--run', id], env());
    assert.match(status.stdout, /completed/);
    assert.match(status.stdout, /tasks: 3 done, 0 running, 0 pending, 0 failed/);
    assert.match((await cli(dir, ['runs'], env())).stdout, new RegExp(`${id}\\s+completed`));
    assert.match((await cli(dir, ['log', '--run', id], env())).stdout, /run\.review/);
  });

  test('a dirty checkout is refused before anything is created', async () => {
    const dir = project();
    writeFileSync(join(dir, 'README.md'), 'changed\n');
    const run = await cli(dir, ['start', 'Add greetings'], env());
    assert.equal(run.code, 2);
    assert.match(run.stderr, /the working tree has uncommitted changes \(README\.md\): commit or stash them first/);
    assert.equal(git(dir, 'branch', '--format=%(refname:short)'), 'main');
    assert.equal((await cli(dir, ['runs', '--json'], env())).json.items.length, 0);
  });

  test('the plan reviewer asks for a revision; the code reviewer asks for a fix; out of cycles it escalates, resume runs the fix and it is approved', async () => {
    const dir = project();
    const concern = { title: 'Gate the combination', description: 'c must check both.txt mentions world.', files: ['both.txt'] };
    fake.model().setScenarios(scenarios(
      [
        { name: 'fixer', match: { prompt: 'Task fix-1:' }, turns: [{ tools: [write('hello.txt', 'hello\nbye\n')] }, { text: 'Fixed.' }] },
        { name: 'plan review v1', match: { prompt: /You review the plan of feature run[\s\S]*# Plan v1:/ }, turns: [{ tools: [{ name: 'mcp__orchestrator__submit_review', input: (c) => ({ run_id: runId(c), subject: 'plan', verdict: 'changes', findings: [concern] }) }] }, { text: 'One concern.' }] },
      ],
      [{ tools: [{ name: 'mcp__orchestrator__submit_review', input: (c) => (/\(cycle 1\)/.test(c.prompt)
        ? { run_id: runId(c), subject: 'code', verdict: 'changes', findings: [{ title: 'Say bye too', description: 'Append a line "bye" to hello.txt.', files: ['hello.txt'] }] }
        : { run_id: runId(c), subject: 'code', verdict: 'approve' }) }] }, { text: 'Reviewed.' }],
    ));
    const first = await cli(dir, ['start', 'Add greetings', '--max-cycles', '1', '--json'], env());
    assert.equal(first.code, 13, first.stderr);
    assert.equal(first.json.run.escalation.reason, 'out of cycles');
    assert.match(first.json.run.escalation.details, /Say bye too/);
    const run = await cli(dir, ['resume', '--guidance', 'go ahead with the fix', '--json'], env());
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json.run.cycle, 2);
    assert.equal(run.json.run.options.max_cycles, 2);
    assert.equal(git(dir, 'show', `${run.json.run.branch}:hello.txt`), 'hello\nbye');
    const plans = readdirSync(join(dir, '.orchestrator', 'runs', run.json.run.id)).filter((f) => f.startsWith('plan-')).sort();
    assert.deepEqual(plans, ['plan-v1.md', 'plan-v2.md', 'plan-v3.md'], 'the plan, its revision after the plan review, and the fixes of cycle 2');
    const revising = fake.model().requests.filter((r) => r.scenario === 'planner' && r.conversation!.prompt.includes(run.json.run.id) && /A reviewer raised these concerns/.test(r.conversation!.prompt));
    assert.ok(revising.length > 0, 'the planner was asked again, with the concerns');
    assert.match(revising[0]!.conversation!.prompt, /Gate the combination \(both\.txt\)\nc must check both\.txt mentions world\./);
    const ours = fake.model().requests.filter((r) => r.conversation?.prompt.includes(run.json.run.id) && r.conversation.turn === 0);
    assert.deepEqual(ours.filter((r) => r.scenario?.startsWith('plan review')).map((r) => r.scenario), ['plan review v1', 'plan review'], 'v1 got a concern, v2 was approved');
  });

  test('a gate that keeps failing escalates; resume --guidance finishes the run', async () => {
    const dir = project();
    fake.model().setScenarios(scenarios([
      { name: 'guided a', match: { prompt: /Task a:[\s\S]*Guidance from the person running this: spell it hello/ }, turns: [{ tools: [write('hello.txt', 'hello\n')] }, { text: 'Fixed the spelling.' }] },
      { name: 'typo a', match: { prompt: 'Task a:' }, turns: [{ tools: [write('hello.txt', 'helo\n')] }, { text: 'Wrote helo.' }] },
    ]));
    const first = await cli(dir, ['start', 'Add greetings', '--reviewer', 'none', '--json'], env());
    assert.equal(first.code, 13, first.stderr);
    assert.equal(first.json.end, 'escalated');
    const escalation = JSON.parse(readFileSync(join(dir, '.orchestrator', 'runs', first.json.run.id, 'escalation.json'), 'utf8'));
    assert.equal(escalation.reason, 'tasks failed');
    assert.match(escalation.details, /a: gates failed:\n\$ grep -q hello hello\.txt/);
    assert.match(escalation.details, /c: blocked by a failed task/);
    assert.equal(fake.model().requests.filter((r) => r.scenario === 'typo a' && r.conversation?.turn === 0).length, 3, 'three attempts, each told why the last failed');
    const resumed = await cli(dir, ['resume', '--guidance', 'spell it hello', '--json'], env());
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json.end, 'completed');
    assert.equal(git(dir, 'show', `${first.json.run.branch}:hello.txt`), 'hello');
  });

  test('a usage limit pauses the run until its reset time; it resumes by itself and completes', async () => {
    const dir = project();
    // The limit resets 4 s after it is hit (the message is made when the request comes).
    const limited: Scenario = { name: 'limit b', match: { prompt: 'Task b:' }, turns: [{ error: { status: 429, type: 'rate_limit_error', get message() { return `Claude AI usage limit reached|${Math.floor(Date.now() / 1000) + 4}`; } } }] };
    fake.model().setScenarios(scenarios([limited]));
    const running = cliInBackground(dir, ['start', 'Add greetings', '--reviewer', 'none', '--json'], env());
    const paused = await until('the run pauses', async () => {
      const list = (await cli(dir, ['runs', '--json'], env())).json?.items ?? [];
      return list.find((r: { status: string }) => r.status === 'paused');
    });
    const reset = Date.parse(paused.paused_until);
    assert.ok(reset > Date.now() - 1000, 'paused until the reset the limit named');
    fake.model().setScenarios(scenarios()); // the limit is over
    const done = await running.done;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.json.end, 'completed');
    assert.ok(done.at + performance.timeOrigin >= reset - 50, 'it waited for the reset');
    assert.match(done.stderr, /paused: task b: usage limit reached; resuming at/);
    assert.equal(git(dir, 'show', `${done.json.run.branch}:world.txt`), 'world');
  });

  test('a usage window fuller than the threshold pauses the run before new work; it resumes at the reset', async () => {
    const dir = project();
    fake.model().setScenarios(scenarios());
    let utilization = 95;
    const resetsAt = new Date(Date.now() + 6_000).toISOString();
    const seen: string[] = [];
    const usage = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ five_hour: { utilization, resets_at: resetsAt }, seven_day: { utilization: 20, resets_at: null } }));
    });
    await new Promise<void>((resolve) => usage.listen(0, '127.0.0.1', resolve));
    try {
      const usageEnv = { ...env(), ORCHESTRATOR_USAGE_TOKEN: 'usage-token', ORCHESTRATOR_USAGE_URL: `http://127.0.0.1:${(usage.address() as AddressInfo).port}/usage`, ORCHESTRATOR_USAGE_MAX_AGE_MS: '0' };
      const running = cliInBackground(dir, ['start', 'Add greetings', '--reviewer', 'none', '--usage-threshold', '0.9', '--json'], usageEnv);
      const paused = await until('the run pauses', async () => ((await cli(dir, ['runs', '--json'], usageEnv)).json?.items ?? []).find((r: { status: string }) => r.status === 'paused'));
      assert.equal(paused.paused_until, resetsAt);
      assert.deepEqual((await cli(dir, ['task', 'list', '--json'], usageEnv)).json.items.map((t: { status: string }) => t.status), ['pending', 'pending', 'pending'], 'no task started');
      utilization = 10;
      const done = await running.done;
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stderr, /paused: the five_hour usage window is 95% used \(threshold 90%\)/);
      assert.ok(seen.every((header) => header === 'Bearer usage-token'));
    } finally {
      usage.close();
    }
  });

  test('--dry-run plans and stops; --detach runs in the background and log --follow shows it to the end', async () => {
    const dir = project();
    fake.model().setScenarios(scenarios());
    const dry = await cli(dir, ['start', 'Add greetings', '--dry-run', '--reviewer', 'none'], env());
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /stopped — dry run: planned, not started\n[\s\S]*plan-v1\.md/);
    assert.equal((await cli(dir, ['task', 'list', '--json'], env())).json.items.length, 0, 'no task was put on the board');
    const detached = await cli(dir, ['start', 'Add greetings', '--detach', '--reviewer', 'none', '--json'], env());
    assert.equal(detached.code, 0, detached.stderr);
    assert.notEqual(detached.json.pid, undefined);
    const follow = await cli(dir, ['log', '--follow', '--run', detached.json.run.id], env());
    assert.equal(follow.code, 0, follow.stderr);
    assert.match(follow.stdout, /run\.updated\s+status=completed/);
    assert.match(follow.stdout, /task\.completed/);
    assert.equal(git(dir, 'show', `${detached.json.run.branch}:both.txt`), 'hello world');
    assert.match(readFileSync(detached.json.log, 'utf8'), /completed: all tasks merged/);
  });

  test('once the budget is spent no new work starts and the run escalates; resume with a larger budget completes', async () => {
    const dir = project();
    fake.model().setScenarios(scenarios());
    const first = await cli(dir, ['start', 'Add greetings', '--reviewer', 'none', '--budget-usd', '0.001', '--json'], env());
    assert.equal(first.code, 13, first.stderr);
    assert.equal(first.json.run.escalation.reason, 'budget reached');
    assert.match(first.json.run.escalation.details, /the run has spent \$0\.\d+ of its \$0\.001 budget/);
    const tasks = (await cli(dir, ['task', 'list', '--json'], env())).json.items;
    assert.ok(tasks.every((t: { status: string }) => t.status === 'pending'), 'the planner spent the budget: no task started');
    const resumed = await cli(dir, ['resume', '--budget-usd', '5', '--json'], env());
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json.end, 'completed');
    assert.equal(resumed.json.run.options.budget_usd, 5);
  });

  test('orchestrate stop from another terminal stops a run; doctor lists the worktrees it left', async () => {
    const dir = project();
    fake.model().setScenarios(scenarios([{ name: 'slow a', match: { prompt: 'Task a:' }, turns: [{ delayMs: 20_000, text: 'too slow' }] }]));
    const running = cliInBackground(dir, ['start', 'Add greetings', '--reviewer', 'none', '--json'], env());
    await until('a worker runs', async () => ((await cli(dir, ['log', '--json'], env())).json?.events ?? []).some((e: { type: string }) => e.type === 'task.started'));
    const asked = performance.now();
    const stopped = await cli(dir, ['stop'], env());
    assert.equal(stopped.code, 0, stopped.stderr);
    const done = await running.done;
    assert.equal(done.code, 14, done.stderr);
    assert.equal(done.json.end, 'stopped');
    assert.ok(done.at - asked < 10_000, 'it did not wait for the slow worker (20 s)');
    const doctor = await cli(dir, ['doctor', '--skip-smoke'], env());
    assert.match(doctor.stdout, new RegExp(`worktrees of runs that ended[\\s\\S]*${done.json.run.id}-run \\(run ${done.json.run.id} is stopped\\)`));
  });
});
