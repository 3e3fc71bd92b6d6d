// The MCP server: the official inspector as an outside client, the SDK client over stdio and
// Streamable HTTP, identities, resources, cancellation, fuzzed arguments, and the HTTP guards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { after, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import fc from 'fast-check';
import { z } from 'zod';
import { loadRegistry } from '../src/mcp/registry.js';
import { cleanupBackends, newBoardUrl } from './support/backends.js';
import { cleanEnv, cli, MAIN, newProject, startServe } from './support/cli.js';
import { call, callError, httpClient, stdioClient } from './support/mcp-client.js';

after(cleanupBackends);

const INSPECTOR = new URL('../node_modules/.bin/mcp-inspector', import.meta.url).pathname;
const BOARD_TOOLS = ['register_instance', 'heartbeat', 'list_instances', 'unregister', 'push_task', 'claim_task', 'start_task',
  'complete_task', 'block_task', 'fail_task', 'retry_task', 'list_tasks', 'get_task', 'send_message', 'poll_messages',
  'wait_for_message', 'mark_read', 'dismiss_message', 'request_help', 'set_context', 'get_context', 'delete_context',
  'list_context_keys', 'server_status'];

function inspector(cwd: string, args: string[], env: Record<string, string>): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(INSPECTOR, ['--cli', process.execPath, MAIN, 'mcp', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`inspector exited ${code}: ${stderr}`))));
  });
}

test('the official MCP inspector lists the tools and calls push_task and list_tasks', async () => {
  const project = newProject();
  const env = cleanEnv();
  const listed = await inspector(project, ['--method', 'tools/list'], env);
  const names = listed.tools.map((tool: { name: string }) => tool.name);
  for (const name of BOARD_TOOLS) assert.ok(names.includes(name), `tools/list has ${name}`);
  const claim = listed.tools.find((tool: { name: string }) => tool.name === 'claim_task');
  assert.deepEqual(claim._meta, { 'anthropic/alwaysLoad': true });
  assert.equal(listed.tools.find((tool: { name: string }) => tool.name === 'push_task').inputSchema.required[0], 'title');

  const pushed = await inspector(project, ['--method', 'tools/call', '--tool-name', 'push_task', '--tool-arg', 'title=From the inspector', '--tool-arg', 'priority=1'], env);
  assert.equal(pushed.isError, undefined);
  assert.equal(pushed.structuredContent.title, 'From the inspector');
  const listedTasks = await inspector(project, ['--method', 'tools/call', '--tool-name', 'list_tasks'], env);
  assert.deepEqual(listedTasks.structuredContent.items.map((t: { title: string; priority: number }) => [t.title, t.priority]), [['From the inspector', 1]]);
  // The same board the CLI sees.
  assert.equal((await cli(project, ['task', 'list', '--json'], env)).json.items[0].id, pushed.structuredContent.id);
});

