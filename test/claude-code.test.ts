// The real Claude Code CLI (pinned devDependency) joins the team through MCP, driven by the
// scripted fake model server, in temp git repositories prepared by `orchestrate setup`.
// Assertions are on the board and on the files, never on the model's words.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanupBackends, newBoardUrl } from './support/backends.js';
import { claudeEnv, claudeHome, claudePrompt, runClaude } from './support/claude.js';
import { cleanEnv, cli, newProject, startServe } from './support/cli.js';
import { lastToolJson, startFakeModel, type FakeModel, type Scenario } from './support/fake-model/server.js';

let model: FakeModel;
before(async () => {
  model = await startFakeModel();
});
after(async () => {
  await model.close();
  await cleanupBackends();
});

/** A worker session: register, claim, complete the claimed task. */
function workerScenario(prompt: string, register: Record<string, unknown>): Scenario {
  return {
    name: prompt,
    match: { prompt },
    turns: [
      { tools: [{ name: 'mcp__orchestrator__register_instance', input: register }] },
      { tools: [{ name: 'mcp__orchestrator__claim_task', input: {} }] },
      { tools: [{ name: 'mcp__orchestrator__complete_task', input: (c) => ({ task_id: lastToolJson(c)?.id ?? 'no-task', result: `done by ${prompt}` }) }] },
    ],
  };
}

/** A scratch Claude Code home that has trusted the project (as a user who opened it once would). */
function trustedHome(project: string): string {
  const home = claudeHome();
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ projects: { [project]: { hasTrustDialogAccepted: true } } }));
  return home;
}

test('over stdio: a session in a project prepared by setup registers, claims and completes a task', async () => {
  const project = newProject();
  const env = cleanEnv();
  assert.equal((await cli(project, ['setup', '--name', 'Jerry', '--role', 'developer', '--hooks'], env)).code, 0);
  const task = (await cli(project, ['task', 'push', 'Implement login', '--role', 'developer', '--json'], env)).json;
  model.setScenarios([workerScenario('work on the board', {})]);

  // No --allowedTools: the permission comes from the .claude/settings.json that setup merged.
  const run = await claudePrompt(project, 'work on the board', claudeEnv(trustedHome(project), model.url));
  assert.equal(run.code, 0, run.stderr);
  const init = run.events.find((e) => e.type === 'system' && e.subtype === 'init');
  // On a loaded machine the server may still be starting when the session reports it ('pending'); it must not have failed.
  assert.deepEqual(init.mcp_servers.map((s: { name: string; status: string }) => [s.name, s.status === 'pending' ? 'connected' : s.status]), [['orchestrator', 'connected']]);
  assert.equal(run.events.filter((e) => e.type === 'system' && e.subtype === 'permission_denied').length, 0);

  const done = (await cli(project, ['task', 'get', task.id, '--json'], env)).json;
  assert.equal(done.status, 'completed');
  assert.equal(done.result, 'done by work on the board');
  const jerry = (await cli(project, ['agent', 'get', 'Jerry', '--json'], env)).json;
  assert.equal(done.claimed_by, jerry.id, 'completed by the agent the session registered as');
  assert.equal(jerry.kind, 'claude');
  assert.equal(jerry.role, 'implementer');
  assert.equal(jerry.status, 'offline', 'the SessionEnd hook unregistered it');
  const events = (await cli(project, ['events', '--json', '--limit', '100'], env)).json.items.map((e: { type: string }) => e.type);
  assert.ok(events.indexOf('agent.registered') < events.indexOf('task.claimed'), 'the SessionStart hook registered it first');
  assert.ok(events.includes('agent.unregistered'));
});

const serve = (args: string[]) => startServe(args);

test('a token-protected server: the session sends the token from its environment', async () => {
  const db = newBoardUrl('sqlite');
  const server = serve(['--db', db, '--token', 'tok-123']);
  try {
    const url = await server.url;
    const project = newProject();
    const env = cleanEnv();
    assert.equal((await cli(project, ['setup', '--http', url, '--name', 'Guarded', '--token', 'tok-123'], env)).code, 0);
    model.setScenarios([{ name: 'guarded', match: { prompt: 'check in' }, turns: [{ tools: [{ name: 'mcp__orchestrator__register_instance', input: {} }] }] }]);
    const denied = await claudePrompt(project, 'check in', claudeEnv(claudeHome(), model.url, { ORCHESTRATOR_TOKEN: 'wrong' }), ['--allowedTools', 'mcp__orchestrator']);
    const deniedInit = denied.events.find((e) => e.type === 'system' && e.subtype === 'init');
    assert.notEqual(deniedInit.mcp_servers[0].status, 'connected', 'a wrong token is refused');
    const run = await claudePrompt(project, 'check in', claudeEnv(claudeHome(), model.url, { ORCHESTRATOR_TOKEN: 'tok-123' }), ['--allowedTools', 'mcp__orchestrator']);
    const init = run.events.find((e) => e.type === 'system' && e.subtype === 'init');
    assert.equal(init.mcp_servers[0].status, 'connected');
    assert.equal((await cli(project, ['agent', 'get', 'Guarded', '--db', db, '--json'], env)).json.status, 'online');
  } finally {
    await server.stop();
  }
});

test('over HTTP: two sessions at once on one shared server, each its header agent, each its own task', async () => {
  const db = newBoardUrl('sqlite');
  const server = serve(['--db', db]);
  const url = await server.url;
  try {
    const env = cleanEnv();
    const projects = [newProject(), newProject()];
    for (const [i, project] of projects.entries()) {
      assert.equal((await cli(project, ['setup', '--http', url, '--name', `web-${i}`], env)).code, 0);
    }
    for (const title of ['first', 'second']) await cli(projects[0]!, ['task', 'push', title, '--db', db], env);
    model.setScenarios([workerScenario('session one', {}), workerScenario('session two', {})]);
    const runs = await Promise.all(projects.map((project, i) =>
      claudePrompt(project, i === 0 ? 'session one' : 'session two', claudeEnv(claudeHome(), model.url), ['--allowedTools', 'mcp__orchestrator'])));
    for (const run of runs) assert.equal(run.code, 0, run.stderr);

    const tasks = (await cli(projects[0]!, ['task', 'list', '--db', db, '--json'], env)).json.items;
    assert.deepEqual(tasks.map((t: { status: string }) => t.status), ['completed', 'completed']);
    const agents = (await cli(projects[0]!, ['agent', 'list', '--db', db, '--json'], env)).json.items;
    const nameOf = new Map(agents.map((a: { id: string; name: string }) => [a.id, a.name]));
    const byAgent = new Map(tasks.map((t: { claimed_by: string; result: string }) => [nameOf.get(t.claimed_by), t.result]));
    assert.deepEqual([...byAgent.keys()].sort(), ['web-0', 'web-1'], 'each session claimed one task, as its header agent');
    assert.equal(byAgent.get('web-0'), 'done by session one');
    assert.equal(byAgent.get('web-1'), 'done by session two');
  } finally {
    await server.stop();
  }
});

test('claude mcp list reports the server connected', async () => {
  const project = newProject();
  assert.equal((await cli(project, ['setup'], cleanEnv())).code, 0);
  const run = await runClaude(project, ['mcp', 'list'], claudeEnv(trustedHome(project), model.url));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /orchestrator: .*mcp.*✔ Connected/);
});
