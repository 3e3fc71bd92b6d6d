// The earlier designs' own calls, as their users and agents make them: design E's CLI with global
// flags before the command, @mentions, task chains, polls that mark read, a hand-kept 60 s
// heartbeat; design E v0.2's MCP argument names (instance_id acts as that agent); design A's
// argument names for context, reminders, learnings, workflows, dispatches and teams.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cleanEnv, cli, cliInBackground, newProject } from './support/cli.js';
import { call, callError, stdioClient } from './support/mcp-client.js';
import { until } from './support/until.js';

after(cleanupBackends);

describe('design E: the CLI as its README uses it', () => {
  test('global flags before the command, -z answered, @mentions, task chains, polls that mark read', async () => {
    const project = newProject();
    const env = cleanEnv();
    const run = (...args: string[]) => cli(project, args, env);
    const tom = await run('--json', 'register', '--name', 'Tom', '--role', 'architect');
    assert.equal(tom.code, 0, tom.stderr);
    assert.equal(tom.json.name, 'Tom');
    await run('register', '--name', 'Jerry');
    assert.equal((await run('-i', 'Tom', '--json', 'heartbeat')).json.name, 'Tom', 'orchestrate -i <id> heartbeat');
    assert.deepEqual((await run('--json', 'list-instances')).json.items.map((a: { name: string }) => a.name), ['Tom', 'Jerry']);
    assert.equal((await run('--instance-id=Tom', 'heartbeat', '--json')).json.name, 'Tom');

    const zk = await run('-z', 'localhost:2181', 'list-instances');
    assert.equal(zk.code, 2);
    assert.deepEqual(zk.stderr.trim().split('\n'), ['error: there is no ZooKeeper any more: the board is --db <SQLite file or postgres:// URL> (env ORCHESTRATOR_DB; the default is .orchestrator/state.db in the project)']);
    assert.equal((await run('--zookeeper', 'zk:2181', 'status')).code, 2);
    assert.deepEqual([(await run('-i', 'Tom')).stderr.trim()], ["error: -i Tom needs a command after it; run 'orchestrate --help' for the list"]);
    assert.match((await run('list-instances', '-z', 'zk:2181')).stderr, /^error: there is no ZooKeeper any more/, 'after the command too');
    assert.equal((await run('set-context', '--key', 'old-flag', '--value=-z')).code, 0, 'a value that is -z is a value');

    assert.equal((await run('-i', 'Tom', 'send-message', '--to-name', '@Jerry', '--content', 'auth first')).code, 0);
    assert.equal((await run('-i', 'Jerry', 'send-message', '--to-name', '@all', '--content', 'standup in 5')).code, 0);
    const peek = await run('-i', 'Jerry', '--json', 'poll-messages', '--peek');
    assert.deepEqual(peek.json.items.map((m: { content: string; state: string }) => [m.content, m.state]), [['auth first', 'unread']], '@Jerry is Jerry');
    const polled = await run('-i', 'Jerry', '--json', 'poll-messages');
    assert.deepEqual(polled.json.items.map((m: { content: string; state: string }) => [m.content, m.state]), [['auth first', 'read']]);
    assert.deepEqual((await run('-i', 'Jerry', '--json', 'poll-messages')).json.items, [], 'a poll marks what it returns read');
    assert.deepEqual((await run('-i', 'Tom', '--json', 'poll-messages')).json.items.map((m: { content: string }) => m.content), ['standup in 5'], '@all is everyone else');

    const first = await run('-i', 'Tom', '--json', 'push-task', '--title', 'Fetch issues', '--link', 'https://github.example/acme/app/issues/7', '--chain-id', 'triage');
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual([first.json.link, first.json.chain_id], ['https://github.example/acme/app/issues/7', 'triage']);
    await run('-i', 'Tom', 'push-task', '--title', 'Score issues', '--chain-id', 'triage', '--depends-on', first.json.id);
    await run('-i', 'Tom', 'push-task', '--title', 'Unrelated');
    const chain = await run('--json', 'list-tasks', '--chain-id', 'triage');
    assert.deepEqual(chain.json.items.map((t: { title: string; chain_id: string }) => [t.title, t.chain_id]), [['Fetch issues', 'triage'], ['Score issues', 'triage']]);
    assert.match((await run('task', 'get', first.json.id)).stdout, /link:\s+https:\/\/github\.example\/acme\/app\/issues\/7/);

    const leader = await run('leader', '--name', 'Lead');
    assert.equal(leader.code, 0, leader.stderr);
    assert.match(leader.stdout, /^Lead leads \(term 1\)/);
    assert.match(leader.stdout, /in a terminal, 'orchestrate leader' opens the live view and leads while it is open/, 'without a terminal it returns (tui.test opens the view in one)');
    assert.match((await run('leader', 'status')).stdout, /^Lead \(agent-\S+\) leads, term 1/, 'the leader verbs still work');
  });

  test('an agent registered from the command line outlives a 60 s heartbeat; a chosen lease is kept', async () => {
    const project = newProject();
    const env = cleanEnv();
    const bob = await cli(project, ['register', '--name', 'Bob', '--json'], env);
    const lease = Date.parse(bob.json.lease_expires_at) - Date.parse(bob.json.last_heartbeat ?? bob.json.registered_at);
    assert.ok(lease >= 90_000 - 1000, `a hand-kept lease is at least 90 s, got ${lease} ms`);
    const chosen = await cli(project, ['register', '--name', 'Quick', '--lease-ttl', '5', '--json'], env);
    const short = Date.parse(chosen.json.lease_expires_at) - Date.parse(chosen.json.last_heartbeat ?? chosen.json.registered_at);
    assert.ok(short <= 6000, `--lease-ttl 5 gives 5 s, got ${short} ms`);
  });
});

