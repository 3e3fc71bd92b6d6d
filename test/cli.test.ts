// The CLI as its users run it: design E's command names and flags, readable and JSON output,
// one clear line and a distinct exit code for every kind of bad input, and waits that wake
// across processes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { cleanupBackends, newBoardUrl } from './support/backends.js';
import { cleanEnv, cli, cliInBackground, newProject } from './support/cli.js';

after(cleanupBackends);

function oneLineError(result: { stderr: string }, pattern: RegExp): void {
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at |node:internal/, 'no stack trace');
}

test('design E names and flags: a whole session through the aliases', async () => {
  const project = newProject();
  const env = cleanEnv();
  const run = (...args: string[]) => cli(project, [...args, '--json'], env);

  const tom = await run('register', '--name', 'Tom', '--role', 'architect');
  assert.equal(tom.code, 0, tom.stderr);
  assert.equal(tom.json.name, 'Tom');
  const jerry = await run('register', '--name', 'Jerry', '--role', 'developer');
  assert.equal(jerry.json.role, 'implementer');
  assert.deepEqual(JSON.parse(readFileSync(join(project, '.orchestrator', 'agent.json'), 'utf8')), { id: jerry.json.id, name: 'Jerry' });
  assert.equal(readFileSync(join(project, '.orchestrator', '.gitignore'), 'utf8').includes('*'), true);

  const pushed = await run('push-task', '--title', 'Implement POST /api/auth/login', '--description', 'Email+password login, return JWT.', '--priority', '0', '-i', 'Tom');
  assert.equal(pushed.code, 0, pushed.stderr);
  for (const field of ['id', 'status', 'priority', 'title']) assert.ok(field in pushed.json, field);
  assert.equal(pushed.json.status, 'pending');
  assert.equal(pushed.json.created_by, tom.json.id);
  const id = pushed.json.id as string;

  const claimed = await run('claim-task');
  assert.equal(claimed.json.id, id);
  assert.equal(claimed.json.status, 'claimed');
  const none = await run('claim-task');
  assert.equal(none.code, 0);
  assert.equal(none.stdout.trim(), 'null');

  assert.equal((await run('heartbeat', '--current-task', id)).json.current_task, id);
  assert.equal((await run('task', 'get', id)).json.status, 'in_progress');

  assert.equal((await run('send-message', '--to-name', 'Jerry', '--content', 'Starting on the auth module?', '-i', 'Tom')).code, 0);
  const inbox = await run('poll-messages');
  assert.deepEqual(inbox.json.items.map((m: { content: string }) => m.content), ['Starting on the auth module?']);
  assert.equal((await run('dismiss-message', '--message-id', inbox.json.items[0].id)).json.state, 'dismissed');

  assert.equal((await run('task-block', '--task-id', id, '--reason', 'Waiting for API key')).json.status, 'blocked');
  assert.equal((await run('task', 'unblock', id)).json.status, 'pending');
  await run('claim-task');
  const done = await run('complete-task', '--task-id', id, '--result', 'PR #42 — login endpoint with tests');
  assert.equal(done.json.status, 'completed');
  assert.equal(done.json.result, 'PR #42 — login endpoint with tests');

  const second = await run('push-task', '--title', 'E2E tests', '--depends-on', id, '--max-retries', '1');
  await run('claim-task');
  assert.equal((await run('task-fail', '--task-id', second.json.id, '--reason', 'Test environment unavailable')).json.status, 'failed');
  assert.equal((await run('task-retry', '--task-id', second.json.id)).json.retry_count, 1);

  assert.equal((await run('set-context', '--key', 'jwt_strategy', '--value', 'access:15min, refresh:7d')).json.version, 1);
  assert.equal((await run('get-context', '--key', 'jwt_strategy')).json.value, 'access:15min, refresh:7d');
  assert.deepEqual((await run('list-context-keys')).json.items.map((k: { key: string }) => k.key), ['jwt_strategy']);
  assert.equal((await run('delete-context', '--key', 'jwt_strategy')).code, 0);

  assert.deepEqual((await run('list-instances')).json.items.map((a: { name: string }) => a.name), ['Tom', 'Jerry']);
  assert.deepEqual((await run('list-tasks', '--status', 'completed')).json.items.map((t: { id: string }) => t.id), [id]);
  const status = await run('status');
  assert.equal(status.json.ok, true);
  assert.equal(status.json.store.dialect, 'sqlite');
  assert.equal(status.json.tasks.completed, 1);
  const config = await run('config');
  assert.equal(config.json.agent.source, 'saved');
  assert.equal(config.json.db.value, join(project, '.orchestrator', 'state.db'));

  assert.equal((await run('unregister')).json.status, 'offline');
  assert.equal(existsSync(join(project, '.orchestrator', 'agent.json')), false, 'unregister forgets the saved identity');
});

