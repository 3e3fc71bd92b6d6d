// The persistent tooling of a Claude Code session (designs A and B): workflows and templates,
// teams and roles, reminders fired by real Claude Code hooks, skill learnings folded into a
// SKILL.md, and the session scope of context — each through an SDK client over stdio, the
// official MCP inspector, and the `orchestrate` CLI, on real boards and processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { claudeEnv, claudeHome, claudePrompt } from './support/claude.js';
import { cleanEnv, cli, cliInBackground, MAIN, newProject } from './support/cli.js';
import { startFakeModel } from './support/fake-model/server.js';
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

describe('reminders', () => {
  test('set, list in pages, match and fire (keywords as whole words, events, always, once), dismiss; bad input is refused', async () => {
    const project = newProject();
    const client = await stdioClient(project, cleanEnv());
    try {
      const migrate = await call(client, 'set_reminder', { text: 'Run the migrations first', trigger: 'keyword', words: ['migrate', 'schema change'] });
      await call(client, 'set_reminder', { text: 'Check the CI badge', trigger: 'always' });
      await call(client, 'set_reminder', { text: 'Say hello', trigger: 'event', event: 'SessionStart', once: true });
      await call(client, 'set_reminder', { text: 'Gone soon', trigger: 'always', expires_in_s: 0.001 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const page1 = await call(client, 'list_reminders', { limit: 2 });
      const page2 = await call(client, 'list_reminders', { limit: 2, cursor: page1.next_cursor });
      assert.deepEqual([...page1.items, ...page2.items].map((r: any) => r.text), ['Run the migrations first', 'Check the CI badge', 'Say hello'], 'the expired one is not live');
      assert.equal(page2.next_cursor, null);
      const looked = await call(client, 'list_reminders', { context: 'the latest migrated data', fire: false });
      assert.deepEqual(looked.items.map((r: any) => r.text), ['Check the CI badge'], '"migrated" is not the word "migrate"');
      const fired = await call(client, 'list_reminders', { context: 'We need a SCHEMA CHANGE today', event: 'SessionStart' });
      assert.deepEqual(fired.items.map((r: any) => [r.text, r.fired_count]), [['Run the migrations first', 1], ['Check the CI badge', 1], ['Say hello', 1]]);
      assert.deepEqual((await call(client, 'list_reminders', { event: 'SessionStart', fire: false })).items.map((r: any) => r.text), ['Check the CI badge'], 'the once reminder was dismissed by firing');
      await call(client, 'dismiss_reminder', { id: migrate.id });
      assert.equal((await call(client, 'list_reminders', { all: true })).items.length, 4);
      assert.match((await callError(client, 'dismiss_reminder', { id: migrate.id })).message, /already dismissed/);
      assert.match((await callError(client, 'set_reminder', { text: 'x', trigger: 'keyword' })).message, /a keyword reminder needs words/);
      assert.match((await callError(client, 'set_reminder', { text: 'x', trigger: 'event' })).message, /an event reminder needs event/);
      assert.equal((await callError(client, 'set_reminder', { text: 'x', trigger: 'sometimes' })).code, 'invalid_input');
    } finally {
      await client.close();
    }
  });

  test('setup --hooks: the real Claude Code gets keyword reminders with the prompt and the always ones at session start', async () => {
    const model = await startFakeModel([{ name: 'session', match: { prompt: /database/ }, turns: [{ text: 'Noted.' }] }]);
    try {
      const project = newProject();
      const env = claudeEnv(claudeHome(), model.url);
      assert.equal((await cli(project, ['setup', '--hooks', '--name', 'hooked'], env)).code, 0);
      await cli(project, ['reminder', 'set', 'RUN THE MIGRATIONS FIRST', '--keyword', 'migrate'], env);
      await cli(project, ['reminder', 'set', 'CHECK THE CI BADGE', '--always'], env);
      await cli(project, ['reminder', 'set', 'NOT ABOUT THIS', '--keyword', 'frontend'], env);
      const run = await claudePrompt(project, 'please migrate the database', env);
      assert.equal(run.code, 0, run.stderr);
      const sent = JSON.stringify(model.requests.find((r) => r.scenario === 'session')!.body);
      assert.match(sent, /UserPromptSubmit hook additional context: Reminders from the orchestrator board:\\n- RUN THE MIGRATIONS FIRST/);
      assert.match(sent, /SessionStart hook additional context: Reminders from the orchestrator board:\\n- CHECK THE CI BADGE/);
      assert.doesNotMatch(sent, /NOT ABOUT THIS/);
      const list = (await cli(project, ['reminder', 'list', '--json'], env)).json.items;
      assert.deepEqual(list.map((r: any) => [r.text, r.fired_count]), [['RUN THE MIGRATIONS FIRST', 1], ['CHECK THE CI BADGE', 1], ['NOT ABOUT THIS', 0]]);
      const bad = await cli(project, ['reminder', 'match', '--hook'], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--hook reads a Claude Code hook event as JSON on stdin/);
    } finally {
      await model.close();
    }
  });
});

describe('skill learnings', () => {
  test('note and page through learnings; fold them into a fixture SKILL.md as the expected diff; --apply writes with a backup and --undo restores it', async () => {
    const project = newProject();
    const env = cleanEnv();
    const skillDir = join(project, '.claude', 'skills', 'deploy');
    mkdirSync(skillDir, { recursive: true });
    cpSync(new URL('./fixtures/skills/deploy/SKILL.md', import.meta.url).pathname, join(skillDir, 'SKILL.md'));
    const original = readFileSync(join(skillDir, 'SKILL.md'), 'utf8');
    const client = await stdioClient(project, env);
    try {
      await call(client, 'note_learning', { skill: 'deploy', kind: 'gotcha', text: 'deploys need the  VPN', source: 'session-7' });
      await call(client, 'note_learning', { skill: 'deploy', kind: 'pattern', text: 'Run `make release` from a clean tree' });
      await call(client, 'note_learning', { skill: 'deploy', kind: 'tip', text: 'Tag before you push.' });
      await call(client, 'note_learning', { skill: 'deploy', kind: 'gotcha', text: 'The staging DB resets nightly', source: 'session-42' });
      await call(client, 'note_learning', { skill: 'deploy', kind: 'tip', text: 'tag before you push' });
      await call(client, 'note_learning', { skill: 'other', kind: 'tip', text: 'unrelated' });
      const page1 = await call(client, 'get_learnings', { skill: 'deploy', limit: 3 });
      const page2 = await call(client, 'get_learnings', { skill: 'deploy', limit: 3, cursor: page1.next_cursor });
      assert.deepEqual([page1.items.length, page2.items.length, page2.next_cursor], [3, 2, null]);
      const folded = await call(client, 'fold_learnings', { skill: 'deploy' });
      assert.equal(folded.diff, [
        '--- a/.claude/skills/deploy/SKILL.md',
        '+++ b/.claude/skills/deploy/SKILL.md',
        '@@ -9,10 +9,19 @@',
        ' ',
        ' ## Learnings',
        ' ',
        '+### Patterns',
        '+',
        '+- Run `make release` from a clean tree',
        '+',
        ' ### Gotchas',
        ' ',
        ' - Deploys need the VPN.',
        '+- The staging DB resets nightly (session-42)',
        ' ',
        '+### Tips',
        '+',
        '+- Tag before you push.',
        '+',
        ' ## See also',
        ' ',
        ' - docs/runbook.md',
        '',
      ].join('\n'));
      assert.deepEqual([folded.added, folded.duplicates, folded.applied], [3, 2, false]);
      assert.equal(readFileSync(join(skillDir, 'SKILL.md'), 'utf8'), original, 'without apply nothing is written');
      assert.match((await callError(client, 'fold_learnings', { skill: 'deploy', path: '../elsewhere/SKILL.md' })).message, /is outside the project/);
      assert.match((await callError(client, 'fold_learnings', { skill: 'ghost' })).message, /no learnings noted for skill 'ghost'/);
      assert.match((await callError(client, 'note_learning', { skill: '../etc', kind: 'tip', text: 'x' })).message, /must be a skill's folder name/);
    } finally {
      await client.close();
    }
    const applied = await cli(project, ['learning', 'fold', 'deploy', '--apply'], env);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /applied; the original is in .*backups\/learnings\/.* \('orchestrate learning fold --undo' restores it\)/);
    const written = readFileSync(join(skillDir, 'SKILL.md'), 'utf8');
    assert.match(written, /### Patterns\n\n- Run `make release` from a clean tree\n\n### Gotchas\n\n- Deploys need the VPN\.\n- The staging DB resets nightly \(session-42\)\n\n### Tips\n\n- Tag before you push\.\n\n## See also\n/);
    assert.match((await cli(project, ['learning', 'fold', 'deploy'], env)).stdout, /0 learnings to fold into .*, 5 duplicates left out/, 'a second fold finds everything folded');
    const undone = await cli(project, ['learning', 'fold', '--undo'], env);
    assert.equal(undone.code, 0, undone.stderr);
    assert.equal(readFileSync(join(skillDir, 'SKILL.md'), 'utf8'), original, 'undo restores the file byte for byte');
    assert.match((await cli(project, ['learning', 'fold', '--undo'], env)).stderr, /no applied fold to undo/);
    // A skill without a SKILL.md gets one.
    await cli(project, ['learning', 'note', 'fresh', '--kind', 'pattern', '--text', 'Start small'], env);
    assert.equal((await cli(project, ['learning', 'fold', 'fresh', '--apply'], env)).code, 0);
    assert.match(readFileSync(join(project, '.claude', 'skills', 'fresh', 'SKILL.md'), 'utf8'), /^---\nname: fresh\n[\s\S]*## Learnings\n\n### Patterns\n\n- Start small\n$/);
  });
});

describe('session context', () => {
  test('scope session is per project and per session, survives a restart, and clears; the team scope is the shared context', async () => {
    const project = newProject();
    const env = cleanEnv();
    const first = await stdioClient(project, env);
    try {
      await call(first, 'register_instance', { name: 'alice' });
      await call(first, 'set_context', { key: 'plan', value: 'step 2', scope: 'session' });
      await call(first, 'set_context', { key: 'todo', value: 'tests', scope: 'session' });
      await call(first, 'set_context', { key: 'plan', value: 'shared plan' });
      assert.match((await callError(first, 'set_context', { key: 'plan', value: 'x', scope: 'session', expected_version: 5 })).message, /session key 'plan' is at version 1/);
      await call(first, 'unregister', {});
    } finally {
      await first.close();
    }
    const again = await stdioClient(project, env);
    try {
      await call(again, 'register_instance', { name: 'alice' });
      const kept = await call(again, 'get_context', { key: 'plan', scope: 'session' });
      assert.deepEqual([kept.session, kept.value, kept.version], ['alice', 'step 2', 1]);
      assert.equal((await call(again, 'get_context', { key: 'plan' })).value, 'shared plan', 'the team scope is separate');
      const all = await call(again, 'get_context', { scope: 'session', limit: 1 });
      assert.deepEqual([all.items[0].key, Boolean(all.next_cursor)], ['plan', true]);
      assert.match((await callError(again, 'get_context', { key: 'plan', scope: 'session', session: 'bob' })).message, /^no session key 'plan' in session 'bob'; get_context with scope "session" and no key lists them$/);
      const team = await call(again, 'get_context', {});
      assert.deepEqual(team.items.map((e: any) => [e.key, e.value]), [['plan', 'shared plan']]);
    } finally {
      await again.close();
    }
    // The CLI sees alice's memory by name, and clears it.
    assert.match((await cli(project, ['context', 'list', '--session', 'alice'], env)).stdout, /plan\s+1\s+step 2\n.*todo\s+1\s+tests/);
    assert.equal((await cli(project, ['context', 'get', 'todo', '--session', 'alice'], env)).stdout.trim(), 'tests');
    const client = await stdioClient(project, env);
    try {
      assert.deepEqual(await call(client, 'clear_context', { key: 'todo', scope: 'session', session: 'alice' }), { cleared: 1 });
      assert.deepEqual(await call(client, 'clear_context', { scope: 'session', session: 'alice' }), { cleared: 1 });
      assert.match((await callError(client, 'clear_context', {})).message, /clearing the team context needs a key/);
      assert.deepEqual(await call(client, 'clear_context', { key: 'plan' }), { cleared: 1 });
      assert.equal((await callError(client, 'clear_context', { key: 'plan', scope: 'session', session: 'alice' })).code, 'not_found');
    } finally {
      await client.close();
    }
    assert.match((await cli(project, ['context', 'list', '--session', 'alice'], env)).stdout, /nothing kept/);
    // Another project on the same board keeps its own session memory.
    const other = newProject();
    const shared = { ...env, ORCHESTRATOR_DB: join(project, '.orchestrator', 'state.db') };
    await cli(project, ['context', 'set', 'where', 'first', '--session', 's'], shared);
    await cli(other, ['context', 'set', 'where', 'second', '--session', 's'], shared);
    assert.equal((await cli(project, ['context', 'get', 'where', '--session', 's'], shared)).stdout.trim(), 'first');
    assert.equal((await cli(other, ['context', 'get', 'where', '--session', 's'], shared)).stdout.trim(), 'second');
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
