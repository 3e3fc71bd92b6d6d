// Feature runs that spend to a budget, with the real Claude Code and the fake model server: a
// spent dollar budget, a budget in tokens (flat-rate plans), a day's budget for every run together
// and for one role (config.yaml) hold new work and escalate — a master plan's and a workflow run's
// too; resume with a larger one completes. `team up` workers of a role whose day is spent take no
// task; the other roles' workers go on.
// (Pauses, stops and holds: feature-pauses.test.ts.)
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends, newBoardUrl, openBoard, tempDir } from './support/backends.js';
import { cleanEnv, cli, cliInBackground, newProject } from './support/cli.js';
import { until } from './support/until.js';
import { featureModel, project, scenarios } from './support/feature.js';
import { tourAgent, writeTourPlan } from '../scripts/tour-plan.mjs';

after(cleanupBackends);

const fake = featureModel();
const env = fake.env;

describe('feature runs with budgets, with the real Claude Code', () => {
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

  test('a master plan and a workflow run hold on a day budget another run spent on the same board: blocked before their first phase or step; raised, resume completes', async () => {
    const board = join(tempDir('orchestrator-shared-board-'), 'board.db');
    const feature = project();
    fake.model().setScenarios(scenarios());
    const spent = await cli(feature, ['start', 'Add greetings', '--reviewer', 'none', '--json'], { ...env(), ORCHESTRATOR_DB: board });
    assert.equal(spent.code, 0, spent.stderr);
    const dir = tempDir('orchestrator-plan-budget-');
    writeTourPlan(dir);
    mkdirSync(join(dir, '.orchestrator'), { recursive: true });
    const config = (tokens: number) => writeFileSync(join(dir, '.orchestrator', 'config.yaml'), `budgets:\n  per_day:\n    tokens: ${tokens}\n`);
    config(10);
    const planEnv = { ...cleanEnv(), ORCHESTRATOR_DB: board };
    const held = await cli(dir, ['run', 'docs/master-plan.md', ...tourAgent, '--json'], planEnv);
    assert.equal(held.code, 13, held.stderr);
    assert.deepEqual([held.json.run.status, held.json.run.escalation.reason], ['blocked', 'budget reached']);
    assert.match(held.json.run.escalation.details, /^every run together used \d+ tokens today, of 10 a day .*; no new phase was started/);
    const processes = (await cli(dir, ['ps', '--json'], planEnv)).json.items as { task_id: string | null }[];
    assert.ok(!processes.some((p) => p.task_id?.startsWith(held.json.run.id)), 'no phase started');

    writeFileSync(join(dir, 'steps.yaml'), 'name: two-steps\nsteps:\n  - id: first\n    title: First\n    instructions: go\n  - id: second\n    title: Second\n    instructions: go\n    depends_on: [first]\n');
    const steps = ['workflow', 'run', '--file', 'steps.yaml', '--cli', 'command', '--program', 'sh', '--arg=-c', '--arg', 'echo an answer', '--json'];
    const workflow = await cli(dir, steps, planEnv);
    assert.equal(workflow.code, 13, workflow.stderr);
    assert.deepEqual([workflow.json.end, workflow.json.run.status, workflow.json.run.escalation.reason], ['blocked', 'blocked', 'budget reached']);
    assert.match(workflow.json.run.escalation.details, /^every run together used \d+ tokens today, of 10 a day .*; no new step was started/);
    assert.deepEqual(workflow.json.workflow.steps.map((s: { status: string }) => s.status), ['pending', 'pending']);
    const stepProcesses = (await cli(dir, ['ps', '--json'], planEnv)).json.items as { task_id: string | null }[];
    assert.ok(!stepProcesses.some((p) => p.task_id?.startsWith(workflow.json.run.id)), 'no step started');

    config(1_000_000_000);
    const resumed = await cli(dir, ['resume', '--run', held.json.run.id, '--json'], planEnv);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json.end, 'completed');
    const finished = await cli(dir, ['resume', '--run', workflow.json.run.id, '--json'], planEnv);
    assert.equal(finished.code, 0, finished.stderr);
    assert.deepEqual([finished.json.end, finished.json.workflow.status], ['completed', 'completed']);
    assert.deepEqual(finished.json.workflow.steps.map((s: { status: string; notes: string }) => [s.status, s.notes.trim()]), [['done', 'an answer'], ['done', 'an answer']]);
  });
});

