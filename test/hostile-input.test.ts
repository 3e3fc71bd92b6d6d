// Bad input, as an attacker or a careless script gives it, one regression per defect found by
// fuzzing: nothing wedges the board, loses data, leaks a password or writes outside the project,
// and every mistake gets one clear error. (The fuzzers themselves: fuzz.test.ts.)
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Board } from '../src/board/board.js';
import { isOrchestratorError } from '../src/core/errors.js';
import { openDb } from '../src/store/open.js';
import { cleanupBackends, newBoardUrl } from './support/backends.js';
import { cleanEnv, cli, newProject } from './support/cli.js';
import { call, callError, stdioClient } from './support/mcp-client.js';

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
