// Dispatches and processes through the MCP tools of designs A and B and the CLI: one-shot runs
// of the `command` agent and of the real Claude Code (fake model), retry with the full prompt,
// cancel and stop from another process, submit_task settling its task, the runner's settings,
// follow-up prompts to a waiting Claude session, and central permission approvals.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { cleanupBackends } from './support/backends.js';
import { CLAUDE, claudeEnv, claudeHome } from './support/claude.js';
import { cleanEnv, cli, cliInBackground, newProject, startServe } from './support/cli.js';
import { startFakeModel, type FakeModel } from './support/fake-model/server.js';
import { call, callError, httpClient, stdioClient } from './support/mcp-client.js';
import { until } from './support/until.js';

after(cleanupBackends);

const node = process.execPath;
const clients: Client[] = [];
after(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
});

async function session(project: string, env: Record<string, string> = cleanEnv()): Promise<Client> {
  const client = await stdioClient(project, env);
  clients.push(client);
  return client;
}


describe('dispatch tools with the command agent', () => {
  test('dispatch → result with the output; list; retry re-runs the full prompt; bad specs are refused', async () => {
    const project = newProject();
    const client = await session(project);
    const prompt = `line one\nline two: ${'x'.repeat(5000)}`;
    const started = await call(client, 'dispatch', { agent: 'command', prompt, argv: [node, '-e', 'process.stdout.write(process.argv[1].length + " chars, " + process.argv[1].split("\\n")[0])', '{prompt}'] });
    assert.match(started.dispatch_id, /^proc-/);
    assert.ok(['queued', 'running', 'completed'].includes(started.status));
    const done = await call(client, 'get_dispatch_result', { dispatch_id: started.dispatch_id, wait_s: 30 });
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.output, `${prompt.length} chars, line one`);
    assert.ok(existsSync(done.log_path));
    const again = await call(client, 'retry_dispatch', { dispatch_id: started.dispatch_id });
    assert.notEqual(again.dispatch_id, started.dispatch_id);
    assert.equal(again.retry_of, started.dispatch_id);
    assert.equal((await call(client, 'get_dispatch_result', { dispatch_id: again.dispatch_id, wait_s: 30 })).output, `${prompt.length} chars, line one`);
    const listed = await call(client, 'list_dispatches', {});
    assert.deepEqual(listed.items.map((d: { dispatch_id: string }) => d.dispatch_id), [started.dispatch_id, again.dispatch_id]);
    assert.match((await callError(client, 'dispatch', { agent: 'command', prompt: 'x' })).message, /needs argv/);
    assert.match((await callError(client, 'dispatch', { agent: 'claude', prompt: 'x', cwd: '/no/such/folder' })).message, /not a folder/);
    assert.equal((await callError(client, 'get_dispatch_result', { dispatch_id: 'proc-nope' })).code, 'not_found');
    const log = JSON.parse(((await client.readResource({ uri: `orchestrator://processes/${started.dispatch_id}/log` })).contents[0] as { text: string }).text);
    assert.equal(log.outcome, 'ok');
    assert.match(log.lines[0], /\d\d:\d\d:\d\d \d+ chars, line one/);
  });

  test('cancel_dispatch stops a running dispatch; the process group goes with it', async () => {
    const project = newProject();
    const client = await session(project);
    const { dispatch_id } = await call(client, 'dispatch', { agent: 'command', prompt: 'p', argv: [node, '-e', 'console.log("up"); setInterval(() => {}, 1000)'] });
    await until('it runs', async () => (await call(client, 'get_dispatch_result', { dispatch_id })).status === 'running');
    const asked = await call(client, 'cancel_dispatch', { dispatch_id });
    assert.ok(['running', 'cancelled'].includes(asked.status));
    const done = await call(client, 'get_dispatch_result', { dispatch_id, wait_s: 20 });
    assert.equal(done.status, 'cancelled');
    assert.equal(done.outcome, 'killed');
  });

  test('orchestrate stop, from another process, stops a foreground orchestrate dispatch', async () => {
    const project = newProject();
    const env = cleanEnv();
    const running = cliInBackground(project, ['dispatch', '--cli', 'command', '--program', node, '--arg=-e', '--arg', 'console.log("up"); setInterval(() => {}, 1000)', 'p', '--json'], env);
    const id = await until('the process runs', async () => {
      const ps = await cli(project, ['ps', '--state', 'running', '--json'], env);
      return ps.json?.items?.[0]?.id as string | undefined;
    });
    const stopped = await cli(project, ['stop', id], env);
    assert.equal(stopped.code, 0, stopped.stderr);
    const done = await running.done;
    assert.equal(done.code, 12);
    assert.equal(done.json.outcome.kind, 'killed');
    assert.equal((await cli(project, ['dispatch', 'result', id, '--json'], env)).json.status, 'cancelled');
  });

  test('submit_task: the outcome settles the task; processes, details and the dashboard show it', async () => {
    const project = newProject();
    const client = await session(project);
    const ok = await call(client, 'submit_task', { prompt: 'write the report', role: 'documenter', agent: 'command', argv: [node, '-e', 'console.log("report written for: " + process.argv[1].split("\\n").pop())', '{prompt}'] });
    const failing = await call(client, 'submit_task', { prompt: 'break it', title: 'doomed', agent: 'command', argv: [node, '-e', 'console.error("cannot"); process.exit(2)'] });
    await call(client, 'get_dispatch_result', { dispatch_id: ok.process_id, wait_s: 30 });
    await call(client, 'get_dispatch_result', { dispatch_id: failing.process_id, wait_s: 30 });
    const done = await until('the tasks settle', async () => {
      const tasks = await Promise.all([ok.task_id, failing.task_id].map((task_id) => call(client, 'get_task', { task_id })));
      return tasks.every((t) => ['completed', 'failed', 'pending'].includes(t.status)) && tasks;
    });
    assert.equal(done[0].status, 'completed');
    assert.equal(done[0].role, 'documenter');
    assert.equal(done[0].result, 'report written for: write the report');
    assert.equal(done[1].title, 'doomed');
    assert.equal(done[1].status, 'failed');
    assert.match(done[1].reason, /^failed: exit 2: cannot/);
    const details = await call(client, 'process_details', { process_id: ok.process_id });
    assert.equal(details.task_id, ok.task_id);
    assert.match(details.log.join('\n'), /report written/);
    assert.ok(details.argv.some((arg: string) => arg.includes('You are the documenter')), 'the role prompt leads the prompt');
    const processes = await call(client, 'list_processes', {});
    assert.equal(processes.items.length, 2);
    const board = await call(client, 'status_dashboard', {});
    assert.match(board.text, /Runner: 0 running, 0 queued · limit 4/);
    assert.match(board.text, new RegExp(`${ok.process_id}.*ok`));
    const workers = await call(client, 'list_instances', {});
    assert.deepEqual(workers.items, [], 'the workers left the board');
  });

  test('configure_orchestrator: a concurrency of 1 makes the second dispatch wait', async () => {
    const project = newProject();
    const client = await session(project);
    const config = await call(client, 'configure_orchestrator', { concurrency: 1, idle_timeout_s: 60 });
    assert.equal(config.concurrency, 1);
    assert.equal(config.total_timeout_s, 1800, 'the others keep their values');
    const slow = [node, '-e', 'setTimeout(() => console.log("done"), 700)'];
    const first = await call(client, 'dispatch', { agent: 'command', prompt: 'a', argv: slow });
    const second = await call(client, 'dispatch', { agent: 'command', prompt: 'b', argv: slow });
    await until('the first runs', async () => (await call(client, 'get_dispatch_result', { dispatch_id: first.dispatch_id })).status === 'running');
    assert.equal((await call(client, 'get_dispatch_result', { dispatch_id: second.dispatch_id })).status, 'queued');
    const a = await call(client, 'get_dispatch_result', { dispatch_id: first.dispatch_id, wait_s: 30 });
    const b = await call(client, 'get_dispatch_result', { dispatch_id: second.dispatch_id, wait_s: 30 });
    assert.ok(Date.parse(b.ended_at) - Date.parse(a.ended_at) >= 600, 'one after the other');
    assert.match((await cli(project, ['runner', 'config'], cleanEnv())).stdout, /concurrency\s+1/);
    assert.match((await callError(client, 'configure_orchestrator', { concurrency: 0 })).message, /concurrency/);
  });
});

