// Bad input, as an attacker or a careless script gives it, one regression per defect found by
// fuzzing: nothing wedges the board, loses data, leaks a password or writes outside the project,
// and every mistake gets one clear error. (The fuzzers themselves: fuzz.test.ts.)
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Board } from '../src/board/board.js';
import { isOrchestratorError } from '../src/core/errors.js';
import { openDb } from '../src/store/open.js';
import { cleanupBackends, newBoardUrl, tempDir } from './support/backends.js';
import { cleanEnv, cli, MAIN, newProject, startServe } from './support/cli.js';
import { CLAUDE } from './support/claude.js';
import { call, callError, stdioClient } from './support/mcp-client.js';
import { until } from './support/until.js';

after(cleanupBackends);

test('answering an approval that does not exist, or was answered, fails at once; the board stays usable for everyone', async () => {
  const project = newProject();
  const env = cleanEnv();
  const client = await stdioClient(project, env);
  try {
    await call(client, 'register_instance', { name: 'Answerer' });
    assert.equal((await callError(client, 'answer_approval', { approval_id: 'appr-does-not-exist', decision: 'deny' })).code, 'not_found');
    const board = new Board(await openDb(join(project, '.orchestrator', 'state.db')));
    const asked = await board.approvals.request({ agent: null, role: null, tool_name: 'Write', input: {}, tool_use_id: null });
    await board.approvals.decide(asked.id, 'allowed', 'someone');
    await board.close();
    assert.equal((await callError(client, 'answer_approval', { approval_id: asked.id, decision: 'deny' })).code, 'conflict');
    assert.ok((await call(client, 'push_task', { title: 'after the refusals' })).id, 'the session still answers');
    const elsewhere = await cli(project, ['task', 'push', 'from another process'], env);
    assert.equal(elsewhere.code, 0, `another process can still write: ${elsewhere.stderr}`);
  } finally {
    await client.close();
  }
});

test('a statement sent outside the transaction that runs it fails at once instead of waiting forever', async () => {
  const db = await openDb(newBoardUrl('sqlite'));
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.exec('INSERT INTO context (key, value, version, updated_at) VALUES (?, ?, 1, 0)', ['k', 'v']);
      await db.query('SELECT count(*) AS n FROM context');
    }),
    (error: unknown) => isOrchestratorError(error, 'internal') && /outside the transaction/.test(error.message),
  );
  assert.deepEqual(await db.query('SELECT count(*) AS n FROM context'), [{ n: 0 }], 'rolled back, and the Db answers');
  await db.close();
});

