// Routing across CLIs by headroom, end to end, with the real Claude Code (a subscription login)
// and the real Codex against the fake model, which refuses as each vendor refuses (HTTP 429 with
// their usage headers). A feature run allowed `--worker claude,codex`: Claude refuses a task
// mid-run and Codex takes it at once, no retry counted, no pause. A plan whose tasks allow both
// while Claude's window is at 85 %: every task goes to Codex. Both refuse: the run pauses until the
// earliest reset and goes on by itself. A master plan and a workflow routed the same way; a team
// worker waits out a limit. The choices by headroom themselves: accounts.test.ts.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli, cliInBackground } from './support/cli.js';
import { CODEX, codexEnv } from './support/codex.js';
import { anthropicUsageLimit, openaiUsageLimit } from './support/fake-model/limits.js';
import type { Scenario, ToolCall } from './support/fake-model/scenario.js';
import { featureModel, git, PLAN, project, runId, scenarios } from './support/feature.js';
import { onePhaseProject, phase, phaseDone } from './support/master-plan.js';
import { until } from './support/until.js';

after(cleanupBackends);

const fake = featureModel();

/** Claude Code on a subscription login and Codex, side by side, both on the fake model. */
function bothEnv(extra: Record<string, string> = {}): Record<string, string> {
  const claude = fake.env('subscription');
  return { ...codexEnv(fake.model().url, claude.HOME!), ...claude, ORCHESTRATOR_CODEX: CODEX, ...extra };
}

const shell = (file: string, text: string): ToolCall => ({ name: 'exec_command', input: { cmd: `printf '%s\\n' '${text}' > ${file}` } });
/** Codex's workers (told apart from Claude Code's by the tool they are offered). */
const codexWorkers: Scenario[] = [
  { name: 'codex a', match: { prompt: 'Task a:', tool: 'exec_command' }, turns: [{ tools: [shell('hello.txt', 'hello')] }, { text: 'Wrote hello.txt.' }] },
  { name: 'codex b', match: { prompt: 'Task b:', tool: 'exec_command' }, turns: [{ tools: [shell('world.txt', 'world')] }, { text: 'Wrote world.txt.' }] },
  { name: 'codex c', match: { prompt: 'Task c:', tool: 'exec_command' }, turns: [{ tools: [shell('both.txt', 'hello world')] }, { text: 'Wrote both.txt.' }] },
];

interface Proc { task_id: string | null; kind: string; outcome: string }
const processesOf = async (dir: string, env: Record<string, string>, task: string) => ((await cli(dir, ['ps', '--json'], env)).json.items as Proc[]).filter((p) => p.task_id?.endsWith(`.${task}`)).map((p) => [p.kind, p.outcome]);
const routes = async (dir: string, env: Record<string, string>, task: string) => ((await cli(dir, ['events', '--type', 'route.chosen', '--limit', '100', '--json'], env)).json.items as { subject: string; data: { cli: string | null; reason: string } }[]).filter((e) => e.subject.endsWith(`.${task}`)).map((e) => e.data);