test('any folder inside the repository uses the board at its root', async () => {
  const project = newProject();
  const env = cleanEnv();
  await cli(project, ['task', 'push', 'from the root'], env);
  const inside = await cli(join(project, 'src'), ['task', 'list', '--json'], env);
  assert.deepEqual(inside.json.items.map((t: { title: string }) => t.title), ['from the root']);
  const config = await cli(join(project, 'src'), ['config', '--json'], env);
  assert.equal(config.json.projectRoot.value, project);
  assert.equal(existsSync(join(project, 'src', '.orchestrator')), false);
});

test('noun-verb commands print readable text for people', async () => {
  const project = newProject();
  const env = cleanEnv();
  const run = (...args: string[]) => cli(project, args, env);
  assert.match((await run('agent', 'register', '--name', 'Ann', '--role', 'tester')).stdout, /^registered Ann \(agent-[^)]+\) as tester/);
  assert.match((await run('task', 'push', 'Write the login tests', '--role', 'tester', '--labels', 'auth,tests')).stdout, /^pushed task-\S+ \[pending\] p2 tester: Write the login tests/);
  const list = (await run('task', 'list')).stdout.split('\n');
  assert.match(list[0]!, /^ID\s+STATUS\s+PRI\s+ROLE\s+HELD BY\s+DEPENDS ON\s+TITLE$/);
  assert.match(list[1]!, /pending\s+2\s+tester/);
  assert.match((await run('task', 'claim')).stdout, /^claimed task-/);
  assert.equal((await run('task', 'claim')).stdout.trim(), 'nothing to claim');
  assert.equal((await run('ctx', 'set', 'api', 'v2')).stdout.trim(), 'api = v2 (version 1)');
  assert.equal((await run('ctx', 'get', 'api')).stdout.trim(), 'v2');
  assert.match((await run('status')).stdout, /agents:\s+1 online, 0 offline/);
  assert.match((await run('leader', 'acquire')).stdout, /^Ann leads \(term 1\)/);
  assert.match((await run('leader', 'status')).stdout, /^Ann \(agent-\S+\) leads, term 1/);
  assert.match((await run('events', '--type', 'task.claimed')).stdout, /task\.claimed/);
  const help = await run('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /task\s+push \| claim \| start/);
  assert.doesNotMatch(help.stdout, /push-task/, 'the design E aliases stay out of the main help');
  const pushHelp = await run('task', 'push', '--help');
  assert.match(pushHelp.stdout, /--depends-on <value>/);
});

describe('bad input: one clear line, a distinct exit code, nothing written', () => {
  test('every kind of error', async () => {
    const project = newProject();
    const env = cleanEnv();
    const run = (...args: string[]) => cli(project, args, env);

    let result = await run('task', 'claim');
    assert.equal(result.code, 7);
    oneLineError(result, /agent register --name/);

    result = await run('task', 'get', 'task-nope');
    assert.equal(result.code, 3);
    oneLineError(result, /no task 'task-nope'.*task list/);

    result = await run('task', 'push', '--title', 'x', '--priority', '9');
    assert.equal(result.code, 2);
    oneLineError(result, /priority must be a whole number from 0 to 3, not '9'/);

    result = await run('task', 'push', '--id', 'a', '--title', 'a', '--depends-on', 'a');
    assert.equal(result.code, 6);
    oneLineError(result, /cannot depend on itself/);

    const pushed = await cli(project, ['task', 'push', 'x', '--json'], env);
    result = await run('task', 'complete', pushed.json.id);
    assert.equal(result.code, 4);
    oneLineError(result, /is pending; 'complete' needs a task that is claimed or in_progress/);

    await run('agent', 'register', '--name', 'Tom');
    result = await run('agent', 'register', '--name', 'Tom');
    assert.equal(result.code, 5);
    oneLineError(result, /agent name 'Tom' is taken/);

    result = await run('task', 'list', '--bogus');
    assert.equal(result.code, 2);
    oneLineError(result, /Unknown option '--bogus'.*task list --help/);

    result = await run('frobnicate');
    assert.equal(result.code, 2);
    oneLineError(result, /unknown command 'frobnicate'/);

    result = await run('task', 'push', '--title', 'x', '--metadata', '[1]');
    assert.equal(result.code, 2);
    oneLineError(result, /--metadata must be a JSON object/);

    result = await run('status', '--db', 'postgres://user:hunter2@127.0.0.1:1/none');
    assert.equal(result.code, 9);
    oneLineError(result, /cannot reach the PostgreSQL board/);
    assert.doesNotMatch(result.stderr, /hunter2/);

    const garbage = join(project, 'garbage.db');
    writeFileSync(garbage, 'not a database '.repeat(500));
    result = await run('task', 'list', '--db', garbage);
    assert.equal(result.code, 9);
    oneLineError(result, /garbage\.db/);
    assert.equal(readFileSync(garbage, 'utf8'), 'not a database '.repeat(500), 'the file was left as it was');

    const future = newBoardUrl('sqlite');
    await cli(project, ['status', '--db', future], env);
    const db = new Database(future);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 0)').run('future');
    db.close();
    result = await run('task', 'list', '--db', future);
    assert.equal(result.code, 11);
    oneLineError(result, /schema version 99.*upgrade claude-orchestrator/);

    result = await run('agent', 'heartbeat', '--agent', 'Ghost');
    assert.equal(result.code, 3);
    oneLineError(result, /no agent 'Ghost'/);

    const tasks = await cli(project, ['task', 'list', '--json'], env);
    assert.equal(tasks.json.items.length, 1, 'only the one good push was written');
  });

  test('an agent whose lease ran out is told to register again', async () => {
    const project = newProject();
    const env = cleanEnv();
    await cli(project, ['agent', 'register', '--name', 'Brief', '--lease-ttl', '0.2'], env);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const result = await cli(project, ['agent', 'heartbeat'], env);
    assert.equal(result.code, 8);
    oneLineError(result, /offline \(lease expired\).*register again with --name Brief/);
  });
});