/** `orchestrate mcp` spoken to line by line, as a hostile client would: each reply read back by id (null: errors about unreadable lines). */
function rawSession(project: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN, 'mcp'], { cwd: project, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const replies: any[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      replies.push(JSON.parse(pending.slice(0, nl)));
      pending = pending.slice(nl + 1);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const send = (line: string) => new Promise<void>((resolve) => (child.stdin.write(`${line}\n`) ? resolve() : child.stdin.once('drain', () => resolve())));
  const reply = (count: number) => until(`${count} replies`, async () => (replies.length >= count ? replies.slice(0, count) : null), 60_000, 20);
  return { child, replies, send, reply, exited };
}

test('MCP over stdio: every malformed, oversized or wrong message gets one JSON-RPC error line, and the server goes on', async () => {
  const project = newProject();
  const session = rawSession(project, cleanEnv({ ORCHESTRATOR_AGENT: 'Raw' }));
  const requests: [string, number | null][] = [
    [JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }), null],
    ['this is not json', -32700],
    [`{"jsonrpc":"2.0","id":2,"method":"ping","params":{"x":"a\u0000b"}}`, -32700],
    [JSON.stringify([{ jsonrpc: '2.0', id: 3, method: 'ping' }]), -32600],
    [JSON.stringify({ jsonrpc: '2.0', id: 4 }), -32600],
    [JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'push_task', arguments: 'title=x' } }), -32602],
    [`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"push_task","arguments":{"title":"deep","metadata":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}}`, -32600],
    [`{"jsonrpc":"2.0","id":7,"method":"ping","params":{"pad":"${'x'.repeat(11 * 1024 * 1024)}"}}`, -32600],
    [`{"jsonrpc":"2.0","id":8,"method":"ping","params":{"pad":"${'y'.repeat(50 * 1024 * 1024)}"}}`, -32600],
    [`{"method":"ping","params":{"pad":"${'z'.repeat(5 * 1024 * 1024)}"},"jsonrpc":"2.0","id":"last"}`, -32600],
    [JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }), null],
  ];
  try {
    // One at a time: an error about an unreadable line comes at once, a request's answer a moment later.
    for (const [i, [line]] of requests.entries()) {
      await session.send(line);
      await session.reply(i + 1);
    }
    const replies = session.replies;
    for (const [i, [, code]] of requests.entries()) {
      const got = replies[i];
      if (code === null) assert.equal(got.error, undefined, JSON.stringify(got).slice(0, 300));
      else {
        assert.equal(got.error?.code, code, `reply ${i}: ${JSON.stringify(got).slice(0, 300)}`);
        assert.ok(got.error.message.length <= 300 && !got.error.message.includes('\n'), `one short line: ${got.error.message.slice(0, 300)}`);
      }
    }
    assert.deepEqual(replies.slice(7, 10).map((reply) => reply.id), [7, 8, 'last'], 'a skipped request is answered under its id, first or last in the line');
    assert.equal(replies.at(-1).id, 9, 'it still answers after all that');
    session.child.stdin.end();
    assert.equal(await session.exited, 0);
  } finally {
    session.child.kill('SIGKILL');
  }
});

test('a reply never outgrows what a client can take: a page ends early with its cursor', async () => {
  const project = newProject();
  const board = new Board(await openDb(join(project, '.orchestrator', 'state.db')));
  const big = { content: 'z'.repeat(13_000) };
  for (let i = 0; i < 1000; i++) await board.approvals.request({ agent: null, role: null, tool_name: 'Write', input: big, tool_use_id: null });
  await board.close();
  const client = await stdioClient(project, cleanEnv());
  try {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const result = await client.callTool({ name: 'list_approvals', arguments: { limit: 1000, ...(cursor ? { cursor } : {}) } });
      assert.ok(Buffer.byteLength(JSON.stringify(result)) < 4 * 1024 * 1024, 'each reply stays small');
      const page = result.structuredContent as { items: { id: string }[]; next_cursor: string | null };
      for (const item of page.items) seen.add(item.id);
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    assert.equal(seen.size, 1000, 'every approval, over several pages');
    assert.ok(pages > 1);
  } finally {
    await client.close();
  }
});

