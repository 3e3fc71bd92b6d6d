// Design C's recommended entry point, `/orchestrate <feature>`, as setup installs it, run by the
// real Claude Code against the scripted model: the session asks its questions and stops; given
// the answers it writes the context file and starts a detached feature run with it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { shellWord } from '../src/core/shell.js';
import { cleanupBackends } from './support/backends.js';
import { claudeEnv, claudeHome, claudePrompt } from './support/claude.js';
import { cli, MAIN } from './support/cli.js';
import { startFakeModel } from './support/fake-model/server.js';
import { git, project } from './support/feature.js';
import { until, untilExited } from './support/until.js';

after(cleanupBackends);

const QUESTIONS = Array.from({ length: 10 }, (_, i) => `${i + 1}. Question ${i + 1} about the health endpoint?`).join('\n');
const CONTEXT = '.orchestrator/context/health.md';

test('/orchestrate <feature>: asks, then writes the context file and starts a detached run', async () => {
  const program = [process.execPath, MAIN].map(shellWord).join(' ');
  const start = `${program} start "Add a health endpoint" --context-file ${CONTEXT} --detach --concurrency 1 --reviewer none`;
  const model = await startFakeModel([
    { name: 'asks', match: { prompt: /You start and look after a feature run of claude-orchestrator for: Add a health endpoint/ }, turns: [{ text: `Before I start:\n${QUESTIONS}` }] },
    { name: 'starts', match: { prompt: /^ANSWERS/ }, turns: [
      { tools: [{ name: 'Write', input: (c) => ({ file_path: join(c.cwd!, CONTEXT), content: '# Add a health endpoint\n\nGET /health returns {"status":"ok"}.\n' }) }] },
      { tools: [{ name: 'Bash', input: { command: start, description: 'Start the feature run' } }] },
      { text: 'The run has started.' },
    ] },
  ]);
  try {
    const dir = project();
    const home = claudeHome();
    // The user has opened this folder in Claude Code once and trusted it: its settings apply.
    writeFileSync(join(home, '.claude.json'), JSON.stringify({ projects: { [dir]: { hasTrustDialogAccepted: true } } }));
    const env = claudeEnv(home, model.url);
    assert.equal((await cli(dir, ['setup', '--name', 'lead'], env)).code, 0);
    // A run starts from the last commit: a detached start in a dirty tree says so at once.
    const dirty = await cli(dir, ['start', 'Add a health endpoint', '--detach'], env);
    assert.equal(dirty.code, 2);
    assert.match(dirty.stderr, /^error: the run did not start \(exit 2\): the working tree has uncommitted changes/);
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.name=Me', '-c', 'user.email=me@x.test', 'commit', '-q', '-m', 'orchestrator setup');
    const command = readFileSync(join(dir, '.claude', 'commands', 'orchestrate.md'), 'utf8');
    assert.ok(command.includes(`Bash(${program} start:*)`), 'the command may start runs with this machine\'s orchestrate');
    assert.match(readFileSync(join(dir, '.claude', 'commands', 'board.md'), 'utf8'), /Use the orchestrator MCP tools/, 'the board command lives on as /board');

    const asked = await claudePrompt(dir, '/orchestrate Add a health endpoint', env);
    assert.equal(asked.code, 0, asked.stderr);
    assert.match(asked.events.find((e) => e.type === 'result')?.result ?? '', /10\. Question 10/);
    assert.equal(existsSync(join(dir, CONTEXT)), false, 'it asks before it writes anything');
    assert.equal((await cli(dir, ['runs', '--json'], env)).json.items.length, 0, 'and starts nothing');

    const answered = await claudePrompt(dir, `ANSWERS\n${QUESTIONS.replace(/\?/g, '? yes')}`, env, ['--continue']);
    assert.equal(answered.code, 0, answered.stderr);
    const denied = answered.events.filter((e) => e.type === 'result').flatMap((e) => e.permission_denials ?? []);
    assert.deepEqual(denied, [], 'what the command runs was allowed by setup, in the turn after the questions too');
    assert.match(readFileSync(join(dir, CONTEXT), 'utf8'), /GET \/health/);
    const runs = (await cli(dir, ['runs', '--json'], env)).json.items;
    assert.equal(runs.length, 1, 'a detached run started');
    assert.equal(runs[0].title, 'Add a health endpoint');

    // Stop it: this test is about the start.
    await cli(dir, ['stop', '--run', runs[0].id], env);
    await until('the detached run to end', async () => ['stopped', 'failed', 'escalated', 'completed'].includes((await cli(dir, ['runs', '--json'], env)).json.items[0].status));
    // Its process writes its last words after the status: the test ends when it has exited, not before.
    await untilExited('the run\'s process', Number(runs[0].supervisor.split(':')[0]));
  } finally {
    await model.close();
  }
});