describe('waits wake across processes', () => {
  test('msg wait, task watch and ctx watch return when another process writes', async () => {
    const project = newProject();
    const env = cleanEnv();
    await cli(project, ['agent', 'register', '--name', 'Waiter'], env);

    const wait = cliInBackground(project, ['msg', 'wait', '--timeout', '30', '--json'], env);
    await wait.waiting;
    await cli(project, ['msg', 'send', '--to-name', 'Waiter', '--content', 'ping'], env);
    const got = await wait.done;
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(got.json.map((m: { content: string }) => m.content), ['ping']);

    const watch = cliInBackground(project, ['task', 'watch', '--timeout', '30', '--json'], env);
    await watch.waiting;
    await cli(project, ['task', 'push', 'wake the watcher'], env);
    assert.equal((await watch.done).json.title, 'wake the watcher');

    const ctxWatch = cliInBackground(project, ['ctx', 'watch', 'flag', '--timeout', '30', '--json'], env);
    await ctxWatch.waiting;
    await cli(project, ['ctx', 'set', 'flag', 'on'], env);
    assert.equal((await ctxWatch.done).json.value, 'on');

    const quiet = await cli(project, ['task', 'watch', '--timeout', '0.1', '--json'], env);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stdout.trim(), 'null');
  });
});

test('the CLI on PostgreSQL', { skip: !process.env.PG_URL }, async () => {
  const project = newProject();
  const env = cleanEnv({ ORCHESTRATOR_DB: newBoardUrl('postgres') });
  const run = (...args: string[]) => cli(project, [...args, '--json'], env);
  assert.equal((await run('agent', 'register', '--name', 'PgWorker')).code, 0);
  const pushed = await run('task', 'push', 'on postgres', '--priority', '1');
  assert.equal((await run('task', 'claim')).json.id, pushed.json.id);
  const status = await run('status');
  assert.equal(status.json.store.dialect, 'postgres');
  assert.doesNotMatch(status.json.store.location, /orchestrator-test/, 'the password is masked');
  assert.equal((await run('config')).json.db.source, 'env');
  assert.equal(existsSync(join(project, '.orchestrator', 'state.db')), false, 'no SQLite file when PostgreSQL is used');
});

test('a SQLite command loads neither the PostgreSQL driver nor the MCP SDK (start-up stays fast)', async () => {
  const project = newProject();
  const script = `
    import { createRequire } from 'node:module';
    const { runCli } = await import(${JSON.stringify(new URL('../dist/cli/run.js', import.meta.url).href)});
    const io = { stdout() {}, stderr(t) { console.error(t); }, stdin: process.stdin, stdoutStream: process.stdout, shutdownSignal: () => new AbortController().signal };
    const code = await runCli(['task', 'list', '--json'], {}, process.cwd(), io);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({ code, pg: loaded.some((p) => p.includes('/node_modules/pg/')), sdk: loaded.some((p) => p.includes('@modelcontextprotocol')) }));`;
  const { spawnSync } = await import('node:child_process');
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8', env: cleanEnv() });
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
  assert.deepEqual(result, { code: 0, pg: false, sdk: false }, run.stderr);
});
