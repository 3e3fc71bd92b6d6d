// The runner: adapters turn output lines into validated events and outcomes; runAgent
// supervises one process (timeouts, stepwise stop of the whole process group, bounded stderr,
// a JSON-lines log). The Claude adapter runs the real Claude Code against the fake model.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { claude } from '../src/runner/adapters/claude.js';
import { commandAdapter } from '../src/runner/adapters/command.js';
import { renderEvent, type AgentEvent } from '../src/runner/events.js';
import { processStartTime } from '../src/runner/os-process.js';
import { runAgent, type RunOptions } from '../src/runner/run-agent.js';
import { cleanupBackends, tempDir } from './support/backends.js';
import { CLAUDE, claudeEnv, claudeHome } from './support/claude.js';
import { cleanEnv, cli, MAIN, newProject } from './support/cli.js';
import { startFakeModel, type FakeModel } from './support/fake-model/server.js';

after(cleanupBackends);

const node = (script: string, extra: Partial<{ promptVia: 'argv' | 'stdin' }> = {}) => ({ program: process.execPath, args: ['-e', script, '{prompt}'], prompt: 'the prompt', ...extra });
const runOptions = (overrides: Partial<RunOptions> = {}): RunOptions => ({ cwd: tempDir(), env: cleanEnv(), idleTimeoutMs: 10_000, totalTimeoutMs: 20_000, stopGraceMs: 300, ...overrides });
/** A process that is gone or a zombie (killed, waiting to be reaped) is not alive. */
const alive = (pid: number) => processStartTime(pid) !== null;

describe('command adapter and runAgent', () => {
  test('plain output becomes text events, the prompt on argv, exit 0 is ok, events are logged', async () => {
    const log = join(tempDir(), 'logs', 'p1.jsonl');
    const seen: AgentEvent[] = [];
    const result = await runAgent(commandAdapter(), node("console.log('got: ' + process.argv[1]); console.log('second')"), runOptions({ logPath: log, onEvent: (e) => seen.push(e) }));
    assert.equal(result.outcome.kind, 'ok');
    assert.deepEqual(result.events, [{ type: 'text', text: 'got: the prompt' }, { type: 'text', text: 'second' }]);
    assert.deepEqual(seen, result.events);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).text), ['got: the prompt', 'second']);
  });

  test('JSON lines: a malformed line is an event of its own and the run goes on', async () => {
    const script = "console.log(JSON.stringify({text:'a'})); console.log('not json {'); console.log(JSON.stringify({other:1})); process.stdout.write(JSON.stringify({text:'last, no newline'}))";
    const result = await runAgent(commandAdapter('json'), node(script), runOptions());
    assert.equal(result.outcome.kind, 'ok');
    assert.deepEqual(result.events.map((e) => e.type), ['text', 'parse_error', 'unknown', 'text']);
    assert.equal(renderEvent(result.events[1]!), '[ERROR: unreadable output line: not json {]');
  });

  test('the prompt on stdin; a failing program; a program that does not exist', async () => {
    const echo = await runAgent(commandAdapter(), node("process.stdin.on('data', (d) => process.stdout.write('stdin: ' + d))", { promptVia: 'stdin' }), runOptions());
    assert.deepEqual(echo.events, [{ type: 'text', text: 'stdin: the prompt' }]);
    const failing = await runAgent(commandAdapter(), node("console.error('boom: disk full'); process.exit(3)"), runOptions());
    assert.equal(failing.outcome.kind, 'failed');
    assert.equal(failing.exitCode, 3);
    assert.match(failing.outcome.message, /exit 3: boom: disk full/);
    const missing = await runAgent(commandAdapter(), { program: '/nonexistent/agent', prompt: 'x' }, runOptions());
    assert.equal(missing.outcome.kind, 'spawn_failed');
    assert.match(missing.outcome.message, /ENOENT/);
  });

  test('an idle process is stopped, with everything it started', async () => {
    const script = "const c = require('child_process').spawn('sleep', ['60'], { stdio: 'ignore' }); console.log(String(c.pid)); setInterval(() => {}, 1000)";
    const result = await runAgent(commandAdapter(), node(script), runOptions({ idleTimeoutMs: 1_500 }));
    assert.equal(result.outcome.kind, 'idle_timeout');
    assert.match(result.outcome.message, /no output for 1.5 s/);
    const grandchild = Number((result.events[0] as { text: string }).text);
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(alive(grandchild), false, 'the process group was killed');
    assert.ok(result.durationMs < 5_000);
  });

  test('output does not reset the total timeout; SIGTERM-deaf processes get SIGKILL; cancel is killed', async () => {
    // The idle timeouts outlast a slow node start on a busy machine.
    const chatty = await runAgent(commandAdapter(), node("setInterval(() => console.log('tick'), 50)"), runOptions({ idleTimeoutMs: 1_500, totalTimeoutMs: 2_500 }));
    assert.equal(chatty.outcome.kind, 'total_timeout');
    assert.ok(chatty.events.length >= 5);
    const deaf = await runAgent(commandAdapter(), node("process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"), runOptions({ idleTimeoutMs: 3_000 }));
    assert.equal(deaf.outcome.kind, 'idle_timeout');
    assert.equal(deaf.signal, 'SIGKILL');
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 200);
    const cancelled = await runAgent(commandAdapter(), node('setInterval(() => {}, 1000)'), runOptions({ signal: cancel.signal }));
    assert.equal(cancelled.outcome.kind, 'killed');
  });

  test('stderr is kept to its last 64 KiB', async () => {
    const result = await runAgent(commandAdapter(), node("process.stderr.write('x'.repeat(1 << 20) + 'END')"), runOptions());
    assert.equal(result.outcome.kind, 'ok');
    assert.equal(result.stderr.length, 64 * 1024);
    assert.ok(result.stderr.endsWith('END'));
  });
});