describe('Claude Code sessions through the runner', () => {
  let model: FakeModel;
  before(async () => {
    model = await startFakeModel();
  });
  after(async () => {
    await model.close();
  });

  const claudeSession = async (project: string) => {
    const env = claudeEnv(claudeHome(), model.url, { ORCHESTRATOR_CLAUDE: CLAUDE });
    return { client: await session(project, env), env };
  };

  test('an interactive session answers, waits, takes a follow-up prompt, and ends when nobody asks more', async () => {
    const project = newProject();
    model.setScenarios([
      { name: 'first', match: { prompt: 'first question' }, turns: [{ text: 'first answer' }] },
      { name: 'second', match: { prompt: 'second question' }, turns: [{ text: 'second answer' }] },
    ]);
    const { client } = await claudeSession(project);
    await call(client, 'configure_orchestrator', { idle_timeout_s: 4 });
    const { dispatch_id } = await call(client, 'dispatch', { agent: 'claude', prompt: 'first question', interactive: true });
    await until('it waits for input', async () => (await call(client, 'get_dispatch_result', { dispatch_id })).status === 'waiting_input', 60_000);
    const queued = await call(client, 'respond_to_process', { process_id: dispatch_id, text: 'second question' });
    assert.equal(queued.queued_inputs, 1);
    const done = await call(client, 'get_dispatch_result', { dispatch_id, wait_s: 60 });
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.output, 'second answer');
    assert.ok(model.requests.some((r) => r.conversation?.prompt === 'second question'), 'the follow-up reached the model');
    const details = await call(client, 'process_details', { process_id: dispatch_id });
    assert.equal(details.log.filter((line: string) => /\[done/.test(line)).length, 2, 'two answers, one session');
    assert.equal((await callError(client, 'respond_to_process', { process_id: dispatch_id, text: 'late' })).code, 'conflict');
  });

  test('approvals: a person allows a Write, the timeout denies one, a role policy allows at once', async () => {
    const project = newProject();
    const target = (name: string) => join(project, name);
    model.setScenarios(['allowed.txt', 'denied.txt', 'policy.txt'].map((file) => ({
      name: file,
      match: { prompt: `write ${file}` },
      turns: [{ tools: [{ name: 'Write', input: { file_path: target(file), content: `${file}\n` } }] }, { text: `tried ${file}` }],
    })));
    const { client, env } = await claudeSession(project);

    const allowed = await call(client, 'dispatch', { agent: 'claude', prompt: 'write allowed.txt', approvals: true });
    const pending = await until('the request reaches the board', async () => (await cli(project, ['approvals', 'list', '--json'], env)).json.items[0], 60_000);
    assert.equal(pending.tool_name, 'Write');
    assert.equal(pending.input.file_path, target('allowed.txt'));
    assert.equal(pending.role, 'generalist');
    assert.equal((await cli(project, ['approvals', 'allow', pending.id, '--reason', 'fine'], env)).code, 0);
    const allowedRun = await call(client, 'get_dispatch_result', { dispatch_id: allowed.dispatch_id, wait_s: 60 });
    assert.equal(allowedRun.status, 'completed', JSON.stringify(allowedRun) + JSON.stringify((await call(client, 'process_details', { process_id: allowed.dispatch_id })).log));
    assert.equal(readFileSync(target('allowed.txt'), 'utf8'), 'allowed.txt\n');

    // Nobody answers this one within its (short) timeout: denied.
    await call(client, 'configure_orchestrator', { approval_timeout_s: 2 });
    const denied = await call(client, 'dispatch', { agent: 'claude', prompt: 'write denied.txt', approvals: true });
    await call(client, 'get_dispatch_result', { dispatch_id: denied.dispatch_id, wait_s: 60 });
    assert.equal(existsSync(target('denied.txt')), false, 'nobody answered: denied');
    const timedOut = (await call(client, 'list_approvals', { state: 'denied' })).items;
    assert.equal(timedOut.length, 1);
    assert.equal(timedOut[0].decided_by, 'timeout');

    await call(client, 'configure_orchestrator', { approval_policy: { tester: { allow: ['Write'] } } });
    const policy = await call(client, 'dispatch', { agent: 'claude', prompt: 'write policy.txt', approvals: true, role: 'tester' });
    await call(client, 'get_dispatch_result', { dispatch_id: policy.dispatch_id, wait_s: 60 });
    assert.equal(readFileSync(target('policy.txt'), 'utf8'), 'policy.txt\n');
    const byPolicy = (await call(client, 'list_approvals', { state: 'allowed' })).items.find((a: { decided_by: string }) => a.decided_by === 'policy');
    assert.equal(byPolicy.role, 'tester');
  });

  test('over HTTP with a token: the worker calls back into the same serve, as itself, and a person allows it', async () => {
    const project = newProject();
    const file = join(project, 'over-http.txt');
    model.setScenarios([{ name: 'http', match: { prompt: 'write over http' }, turns: [{ tools: [{ name: 'Write', input: { file_path: file, content: 'via serve\n' } }] }, { text: 'written' }] }]);
    // The token given as a flag: the agents get it in their environment, never on a command line.
    const env = claudeEnv(claudeHome(), model.url, { ORCHESTRATOR_CLAUDE: CLAUDE });
    const server = startServe(['--project', project, '--token', 'a-long-test-secret-1234'], env);
    try {
      const client = await httpClient(await server.url, { authorization: 'Bearer a-long-test-secret-1234' });
      clients.push(client);
      const { dispatch_id } = await call(client, 'dispatch', { agent: 'claude', prompt: 'write over http', approvals: true, role: 'implementer', cwd: project });
      const pending = await until('the request reaches the board', async () => (await call(client, 'list_approvals', { state: 'pending' })).items[0], 60_000);
      assert.equal(pending.role, 'implementer', 'the worker called as itself (its header)');
      await call(client, 'answer_approval', { approval_id: pending.id, decision: 'allow' });
      const done = await call(client, 'get_dispatch_result', { dispatch_id, wait_s: 60 });
      assert.equal(done.status, 'completed', JSON.stringify(done));
      assert.equal(readFileSync(file, 'utf8'), 'via serve\n');
      const details = await call(client, 'process_details', { process_id: dispatch_id });
      assert.ok(!JSON.stringify(details.argv).includes('a-long-test-secret-1234'), 'the token is not on the command line');
    } finally {
      await server.stop();
    }
  });
});