describe('design E v0.3: the persistent worker', () => {
  test('register --work-dir answers each message to it with an agent run there, back to the sender, log kept', async () => {
    const project = newProject();
    const env = cleanEnv();
    const work = join(project, 'service');
    mkdirSync(work);
    writeFileSync(join(work, 'VERSION'), '1.4.2\n');
    await cli(project, ['register', '--name', 'Tom'], env);
    // A command agent: it reads a file of its folder and answers with it and the message.
    const worker = cliInBackground(project, ['register', '--name', 'Helper', '--work-dir', 'service', '--command', 'sh', '--arg=-c', '--arg', 'echo "v$(cat VERSION) got: $0"', '--arg', '{prompt}', '--json'], env);
    try {
      await until('the worker to be online', async () => (await cli(project, ['agent', 'list', '--json'], env)).json.items.some((a: { name: string }) => a.name === 'Helper'));
      for (const text of ['ping 1', 'ping 2']) assert.equal((await cli(project, ['-i', 'Tom', 'send-message', '--to-name', 'Helper', '--content', text], env)).code, 0);
      const replies: string[] = [];
      await until('both answers', async () => {
        const got = await cli(project, ['-i', 'Tom', 'wait-for-message', '--timeout', '5', '--json'], env);
        replies.push(...got.json.map((m: { content: string }) => m.content));
        return replies.length >= 2;
      });
      assert.match(replies[0]!, /^v1\.4\.2 got: ping 1\n\n\(re: msg-\S+; log: orchestrate logs (proc-\S+)\)$/);
      assert.match(replies[1]!, /^v1\.4\.2 got: ping 2\n/);
      const processId = /orchestrate logs (proc-\S+)\)/.exec(replies[1]!)![1]!;
      assert.match((await cli(project, ['logs', processId], env)).stdout, /v1\.4\.2 got: ping 2/, 'the run\'s log is kept');
    } finally {
      worker.child.kill('SIGTERM');
    }
    const end = await worker.done;
    assert.equal(end.code, 0, end.stderr);
    assert.deepEqual([end.json.agent.name, end.json.answered, end.json.failed], ['Helper', 2, 0]);
    const helper = (await cli(project, ['agent', 'list', '--all', '--json'], env)).json.items.find((a: { name: string }) => a.name === 'Helper');
    assert.equal(helper.status, 'offline', 'a stopped worker leaves the board');
    const wrong = await cli(project, ['register', '--name', 'X', '--work-dir', 'nowhere'], env);
    assert.deepEqual([wrong.code, wrong.stderr.trim()], [2, 'error: --work-dir nowhere is not a folder; create it or name another']);
  });
});

describe("design C's flags", () => {
  test('--skip-codex refuses a Codex role before anything starts; --project and log -n are there', async () => {
    const project = newProject();
    const env = cleanEnv();
    const skip = await cli(project, ['start', 'Add a health endpoint', '--skip-codex', '--reviewer', 'codex'], env);
    assert.equal(skip.code, 2);
    assert.match(skip.stderr, /--skip-codex, yet the reviewer is codex; drop one of them/);
    assert.equal((await cli(project, ['runs', '--json'], env)).json.items.length, 0, 'nothing was created');
    const elsewhere = await cli(newProject(), ['status', '--project', project, '--json'], env);
    assert.equal(elsewhere.json.store.location, join(project, '.orchestrator', 'state.db'), 'status --project reads that project\'s board');
    const log = await cli(project, ['log', '-n', '100'], env);
    assert.deepEqual([log.code, log.stderr.trim()], [3, `error: no runs on this board yet; 'orchestrate start "<feature>"' starts one`], 'log -n is a known flag');
  });
});

