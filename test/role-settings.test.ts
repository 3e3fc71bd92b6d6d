// A role's settings in .orchestrator/config.yaml, with the real Claude Code against the fake model:
// its model reaches the CLI; a role allowed only Read and Grep cannot write — Claude Code's own
// flags refuse the Write it tries, the file never appears, and the refusal is in `orchestrate
// audit` beside the approval decisions; bad role settings are refused with the line to fix.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli, cliInBackground } from './support/cli.js';
import { featureModel, project, write } from './support/feature.js';
import { until } from './support/until.js';

after(cleanupBackends);

const fake = featureModel();

describe('role settings from config.yaml', () => {
  test('a reviewer allowed only Read and Grep, on a cheaper model: its Write is refused by Claude Code\'s flags, nothing is written, audit shows it', async () => {
    const dir = project();
    mkdirSync(join(dir, '.orchestrator'), { recursive: true });
    writeFileSync(join(dir, '.orchestrator', 'config.yaml'), 'roles:\n  reviewer:\n    model: claude-haiku-4-5\n    allowed_tools: [Read, Grep]\n    denied_tools: [Bash]\n');
    fake.model().setScenarios([{ name: 'reviewer writes', match: { prompt: 'review the lamp' }, turns: [{ tools: [write('verdict.txt', 'ship it\n')] }, { text: 'I could not write the verdict; it is: ship it.' }] }]);
    const env = fake.env();
    assert.equal((await cli(dir, ['team', 'create', 'lamp', '--goal', 'Ship the lamp', '--role', 'reviewer:1:claude'], env)).code, 0);
    const task = (await cli(dir, ['task', 'push', 'review the lamp', '--role', 'reviewer', '--labels', 'team:lamp', '--json'], env)).json;
    const up = cliInBackground(dir, ['team', 'up', 'lamp', '--json'], env);
    const done = await until('the review is done', async () => {
      const now = (await cli(dir, ['task', 'get', task.id, '--json'], env)).json;
      return now.status === 'completed' ? now : null;
    }, 60_000);
    assert.equal((await cli(dir, ['team', 'down', 'lamp'], env)).code, 0);
    assert.equal((await up.done).code, 0);
    assert.match(done.result, /could not write/);
    assert.equal(existsSync(join(dir, 'verdict.txt')), false, 'the reviewer wrote nothing');

    const [proc] = (await cli(dir, ['ps', '--json'], env)).json.items as { id: string; argv: string[] }[];
    const flagValue = (name: string) => proc!.argv[proc!.argv.indexOf(name) + 1];
    assert.deepEqual([flagValue('--model'), flagValue('--allowedTools'), flagValue('--disallowedTools')], ['claude-haiku-4-5', 'Read,Grep', 'Bash'], 'the role\'s model and tools are the CLI\'s own flags');
    assert.ok(!proc!.argv.some((arg) => /dangerously|bypass/i.test(arg)), 'no bypass flag');
    assert.match((await cli(dir, ['logs', proc!.id], env)).stdout, /\[DENIED Write: .*verdict\.txt/);

    const audit = (await cli(dir, ['audit', '--json'], env)).json.items as { type: string; subject: string; data: { tool: string; cli: string; process: string; input: string } }[];
    assert.deepEqual(audit.map((e) => [e.type, e.subject, e.data.cli, e.data.tool, e.data.process]), [['permission.denied', task.id, 'claude', 'Write', proc!.id]]);
    assert.match(audit[0]!.data.input, /verdict\.txt/);
    assert.match((await cli(dir, ['audit'], env)).stdout, /denied\s+claude flags\s+Write: \S+verdict\.txt\s+proc-/);
  });

  test('bad role settings are refused with the file and line to fix', async () => {
    const dir = project();
    mkdirSync(join(dir, '.orchestrator'), { recursive: true });
    writeFileSync(join(dir, '.orchestrator', 'config.yaml'), 'roles:\n  reviewer:\n    agents: [claude, cursor]\n    tools: [Read]\n');
    const result = await cli(dir, ['limits'], fake.env());
    assert.equal(result.code, 2);
    assert.match(result.stderr, /config\.yaml:3: roles\.reviewer\.agents\.1: /);
    assert.match(result.stderr, /config\.yaml:4: unknown setting 'roles\.reviewer\.tools' \(known: model, agents, allowed_tools, denied_tools, budget_per_day\)/);
  });
});
