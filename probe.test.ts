import { test } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeModel } from './test/support/fake-model/server.js';
import { claudeEnv, claudeHome, claudePrompt } from './test/support/claude.js';
import { tempDir } from './test/support/backends.js';
test('probe', async () => {
  const model = await startFakeModel([
    { name: 'sub', match: { prompt: 'SUBAGENT-PROMPT' }, turns: [{ text: 'sub done' }] },
    { name: 'main', match: { prompt: 'MAIN' }, turns: [{ tools: [{ name: 'Agent', input: { subagent_type: 'doc-sync', description: 'sync docs', prompt: 'SUBAGENT-PROMPT please' } }] }, { text: 'all done' }] },
  ]);
  const dir = tempDir('probe-');
  mkdirSync(join(dir, '.claude', 'agents'), { recursive: true });
  writeFileSync(join(dir, '.claude', 'agents', 'doc-sync.md'), '---\nname: doc-sync\ndescription: Syncs docs\n---\nYou sync docs.\n');
  const run = await claudePrompt(dir, 'MAIN go', claudeEnv(claudeHome(), model.url), ['--allowedTools', 'Agent,Task,Read']);
  console.log('code', run.code, run.stderr.slice(0, 500));
  console.log(model.requests.map(r => r.scenario + ' ' + (r.conversation?.prompt ?? '').slice(0, 60) + ' turn ' + r.conversation?.turn).join('\n'));
  console.log(model.requests[0]?.conversation?.tools.join(','));
  for (const e of run.events) if (e.type === 'assistant' || e.type === 'user') console.log(JSON.stringify(e.message.content).slice(0, 400), 'parent', e.parent_tool_use_id);
  await model.close();
});
