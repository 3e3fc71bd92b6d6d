// What the presence tests with the real Claude Code share: a board with a short lease served over
// stdio and a shared `orchestrate serve`, sessions the fake model plays (register, claim, a long
// silence, complete), and another agent that keeps trying to claim.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { cleanupBackends } from './backends.js';
import { claudeEnv, claudeHome, startClaude } from './claude.js';
import { cleanEnv, cli, MAIN, newProject, startServe } from './cli.js';
import { lastToolJson, startFakeModel, type FakeModel, type Scenario } from './fake-model/server.js';

export const TTL_S = 5;

let model: FakeModel;
/** Starts the fake model before a file's tests and closes it (and the file's boards) after them. */
export function withModel(): void {
  before(async () => {
    model = await startFakeModel();
  });
  after(async () => {
    await model.close();
    await cleanupBackends();
  });
}

export const fakeModel = (): FakeModel => model;

/** Register as `name`, claim, then (after `pauseMs` of silence) complete what was claimed. */
export function session(name: string, pauseMs: number): Scenario {
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
export function claudeOn(project: string, name: string, server: { stdio: Record<string, string> } | { url: string }) {
  const mcp = 'url' in server
    ? { type: 'http', url: server.url }
    : { type: 'stdio', command: process.execPath, args: [MAIN, 'mcp'], env: server.stdio };
  const config = JSON.stringify({ mcpServers: { orch: mcp } });
  return startClaude(project, ['-p', `work as ${name}`, '--output-format', 'stream-json', '--verbose', '--mcp-config', config, '--strict-mcp-config', '--allowedTools', 'mcp__orch'], claudeEnv(claudeHome(), model.url), 300_000);
}

export async function setUp() {
  const project = newProject();
  const db = `${project}/.orchestrator/state.db`;
  const env = cleanEnv({ ORCHESTRATOR_DB: db, ORCHESTRATOR_LEASE_TTL: String(TTL_S) });
  const server = startServe(['--db', db, '--lease-ttl', String(TTL_S)], env);
  const url = await server.url;
  // The other agent keeps its own lease long: it only tries to claim.
  assert.equal((await cli(project, ['agent', 'register', '--name', 'Other', '--role', 'generalist', '--lease-ttl', '3600'], env)).code, 0);
  return { project, env, server, url, stdio: { ORCHESTRATOR_DB: db, ORCHESTRATOR_LEASE_TTL: String(TTL_S) } };
}

export const claimAsOther = async (project: string, env: Record<string, string>) => {
  const claim = await cli(project, ['task', 'claim', '--agent', 'Other', '--json'], env);
  assert.equal(claim.code, 0, claim.stderr);
  return claim.json;
};
