// Presence with the real Claude Code: a session that claims a task and then works a minute in
// silence — the scripted model pauses 60 s between two tool calls, far longer than the 5 s lease —
// keeps its task: another agent's claims get nothing, and the session completes it. Over stdio
// (`orchestrate mcp`, one process per session) and over a shared `orchestrate serve` (Streamable
// HTTP), side by side. Then `kill -9` of Claude Code: its task is back within the lease.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { claudeEnv, claudeHome, startClaude } from './support/claude.js';
import { cleanEnv, cli, MAIN, newProject, startServe } from './support/cli.js';
import { lastToolJson, startFakeModel, type FakeModel, type Scenario } from './support/fake-model/server.js';
import { until } from './support/until.js';

const TTL_S = 5;

let model: FakeModel;
before(async () => {
  model = await startFakeModel();
});
after(async () => {
  await model.close();
  await cleanupBackends();
});

/** Register as `name`, claim, then (after `pauseMs` of silence) complete what was claimed. */
function session(name: string, pauseMs: number): Scenario {
  return {
    name,
    match: { prompt: `work as ${name}` },
    turns: [
      { tools: [{ name: 'mcp__orch__register_instance', input: { name } }] },
      { tools: [{ name: 'mcp__orch__claim_task', input: {} }] },
      { delayMs: pauseMs, tools: [{ name: 'mcp__orch__complete_task', input: (c) => ({ task_id: lastToolJson(c)?.id ?? 'none', result: `done by ${name}` }) }] },
      { text: 'Done.' },
    ],
  };
}

/** Claude Code connected to the board over stdio (its own `orchestrate mcp`) or to a shared server. */
function claudeOn(project: string, name: string, server: { stdio: Record<string, string> } | { url: string }) {
  const mcp = 'url' in server
    ? { type: 'http', url: server.url }
    : { type: 'stdio', command: process.execPath, args: [MAIN, 'mcp'], env: server.stdio };
  const config = JSON.stringify({ mcpServers: { orch: mcp } });
  return startClaude(project, ['-p', `work as ${name}`, '--output-format', 'stream-json', '--verbose', '--mcp-config', config, '--strict-mcp-config', '--allowedTools', 'mcp__orch'], claudeEnv(claudeHome(), model.url), 300_000);
}

async function setUp() {
  const project = newProject();
  const db = `${project}/.orchestrator/state.db`;
  const env = cleanEnv({ ORCHESTRATOR_DB: db, ORCHESTRATOR_LEASE_TTL: String(TTL_S) });
  const server = startServe(['--db', db, '--lease-ttl', String(TTL_S)], env);
  const url = await server.url;
  // The other agent keeps its own lease long: it only tries to claim.
  assert.equal((await cli(project, ['agent', 'register', '--name', 'Other', '--role', 'generalist', '--lease-ttl', '3600'], env)).code, 0);
  return { project, env, server, url, stdio: { ORCHESTRATOR_DB: db, ORCHESTRATOR_LEASE_TTL: String(TTL_S) } };
}

const claimAsOther = async (project: string, env: Record<string, string>) => {
  const claim = await cli(project, ['task', 'claim', '--agent', 'Other', '--json'], env);
  assert.equal(claim.code, 0, claim.stderr);
  return claim.json;
};

test('a session silent for 60 s keeps its task over stdio and over HTTP; the other agent gets nothing; both complete', async () => {
  const { project, env, server, url, stdio } = await setUp();
  let runs: ReturnType<typeof claudeOn>[] = [];
  try {
    for (const title of ['first', 'second']) assert.equal((await cli(project, ['task', 'push', title], env)).code, 0);
    model.setScenarios([session('OverStdio', 60_000), session('OverHttp', 60_000)]);
    runs = [claudeOn(project, 'OverStdio', { stdio }), claudeOn(project, 'OverHttp', { url })];
    await until('both sessions hold a task', async () => {
      const tasks = (await cli(project, ['task', 'list', '--json'], env)).json?.items ?? [];
      return tasks.length === 2 && tasks.every((t: { status: string }) => t.status === 'claimed');
    }, 120_000, 250);
    const claimedAt = Date.now();
    let claims = 0;
    while (Date.now() - claimedAt < 45_000) {
      assert.equal(await claimAsOther(project, env), null, 'a task of a live, silent session was handed to another agent');
      claims++;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.ok(claims >= 5, `the other agent tried ${claims} times over many leases`);
    const ends = await Promise.all(runs.map((run) => run.done));
    for (const end of ends) assert.equal(end.code, 0, end.stderr);
    const tasks = (await cli(project, ['task', 'list', '--json'], env)).json.items;
    assert.deepEqual(tasks.map((t: { status: string; result: string }) => t.status), ['completed', 'completed']);
    assert.deepEqual(tasks.map((t: { result: string }) => t.result).sort(), ['done by OverHttp', 'done by OverStdio']);
    const events = (await cli(project, ['events', '--json', '--limit', '200'], env)).json.items.map((e: { type: string }) => e.type);
    assert.ok(!events.includes('task.released'), `no task was released: ${events.join(' ')}`);
    assert.ok(!events.slice(0, events.lastIndexOf('task.completed')).includes('agent.expired'), `no lease ran out while they worked: ${events.join(' ')}`);
  } finally {
    for (const run of runs) run.child.kill('SIGKILL');
    await server.stop();
  }
});

test('kill -9 of Claude Code: its task goes back to the queue within the lease, over stdio and over HTTP', async () => {
  const { project, env, server, url, stdio } = await setUp();
  let runs: ReturnType<typeof claudeOn>[] = [];
  try {
    for (const title of ['first', 'second']) assert.equal((await cli(project, ['task', 'push', title], env)).code, 0);
    model.setScenarios([session('KilledStdio', 600_000), session('KilledHttp', 600_000)]);
    runs = [claudeOn(project, 'KilledStdio', { stdio }), claudeOn(project, 'KilledHttp', { url })];
    await until('both sessions hold a task', async () => {
      const tasks = (await cli(project, ['task', 'list', '--json'], env)).json?.items ?? [];
      return tasks.length === 2 && tasks.every((t: { status: string }) => t.status === 'claimed');
    }, 120_000, 250);
    // Several leases in silence first: they are alive, and kept so.
    await new Promise((resolve) => setTimeout(resolve, 2 * TTL_S * 1000));
    assert.equal(await claimAsOther(project, env), null);
    const killedAt = Date.now();
    for (const run of runs) run.child.kill('SIGKILL');
    await Promise.all(runs.map((run) => run.done));
    const back = await until('both tasks are back in the queue', async () => {
      const tasks = (await cli(project, ['task', 'list', '--json'], env)).json?.items ?? [];
      return tasks.every((t: { status: string }) => t.status === 'pending') ? tasks : null;
    }, 60_000, 200);
    assert.equal(back.length, 2);
    for (const name of ['KilledStdio', 'KilledHttp']) {
      const agent = (await cli(project, ['agent', 'get', name, '--json'], env)).json;
      assert.equal(agent.status, 'offline');
      // No renewal after the kill but what was under way (1 s to notice the closed connection).
      assert.ok(Date.parse(agent.lease_expires_at) <= killedAt + TTL_S * 1000 + 1000, `${name}'s lease ended at ${agent.lease_expires_at}, killed at ${new Date(killedAt).toISOString()}`);
    }
    assert.ok((await claimAsOther(project, env)) !== null, 'the other agent can take a released task');
  } finally {
    for (const run of runs) run.child.kill('SIGKILL');
    await server.stop();
  }
});
