// The persistent tooling of a Claude Code session (designs A and B): workflows and templates,
// teams and roles — each through an SDK client over stdio, the official MCP inspector, and the
// `orchestrate` CLI, on real boards and processes. (Reminders, skill learnings and the session
// scope of context: tooling-session.test.ts.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cleanEnv, cli, cliInBackground, MAIN, newProject } from './support/cli.js';
import { call, callError, stdioClient } from './support/mcp-client.js';
import { until } from './support/until.js';

after(cleanupBackends);

const INSPECTOR = new URL('../node_modules/.bin/mcp-inspector', import.meta.url).pathname;

function inspector(cwd: string, env: Record<string, string>, tool: string, args: Record<string, unknown>): Promise<any> {
  const flags = Object.entries(args).flatMap(([key, value]) => ['--tool-arg', `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`]);
  return new Promise((resolve, reject) => {
    const child = spawn(INSPECTOR, ['--cli', process.execPath, MAIN, 'mcp', '--method', 'tools/call', '--tool-name', tool, ...flags], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`inspector exited ${code}: ${stderr}`))));
  });
}

const STEPS = [
  { id: 'plan', title: 'Plan {{thing}}', role: 'architect', instructions: 'Plan how to build {{thing}}.' },
  { id: 'build', title: 'Build it', role: 'implementer', instructions: 'Build {{thing}}.', depends_on: ['plan'] },
];

