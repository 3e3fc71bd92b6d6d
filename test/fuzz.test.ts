// Fuzzing, seeded and bounded in time (about a minute here; ORCHESTRATOR_SLOW_TESTS=1 runs ten
// times as many, ORCHESTRATOR_FUZZ_SEED=<n> replays one): calls made from every MCP tool's own
// input schema with hostile values mixed in, by two sessions at once on one board; the CLI's
// commands with hostile flags and arguments; mutated master plans. What must hold: every reply
// comes within a time limit, none is an internal error or a stack trace, the server stays up,
// other processes can still use the board, nothing is written outside the project, the SQLite
// file passes integrity_check and holds exactly the tasks the calls pushed, and no secret shows.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { z } from 'zod';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { COMMANDS, holdsUntilStopped } from '../src/cli/commands.js';
import { readMasterPlan } from '../src/flows/plan-files.js';
import { loadRegistry } from '../src/mcp/registry.js';
import { cleanupBackends, tempDir } from './support/backends.js';
import { cleanEnv, cli, newProject } from './support/cli.js';
import { fromSchema, hostileText, runs, SEED } from './support/fuzz.js';
import { stdioClient } from './support/mcp-client.js';

after(cleanupBackends);

const SECRET = 'fuzz-secret-token-7f3a9c';
/** Tools left out: they start agent processes (a fuzzed argv is a command line) or wait for a person. */
const SPAWNING = new Set(['dispatch', 'submit_task', 'retry_dispatch', 'approve_permission']);
/** Waits are cut short: a fuzzed timeout would only make the run long. */
const WAIT_ARGS: Record<string, string> = { wait_for_message: 'timeout_s', get_dispatch_result: 'wait_s' };
const REPLY_LIMIT_MS = 15_000;

const say = (what: string) => console.log(`# fuzz (seed ${SEED}): ${what}`);

/** A folder outside the project, reachable through a symlink inside it: nothing may be written there. */
function fencedProject(): { project: string; outside: string; snapshot: () => string } {
  const project = newProject();
  const outside = tempDir('orchestrator-fuzz-outside-');
  writeFileSync(join(outside, 'escape.md'), '# not yours\n');
  symlinkSync(outside, join(project, 'link-out'));
  mkdirSync(join(project, 'docs', 'folder.md'), { recursive: true });
  const snapshot = () => readdirSync(outside).map((name) => `${name}:${statSync(join(outside, name)).mtimeMs}:${readFileSync(join(outside, name), 'utf8')}`).join('|');
  return { project, outside, snapshot };
}