describe('one-line rendering', () => {
  test('tool calls, MCP calls, errors and results read as people expect', () => {
    assert.equal(renderEvent({ type: 'tool_call', id: '1', name: 'Read', input: { file_path: 'src/a.ts' } }), '[Read: src/a.ts]');
    assert.equal(renderEvent({ type: 'tool_call', id: '2', name: 'Bash', input: { command: 'npm test' } }), '[Bash: npm test]');
    assert.equal(renderEvent({ type: 'tool_call', id: '3', name: 'mcp__orchestrator__claim_task', input: {} }), '[mcp orchestrator.claim_task]');
    assert.equal(renderEvent({ type: 'tool_result', id: '4', is_error: true, content: 'no such file' }), '[ERROR: no such file]');
    assert.equal(renderEvent({ type: 'tool_result', id: '5', is_error: false, content: 'fine' }), null);
    assert.equal(renderEvent({ type: 'result', is_error: false, subtype: 'success', text: 'ok', num_turns: 3, cost_usd: 0.0123, usage: null, api_error_status: null }), '[done in 3 turns, $0.0123]');
  });

  test('a subscription usage limit is rate_limited with its reset time', () => {
    const result: AgentEvent = { type: 'result', is_error: true, subtype: 'success', text: 'Claude AI usage limit reached|1795300000', num_turns: 1, cost_usd: 0, usage: null, api_error_status: null };
    const outcome = claude.outcome([result], { exitCode: 1, signal: null, stderr: '' });
    assert.equal(outcome.kind, 'rate_limited');
    assert.equal(outcome.reset_at, new Date(1795300000 * 1000).toISOString());
    assert.equal(claude.outcome([{ ...result, subtype: 'error_max_turns', text: '' }], { exitCode: 1, signal: null, stderr: '' }).kind, 'max_turns');
  });
});

