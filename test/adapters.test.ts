// Contract tests of the Codex and Gemini adapters against the real CLIs (pinned devDependencies),
// each driven by the fake model server's protocol module for it: a run that writes a file and
// calls the orchestrator's MCP tools, API errors, a usage limit, a hang, resume, and output
// lines that do not parse. (Claude Code's contract is in runner.test.ts.)
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Adapter, McpServer } from '../src/runner/adapter.js';
import { codex, resetTime, type CodexOptions } from '../src/runner/adapters/codex.js';
import { gemini, withoutComments, type GeminiOptions } from '../src/runner/adapters/gemini.js';
import { renderEvent } from '../src/runner/events.js';
import { runAgent, type RunOptions } from '../src/runner/run-agent.js';
import { cleanupBackends, tempDir } from './support/backends.js';
import { cleanEnv, cli, MAIN, newProject } from './support/cli.js';
import { CLAUDE, claudeEnv, claudeHome } from './support/claude.js';
import { CODEX, codexEnv } from './support/codex.js';
import { startFakeModel, type FakeModel, type Scenario, type ToolCall } from './support/fake-model/server.js';
import { GEMINI, geminiEnv } from './support/gemini.js';

after(cleanupBackends);

interface Cli<Options> {
  name: string;
  adapter: Adapter<Options>;
  env: (modelUrl: string) => Record<string, string>;
  /** Options for one run: the prompt, the orchestrator as MCP server when given, more options. */
  options: (prompt: string, env: Record<string, string>, extra?: { mcp?: Record<string, McpServer>; resume?: string; sessionId?: string }) => Options;
  /** The CLI's own tool that writes a file. */
  writeFile: (path: string, content: string) => ToolCall;
  errors: { server: Scenario['turns'][0]['error']; rateLimit: Scenario['turns'][0]['error']; auth: Scenario['turns'][0]['error']; usageLimit: Scenario['turns'][0]['error'] };
  /** When the usage limit above resets, as the CLI can tell it. */
  usageReset: () => number;
  /** A session id to start with, when the CLI takes one. */
  presetSession: boolean;
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

const CODEX_CLI: Cli<CodexOptions> = {
  name: 'codex',
  adapter: codex,
  env: codexEnv,
  options: (prompt, _env, extra = {}) => ({ program: CODEX, prompt, sandbox: 'bypass', mcpServers: extra.mcp, resume: extra.resume }),
  writeFile: (path, content) => ({ name: 'exec_command', input: { cmd: `printf '%s\\n' '${content}' > '${path}'` } }),
  errors: {
    server: { status: 500, type: 'server_error', message: 'The server had an error' },
    rateLimit: { status: 429, type: 'rate_limit_exceeded', message: 'Rate limit reached for requests', headers: { 'retry-after': '30' } },
    auth: { status: 401, type: 'invalid_api_key', message: 'Incorrect API key provided' },
    usageLimit: { status: 429, type: 'usage_limit_reached', message: 'The usage limit has been reached', fields: { plan_type: 'plus', resets_in_seconds: 3600, resets_at: inAnHour() } },
  },
  usageReset: () => Date.now() + 3600_000,
  presetSession: false,
};

const GEMINI_CLI: Cli<GeminiOptions> = {
  name: 'gemini',
  adapter: gemini,
  env: geminiEnv,
  options: (prompt, env, extra = {}) => ({
    program: GEMINI,
    prompt,
    model: 'gemini-2.5-flash',
    approvalMode: 'yolo',
    mcpServers: extra.mcp,
    runDir: tempDir('orchestrator-gemini-run-'),
    userHome: env.HOME,
    resume: extra.resume,
    sessionId: extra.sessionId,
  }),
  writeFile: (path, content) => ({ name: 'write_file', input: { file_path: path, content: `${content}\n` } }),
  errors: {
    server: { status: 500, type: 'INTERNAL', message: 'Internal error encountered.' },
    rateLimit: { status: 429, type: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' },
    auth: { status: 400, type: 'INVALID_ARGUMENT', message: 'API key not valid. Please pass a valid API key.' },
    usageLimit: { status: 429, type: 'RESOURCE_EXHAUSTED', message: 'You exceeded your current quota. Please retry in 30s.' },
  },
  usageReset: () => Date.now() + 30_000,
  presetSession: true,
};

for (const agent of [CODEX_CLI, GEMINI_CLI] as Cli<any>[]) {
  describe(`${agent.name} adapter with the real ${agent.name} CLI`, () => {
    let model: FakeModel;
    before(async () => {
      model = await startFakeModel();
    });
    after(async () => {
      await model.close();
    });

    const run = (project: string, env: Record<string, string>, options: unknown, overrides: Partial<RunOptions> = {}) =>
      runAgent(agent.adapter, options, { cwd: project, env, idleTimeoutMs: 30_000, totalTimeoutMs: 60_000, stopGraceMs: 300, ...overrides });

    test('a run that writes a file and calls the orchestrator MCP tools', async () => {
      const project = newProject();
      const file = join(project, 'NOTE.md');
      model.setScenarios([{ name: 'write', match: { prompt: `${agent.name} writes the note` }, turns: [
        { tools: [agent.writeFile(file, 'written by the agent')] },
        { tools: [{ name: 'mcp__orchestrator__register_instance', input: {} }] },
        { tools: [{ name: 'mcp__orchestrator__push_task', input: { title: `pushed by ${agent.name}` } }] },
        { text: 'Wrote NOTE.md and pushed a task.' },
      ] }]);
      const env = agent.env(model.url);
      const mcp = { orchestrator: { command: process.execPath, args: [MAIN, 'mcp'], env: { ORCHESTRATOR_AGENT: `Worker-${agent.name}` } } };
      const lines: string[] = [];
      const result = await run(project, env, agent.options(`${agent.name} writes the note`, env, { mcp }), {
        onEvent: (e) => {
          const line = renderEvent(e);
          if (line) lines.push(line);
        },
      });
      assert.equal(result.outcome.kind, 'ok', JSON.stringify(result.outcome));
      assert.equal(result.outcome.message, 'Wrote NOTE.md and pushed a task.');
      assert.equal(readFileSync(file, 'utf8'), 'written by the agent\n');
      assert.deepEqual(result.events.filter((e) => e.type === 'tool_result' && e.is_error), [], `no tool call failed; every tool call and result: ${JSON.stringify(result.events.filter((e) => e.type === 'tool_call' || e.type === 'tool_result'))}; the orchestrator tools offered in each request: ${JSON.stringify(model.requests.filter((r) => r.conversation).map((r) => [r.conversation!.turn, r.conversation!.tools.filter((t) => t.includes('orchestrator')).length]))}`);
      const tasks = (await cli(project, ['task', 'list', '--json'], cleanEnv())).json.items;
      assert.deepEqual(tasks.map((t: { title: string }) => t.title), [`pushed by ${agent.name}`]);
      assert.equal(tasks[0].created_by, (await cli(project, ['agent', 'get', `Worker-${agent.name}`, '--json'], cleanEnv())).json.id);
      assert.match(result.outcome.session_id ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(result.outcome.usage && result.outcome.usage.input_tokens >= 400, `usage from the CLI: ${JSON.stringify(result.outcome.usage)}`);
      assert.ok(lines.some((line) => /push_task/.test(line)), lines.join('\n'));
    });

    test('API errors: a 500 fails, a 429 is rate_limited, a bad key is auth_failed, a usage limit has its reset time', async () => {
      const project = newProject();
      const env = agent.env(model.url);
      model.setScenarios(Object.entries(agent.errors).map(([name, error]) => ({ name, match: { prompt: `error ${name}` }, turns: [{ error }] })));
      const kind = async (name: string) => (await run(project, env, agent.options(`error ${name}`, env))).outcome;
      assert.equal((await kind('server')).kind, 'failed');
      assert.equal((await kind('rateLimit')).kind, 'rate_limited');
      assert.equal((await kind('auth')).kind, 'auth_failed');
      const limit = await kind('usageLimit');
      assert.equal(limit.kind, 'rate_limited', JSON.stringify(limit));
      assert.ok(limit.reset_at, 'the reset time is known');
      assert.ok(Math.abs(Date.parse(limit.reset_at!) - agent.usageReset()) < 120_000, `reset at ${limit.reset_at}`);
    });

    test('a model that hangs is stopped by the idle timeout', async () => {
      const project = newProject();
      const env = agent.env(model.url);
      model.setScenarios([{ name: 'hang', match: { prompt: 'hang forever' }, turns: [{ delayMs: 60_000, text: 'too late' }] }]);
      const result = await run(project, env, agent.options('hang forever', env), { idleTimeoutMs: 6_000 }); // more than a slow start (Gemini CLI takes 2–4 s to say init)
      assert.equal(result.outcome.kind, 'idle_timeout');
      assert.ok(result.durationMs < 20_000);
      assert.ok(result.events.some((e) => e.type === 'session_started'), 'it had started');
    });

    test('resume by session id keeps the session and its history', async () => {
      const project = newProject();
      const env = agent.env(model.url);
      model.setScenarios([{ name: 'any', match: {}, turns: [{ text: 'noted' }] }]);
      const preset = agent.presetSession ? randomUUID() : undefined;
      const first = await run(project, env, agent.options('remember the number 7', env, { sessionId: preset }));
      assert.equal(first.outcome.kind, 'ok', JSON.stringify(first.outcome));
      if (preset) assert.equal(first.outcome.session_id, preset);
      const session = first.outcome.session_id!;
      const options = agent.options('which number?', env, { resume: session });
      if (agent.name === 'codex') options.usageBefore = first.outcome.usage;
      const second = await run(project, env, options);
      assert.equal(second.outcome.kind, 'ok', JSON.stringify(second.outcome));
      assert.equal(second.outcome.session_id, session);
      const resumed = model.requests.filter((r) => r.conversation?.prompt === 'which number?').pop()!;
      assert.ok(JSON.stringify(resumed.body).includes('remember the number 7'), 'the resumed request carries the first prompt');
      // This run's own usage: one request's worth (Codex reports the thread's total, the adapter subtracts).
      assert.equal(second.outcome.usage?.input_tokens, 100);
    });

    test('a prompt too long for the command line goes on stdin', async () => {
      const project = newProject();
      const env = agent.env(model.url);
      const prompt = `LONG PROMPT ${'word '.repeat(30_000)}THE END`;
      model.setScenarios([{ name: 'long', match: { prompt: 'LONG PROMPT' }, turns: [{ text: 'read it all' }] }]);
      const result = await run(project, env, agent.options(prompt, env));
      assert.equal(result.outcome.kind, 'ok', JSON.stringify(result.outcome));
      assert.ok(model.requests.some((r) => r.scenario === 'long' && r.conversation!.prompt === prompt), 'the model got the whole prompt');
    });

    test('lines that do not parse are events of their own; without a result the outcome says so', () => {
      const events = [...agent.adapter.parseLine('{"type": broken'), ...agent.adapter.parseLine('{"type":"something_new","x":1}'), ...agent.adapter.parseLine('[1,2]')];
      assert.deepEqual(events.map((e) => e.type), ['parse_error', 'unknown', 'unknown']);
      assert.equal(agent.adapter.outcome(events, { exitCode: 0, signal: null, stderr: '' }).kind, 'stream_parse_error');
      assert.equal(agent.adapter.outcome([], { exitCode: 2, signal: null, stderr: 'boom\n' }).kind, 'failed');
    });
  });
}

describe('codex adapter details', () => {
  test('the MCP servers (their tools approved) and settings become -c overrides; the prompt comes after --', () => {
    const line = codex.commandLine({ prompt: '--not-a-flag', mcpServers: { orch: { url: 'http://127.0.0.1:9/mcp', headers: { 'X-Orchestrator-Agent': 'w1' } } }, resume: 'thread-1' });
    assert.deepEqual(line.args, [
      'exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write',
      '-c', 'mcp_servers.orch.url="http://127.0.0.1:9/mcp"', '-c', 'mcp_servers.orch.http_headers={"X-Orchestrator-Agent"="w1"}', '-c', 'mcp_servers.orch.default_tools_approval_mode="approve"', '-c', 'mcp_servers.orch.startup_timeout_sec=60',
      'resume', 'thread-1', '--', '--not-a-flag',
    ]);
    assert.throws(() => codex.commandLine({ prompt: 'x', mcpServers: { 'bad name': { command: 'x' } } }), /letters, digits/);
  });

  test('a usage limit reset named by the clock is the next such moment, at the end of the minute named', () => {
    const now = new Date(2026, 10, 21, 17, 0, 0);
    assert.equal(resetTime('or try again at 6:30 PM.', now), new Date(2026, 10, 21, 18, 31).toISOString());
    assert.equal(resetTime('or try again at 9:05 AM.', now), new Date(2026, 10, 22, 9, 6).toISOString());
    assert.equal(resetTime('or try again at Dec 2nd, 2026 1:15 AM.', now), new Date(2026, 11, 2, 1, 16).toISOString(), 'Codex 0.169 names the date when it is not today');
    assert.equal(resetTime('try again in 2 hours', now), new Date(now.getTime() + 7_200_000).toISOString());
    assert.equal(resetTime('no time given', now), null);
  });
});

describe('gemini adapter details', () => {
  test("comments in the user's settings are dropped, strings are kept whole", () => {
    const text = '{\n  // the model\n  "url": "http://example.test/a//b", /* inline */ "q": "say \\"/*hi*/\\""\n}';
    assert.deepEqual(JSON.parse(withoutComments(text)), { url: 'http://example.test/a//b', q: 'say "/*hi*/"' });
  });
});

describe('orchestrate doctor', () => {
  let model: FakeModel;
  before(async () => {
    model = await startFakeModel();
  });
  after(async () => {
    await model.close();
  });

  test('each CLI on the PATH: its version, login, permission mode and a real smoke run', async () => {
    model.setScenarios([{ name: 'smoke', match: { prompt: 'Reply with the single word OK.' }, turns: [{ text: 'OK' }] }]);
    const home = claudeHome();
    const env = { ...claudeEnv(home, model.url), ...codexEnv(model.url, home), ...geminiEnv(model.url, home), PATH: `${dirname(CLAUDE)}:${process.env.PATH}` };
    const run = await cli(newProject(), ['doctor', '--json'], env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const checks = Object.fromEntries(run.json.agents.map((check: { agent: string }) => [check.agent, check]));
    for (const agent of ['claude', 'codex', 'gemini']) {
      assert.equal(checks[agent].program, join(dirname(CLAUDE), agent));
      assert.ok(checks[agent].tested_versions.includes(checks[agent].version), `${agent} ${checks[agent].version} is the pinned version`);
      assert.equal(checks[agent].version_warning, null);
      assert.equal(checks[agent].smoke.outcome, 'ok', JSON.stringify(checks[agent].smoke));
      assert.equal(checks[agent].smoke.exit_code, 0);
    }
    assert.match(checks.claude.auth, /ANTHROPIC_API_KEY is set/);
    assert.match(checks.gemini.auth, /GEMINI_API_KEY is set/);
    assert.deepEqual([...new Set(model.requests.filter((r) => r.scenario === 'smoke').map((r) => r.protocol))].sort(), ['anthropic', 'gemini', 'openai']);
  });

  test('an untested version is a warning, a missing CLI is reported, a failing smoke run exits 12', async () => {
    const bin = tempDir('orchestrator-bin-');
    const fake = join(bin, 'claude-like');
    writeFileSync(fake, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "9.9.9 (Claude Code)"; exit 0; fi\necho '{"type":"result","subtype":"error_during_execution","is_error":true,"result":"Invalid API key · Please run /login","api_error_status":401}'\nexit 1\n`);
    chmodSync(fake, 0o755);
    const run = await cli(newProject(), ['doctor'], { ...cleanEnv(), PATH: bin, ORCHESTRATOR_CLAUDE: fake });
    assert.equal(run.code, 12, run.stderr);
    assert.match(run.stdout, /claude  .*claude-like 9\.9\.9\n  warning: 9\.9\.9 is not a version this adapter was tested with \(2\.1\.330\)/);
    assert.match(run.stdout, /smoke run: auth_failed in [\d.]+ s \(exit 1\): Invalid API key/);
    assert.match(run.stdout, /codex   not found on the PATH \(npm install -g @openai\/codex, or set ORCHESTRATOR_CODEX\)/);
    assert.match(run.stdout, /gemini  not found on the PATH/);
    const quick = await cli(newProject(), ['doctor', '--skip-smoke'], { ...cleanEnv(), PATH: bin, ORCHESTRATOR_CLAUDE: fake });
    assert.equal(quick.code, 0);
    assert.match(quick.stdout, /smoke run: skipped/);
  });
});