describe('routing across CLIs by headroom, with the real Claude Code and Codex', () => {
  test('Claude refuses a task mid-run: Codex takes it at once, no retry counted, the run never pauses; limits shows Claude limited until its reset', async () => {
    const dir = project();
    const refusal = anthropicUsageLimit(300);
    fake.model().setScenarios(scenarios([{ name: 'claude refuses b', match: { prompt: 'Task b:', tool: 'Write' }, turns: [refusal] }, ...codexWorkers]));
    const env = bothEnv();
    const done = await cli(dir, ['start', 'Add greetings', '--worker', 'claude,codex', '--reviewer', 'none', '--json'], env);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.json.end, 'completed');
    assert.doesNotMatch(done.stderr, /paused/);
    assert.match(done.stderr, /claude refused: .*; the next allowed CLI takes it/);
    assert.equal(git(dir, 'show', `${done.json.run.branch}:world.txt`), 'world');
    assert.deepEqual(await processesOf(dir, env, 'b'), [['claude', 'rate_limited'], ['codex', 'ok']], 'task b: Claude refused, Codex did it');
    const attempts = (await cli(dir, ['events', '--type', 'task.attempt', '--limit', '100', '--json'], env)).json.items.filter((e: { subject: string }) => e.subject.endsWith('.b'));
    assert.deepEqual(attempts.map((e: { data: { attempt: number; outcome: string } }) => [e.data.attempt, e.data.outcome]), [[1, 'ok']], 'one attempt: the refusal counted no retry');
    const b = await routes(dir, env, 'b');
    assert.deepEqual(b.map((r) => r.cli), ['claude', 'codex']);
    assert.match(b[1]!.reason, /^codex: no figures yet$/, 'only Codex was left to ask');
    const c = await routes(dir, env, 'c');
    assert.deepEqual(c.map((r) => r.cli), ['codex'], 'task c, later: Claude is still limited');
    assert.match(c[0]!.reason, /^claude: limited until \S+; codex: no figures yet$/);
    assert.deepEqual(await processesOf(dir, env, 'c'), [['codex', 'ok']]);
    const limits = (await cli(dir, ['limits', '--json'], env)).json.accounts as { cli: string; account: string; state: string; limited_until: string | null; windows: { name: string; used: number }[] }[];
    const claude = limits.find((a) => a.cli === 'claude')!;
    assert.match(claude.account, /^login:token-[0-9a-f]{8}$/);
    assert.deepEqual([claude.state, claude.limited_until], ['limited', new Date(refusal.resets[0]! * 1000).toISOString()], 'limited until the reset Claude named');
    assert.deepEqual(claude.windows.map((w) => [w.name, w.used]).sort(), [['five_hour', 1], ['seven_day', 0.4]]);
    const text = await cli(dir, ['limits'], env);
    assert.match(text.stdout, /claude\s+login:token-\S+\s+limited until \S+\s+five_hour\s+100%/);
  });

  test('the plan lets its tasks run on claude or codex, and Claude\'s window is at 85 % (its usage endpoint): every task goes to Codex, and the run does not wait for Claude', async () => {
    const dir = project();
    // The planner allows both CLIs for each task (a plan task's own `agents`); the run's --worker stays the default, claude.
    const planner: Scenario = { name: 'planner with agents', match: { prompt: 'You are the planner of feature run' }, turns: [
      { tools: [{ name: 'mcp__orchestrator__submit_plan', input: (c) => ({ run_id: runId(c), ...PLAN, tasks: PLAN.tasks.map((t) => ({ ...t, agents: ['claude', 'codex'] })) }) }] },
      { text: 'Planned.' },
    ] };
    fake.model().setScenarios(scenarios([planner, ...codexWorkers]));
    const usage = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ five_hour: { utilization: 85, resets_at: new Date(Date.now() + 3600_000).toISOString() }, seven_day: { utilization: 30, resets_at: null } })));
    await new Promise<void>((resolve) => usage.listen(0, '127.0.0.1', resolve));
    try {
      const env = bothEnv({ ORCHESTRATOR_USAGE_TOKEN: 'usage-token', ORCHESTRATOR_USAGE_URL: `http://127.0.0.1:${(usage.address() as AddressInfo).port}/usage`, ORCHESTRATOR_USAGE_MAX_AGE_MS: '0' });
      const done = await cli(dir, ['start', 'Add greetings', '--reviewer', 'none', '--json'], env);
      assert.equal(done.code, 0, done.stderr);
      assert.doesNotMatch(done.stderr, /paused/);
      for (const task of ['a', 'b', 'c']) {
        assert.deepEqual(await processesOf(dir, env, task), [['codex', 'ok']], `task ${task} ran on Codex`);
        assert.match((await routes(dir, env, task))[0]!.reason, /^claude: 85% used, over the threshold 80%; codex: /);
      }
      assert.equal(git(dir, 'show', `${done.json.run.branch}:both.txt`), 'hello world');
      const limits = (await cli(dir, ['limits', '--json'], env)).json.accounts as { cli: string; state: string; windows: { name: string; used: number; source: string }[] }[];
      const claude = limits.find((a) => a.cli === 'claude')!;
      assert.deepEqual([claude.state, claude.windows.map((w) => [w.name, w.used, w.source])], ['ok', [['five_hour', 0.85, 'usage endpoint'], ['seven_day', 0.3, 'usage endpoint']]], 'limits reads Claude\'s usage endpoint');
    } finally {
      usage.close();
    }
  });

  test('both refuse: the run pauses until the earlier reset of the two, and goes on by itself', async () => {
    const dir = project();
    const claudeRefusal = anthropicUsageLimit(12);
    const codexRefusal = openaiUsageLimit(60);
    fake.model().setScenarios(scenarios([
      { name: 'claude refuses b', match: { prompt: 'Task b:', tool: 'Write' }, turns: [claudeRefusal] },
      { name: 'codex refuses b', match: { prompt: 'Task b:', tool: 'exec_command' }, turns: [codexRefusal] },
    ]));
    const env = bothEnv();
    const running = cliInBackground(dir, ['start', 'Add greetings', '--worker', 'claude,codex', '--reviewer', 'none', '--json'], env);
    const paused = await until('the run pauses', async () => ((await cli(dir, ['runs', '--json'], env)).json?.items ?? []).find((r: { status: string }) => r.status === 'paused'));
    assert.equal(paused.paused_until, new Date(claudeRefusal.resets.at(-1)! * 1000).toISOString(), 'until Claude\'s reset, the earlier one');
    assert.match(paused.phase, /no allowed CLI has room: claude: limited until \S+; codex: limited until \S+/);
    fake.model().setScenarios(scenarios()); // the limits are over
    const done = await running.done;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.json.end, 'completed');
    assert.ok(done.at + performance.timeOrigin >= Date.parse(paused.paused_until) - 50, 'it waited for the reset');
    const b = await processesOf(dir, env, 'b');
    assert.deepEqual(b.slice(0, 2), [['claude', 'rate_limited'], ['codex', 'rate_limited']]);
    assert.deepEqual(b.at(-1), ['claude', 'ok'], 'after the reset, Claude took task b again');
    assert.ok(b.slice(0, -1).every(([, outcome]) => outcome === 'rate_limited'));
    assert.equal(git(dir, 'show', `${done.json.run.branch}:both.txt`), 'hello world');
  });

  test('a master plan allowed claude,codex: Claude refuses the phase, Codex does it in the same attempt; the engine checks it the same way', async () => {
    const { dir, noteText } = onePhaseProject();
    const codexWrite = (file: string, text: string): ToolCall => ({ name: 'exec_command', input: { cmd: `mkdir -p $(dirname ${file}) && printf '%s' '${text}' > ${file}` } });
    fake.model().setScenarios([
      { name: 'claude refuses', match: { prompt: phase(1), tool: 'Write' }, turns: [anthropicUsageLimit(300)] },
      { name: 'codex phase 1', match: { prompt: phase(1), tool: 'exec_command' }, turns: [{ tools: [codexWrite('hello.txt', 'hello\n')] }, { tools: [codexWrite('notes/one.md', noteText)] }, { tools: [phaseDone('1')] }, { text: 'Phase 1 done.' }] },
    ]);
    const env = bothEnv();
    const run = await cli(dir, ['run', 'docs/plan.md', '--cli', 'claude,codex', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json.end, 'completed');
    assert.equal(git(dir, 'show', `${run.json.run.branch}:hello.txt`), 'hello');
    assert.deepEqual(await processesOf(dir, env, '1'), [['claude', 'rate_limited'], ['codex', 'ok']]);
    assert.deepEqual((await routes(dir, env, '1')).map((r) => r.cli), ['claude', 'codex']);
    assert.match(run.stderr, /\[phase 1\] attempt 1: Hello[\s\S]*claude refused: [\s\S]*\[phase 1\] Completed/);
    assert.doesNotMatch(run.stderr, /attempt 2/, 'the refusal was no attempt of its own');
    const refused = await cli(dir, ['run', 'docs/plan.md', '--cli', 'claude,command'], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^error: --cli command runs your own program: it has no usage windows to route by; name it alone/);
  });

  test('a workflow allowed claude,codex: Claude refuses the first step, Codex answers it; the next step goes to Codex while Claude is limited', async () => {
    const dir = project();
    writeFileSync(join(dir, 'steps.yaml'), 'name: two\nsteps:\n  - id: first\n    title: First\n    instructions: say one\n  - id: second\n    title: Second\n    instructions: say two\n    depends_on: [first]\n');
    fake.model().setScenarios([
      { name: 'claude refuses', match: { prompt: /step first:/, tool: 'Write' }, turns: [anthropicUsageLimit(300)] },
      { name: 'codex first', match: { prompt: /step first:/, tool: 'exec_command' }, turns: [{ text: 'one, from codex' }] },
      { name: 'codex second', match: { prompt: /step second:/, tool: 'exec_command' }, turns: [{ text: 'two, from codex' }] },
    ]);
    const env = bothEnv();
    const run = await cli(dir, ['workflow', 'run', '--file', 'steps.yaml', '--cli', 'claude,codex', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.json.workflow.steps.map((s: { id: string; notes: string }) => [s.id, s.notes]), [['first', 'one, from codex'], ['second', 'two, from codex']]);
    assert.deepEqual(await processesOf(dir, env, 'first'), [['claude', 'rate_limited'], ['codex', 'ok']]);
    assert.deepEqual(await processesOf(dir, env, 'second'), [['codex', 'ok']]);
    assert.match((await routes(dir, env, 'second'))[0]!.reason, /^claude: limited until \S+; codex: /);
  });

  test('a team worker refused by a usage limit puts its task back (no retry counted), waits for the reset, and goes on with it', async () => {
    const dir = project();
    const refusal = anthropicUsageLimit(5);
    fake.model().setScenarios([{ name: 'refused', match: { prompt: 'wire the socket' }, turns: [refusal] }]);
    const env = fake.env('subscription');
    assert.equal((await cli(dir, ['team', 'create', 'lamp', '--goal', 'Ship the lamp', '--role', 'implementer:1:claude'], env)).code, 0);
    const task = (await cli(dir, ['task', 'push', 'wire the socket', '--role', 'implementer', '--labels', 'team:lamp', '--json'], env)).json;
    const up = cliInBackground(dir, ['team', 'up', 'lamp', '--json'], env);
    await until('Claude refuses', async () => ((await cli(dir, ['ps', '--json'], env)).json.items as Proc[]).some((p) => p.outcome === 'rate_limited'));
    fake.model().setScenarios([{ name: 'works', match: { prompt: 'wire the socket' }, turns: [{ text: 'Wired the socket.' }] }]);
    const finished = await until('the task is completed', async () => {
      const now = (await cli(dir, ['task', 'get', task.id, '--json'], env)).json;
      return now.status === 'completed' ? now : null;
    }, 60_000);
    assert.equal(finished.retry_count, 0, 'the refusal counted no retry');
    assert.match(finished.result, /Wired the socket\./);
    const trail = (await cli(dir, ['events', '--subject', task.id, '--json'], env)).json.items.map((e: { type: string }) => e.type);
    assert.deepEqual(trail.filter((t: string) => t !== 'task.started'), ['task.pushed', 'task.claimed', 'task.blocked', 'task.unblocked', 'task.claimed', 'task.completed']);
    const runs = ((await cli(dir, ['ps', '--json'], env)).json.items as (Proc & { started_at: string })[]).filter((p) => p.task_id === task.id);
    assert.deepEqual(runs.map((p) => p.outcome), ['rate_limited', 'ok']);
    assert.ok(Date.parse(runs[1]!.started_at) >= refusal.resets[0]! * 1000 - 1000, 'the worker waited for the reset before it tried again');
    assert.equal((await cli(dir, ['team', 'down', 'lamp'], env)).code, 0);
    const ended = await up.done;
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stderr, /claude refused \(usage limit\); the task is back in the queue, no retry counted; waiting until \S+/);
  });
});