describe('claude adapter with the real Claude Code', () => {
  let model: FakeModel;
  before(async () => {
    model = await startFakeModel();
  });
  after(async () => {
    await model.close();
  });

  const claudeRun = (project: string, options: Parameters<typeof claude.commandLine>[0], overrides: Partial<RunOptions> = {}) =>
    runAgent(claude, { program: CLAUDE, ...options }, runOptions({ cwd: project, env: claudeEnv(claudeHome(), model.url), idleTimeoutMs: 30_000, totalTimeoutMs: 60_000, ...overrides }));

  test('a run that writes a file and calls an orchestrator MCP tool', async () => {
    const project = newProject();
    const mcpConfig = JSON.stringify({ mcpServers: { orchestrator: { type: 'stdio', command: process.execPath, args: [MAIN, 'mcp'], env: { ORCHESTRATOR_AGENT: 'Runner' } } } });
    model.setScenarios([{ name: 'write', match: { prompt: 'write the note' }, turns: [
      { tools: [{ name: 'Write', input: { file_path: join(project, 'NOTE.md'), content: 'written by the agent\n' } }] },
      { tools: [{ name: 'mcp__orchestrator__register_instance', input: {} }] },
      { tools: [{ name: 'mcp__orchestrator__push_task', input: { title: 'pushed by the agent' } }] },
      { text: 'Wrote NOTE.md and pushed a task.' },
    ] }]);
    const lines: string[] = [];
    const result = await claudeRun(project, { prompt: 'write the note', mcpConfig, strictMcpConfig: true, allowedTools: ['Write', 'mcp__orchestrator'] }, {
      onEvent: (e) => {
        const line = renderEvent(e);
        if (line) lines.push(line);
      },
    });
    assert.equal(result.outcome.kind, 'ok', JSON.stringify(result.outcome));
    assert.equal(readFileSync(join(project, 'NOTE.md'), 'utf8'), 'written by the agent\n');
    assert.deepEqual(result.events.filter((e) => e.type === 'tool_result' && e.is_error), [], 'no tool call failed');
    const tasks = (await cli(project, ['task', 'list', '--json'], cleanEnv())).json.items;
    assert.deepEqual(tasks.map((t: { title: string }) => t.title), ['pushed by the agent']);
    assert.equal(tasks[0].created_by, (await cli(project, ['agent', 'get', 'Runner', '--json'], cleanEnv())).json.id);
    assert.match(result.outcome.session_id ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(result.outcome.usage && result.outcome.usage.input_tokens > 0, 'usage from the CLI');
    assert.equal(typeof result.outcome.cost_usd, 'number');
    assert.ok(lines.includes(`[Write: ${join(project, 'NOTE.md')}]`));
    assert.ok(lines.includes('[mcp orchestrator.push_task]'));
  });

  test('API errors: a 500 fails, a 429 is rate_limited, an invalid key is auth_failed', async () => {
    const project = newProject();
    model.setScenarios([
      { name: 'e500', match: { prompt: 'server error' }, turns: [{ error: { status: 500, type: 'api_error', message: 'Internal server error' } }] },
      { name: 'e429', match: { prompt: 'too many' }, turns: [{ error: { status: 429, type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit', headers: { 'retry-after': '30' } } }] },
      { name: 'e401', match: { prompt: 'bad key' }, turns: [{ error: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' } }] },
    ]);
    assert.equal((await claudeRun(project, { prompt: 'server error' })).outcome.kind, 'failed');
    const limited = await claudeRun(project, { prompt: 'too many' });
    assert.equal(limited.outcome.kind, 'rate_limited', JSON.stringify(limited.outcome));
    assert.equal((await claudeRun(project, { prompt: 'bad key' })).outcome.kind, 'auth_failed');
  });

  test('a subscription usage limit is rate_limited with its reset time; unreadable lines never crash the adapter', async () => {
    const project = newProject();
    const reset = Math.floor(Date.now() / 1000) + 7200;
    model.setScenarios([{ name: 'limit', match: { prompt: 'use it up' }, turns: [{ error: { status: 429, type: 'rate_limit_error', message: `Claude AI usage limit reached|${reset}` } }] }]);
    const limited = await claudeRun(project, { prompt: 'use it up' });
    assert.equal(limited.outcome.kind, 'rate_limited', JSON.stringify(limited.outcome));
    assert.equal(limited.outcome.reset_at, new Date(reset * 1000).toISOString());
    const events = [...claude.parseLine('{"type": "assistant", broken'), ...claude.parseLine('{"type":"brand_new_event"}')];
    assert.deepEqual(events.map((e) => e.type), ['parse_error', 'unknown']);
    assert.equal(claude.outcome(events, { exitCode: 1, signal: null, stderr: '' }).kind, 'stream_parse_error');
  });

  test('a prompt too long for the command line goes on stdin', async () => {
    const project = newProject();
    const prompt = `LONG PROMPT ${'word '.repeat(30_000)}THE END`;
    model.setScenarios([{ name: 'long', match: { prompt: 'LONG PROMPT' }, turns: [{ text: 'read it all' }] }]);
    const result = await claudeRun(project, { prompt });
    assert.equal(result.outcome.kind, 'ok', JSON.stringify(result.outcome));
    assert.ok(model.requests.some((r) => r.scenario === 'long' && r.conversation!.prompt === prompt), 'the model got the whole prompt');
  });

  test('a model that hangs is stopped by the idle timeout', async () => {
    const project = newProject();
    model.setScenarios([{ name: 'hang', match: { prompt: 'hang forever' }, turns: [{ delayMs: 60_000, text: 'too late' }] }]);
    const result = await claudeRun(project, { prompt: 'hang forever' }, { idleTimeoutMs: 6_000 });
    assert.equal(result.outcome.kind, 'idle_timeout');
    assert.ok(result.durationMs < 15_000);
    assert.ok(result.events.some((e) => e.type === 'session_started'), 'it had started');
  });

  test('orchestrate dispatch --agent claude, with readable progress', async () => {
    const project = newProject();
    model.setScenarios([{ name: 'dispatch', match: { prompt: 'look around' }, turns: [{ tools: [{ name: 'Bash', input: { command: 'ls' } }] }, { text: 'All looked at.' }] }]);
    const env = { ...claudeEnv(claudeHome(), model.url) };
    const run = await cli(project, ['dispatch', 'look around', '--program', CLAUDE, '--allowed-tools', 'Bash', '--verbose'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /\[session [0-9a-f-]{36}/);
    assert.match(run.stderr, /\[Bash: ls\]/);
    assert.match(run.stderr, /\[done in \d+ turns, \$\d/);
    assert.match(run.stdout, /^proc-\S+: ok, \$\d+\.\d{4}, session [0-9a-f-]{36}\nAll looked at\./);
  });

  test('resume by session id keeps the session', async () => {
    const project = newProject();
    const sessionId = randomUUID();
    model.setScenarios([{ name: 'any', match: {}, turns: [{ text: 'noted' }] }]);
    const env = claudeEnv(claudeHome(), model.url); // one Claude home: the session is stored there
    const first = await claudeRun(project, { prompt: 'remember the number 7', sessionId }, { env });
    assert.equal(first.outcome.session_id, sessionId);
    const second = await claudeRun(project, { prompt: 'which number?', resume: sessionId }, { env });
    assert.equal(second.outcome.kind, 'ok');
    assert.equal(second.outcome.session_id, sessionId);
    const resumed = model.requests.filter((r) => r.conversation?.prompt === 'which number?').pop()!;
    assert.ok(JSON.stringify(resumed.body.messages).includes('remember the number 7'), 'the resumed request carries the first prompt');
    assert.ok(existsSync(project));
  });
});
