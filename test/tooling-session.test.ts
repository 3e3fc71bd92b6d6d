// The session side of a Claude Code session's persistent tooling (designs A and B): reminders
// fired by real Claude Code hooks, skill learnings folded into a SKILL.md, and the session scope of
// context — through an SDK client over stdio and the `orchestrate` CLI, on real boards and
// processes. (Workflows, teams and the MCP inspector: tooling.test.ts.)
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { claudeEnv, claudeHome, claudePrompt } from './support/claude.js';
import { cleanEnv, cli, newProject } from './support/cli.js';
import { startFakeModel } from './support/fake-model/server.js';
import { call, callError, stdioClient } from './support/mcp-client.js';

after(cleanupBackends);

describe('reminders', () => {
  test('set, list in pages, match and fire (keywords as whole words, events, always, once), dismiss; bad input is refused', async () => {
    const project = newProject();
    const client = await stdioClient(project, cleanEnv());
    try {
      const migrate = await call(client, 'set_reminder', { text: 'Run the migrations first', trigger: 'keyword', words: ['migrate', 'schema change'] });
      await call(client, 'set_reminder', { text: 'Check the CI badge', trigger: 'always' });
      await call(client, 'set_reminder', { text: 'Say hello', trigger: 'event', event: 'SessionStart', once: true });
      await call(client, 'set_reminder', { text: 'Gone soon', trigger: 'always', expires_in_s: 0.001 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const page1 = await call(client, 'list_reminders', { limit: 2 });
      const page2 = await call(client, 'list_reminders', { limit: 2, cursor: page1.next_cursor });
      assert.deepEqual([...page1.items, ...page2.items].map((r: any) => r.text), ['Run the migrations first', 'Check the CI badge', 'Say hello'], 'the expired one is not live');
      assert.equal(page2.next_cursor, null);
      const looked = await call(client, 'list_reminders', { context: 'the latest migrated data', fire: false });
      assert.deepEqual(looked.items.map((r: any) => r.text), ['Check the CI badge'], '"migrated" is not the word "migrate"');
      const fired = await call(client, 'list_reminders', { context: 'We need a SCHEMA CHANGE today', event: 'SessionStart' });
      assert.deepEqual(fired.items.map((r: any) => [r.text, r.fired_count]), [['Run the migrations first', 1], ['Check the CI badge', 1], ['Say hello', 1]]);
      assert.deepEqual((await call(client, 'list_reminders', { event: 'SessionStart', fire: false })).items.map((r: any) => r.text), ['Check the CI badge'], 'the once reminder was dismissed by firing');
      await call(client, 'dismiss_reminder', { id: migrate.id });
      assert.equal((await call(client, 'list_reminders', { all: true })).items.length, 4);
      assert.match((await callError(client, 'dismiss_reminder', { id: migrate.id })).message, /already dismissed/);
      assert.match((await callError(client, 'set_reminder', { text: 'x', trigger: 'keyword' })).message, /a keyword reminder needs words/);
      assert.match((await callError(client, 'set_reminder', { text: 'x', trigger: 'event' })).message, /an event reminder needs event/);
      assert.equal((await callError(client, 'set_reminder', { text: 'x', trigger: 'sometimes' })).code, 'invalid_input');
    } finally {
      await client.close();
    }
  });

  test('setup --hooks: the real Claude Code gets keyword reminders with the prompt and the always ones at session start', async () => {
    const model = await startFakeModel([{ name: 'session', match: { prompt: /database/ }, turns: [{ text: 'Noted.' }] }]);
    try {
      const project = newProject();
      const env = claudeEnv(claudeHome(), model.url);
      assert.equal((await cli(project, ['setup', '--hooks', '--name', 'hooked'], env)).code, 0);
      await cli(project, ['reminder', 'set', 'RUN THE MIGRATIONS FIRST', '--keyword', 'migrate'], env);
      await cli(project, ['reminder', 'set', 'CHECK THE CI BADGE', '--always'], env);
      await cli(project, ['reminder', 'set', 'NOT ABOUT THIS', '--keyword', 'frontend'], env);
      const run = await claudePrompt(project, 'please migrate the database', env);
      assert.equal(run.code, 0, run.stderr);
      const sent = JSON.stringify(model.requests.find((r) => r.scenario === 'session')!.body);
      assert.match(sent, /UserPromptSubmit hook additional context: Reminders from the orchestrator board:\\n- RUN THE MIGRATIONS FIRST/);
      assert.match(sent, /SessionStart hook additional context: Reminders from the orchestrator board:\\n- CHECK THE CI BADGE/);
      assert.doesNotMatch(sent, /NOT ABOUT THIS/);
      const list = (await cli(project, ['reminder', 'list', '--json'], env)).json.items;
      assert.deepEqual(list.map((r: any) => [r.text, r.fired_count]), [['RUN THE MIGRATIONS FIRST', 1], ['CHECK THE CI BADGE', 1], ['NOT ABOUT THIS', 0]]);
      const bad = await cli(project, ['reminder', 'match', '--hook'], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--hook reads a Claude Code hook event as JSON on stdin/);
    } finally {
      await model.close();
    }
  });
});

describe('skill learnings', () => {
  test('note and page through learnings; fold them into a fixture SKILL.md as the expected diff; --apply writes with a backup and --undo restores it', async () => {
    const project = newProject();
    const env = cleanEnv();
    const skillDir = join(project, '.claude', 'skills', 'deploy');
    mkdirSync(skillDir, { recursive: true });
    cpSync(new URL('./fixtures/skills/deploy/SKILL.md', import.meta.url).pathname, join(skillDir, 'SKILL.md'));
    const original = readFileSync(join(skillDir, 'SKILL.md'), 'utf8');
    const client = await stdioClient(project, env);
    try {
      await call(client, 'note_learning', { skill: 'deploy', kind: 'gotcha', text: 'deploys need the  VPN', source: 'session-7' });
      await call(client, 'note_learning', { skill: 'deploy', kind: 'pattern', text: 'Run `make release` from a clean tree' });
      await call(client, 'note_learning', { skill: 'deploy', kind: 'tip', text: 'Tag before you push.' });
      await call(client, 'note_learning', { skill: 'deploy', kind: 'gotcha', text: 'The staging DB resets nightly', source: 'session-42' });
      await call(client, 'note_learning', { skill: 'deploy', kind: 'tip', text: 'tag before you push' });
      await call(client, 'note_learning', { skill: 'other', kind: 'tip', text: 'unrelated' });
      const page1 = await call(client, 'get_learnings', { skill: 'deploy', limit: 3 });
      const page2 = await call(client, 'get_learnings', { skill: 'deploy', limit: 3, cursor: page1.next_cursor });
      assert.deepEqual([page1.items.length, page2.items.length, page2.next_cursor], [3, 2, null]);
      const folded = await call(client, 'fold_learnings', { skill: 'deploy' });
      assert.equal(folded.diff, [
        '--- a/.claude/skills/deploy/SKILL.md',
        '+++ b/.claude/skills/deploy/SKILL.md',
        '@@ -9,10 +9,19 @@',
        ' ',
        ' ## Learnings',
        ' ',
        '+### Patterns',
        '+',
        '+- Run `make release` from a clean tree',
        '+',
        ' ### Gotchas',
        ' ',
        ' - Deploys need the VPN.',
        '+- The staging DB resets nightly (session-42)',
        ' ',
        '+### Tips',
        '+',
        '+- Tag before you push.',
        '+',
        ' ## See also',
        ' ',
        ' - docs/runbook.md',
        '',
      ].join('\n'));
      assert.deepEqual([folded.added, folded.duplicates, folded.applied], [3, 2, false]);
      assert.equal(readFileSync(join(skillDir, 'SKILL.md'), 'utf8'), original, 'without apply nothing is written');
      assert.match((await callError(client, 'fold_learnings', { skill: 'deploy', path: '../elsewhere/SKILL.md' })).message, /is outside the project/);
      assert.match((await callError(client, 'fold_learnings', { skill: 'ghost' })).message, /no learnings noted for skill 'ghost'/);
      assert.match((await callError(client, 'note_learning', { skill: '../etc', kind: 'tip', text: 'x' })).message, /must be a skill's folder name/);
    } finally {
      await client.close();
    }
    const applied = await cli(project, ['learning', 'fold', 'deploy', '--apply'], env);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /applied; the original is in .*backups\/learnings\/.* \('orchestrate learning fold --undo' restores it\)/);
    const written = readFileSync(join(skillDir, 'SKILL.md'), 'utf8');
    assert.match(written, /### Patterns\n\n- Run `make release` from a clean tree\n\n### Gotchas\n\n- Deploys need the VPN\.\n- The staging DB resets nightly \(session-42\)\n\n### Tips\n\n- Tag before you push\.\n\n## See also\n/);
    assert.match((await cli(project, ['learning', 'fold', 'deploy'], env)).stdout, /0 learnings to fold into .*, 5 duplicates left out/, 'a second fold finds everything folded');
    const undone = await cli(project, ['learning', 'fold', '--undo'], env);
    assert.equal(undone.code, 0, undone.stderr);
    assert.equal(readFileSync(join(skillDir, 'SKILL.md'), 'utf8'), original, 'undo restores the file byte for byte');
    assert.match((await cli(project, ['learning', 'fold', '--undo'], env)).stderr, /no applied fold to undo/);
    // A skill without a SKILL.md gets one.
    await cli(project, ['learning', 'note', 'fresh', '--kind', 'pattern', '--text', 'Start small'], env);
    assert.equal((await cli(project, ['learning', 'fold', 'fresh', '--apply'], env)).code, 0);
    assert.match(readFileSync(join(project, '.claude', 'skills', 'fresh', 'SKILL.md'), 'utf8'), /^---\nname: fresh\n[\s\S]*## Learnings\n\n### Patterns\n\n- Start small\n$/);
  });
});

describe('session context', () => {
  test('scope session is per project and per session, survives a restart, and clears; the team scope is the shared context', async () => {
    const project = newProject();
    const env = cleanEnv();
    const first = await stdioClient(project, env);
    try {
      await call(first, 'register_instance', { name: 'alice' });
      await call(first, 'set_context', { key: 'plan', value: 'step 2', scope: 'session' });
      await call(first, 'set_context', { key: 'todo', value: 'tests', scope: 'session' });
      await call(first, 'set_context', { key: 'plan', value: 'shared plan' });
      assert.match((await callError(first, 'set_context', { key: 'plan', value: 'x', scope: 'session', expected_version: 5 })).message, /session key 'plan' is at version 1/);
      await call(first, 'unregister', {});
    } finally {
      await first.close();
    }
    const again = await stdioClient(project, env);
    try {
      await call(again, 'register_instance', { name: 'alice' });
      const kept = await call(again, 'get_context', { key: 'plan', scope: 'session' });
      assert.deepEqual([kept.session, kept.value, kept.version], ['alice', 'step 2', 1]);
      assert.equal((await call(again, 'get_context', { key: 'plan' })).value, 'shared plan', 'the team scope is separate');
      const all = await call(again, 'get_context', { scope: 'session', limit: 1 });
      assert.deepEqual([all.items[0].key, Boolean(all.next_cursor)], ['plan', true]);
      assert.match((await callError(again, 'get_context', { key: 'plan', scope: 'session', session: 'bob' })).message, /^no session key 'plan' in session 'bob'; get_context with scope "session" and no key lists them$/);
      const team = await call(again, 'get_context', {});
      assert.deepEqual(team.items.map((e: any) => [e.key, e.value]), [['plan', 'shared plan']]);
    } finally {
      await again.close();
    }
    // The CLI sees alice's memory by name, and clears it.
    assert.match((await cli(project, ['context', 'list', '--session', 'alice'], env)).stdout, /plan\s+1\s+step 2\n.*todo\s+1\s+tests/);
    assert.equal((await cli(project, ['context', 'get', 'todo', '--session', 'alice'], env)).stdout.trim(), 'tests');
    const client = await stdioClient(project, env);
    try {
      assert.deepEqual(await call(client, 'clear_context', { key: 'todo', scope: 'session', session: 'alice' }), { cleared: 1 });
      assert.deepEqual(await call(client, 'clear_context', { scope: 'session', session: 'alice' }), { cleared: 1 });
      assert.match((await callError(client, 'clear_context', {})).message, /clearing the team context needs a key/);
      assert.deepEqual(await call(client, 'clear_context', { key: 'plan' }), { cleared: 1 });
      assert.equal((await callError(client, 'clear_context', { key: 'plan', scope: 'session', session: 'alice' })).code, 'not_found');
    } finally {
      await client.close();
    }
    assert.match((await cli(project, ['context', 'list', '--session', 'alice'], env)).stdout, /nothing kept/);
    // Another project on the same board keeps its own session memory.
    const other = newProject();
    const shared = { ...env, ORCHESTRATOR_DB: join(project, '.orchestrator', 'state.db') };
    await cli(project, ['context', 'set', 'where', 'first', '--session', 's'], shared);
    await cli(other, ['context', 'set', 'where', 'second', '--session', 's'], shared);
    assert.equal((await cli(project, ['context', 'get', 'where', '--session', 's'], shared)).stdout.trim(), 'first');
    assert.equal((await cli(other, ['context', 'get', 'where', '--session', 's'], shared)).stdout.trim(), 'second');
  });
});
