// Feature runs that pause, stop or hold, with the real Claude Code CLI and the fake model server:
// a usage limit pauses the run until its reset, so does a usage window above the threshold;
// stop from another terminal, dry run, detach. (The main path: feature.test.ts; budgets:
// feature-budgets.test.ts; crashes: feature-crash.test.ts.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli, cliInBackground } from './support/cli.js';
import { anthropicUsageLimit } from './support/fake-model/limits.js';
import type { Scenario } from './support/fake-model/server.js';
import { featureModel, git, project, scenarios } from './support/feature.js';
import { until, untilExited } from './support/until.js';

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
    await untilExited('the detached run', detached.json.pid);
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