describe('workflows', () => {
  test('define, list templates from three places, start with inputs, advance step by step, list in pages; the resource; bad input is refused', async () => {
    const project = newProject();
    const env = cleanEnv();
    mkdirSync(join(project, '.orchestrator', 'workflows'), { recursive: true });
    writeFileSync(join(project, '.orchestrator', 'workflows', 'release.yaml'), 'name: release\ndescription: Cut a release\nsteps:\n  - title: Tag\n    instructions: Tag it.\n');
    writeFileSync(join(project, '.orchestrator', 'workflows', 'broken.yaml'), 'name: broken\nsteps: []\n');
    const client = await stdioClient(project, env);
    try {
      const defined = await call(client, 'define_workflow', { name: 'gadget', description: 'Build a gadget', inputs: [{ name: 'thing', required: true }], steps: STEPS });
      assert.equal(defined.source, 'board');
      const { templates } = await call(client, 'list_workflow_templates');
      const byName = Object.fromEntries(templates.map((t: any) => [t.name, t]));
      for (const name of ['new-skill', 'multi-model-critique', 'publish-to-github', 'code-review', 'feature-development', 'bug-fix', 'refactoring']) assert.equal(byName[name]?.source, 'built-in', name);
      assert.equal(byName.release.source, 'project');
      assert.equal(byName.release.definition.steps[0].id, 's1', 'steps without ids get s1, s2, …');
      assert.match(byName.broken.problem, /steps: Too small|description/);
      assert.equal(byName.gadget.source, 'board');
      const resource = JSON.parse(((await client.readResource({ uri: 'orchestrator://workflow-templates' })).contents[0] as { text: string }).text);
      assert.equal(resource.templates.length, templates.length);

      const started = await call(client, 'start_workflow', { template: 'gadget', inputs: { thing: 'a lamp' } });
      assert.equal(started.current_step.id, 'plan');
      assert.equal(started.steps[0].title, 'Plan a lamp');
      assert.equal(started.steps[1].instructions, 'Build a lamp.');
      const second = await call(client, 'advance_step', { workflow_id: started.id, notes: 'use an LED', outputs: { parts: 3 } });
      assert.deepEqual([second.current_step.id, second.progress], ['build', { done: 1, total: 2 }]);
      assert.deepEqual([second.steps[0].notes, second.steps[0].outputs], ['use an LED', { parts: 3 }]);
      const status = await call(client, 'get_workflow_status', { workflow_id: started.id });
      assert.equal(status.current_step.id, 'build');
      // The CLI advances the same workflow to its end.
      const last = await cli(project, ['workflow', 'advance', started.id, '--notes', 'built', '--output', 'watts=5', '--json'], env);
      assert.equal(last.code, 0, last.stderr);
      assert.deepEqual([last.json.status, last.json.current_step, last.json.steps[1].outputs], ['completed', null, { watts: '5' }]);
      assert.match((await callError(client, 'advance_step', { workflow_id: started.id })).message, /is completed; there is no step to advance/);

      const custom = await call(client, 'start_workflow', { steps: [{ title: 'Only step', instructions: 'Do it.' }], name: 'one-off' });
      await call(client, 'start_workflow', { template: 'release' });
      const page1 = await call(client, 'list_workflows', { limit: 2 });
      assert.equal(page1.items.length, 2);
      const page2 = await call(client, 'list_workflows', { limit: 2, cursor: page1.next_cursor });
      assert.deepEqual([page2.items.length, page2.next_cursor], [1, null]);
      assert.deepEqual((await call(client, 'list_workflows', { status: 'completed' })).items.map((w: any) => w.id), [started.id]);
      assert.equal(custom.name, 'one-off');

      assert.match((await callError(client, 'start_workflow', { template: 'gadget' })).message, /gadget needs the input thing: pass it as name=value/);
      assert.match((await callError(client, 'start_workflow', { template: 'gadget', inputs: { thing: 'x', colour: 'red' } })).message, /gadget has no input 'colour'; its inputs: thing/);
      assert.match((await callError(client, 'start_workflow', { template: 'nope' })).message, /no workflow template 'nope'; the templates: broken, bug-fix/);
      assert.match((await callError(client, 'start_workflow', { template: 'broken' })).message, /cannot be used/);
      assert.match((await callError(client, 'start_workflow', {})).message, /pass either template .* or steps/);
      assert.match((await callError(client, 'define_workflow', { name: 'loop', description: 'd', steps: [{ id: 'a', title: 'A', instructions: 'a', depends_on: ['b'] }, { id: 'b', title: 'B', instructions: 'b {{who}}', depends_on: ['a', 'ghost'] }] })).message,
        /step b depends on 'ghost', which is not a step of this workflow; the steps depend on each other in a circle: a → b → a; step b uses \{\{who\}\}, which is not among the inputs/);
      assert.equal((await callError(client, 'get_workflow_status', { workflow_id: 'wf-missing' })).code, 'not_found');
    } finally {
      await client.close();
    }
  });

  test('workflow run with the command agent: the three critiques run at once, the synthesis sees all of them; a failing step stops what depends on it and resume finishes', async () => {
    const project = newProject();
    const env = cleanEnv();
    // The agent: answers as its step, sleeps a little (so parallel steps overlap), and the synthesis counts the answers it was given.
    const script = [
      'step=$(printf "%s" "$1" | sed -n "s/^Workflow .*, step \\([a-z0-9_-]*\\):.*/\\1/p")',
      'case "$step" in',
      '  synthesis) echo "SYNTHESIS over $(printf "%s" "$1" | grep -c "^ANSWER") answers";;',
      '  broken) if [ -e block ]; then echo "still blocked" >&2; exit 3; fi; echo "ANSWER from broken";;',
      '  *) sleep 0.6; echo "ANSWER from $step";;',
      'esac',
    ].join('\n');
    const agent = ['--cli', 'command', '--program', 'sh', '--arg=-c', '--arg', script, '--arg', 'agent'];
    const run = await cli(project, ['workflow', 'run', 'multi-model-critique', '--input', 'question=Should we shard the database?', '--concurrency', '3', ...agent, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const { workflow } = run.json;
    assert.equal(workflow.status, 'completed');
    assert.deepEqual(workflow.steps.map((s: any) => [s.id, s.status, s.notes]), [
      ['claude', 'done', 'ANSWER from claude'], ['codex', 'done', 'ANSWER from codex'], ['gemini', 'done', 'ANSWER from gemini'], ['synthesis', 'done', 'SYNTHESIS over 3 answers'],
    ]);
    const tasks = (await cli(project, ['task', 'list', '--json'], env)).json.items;
    assert.deepEqual(tasks.filter((t: any) => t.id.startsWith(run.json.run.id)).map((t: any) => [t.id.split('.').pop(), t.role, t.status]), [['claude', 'reviewer', 'completed'], ['codex', 'reviewer', 'completed'], ['gemini', 'reviewer', 'completed'], ['synthesis', 'architect', 'completed']]);
    const spans = (await cli(project, ['ps', '--json'], env)).json.items.map((p: any) => [p.task_id.split('.').pop(), Date.parse(p.started_at), Date.parse(p.ended_at)]);
    const of = (id: string) => spans.find((s: any) => s[0] === id)!;
    assert.ok(of('claude')[1] < of('codex')[2] && of('codex')[1] < of('claude')[2], 'the critiques ran at the same time');
    assert.ok(of('synthesis')[1] >= Math.max(of('claude')[2], of('codex')[2], of('gemini')[2]), 'the synthesis came after all three');
    assert.match(readFileSync(join(project, '.orchestrator', 'logs', `${(await cli(project, ['ps', '--json'], env)).json.items.find((p: any) => p.task_id.endsWith('.synthesis')).id}.jsonl`), 'utf8'), /SYNTHESIS/);

    writeFileSync(join(project, 'block'), '');
    writeFileSync(join(project, 'steps.yaml'), 'name: chain\nsteps:\n  - id: first\n    title: First\n    instructions: go\n  - id: broken\n    title: Broken\n    instructions: go\n    depends_on: [first]\n  - id: last\n    title: Last\n    instructions: go\n    depends_on: [broken]\n');
    const failed = await cli(project, ['workflow', 'run', '--file', 'steps.yaml', ...agent, '--json'], env);
    assert.equal(failed.code, 13, failed.stderr);
    assert.deepEqual(failed.json.workflow.steps.map((s: any) => s.status), ['done', 'failed', 'pending']);
    assert.equal(failed.json.run.status, 'failed');
    assert.match(failed.json.run.phase, /step broken: .*failed: exit 3: still blocked/);
    rmSync(join(project, 'block'));
    const resumed = await cli(project, ['resume', '--run', failed.json.run.id, '--json'], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(resumed.json.workflow.steps.map((s: any) => [s.status, s.notes]), [['done', 'ANSWER from first'], ['done', 'ANSWER from broken'], ['done', 'ANSWER from last']]);
    assert.equal(resumed.json.workflow.status, 'completed');
  });
});

describe('teams and roles', () => {
  test('create a team, team up runs command workers on their role\'s tasks, status shows members and progress, team down stops them and releases the task in hand, dissolve; a project role prompt', async () => {
    const project = newProject();
    const env = cleanEnv();
    mkdirSync(join(project, '.orchestrator', 'roles'), { recursive: true });
    writeFileSync(join(project, '.orchestrator', 'roles', 'tester.md'), 'You are the house tester: always run the smoke suite first.\n');
    const client = await stdioClient(project, env);
    try {
      const team = await call(client, 'create_team', { name: 'lamp', goal: 'Ship the lamp', roles: [{ role: 'implementer', count: 2, agent: 'command' }, { role: 'tester', agent: 'command' }] });
      assert.deepEqual(team.roles, [{ role: 'implementer', count: 2, agent: 'command' }, { role: 'tester', count: 1, agent: 'command' }]);
      assert.match((await callError(client, 'create_team', { name: 'lamp', goal: 'again', roles: [{ role: 'tester' }] })).message, /a team named 'lamp' is active/);
      const roles = JSON.parse(((await client.readResource({ uri: 'orchestrator://roles' })).contents[0] as { text: string }).text).roles;
      assert.deepEqual(roles.find((r: any) => r.name === 'tester'), { name: 'tester', summary: 'tests what was built, end to end', prompt: 'You are the house tester: always run the smoke suite first.', source: 'project', file: join(project, '.orchestrator', 'roles', 'tester.md') });
      for (const title of ['wire the socket', 'fit the bulb']) await call(client, 'push_task', { title, role: 'implementer', labels: ['team:lamp'] });
      await call(client, 'push_task', { title: 'test the lamp', role: 'tester', labels: ['team:lamp'] });
      await call(client, 'push_task', { title: 'slow check', role: 'tester', labels: ['team:lamp'] });
      // Workers answer with their prompt's first line and the task's title; "slow" ones take long.
      const script = 'case "$1" in *slow*) sleep 30;; esac; printf "%s\\n" "$1" | head -1; printf "%s\\n" "$1" | grep "^Task "';
      const up = cliInBackground(project, ['team', 'up', 'lamp', '--program', 'sh', '--arg=-c', '--arg', script, '--arg', 'worker', '--json'], env);
      await until('three tasks completed and the slow one taken', async () => {
        const status = await call(client, 'get_team_status', { team: 'lamp' });
        return status.progress.completed === 3 && status.members.some((m: any) => m.current_task?.title === 'slow check');
      }, 60_000);
      const status = await call(client, 'get_team_status', { team: 'lamp' });
      assert.equal(status.online, 3);
      assert.deepEqual(status.members.map((m: any) => m.name).sort(), ['lamp-implementer-1', 'lamp-implementer-2', 'lamp-tester-1']);
      assert.deepEqual(status.progress, { completed: 3, total: 4, by_status: { completed: 3, in_progress: 1 } });
      const done = (await call(client, 'list_tasks', { status: 'completed', full: true })).items;
      const tested = done.find((t: any) => t.title === 'test the lamp');
      assert.match(tested.result, /^You are the house tester: always run the smoke suite first\.\nTask task-\S+: test the lamp$/, 'the project role prompt reached the worker');
      assert.match(done.find((t: any) => t.title === 'fit the bulb').result, /^You are an implementer\./);
      assert.match((await cli(project, ['team', 'status', 'lamp'], env)).stdout, /progress: 3 of 4 tasks completed \(label team:lamp\) · 3 members online/);

      const down = await cli(project, ['team', 'down', 'lamp'], env);
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stdout, /workers stopped; the tasks they held are back in the queue/);
      const ended = await up.done;
      assert.equal(ended.code, 0, ended.stderr);
      assert.deepEqual([ended.json.completed, ended.json.failed], [3, 0]);
      const slow = (await call(client, 'list_tasks', { full: true })).items.find((t: any) => t.title === 'slow check');
      assert.equal(slow.status, 'pending', 'the task in hand went back to the queue');
      assert.equal((await call(client, 'get_team_status', { team: 'lamp' })).online, 0);
      assert.deepEqual((await cli(project, ['ps', '--state', 'running', '--json'], env)).json.items, [], 'no worker process left');

      // assign_role and dissolve: a member's held task goes back to the queue.
      const agent = await call(client, 'register_instance', { name: 'helper', role: 'generalist' });
      const assigned = await call(client, 'assign_role', { role: 'tester', team: 'lamp' });
      assert.deepEqual([assigned.agent.id, assigned.agent.role], [agent.id, 'tester']);
      const claimed = await call(client, 'claim_task', {});
      assert.equal(claimed.title, 'slow check');
      const dissolved = await call(client, 'dissolve_team', { team: 'lamp' });
      assert.deepEqual([dissolved.team.status, dissolved.unregistered], ['dissolved', [agent.id]]);
      assert.equal((await call(client, 'list_tasks', { full: true })).items.find((t: any) => t.title === 'slow check').status, 'pending');
      assert.match((await callError(client, 'dissolve_team', { team: 'lamp' })).message, /is dissolved/);
      assert.equal((await callError(client, 'get_team_status', { team: 'ghost' })).code, 'not_found');
    } finally {
      await client.close();
    }
  });
});

test('every new tool through the official MCP inspector', async () => {
  const project = newProject();
  const env = cleanEnv();
  const run = (tool: string, args: Record<string, unknown> = {}) => inspector(project, env, tool, args).then((result) => {
    assert.notEqual(result.isError, true, `${tool}: ${JSON.stringify(result.content)}`);
    return result.structuredContent;
  });
  assert.equal((await run('define_workflow', { name: 'gadget', description: 'Build it', steps: STEPS.map(({ title, ...step }) => ({ ...step, title: title.replace('{{thing}}', 'it'), instructions: step.instructions.replace('{{thing}}', 'it') })) })).name, 'gadget');
  assert.ok((await run('list_workflow_templates')).templates.some((t: any) => t.name === 'code-review'));
  const workflow = await run('start_workflow', { template: 'code-review', inputs: { target: 'main' } });
  assert.equal((await run('advance_step', { workflow_id: workflow.id, notes: 'read it' })).current_step.id, 'review');
  assert.equal((await run('get_workflow_status', { workflow_id: workflow.id })).progress.done, 1);
  assert.equal((await run('list_workflows')).items.length, 1);
  const team = await run('create_team', { name: 'alpha', goal: 'ship', roles: [{ role: 'tester', count: 2 }] });
  assert.equal((await run('get_team_status', { team: 'alpha' })).id, team.id);
  await run('register_instance', { name: 'solo' });
  assert.equal((await run('assign_role', { agent: 'solo', role: 'reviewer', team: 'alpha' })).agent.role, 'reviewer');
  assert.equal((await run('dissolve_team', { team: 'alpha' })).team.status, 'dissolved');
  const reminder = await run('set_reminder', { text: 'remember', trigger: 'keyword', words: ['deploy'] });
  assert.deepEqual((await run('list_reminders', { context: 'time to deploy' })).items.map((r: any) => r.id), [reminder.id]);
  assert.ok((await run('dismiss_reminder', { id: reminder.id })).dismissed_at);
  await run('note_learning', { skill: 'deploy', kind: 'tip', text: 'Use the VPN' });
  assert.equal((await run('get_learnings', { skill: 'deploy' })).items.length, 1);
  assert.match((await run('fold_learnings', { skill: 'deploy' })).diff, /\+- Use the VPN/);
  await run('set_context', { key: 'k', value: 'v', scope: 'session', session: 'mine' });
  assert.equal((await run('get_context', { key: 'k', scope: 'session', session: 'mine' })).value, 'v');
  assert.deepEqual(await run('clear_context', { scope: 'session', session: 'mine' }), { cleared: 1 });
  const refused = await inspector(project, env, 'start_workflow', { template: 'code-review' });
  assert.equal(refused.isError, true);
  assert.match(refused.structuredContent.error.message, /code-review needs the input target/);
  assert.ok(!existsSync(join(project, '.claude')), 'no fold was applied');
});
