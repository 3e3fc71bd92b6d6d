// Feature runs that pause, stop or hold, with the real Claude Code CLI and the fake model server:
// a usage limit pauses the run until its reset, so do a usage window above the threshold and a
// spent budget; stop from another terminal, dry run, detach. (The main path: feature.test.ts;
// crashes: feature-crash.test.ts.)
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli, cliInBackground } from './support/cli.js';
import { anthropicUsageLimit } from './support/fake-model/limits.js';
import type { Scenario } from './support/fake-model/server.js';
import { featureModel, git, project, scenarios } from './support/feature.js';
import { until } from './support/until.js';

after(cleanupBackends);

const fake = featureModel();
const env = fake.env;

describe('feature runs that pause, stop or hold, with the real Claude Code', () => {
  test('a usage limit pauses the run until its reset time; it resumes by itself and completes', async () => {
    const dir = project();
    // Claude Code 2.1.330 with a subscription login, refused as the vendor refuses: HTTP 429 with
    // the unified rate-limit headers, a limit that resets 4 s after the request.
    const refusal = anthropicUsageLimit(4);
    const limited: Scenario = { name: 'limit b', match: { prompt: 'Task b:' }, turns: [refusal] };
    fake.model().setScenarios(scenarios([limited]));
    const subscription = env('subscription');
    const running = cliInBackground(dir, ['start', 'Add greetings', '--reviewer', 'none', '--json'], subscription);
    const paused = await until('the run pauses', async () => {
      const list = (await cli(dir, ['runs', '--json'], subscription)).json?.items ?? [];
      return list.find((r: { status: string }) => r.status === 'paused');
    });
    const reset = Date.parse(paused.paused_until);
    assert.equal(paused.paused_until, new Date(refusal.resets.at(-1)! * 1000).toISOString(), 'paused until the reset the vendor named, to the second');
    fake.model().setScenarios(scenarios()); // the limit is over
    const done = await running.done;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.json.end, 'completed');
    assert.ok(done.at + performance.timeOrigin >= reset - 50, 'it waited for the reset');
    assert.match(done.stderr, /paused: task b: You've hit your 5-hour limit · resets \d{1,2}(:\d\d)?[ap]m \([^)]+\); resuming at/);
    const processes = (await cli(dir, ['ps', '--json'], subscription)).json;
    const limitedRun = (processes.items ?? processes).find((p: { outcome: string }) => p.outcome === 'rate_limited');
    assert.equal(limitedRun.reset_at, paused.paused_until);
    assert.deepEqual(limitedRun.windows.map((w: { name: string; used: number }) => [w.name, w.used]), [['five_hour', 1], ['seven_day', 0.4]]);
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
      assert.equal(done.code, 0, `${done.stderr}\n${JSON.stringify(done.json?.run?.escalation ?? null, null, 2)}`);
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

  test('a budget in tokens (a flat-rate plan): spent by the planner, the run escalates; resume with a larger one completes; history shows the tokens', async () => {
    const dir = project();
    fake.model().setScenarios(scenarios());
    const first = await cli(dir, ['start', 'Add greetings', '--reviewer', 'none', '--budget-tokens', '10', '--json'], env());
    assert.equal(first.code, 13, first.stderr);
    assert.equal(first.json.run.escalation.reason, 'budget reached');
    assert.match(first.json.run.escalation.details, /the run has used \d+ tokens of its 10 budget \(\d+ in, \d+ out, \d+ cache writes\)/);
    const planned = first.json.run.tokens;
    assert.ok(planned.input + planned.output > 10, `the planner's tokens are counted: ${JSON.stringify(planned)}`);
    const resumed = await cli(dir, ['resume', '--budget-tokens', '10000000', '--json'], env());
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json.end, 'completed');
    assert.equal(resumed.json.run.options.budget_tokens, 10_000_000);
    assert.ok(resumed.json.run.tokens.output > planned.output, 'the workers\' tokens were added');
    const history = await cli(dir, ['history'], env());
    assert.match(history.stdout, /COST \(EST\.\)\s+TOKENS IN\/OUT\/CACHE/);
    assert.match(history.stdout, new RegExp(`${resumed.json.run.id}\\s+feature\\s+completed.*\\$\\d+\\.\\d{4}\\s+[\\d.]+k?/[\\d.]+k?/`));
    assert.equal((await cli(dir, ['start', 'x', '--budget-tokens', 'lots'], env())).stderr.split('\n')[0], "error: --budget-tokens must be a whole number from 1 to 1000000000000, not 'lots'");
  });

  test('a day budget for every run together, then one for a role (config.yaml): new work holds and the run escalates; with the budgets raised, resume completes', async () => {
    const dir = project();
    fake.model().setScenarios(scenarios());
    mkdirSync(join(dir, '.orchestrator'), { recursive: true });
    const config = (text: string) => writeFileSync(join(dir, '.orchestrator', 'config.yaml'), text);
    config('budgets:\n  per_day:\n    tokens: 10\n');
    const first = await cli(dir, ['start', 'Add greetings', '--reviewer', 'none', '--json'], env());
    assert.equal(first.code, 13, first.stderr);
    assert.match(first.json.run.escalation.details, /^every run together used \d+ tokens today, of 10 a day \(config\.yaml budgets; raise them, or resume tomorrow\)/);
    config('roles:\n  architect:\n    budget_per_day:\n      tokens: 10\n');
    const second = await cli(dir, ['resume', '--json'], env());
    assert.equal(second.code, 13, second.stderr);
    assert.match(second.json.run.escalation.details, /^the architect role used \d+ tokens today, of 10 a day/, 'the planner is the architect: its day is spent');
    config('roles:\n  architect:\n    budget_per_day:\n      tokens: 100000000\n');
    const done = await cli(dir, ['resume', '--json'], env());
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.json.end, 'completed');
  });

  test('orchestrate stop from another terminal stops a run; doctor lists the worktrees it left', async () => {
    const dir = project();
    fake.model().setScenarios(scenarios([{ name: 'slow a', match: { prompt: 'Task a:' }, turns: [{ delayMs: 300_000, text: 'too slow' }] }]));
    const running = cliInBackground(dir, ['start', 'Add greetings', '--reviewer', 'none', '--json'], env());
    await until('a worker runs', async () => ((await cli(dir, ['log', '--json'], env())).json?.events ?? []).some((e: { type: string }) => e.type === 'task.started'));
    const asked = performance.now();
    const stopped = await cli(dir, ['stop'], env());
    assert.equal(stopped.code, 0, stopped.stderr);
    const done = await running.done;
    assert.equal(done.code, 14, done.stderr);
    assert.equal(done.json.end, 'stopped');
    assert.ok(done.at - asked < 150_000, 'it did not wait for the slow worker (300 s)');
    const doctor = await cli(dir, ['doctor', '--skip-smoke'], env());
    assert.match(doctor.stdout, new RegExp(`worktrees of runs that ended[\\s\\S]*${done.json.run.id}-run \\(run ${done.json.run.id} is stopped\\)`));
  });
});