describe('over stdio with the SDK client', () => {
  test('identity, the task cycle, messages, context, resources', async () => {
    const project = newProject();
    const env = cleanEnv();
    const anonymous = await stdioClient(project, env);
    const refused = await callError(anonymous, 'claim_task', {});
    assert.equal(refused.code, 'no_identity');
    assert.match(refused.message, /register_instance/);
    const jerry = await call(anonymous, 'register_instance', { name: 'Jerry', role: 'developer' });
    assert.equal(jerry.role, 'implementer');

    const configured = await stdioClient(project, cleanEnv({ ORCHESTRATOR_AGENT: 'Tom' }));
    assert.equal((await call(configured, 'register_instance', { role: 'architect' })).name, 'Tom', 'the name comes from ORCHESTRATOR_AGENT');
    assert.equal((await call(configured, 'register_instance', {})).name, 'Tom', 'registering the configured name again renews it');
    assert.equal((await call(anonymous, 'register_instance', {})).name, 'Jerry', 'so does registering again in the same session');
    assert.equal((await callError(anonymous, 'register_instance', { name: 'Tom' })).code, 'name_taken', 'another online name is still refused');
    const task = await call(configured, 'push_task', { title: 'Implement login', priority: 0, role: 'developer' });
    for (const field of ['id', 'status', 'title', 'priority']) assert.ok(field in task);
    assert.deepEqual(await call(configured, 'claim_task', {}), { task: null }, 'Tom is no developer');
    const claimed = await call(anonymous, 'claim_task', {});
    assert.equal(claimed.id, task.id);
    assert.equal((await call(anonymous, 'heartbeat', { current_task: task.id })).current_task, task.id);
    assert.equal((await callError(configured, 'complete_task', { task_id: task.id })).code, 'conflict', 'only the holder completes');
    assert.equal((await call(anonymous, 'complete_task', { task_id: task.id, result: 'PR #1' })).status, 'completed');

    await call(configured, 'send_message', { to_name: 'Jerry', content: 'nice work' });
    const inbox = await call(anonymous, 'poll_messages', {});
    assert.equal(inbox.items[0].from_name, 'Tom');
    assert.equal((await call(anonymous, 'wait_for_message', { timeout: 1 })).messages[0].content, 'nice work');
    assert.equal((await call(configured, 'set_context', { key: 'api', value: 'v2', expected_version: 0 })).version, 1);
    assert.equal((await callError(configured, 'set_context', { key: 'api', value: 'v3', expected_version: 0 })).code, 'conflict');
    assert.equal((await call(anonymous, 'get_context', { key: 'api' })).value, 'v2');
    assert.equal((await callError(anonymous, 'get_context', { key: 'nope' })).code, 'not_found');
    assert.equal((await call(anonymous, 'server_status', {})).tasks.completed, 1);

    const resources = (await anonymous.listResources()).resources.map((r) => r.uri);
    assert.deepEqual(resources.sort(), ['orchestrator://events', 'orchestrator://roles', 'orchestrator://status', 'orchestrator://workflow-templates']);
    assert.deepEqual((await anonymous.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate).sort(), ['orchestrator://processes/{id}/log', 'orchestrator://tasks/{id}']);
    const read = async (uri: string) => JSON.parse(((await anonymous.readResource({ uri })).contents[0] as { text: string }).text);
    assert.equal((await read('orchestrator://status')).tasks.completed, 1);
    const roles = (await read('orchestrator://roles')).roles;
    assert.ok(roles.find((r: { name: string; prompt: string }) => r.name === 'tester').prompt.includes('claim_task'));
    const detail = await read(`orchestrator://tasks/${task.id}`);
    assert.deepEqual(detail.events.map((e: { type: string }) => e.type), ['task.pushed', 'task.claimed', 'task.started', 'task.completed']);
    assert.ok((await read('orchestrator://events')).events.length >= 5);
    await assert.rejects(anonymous.readResource({ uri: 'orchestrator://tasks/nope' }), /not_found/);
    await anonymous.close();
    await configured.close();
  });

  test('wait_for_message honours cancellation and caps its timeout', async () => {
    const project = newProject();
    const client = await stdioClient(project, cleanEnv({ ORCHESTRATOR_AGENT: 'Waiter' }));
    await call(client, 'register_instance', {});
    assert.equal((await callError(client, 'wait_for_message', { timeout: 301 })).code, 'invalid_input');
    const cancel = new AbortController();
    const started = performance.now();
    const waiting = client.callTool({ name: 'wait_for_message', arguments: { timeout: 60 } }, undefined, { signal: cancel.signal });
    setTimeout(() => cancel.abort(), 200);
    await assert.rejects(waiting, /abort/i);
    assert.ok(performance.now() - started < 5_000, 'the cancelled call returned at once');
    assert.deepEqual(await call(client, 'ping', {}), {}, 'the server keeps serving');
    const [message] = (await call(client, 'poll_messages', {})).items;
    assert.equal(message, undefined);
    await client.close();
  });

  test('every tool answers invalid arguments with an isError result and keeps serving', async () => {
    const project = newProject();
    const client = await stdioClient(project, cleanEnv({ ORCHESTRATOR_AGENT: 'Fuzz' }));
    const registry = await loadRegistry();
    const wrong = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer()), fc.dictionary(fc.string(), fc.integer()), fc.double());
    let checked = 0;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...registry.tools),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), wrong, { maxKeys: 4 }),
      fc.nat(),
      wrong,
      async (tool, junk, pick, value) => {
        const keys = Object.keys(tool.input);
        const args: Record<string, unknown> = { ...junk };
        if (keys.length > 0) args[keys[pick % keys.length]!] = value;
        if (z.strictObject(tool.input).safeParse(args).success) return; // by chance valid: not what this test is about
        // Refused as a tool error, or before the tool by the protocol (a key named __proto__).
        const error = await callError(client, tool.name, args).catch((refused: Error & { code?: number }) => {
          assert.equal(refused.code, -32602, refused.message);
          return { code: 'invalid_input' };
        });
        assert.equal(error.code, 'invalid_input', `${tool.name} ${JSON.stringify(args)}`);
        checked++;
      },
    ), { numRuns: 300 }).catch(async (error: unknown) => {
      await client.close(); // a failure must not leave the server running (the file would never end)
      throw error;
    });
    assert.ok(checked > 200, `enough invalid calls (${checked})`);
    assert.equal((await callError(client, 'no_such_tool', {})).code, 'not_found');
    assert.deepEqual(await call(client, 'ping', {}), {});
    await client.close();
  });
});