test(`MCP: schema-made and hostile calls from two sessions keep the board whole and the server up (seed ${SEED})`, async () => {
  const { project, snapshot } = fencedProject();
  const before = snapshot();
  const env = cleanEnv({ ORCHESTRATOR_TOKEN: SECRET, PATH: '/usr/bin:/bin' });
  const registry = await loadRegistry();
  const tools = registry.tools.filter((tool) => !SPAWNING.has(tool.name));
  const schemas = new Map(tools.map((tool) => [tool.name, z.toJSONSchema(z.strictObject(tool.input), { io: 'input' }) as never]));
  const sessions: Client[] = [await stdioClient(project, { ...env, ORCHESTRATOR_AGENT: 'FuzzA' }), await stdioClient(project, { ...env, ORCHESTRATOR_AGENT: 'FuzzB' })];
  const pushed = new Set<string>();
  const stats = { calls: 0, ok: 0, refused: 0, protocol: 0 };
  // The tools that build up state come up more often, so later calls meet tasks, messages and keys.
  const busy = new Set(['push_task', 'claim_task', 'start_task', 'complete_task', 'send_message', 'set_context', 'register_instance', 'list_tasks']);
  const toolName = fc.oneof(...tools.map((tool) => ({ weight: busy.has(tool.name) ? 6 : 1, arbitrary: fc.constant(tool.name) })));
  const call = fc.tuple(fc.nat({ max: 1 }), toolName).chain(([session, name]) =>
    fromSchema(schemas.get(name)!).map((args) => ({ session, name, args })));
  try {
    for (const client of sessions) await client.callTool({ name: 'register_instance', arguments: {} });
    await fc.assert(fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 8 }), async (sequence) => {
      for (const { session, name, args } of sequence) {
        const input = (args !== null && typeof args === 'object' && !Array.isArray(args) ? { ...(args as object) } : args) as Record<string, unknown>;
        if (WAIT_ARGS[name] && input && typeof input === 'object') input[WAIT_ARGS[name]!] = 0;
        stats.calls++;
        let timer: NodeJS.Timeout | undefined;
        const reply = await Promise.race([
          sessions[session]!.callTool({ name, arguments: input }).then((result) => ({ result }), (error: Error) => ({ error })),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name} gave no reply within ${REPLY_LIMIT_MS} ms`)), REPLY_LIMIT_MS))),
        ]).finally(() => clearTimeout(timer));
        if ('error' in reply) {
          // A protocol-level refusal (not an object, NUL, __proto__, too deep): one line, never an internal error.
          stats.protocol++;
          assert.match(reply.error.message, /^MCP error -326\d\d: [^\n]+$/, `${name}: ${reply.error.message.slice(0, 300)}`);
          assert.doesNotMatch(reply.error.message, /-32603/, `${name}: ${reply.error.message.slice(0, 300)}`);
          continue;
        }
        const text = JSON.stringify(reply.result);
        assert.ok(!text.includes(SECRET), `${name} showed the secret`);
        assert.doesNotMatch(text, /\n\s+at [\w.<>]+ \(|this is a bug|a bug in the orchestrator/, `${name}: ${text.slice(0, 500)}`);
        if (reply.result.isError) {
          const error = (reply.result.structuredContent as { error: { code: string } }).error;
          assert.notEqual(error.code, 'internal', `${name} ${JSON.stringify(input).slice(0, 300)}: ${text.slice(0, 500)}`);
          stats.refused++;
        } else {
          stats.ok++;
          if (name === 'push_task') pushed.add((reply.result.structuredContent as { id: string }).id);
        }
      }
    }), { numRuns: runs(150), seed: SEED, endOnFailure: true });
    for (const client of sessions) assert.deepEqual((await client.callTool({ name: 'ping', arguments: {} })).isError, undefined, 'the server is up');
    const elsewhere = await cli(project, ['task', 'list', '--json', '--limit', '1000'], env);
    assert.equal(elsewhere.code, 0, `another process can use the board: ${elsewhere.stderr}`);
  } finally {
    for (const client of sessions) await client.close();
  }
  const db = new Database(join(project, '.orchestrator', 'state.db'), { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const ids = (db.prepare('SELECT id FROM tasks').all() as { id: string }[]).map((row) => row.id);
  db.close();
  assert.deepEqual(new Set(ids), pushed, 'the board holds exactly the tasks the calls pushed');
  assert.equal(snapshot(), before, 'nothing was written outside the project');
  for (const file of ['.mcp.json', join('.claude', 'settings.json')]) {
    if (existsSync(join(project, file))) assert.ok(!readFileSync(join(project, file), 'utf8').includes(SECRET));
  }
  say(`${stats.calls} MCP calls: ${stats.ok} ok, ${stats.refused} refused with a code, ${stats.protocol} refused by the protocol; ${pushed.size} tasks pushed`);
});

test(`CLI: hostile flags and arguments get exit codes that mean something and one line (seed ${SEED})`, async () => {
  const { project, snapshot } = fencedProject();
  const before = snapshot();
  const env = cleanEnv({ ORCHESTRATOR_TOKEN: SECRET, PATH: '/usr/bin:/bin' });
  // Commands that would start agents or servers, or wait (as the views' command line refuses them: a
  // worker, the web view, `agent register --work-dir`), are left out; the rest get hostile input.
  const safe = COMMANDS.filter((command) => !/^(doctor|log|tour)\b/.test(command.name));
  let runsMade = 0;
  const argv = fc.constantFrom(...safe).chain((command) => {
    const options = Object.entries(command.options ?? {});
    // An argument over 128 KB is refused by the OS before any program runs.
    const text = hostileText.filter((value) => value.length < 100_000);
    const flags = options.length === 0 ? fc.constant([] as string[][]) : fc.array(fc.tuple(fc.constantFrom(...options), text), { maxLength: 3 }).map((pairs) =>
      pairs.map(([[name, spec], value]) => (spec.type === 'boolean' ? [`--${name}`] : [`--${name}=${value}`])));
    const positionals = fc.array(text.filter((value) => !value.startsWith('-')), { maxLength: 3 });
    return fc.tuple(flags, positionals).map(([pairs, rest]) => [...command.name.split(' '), ...rest, ...pairs.flat()]);
  }).filter((args) => args.every((arg) => !arg.includes('\u0000')) && holdsUntilStopped(args) === null); // the OS refuses NUL in argv before we see it
  await fc.assert(fc.asyncProperty(argv, async (args) => {
    runsMade++;
    const result = await cli(project, args, env, { timeoutMs: 4 * REPLY_LIMIT_MS });
    const shown = `${args.join(' ').slice(0, 200)} → ${result.code}: ${result.stderr.slice(0, 300)}`;
    assert.ok(result.code !== null && result.code >= 0 && result.code <= 14, shown);
    assert.notEqual(result.code, 1, `an internal error for input: ${shown}`);
    if (result.code !== 0) assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${shown}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, shown);
    assert.ok(!result.stdout.includes(SECRET) && !result.stderr.includes(SECRET), `the secret showed: ${shown}`);
  }), { numRuns: runs(30), seed: SEED, endOnFailure: true });
  assert.equal(snapshot(), before, 'nothing was written outside the project');
  const board = join(project, '.orchestrator', 'state.db');
  if (existsSync(board)) {
    const db = new Database(board, { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  }
  say(`${runsMade} CLI runs`);
});

test(`master plans: mutated plans are read in bounded time, every problem with its file and line (seed ${SEED})`, () => {
  const root = tempDir('orchestrator-fuzz-plan-');
  cpSync(new URL('./fixtures/plans/valid/', import.meta.url).pathname, root, { recursive: true });
  const original = readFileSync(join(root, 'master-plan.md'), 'utf8').split('\n');
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(hostileText.filter((t) => t.length < 10_000), fc.constantFrom('| 9 | [Nine](nine.md) | Pending |', '|---|', '```mermaid', 'A --> B', '1 --> 1', '## Dependencies', '- [ ] **AGENT:x**', '[link](%E0%A4%A)')) }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  );
  let plans = 0;
  fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
    const lines = [...original];
    for (const m of mutations) {
      const at = m.at % Math.max(lines.length, 1);
      if (m.kind === 'delete') lines.splice(at, 1);
      else if (m.kind === 'duplicate') lines.splice(at, 0, lines[at] ?? '');
      else if (m.kind === 'insert') lines.splice(at, 0, m.text);
      else [lines[at], lines[m.with % lines.length]] = [lines[m.with % lines.length]!, lines[at]!];
    }
    writeFileSync(join(root, 'mutated.md'), lines.join('\n'));
    const started = performance.now();
    const { problems } = readMasterPlan(root, 'mutated.md');
    plans++;
    assert.ok(performance.now() - started < 5_000, 'read in bounded time');
    for (const problem of problems) {
      assert.ok(typeof problem.file === 'string' && problem.file.length > 0 && Number.isInteger(problem.line) && problem.line >= 1, JSON.stringify(problem));
      assert.ok(problem.message.length > 0 && !problem.message.includes('\n'), JSON.stringify(problem));
    }
  }), { numRuns: runs(500), seed: SEED, endOnFailure: true });
  say(`${plans} mutated plans`);
});