describe('design E v0.2 and design A: MCP argument names', () => {
  test('instance_id acts as that agent; to_instance, question, timeout_seconds', async () => {
    const project = newProject();
    const env = cleanEnv();
    await cli(project, ['agent', 'register', '--name', 'Tom'], env);
    await cli(project, ['agent', 'register', '--name', 'Jerry'], env);
    const client = await stdioClient(project, env);
    try {
      const sent = await call(client, 'send_message', { instance_id: 'Tom', to_instance: 'Jerry', content: 'review my PR' });
      assert.equal(sent.from_name, 'Tom', 'sent as the instance_id');
      const inbox = await call(client, 'wait_for_message', { instance_id: 'Jerry', timeout_seconds: 1 });
      assert.deepEqual(inbox.messages.map((m: { content: string }) => m.content), ['review my PR']);
      assert.deepEqual((await call(client, 'wait_for_message', { instance_id: 'Jerry', timeout_seconds: 0.2 })).messages, [], 'timeout_seconds bounds the wait');
      const help = await call(client, 'request_help', { instance_id: 'Jerry', question: 'where is the API key?' });
      assert.equal(help.content, 'where is the API key?');
      const claimedBy = await call(client, 'push_task', { instance_id: 'Tom', title: 'pushed as Tom' });
      const task = await call(client, 'claim_task', { instance_id: 'Jerry' });
      assert.equal(task.id, claimedBy.id);
      assert.equal(task.claimed_by, (await cli(project, ['agent', 'get', 'Jerry', '--json'], env)).json.id, 'claimed as the instance_id, not the session');
    } finally {
      await client.close();
    }
  });

  test("design A's names: context of any JSON, reminders, learnings, workflows, dispatches, teams", async () => {
    const project = newProject();
    const env = cleanEnv({ ORCHESTRATOR_AGENT: 'alice', ORCHESTRATOR_CODEX: '/nonexistent/codex' });
    await cli(project, ['agent', 'register', '--name', 'alice'], env);
    const client = await stdioClient(project, env);
    try {
      await call(client, 'set_context', { key: 'limits', value: { rps: 10, burst: [1, 2] } });
      assert.deepEqual(JSON.parse((await call(client, 'get_context', { key: 'limits' })).value), { rps: 10, burst: [1, 2] }, 'kept as its JSON text');

      const reminder = await call(client, 'set_reminder', { message: 'RUN THE MIGRATIONS', trigger: { type: 'keyword', value: 'migrat' }, match: 'substring' });
      assert.deepEqual([reminder.trigger, reminder.words, reminder.match], ['keyword', ['migrat'], 'substring']);
      await call(client, 'set_reminder', { message: 'WHOLE WORDS ONLY', trigger: { type: 'keyword', value: ['test'] } });
      const fired = await call(client, 'list_reminders', {});
      assert.equal(fired.items.length, 2);
      const matched = (await cli(project, ['reminder', 'match', '--context', 'please migrate the latest schema', '--json'], env)).json;
      assert.deepEqual((matched.items ?? matched).map((r: { text: string }) => r.text), ['RUN THE MIGRATIONS'], 'substring matches inside "migrate"; "test" does not fire on "latest"');

      const learning = await call(client, 'note_learning', { skill: 'deploy', observation: 'deploys need the VPN' });
      assert.deepEqual([learning.kind, learning.text], ['pattern', 'deploys need the VPN']);

      await call(client, 'define_workflow', { name: 'triage', steps: ['Read the issue', 'Reproduce it\nwith the smallest case', 'Write the fix'] });
      const started = await call(client, 'start_workflow', { name: 'triage' });
      assert.equal(started.template, 'triage');
      const status = await call(client, 'get_workflow_status', {});
      assert.equal(status.id, started.id, 'the session\'s one active workflow');
      assert.deepEqual(status.steps.map((s: { title: string }) => s.title), ['Read the issue', 'Reproduce it', 'Write the fix']);
      await call(client, 'advance_step', { notes: 'read it' });
      assert.equal((await call(client, 'get_workflow_status', { workflow_id: started.id })).steps[0].status, 'done', 'advance_step without workflow_id moved the one active workflow');

      const dispatched = await call(client, 'dispatch', { model: 'codex', prompt: 'say hi', options: { timeout: 30 } });
      const result = await call(client, 'get_dispatch_result', { task_id: dispatched.dispatch_id, wait_s: 30 });
      assert.equal(result.status === 'queued' || result.status === 'running' ? 'not yet' : 'ended', 'ended', JSON.stringify(result));
      assert.match(result.outcome, /spawn_failed/, 'model "codex" ran the Codex CLI (here a program that does not exist)');
      const listed = await call(client, 'list_dispatches', { model: 'codex', status: 'failed' });
      assert.deepEqual(listed.items.map((d: { dispatch_id: string }) => d.dispatch_id), [dispatched.dispatch_id]);
      assert.deepEqual((await call(client, 'list_dispatches', { model: 'gemini' })).items, []);

      const team = await call(client, 'create_team', { name: 'auth', goal: 'login', agents: [{ name: 'a', role: 'implementer', model: 'sonnet' }, { name: 'b', role: 'implementer', model: 'sonnet' }, { name: 'c', role: 'reviewer', model: 'codex' }] });
      assert.deepEqual(team.roles.map((r: { role: string; count: number; agent: string }) => [r.role, r.count, r.agent]), [['implementer', 2, 'claude'], ['reviewer', 1, 'codex']]);
      assert.equal((await call(client, 'get_team_status', { team_id: team.id })).id, team.id);
      assert.equal((await call(client, 'dissolve_team', { team_id: team.id })).team.status, 'dissolved');
      assert.match((await callError(client, 'get_workflow_status', { workflow_id: 'wf-nope' })).message, /wf-nope/);
    } finally {
      await client.close();
    }
  });
});