/** POSTs an MCP initialize with node:http (fetch will not send a custom Host) and returns the status. */
function initialize(url: string, headers: Record<string, string>): Promise<number> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } } });
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('over Streamable HTTP', () => {
  const serve = (args: string[]) => startServe(['--db', newBoardUrl('sqlite'), ...args]);

  test('one shared server: each session is the agent its header names', async () => {
    const server = serve([]);
    const url = await server.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const ann = await httpClient(url, { 'X-Orchestrator-Agent': 'Ann' });
    const bob = await httpClient(url, { 'X-Orchestrator-Agent': 'Bob' });
    assert.equal((await call(ann, 'register_instance', {})).name, 'Ann');
    assert.equal((await call(bob, 'register_instance', {})).name, 'Bob');
    await call(ann, 'push_task', { title: 'one' });
    await call(ann, 'push_task', { title: 'two' });
    const [first, second] = await Promise.all([call(ann, 'claim_task', {}), call(bob, 'claim_task', {})]);
    assert.notEqual(first.id, second.id);
    const holders = (await call(ann, 'list_tasks', { status: 'claimed' })).items.map((t: { claimed_by: string }) => t.claimed_by);
    assert.equal(new Set(holders).size, 2);
    await ann.close();
    await bob.close();
    assert.equal(await server.stop(), 0, 'SIGTERM stops the server cleanly');
  });

  test('foreign Host and Origin are refused; other addresses need a token', async () => {
    const server = serve([]);
    const url = await server.url;
    const post = (target: string, headers: Record<string, string>) => initialize(target, headers);
    assert.equal(await post(url, { host: 'evil.example:80' }), 403, 'a foreign Host (DNS rebinding) is refused');
    assert.equal(await post(url, { origin: 'http://evil.example' }), 403, 'a foreign Origin is refused');
    assert.equal(await post(url, { origin: new URL(url).origin }), 200);
    assert.equal(await post(url.replace('/mcp', '/other'), {}), 404);
    await server.stop();

    const open = await cli(newProject(), ['serve', '--host', '0.0.0.0', '--port', '0'], cleanEnv());
    assert.equal(open.code, 2);
    assert.match(open.stderr, /--token/);

    const guarded = serve(['--host', '0.0.0.0', '--token', 's3cret']);
    const guardedUrl = (await guarded.url).replace('0.0.0.0', '127.0.0.1');
    const tokenPost = (auth?: string) => initialize(guardedUrl, auth ? { authorization: auth } : {});
    assert.equal(await tokenPost(), 401);
    assert.equal(await tokenPost('Bearer wrong!'), 401);
    assert.equal(await tokenPost('Bearer s3cret'), 200);
    await guarded.stop();
  });
});