test('learnings are folded only into markdown skill files: never the board, the repository, a folder, a device, or (from MCP) outside the project', async () => {
  const project = newProject();
  const env = cleanEnv();
  const outside = tempDir('orchestrator-outside-');
  writeFileSync(join(outside, 'shared.md'), '# shared\n');
  mkdirSync(join(project, 'docs', 'folder.md'), { recursive: true });
  symlinkSync(join(outside, 'shared.md'), join(project, 'docs', 'escape.md'));
  symlinkSync('/dev/zero', join(project, 'docs', 'zero.md'));
  writeFileSync(join(project, 'docs', 'real.md'), '# real\n');
  symlinkSync(join(project, 'docs', 'real.md'), join(project, 'docs', 'alias.md'));
  assert.equal((await cli(project, ['learning', 'note', 'deploy', '--kind', 'gotcha', '--text', 'migrate first'], env)).code, 0);
  const board = join(project, '.orchestrator', 'state.db');
  const boardBefore = readFileSync(board);
  const client = await stdioClient(project, env);
  try {
    for (const [path, why] of [
      ['.orchestrator/state.db', /inside a \.git or \.orchestrator folder/],
      ['.git/config', /inside a \.git or \.orchestrator folder/],
      ['docs/escape.md', /outside the project \(it leads to/],
      ['docs/folder.md', /is a folder/],
      ['docs/zero.md', /not a markdown file \(it leads to \/dev\/zero\)/],
      ['package.json', /not a markdown file/],
    ] as const) {
      const error = await callError(client, 'fold_learnings', { skill: 'deploy', path, apply: true });
      assert.equal(error.code, 'invalid_input', `${path}: ${error.message}`);
      assert.match(error.message, why);
    }
    const through = await call(client, 'fold_learnings', { skill: 'deploy', path: 'docs/alias.md', apply: true });
    assert.equal(through.path, join(realpathSync(project), 'docs', 'real.md'), 'a link inside the project: its real file is written');
    assert.match(readFileSync(join(project, 'docs', 'real.md'), 'utf8'), /migrate first/);
    assert.ok(lstatSync(join(project, 'docs', 'alias.md')).isSymbolicLink(), 'the link stays a link');
  } finally {
    await client.close();
  }
  for (const path of ['/dev/zero', join(project, '.orchestrator', 'state.db'), join(project, '.git', 'config')]) {
    const result = await cli(project, ['learning', 'fold', 'deploy', '--path', path, '--apply'], env);
    assert.equal(result.code, 2, `${path}: ${result.stderr}`);
  }
  assert.equal(readFileSync(join(outside, 'shared.md'), 'utf8'), '# shared\n', 'nothing written outside the project');
  assert.equal((await cli(project, ['task', 'list', '--json'], env)).code, 0, 'the board is intact');
  assert.ok(readFileSync(board).length >= boardBefore.length);
});

test('a board password never appears in output, errors or the files setup writes', async () => {
  const project = newProject();
  const env = cleanEnv();
  const secret = 's3cret-Pa55';
  const outputs: string[] = [];
  const run = async (args: string[]) => {
    const result = await cli(project, args, env);
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  await run(['config', '--db', `postgres://user:${secret}@127.0.0.1:1/board`]);
  await run(['config', '--json', '--db', `postgres://user:${secret}@127.0.0.1:1/board`]);
  assert.equal((await run(['task', 'list', '--db', `postgres://user:${secret}@not a host/board`])).code, 2);
  assert.equal((await run(['task', 'list', '--db', `postgres://user@127.0.0.1:1/board?password=${secret}&connect_timeout=2`])).code, 9);
  assert.equal((await run(['setup', '--hooks', '--dry-run', '--db', `postgres://user:${secret}@127.0.0.1:5432/board`])).code, 0);
  const applied = await run(['setup', '--hooks', '--db', `postgres://user:${secret}@127.0.0.1:5432/board`]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /password is not written to these files: sessions and hooks read it from PGPASSWORD/);
  const http = await run(['setup', '--http', `http://user:${secret}@127.0.0.1:3100/mcp`]);
  assert.equal(http.code, 2);
  for (const text of outputs) assert.doesNotMatch(text, new RegExp(secret), text);
  for (const file of ['.mcp.json', join('.claude', 'settings.json')]) {
    const written = readFileSync(join(project, file), 'utf8');
    assert.doesNotMatch(written, new RegExp(secret), file);
    assert.match(written, /postgres:\/\/user@127\.0\.0\.1:5432\/board/, `${file} names the board without its password`);
  }
});

test('mistakes on the command line get one clear error and change nothing', async () => {
  const project = newProject();
  const env = cleanEnv();
  const expect = async (args: string[], code: number, pattern: RegExp, extraEnv: Record<string, string> = {}) => {
    const result = await cli(project, args, { ...env, ...extraEnv });
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.doesNotMatch(result.stderr, /internal error|this is a bug|\n\s+at /);
  };
  const file = join(project, 'notes.txt');
  writeFileSync(file, 'a file\n');
  await expect(['task', 'list', '--db', project], 2, /is a folder; name the board's file/);
  await expect(['task', 'list', '--db', '/dev/null'], 2, /is not a regular file/);
  await expect(['task', 'list', '--db', join(project, 'no-such-folder', 'state.db')], 2, /the folder .*no-such-folder does not exist; create it first/);
  assert.equal(existsSync(join(project, 'no-such-folder')), false, 'no board was started by a typo');
  await expect(['task', 'list', '--project', file], 2, /is a file; pass the project folder/);
  await expect(['task', 'list', '--project', join(project, 'typo')], 2, /does not exist; pass the project folder/);
  await expect(['msg', 'wait', '--timeout', '0x5'], 2, /must be a decimal number, not '0x5'/, { ORCHESTRATOR_AGENT: 'nobody' });
  await expect(['task', 'push', 'Fix', 'the', 'login'], 2, /takes at most 1 .*'the' is one too many — quote a text that has spaces/);
  await expect(['status', 'extra'], 2, /takes no arguments/);
  await expect(['task', 'push', 'deep', '--metadata', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`], 2, /nested more than 32 levels deep/);
  await expect(['task', 'push', 'proto', '--metadata', '{"ok":1,"__proto__":{"x":1}}'], 2, /key named __proto__/);
  await expect(['start', 'Add a feature', '--context-file', '/dev/zero'], 2, /is not a regular file/);
  assert.equal((await cli(project, ['task', 'list', '--json'], env)).json.items.length, 0, 'nothing was pushed');

  // A repository without a commit, and agent CLIs that are not there: refused before anything is created.
  await expect(['start', 'Add a feature', '--dry-run'], 2, /has no commit yet; commit something first/, { ORCHESTRATOR_CLAUDE: CLAUDE });
  spawnSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@x', 'commit', '-q', '--allow-empty', '-m', 'start'], { cwd: project });
  await expect(['start', 'Add a feature', '--dry-run'], 2, /cannot use claude: claude is not on the PATH.*nothing was created/, { PATH: '/usr/bin:/bin' });
  assert.equal(spawnSync('git', ['branch', '--list', 'orchestrate/*'], { cwd: project, encoding: 'utf8' }).stdout.trim(), '', 'no run branch');
  assert.equal(existsSync(join(project, '.orchestrator', 'worktrees')), false, 'no worktree');
});

test('MCP arguments are kept exactly or refused: surrogates, NUL, __proto__, a huge prefix, an unknown team', async () => {
  const project = newProject();
  const client = await stdioClient(project, cleanEnv());
  try {
    await call(client, 'register_instance', { name: 'Exact', role: 'tester' });
    const kept = await call(client, 'push_task', { title: 'ends with a BOM\uFEFF', metadata: { note: 'a\u00A0b' } });
    assert.equal(kept.title, 'ends with a BOM\uFEFF', 'an invisible character is kept');
    assert.equal((await call(client, 'get_task', { task_id: kept.id })).metadata.note, 'a\u00A0b');
    assert.match((await callError(client, 'push_task', { title: 'half a pair \uD800' })).message, /surrogate/);
    assert.equal((await call(client, 'push_task', { title: 'a role named like an Object method', role: 'constructor' })).role, 'constructor', 'found by the fuzzer: it once bound a function');
    const raw = async (args: string) => {
      const result = await client.callTool({ name: 'push_task', arguments: JSON.parse(args) }).catch((error: Error) => error);
      return result instanceof Error ? result.message : JSON.stringify(result);
    };
    assert.match(await raw('{"title":"nul \\u0000 inside"}'), /NUL character/);
    assert.match(await raw('{"title":"proto","metadata":{"__proto__":{"polluted":true}}}'), /__proto__/);
    assert.equal((await callError(client, 'list_context_keys', { prefix: 'p'.repeat(1024 * 1024) })).code, 'invalid_input');
    assert.equal((await callError(client, 'assign_role', { role: 'architect', team: 'no-such-team' })).code, 'not_found');
    assert.equal((await call(client, 'list_instances', {})).items[0].role, 'tester', 'the role did not change');
  } finally {
    await client.close();
  }
});

test('master plans: folders, devices, bad escapes, huge or deeply nested files are problems; mermaid ids resolve', async () => {
  const project = newProject();
  const docs = join(project, 'docs');
  mkdirSync(join(docs, 'folder.md'), { recursive: true });
  symlinkSync('/dev/zero', join(docs, 'zero.md'));
  const phase = (n: number) => `# Phase ${n}\n\n**Status:** Pending\n**Depends On:** N/A\n\n## Process Wrapper (MANDATORY)\n- [ ] **[IMPLEMENTATION]**\n- [ ] Write notes to: \`notes/${n}.md\`\n\n## Gates\n- true: ok\n\n## Tasks\n- work\n`;
  for (const n of [1, 2, 3]) writeFileSync(join(docs, `p${n}.md`), phase(n));
  const table = (rows: string) => `# Plan\n\n## Phases\n\n| Phase | Title | Status |\n|---|---|---|\n${rows}\n`;
  writeFileSync(join(docs, 'bad.md'), table('| 1 | [Folder](folder.md) | Pending |\n| 2 | [Zero](zero.md) | Pending |\n| 3 | [Escape](p%ZZ.md) | Pending |'));
  writeFileSync(join(docs, 'mermaid.md'), `${table('| 1 | [One](p1.md) | Pending |\n| 2 | [Two](p2.md) | Pending |\n| 3 | [Three](p3.md) | Pending |')}\n## Dependencies\n\n\`\`\`mermaid\ngraph TD\nA[Phase 1] --> B[Phase 2]\nA --> C[Phase 3]\n\`\`\`\n`);
  writeFileSync(join(docs, 'huge.md'), table('| 1 | [One](p1.md) | Pending |') + '## Notes\n\ntext\n'.repeat(40_000));
  writeFileSync(join(docs, 'deep.md'), table('| 1 | [One](p1.md) | Pending |') + Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i)}- item`).join('\n'));
  const env = cleanEnv();
  const dry = (plan: string) => cli(project, ['run', `docs/${plan}`, '--dry-run'], env);
  const bad = await dry('bad.md');
  assert.equal(bad.code, 2, bad.stderr);
  const said = bad.stdout + bad.stderr;
  assert.match(said, /phase 1's file docs\/folder\.md cannot be read: it is a folder/);
  assert.match(said, /phase 2's file docs\/zero\.md cannot be read: it is not a regular file/);
  assert.match(said, /phase 3's link p%ZZ\.md has a malformed %-escape/);
  const mermaid = await dry('mermaid.md');
  assert.equal(mermaid.code, 0, mermaid.stderr);
  assert.match(mermaid.stdout, /order at concurrency 2:\n  1\. 1\n  2\. 2, 3/, 'A names phase 1 in its second line too');
  for (const [plan, why] of [['huge.md', /is \d+ bytes, over the 262144 it may have/], ['deep.md', /nested more than 40 levels deep/]] as const) {
    const result = await dry(plan);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stdout + result.stderr, why);
  }
});

test('MCP over HTTP: not JSON, a batch, a message without a method or one too large get JSON-RPC errors', async () => {
  const server = startServe(['--db', newBoardUrl('sqlite')]);
  try {
    const url = await server.url;
    const post = async (body: string) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body });
      return { status: response.status, json: await response.json() as { id: unknown; error?: { code: number; message: string } } };
    };
    for (const [body, status, code] of [
      ['{ not json', 400, -32700],
      [JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'initialize' }]), 400, -32600],
      [JSON.stringify({ jsonrpc: '2.0', id: 2 }), 400, -32600],
      [`{"jsonrpc":"2.0","id":3,"method":"ping","params":{"pad":"${'p'.repeat(5 * 1024 * 1024)}"}}`, 413, -32600],
    ] as const) {
      const reply = await post(body);
      assert.equal(reply.status, status, JSON.stringify(reply.json).slice(0, 200));
      assert.equal(reply.json.error?.code, code);
      assert.ok(reply.json.error!.message.length <= 300);
    }
  } finally {
    await server.stop();
  }
});
