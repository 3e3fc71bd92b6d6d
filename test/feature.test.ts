// Feature runs end to end with the real Claude Code CLI and the fake model server, in a temp git
// repository: a planner submits a plan, a reviewer approves it, workers write files in their own
// worktrees, the engine runs the gates and merges, the code review approves or asks for fixes;
// a gate that keeps failing escalates and `resume --guidance` finishes. (Pauses, budgets, stop,
// dry run and detach: feature-pauses.test.ts; crashes: feature-crash.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli } from './support/cli.js';
import { featureModel, git, project, runId, scenarios, write } from './support/feature.js';

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
    assert.match(run.stderr, /^planner claude, workers claude, reviewer claude \(the default; --reviewer codex reviews with Codex as design C did/m, 'a run says which reviewer it uses');
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
});