test('team up: the workers of a role whose day budget is spent put back what they claim and take nothing more; the other role\'s workers go on', async () => {
  const project = newProject();
  const url = newBoardUrl('sqlite');
  const env = cleanEnv({ ORCHESTRATOR_DB: url });
  mkdirSync(join(project, '.orchestrator'), { recursive: true });
  writeFileSync(join(project, '.orchestrator', 'config.yaml'), 'roles:\n  reviewer:\n    budget_per_day:\n      usd: 0.5\n');
  // A reviewer's run earlier today, as the runner records one: $0.75.
  const board = await openBoard(url);
  const earlier = await board.processes.queue({ kind: 'claude', argv: ['claude'], cwd: project, priority: 0, task_id: null, attempt: 1, host: 'here', supervisor: '1:1', spec: { agent: 'claude', prompt: 'review', cwd: project, role: 'reviewer' } });
  await board.processes.started(earlier.id, 1, null, null);
  await board.processes.exited(earlier.id, { outcome: 'ok', message: 'reviewed', reset_at: null, session_id: null, usage: { input_tokens: 10, output_tokens: 10 }, cost_usd: 0.75 });
  await board.close();

  assert.equal((await cli(project, ['team', 'create', 'pair', '--goal', 'ship', '--role', 'reviewer:1:command', '--role', 'implementer:1:command'], env)).code, 0);
  const up = cliInBackground(project, ['team', 'up', 'pair', '--json', '--program', 'sh', '--arg=-c', '--arg', 'echo done'], env);
  try {
    const review = (await cli(project, ['task', 'push', 'review the change', '--role', 'reviewer', '--json'], env)).json;
    const build = (await cli(project, ['task', 'push', 'build the change', '--role', 'implementer', '--json'], env)).json;
    await until('the implementer completes its task', async () => (await cli(project, ['task', 'get', build.id, '--json'], env)).json?.status === 'completed', 60_000, 200);
    const events = await until('the reviewer puts its task back', async () => {
      const mine = (await cli(project, ['events', '--json', '--limit', '500'], env)).json.items.filter((e: { subject: string }) => e.subject === review.id);
      return mine.some((e: { type: string }) => e.type === 'task.unblocked') ? mine : null;
    }, 60_000, 200);
    assert.match(JSON.stringify(events.find((e: { type: string }) => e.type === 'task.blocked').data), /day budget spent: the reviewer role spent \$0\.7500 today, of \$0\.5 a day/);
    assert.equal((await cli(project, ['task', 'get', review.id, '--json'], env)).json.status, 'pending', 'back in the queue, for when the day is over');
    assert.equal((await cli(project, ['task', 'get', review.id, '--json'], env)).json.retry_count, 0, 'no retry counted');
    const ran = (await cli(project, ['ps', '--json'], env)).json.items.map((p: { task_id: string | null }) => p.task_id);
    assert.ok(ran.includes(build.id) && !ran.includes(review.id), `no agent ran for the review: ${ran}`);
    assert.equal((await cli(project, ['team', 'down', 'pair'], env)).code, 0);
    const end = await up.done;
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stderr, /\[pair-reviewer-1\] takes no task: the reviewer role spent \$0\.7500 today, of \$0\.5 a day .*; task-\S+ is back in the queue; waiting until \S+ \(or raise the budget and bring the team up again\)/);
    assert.equal(end.json.completed, 1);
  } finally {
    up.child.kill('SIGKILL');
  }
});
