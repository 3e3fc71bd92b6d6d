// Master-plan runs, continued: kill -9 of the orchestrator and resume, phases run by the real
// Codex and Gemini CLIs, dry runs and the problems of a bad plan or config. (The main path:
// master-plan.test.ts.)
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli, cliInBackground } from './support/cli.js';
import { CODEX, codexEnv } from './support/codex.js';
import { GEMINI, geminiEnv } from './support/gemini.js';
import type { Conversation, ToolCall } from './support/fake-model/server.js';
import { featureModel, git, write } from './support/feature.js';
import { goodPhases, notes, onePhaseProject, phase, phaseDone, planProject } from './support/master-plan.js';
import { until } from './support/until.js';

after(cleanupBackends);

const fake = featureModel();

describe('master-plan runs with the real Claude Code: crash recovery, other agents, dry runs', () => {
  test('kill -9 of the orchestrator after a phase merged, then resume: completed, each phase merged once, statuses right, nothing left behind', async () => {
    const dir = planProject();
    // Phase 3 thinks a little, so the run is still going when the kill comes.
    fake.model().setScenarios(goodPhases().map((s) => (s.name === 'phase 3' ? { ...s, turns: [{ ...s.turns[0]!, delayMs: 1500 }, ...s.turns.slice(1)] } : s)));
    const running = cliInBackground(dir, ['run', 'docs/master-plan.md', '--json'], fake.env());
    await until('a phase merged', async () => ((await cli(dir, ['log', '--json'], fake.env())).json?.events ?? []).some((e: { type: string }) => e.type === 'task.completed'));
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 1500)));
    running.child.kill('SIGKILL');
    assert.equal((await running.done).code, null, 'it was killed before it ended');
    const resumed = await cli(dir, ['resume', '--json'], fake.env());
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json.end, 'completed');
    const { branch } = resumed.json.run;
    assert.deepEqual(git(dir, 'log', '--merges', '--format=%s', branch).split('\n').sort(), ['Merge 1: Hello', 'Merge 2: API', 'Merge 3: Combine']);
    assert.match(git(dir, 'show', `${branch}:docs/master-plan.md`), /Low \| Completed \|\n.*Medium \| Completed \|\n.*Low \| Completed \|/);
    for (const file of ['phase1-hello.md', 'phase2-api.md', 'phase3-combine.md']) assert.match(git(dir, 'show', `${branch}:docs/${file}`), /\*\*Status:\*\* Completed/);
    assert.equal(git(dir, 'status', '--porcelain'), '');
    assert.equal(git(dir, 'worktree', 'list').split('\n').length, 1, 'no worktree left behind');
    assert.deepEqual(git(dir, 'branch', '--format=%(refname:short)').split('\n').sort(), ['main', branch], 'no phase branch left behind');
    assert.deepEqual((await cli(dir, ['ps', '--state', 'running', '--json'], fake.env())).json.items, [], 'no agent process left running');
  });

  const otherAgents = [
    { agent: 'codex', env: (url: string) => ({ ...codexEnv(url), ORCHESTRATOR_CODEX: CODEX }), write: (file: string, text: string): ToolCall => ({ name: 'exec_command', input: { cmd: `mkdir -p $(dirname ${file}) && printf '%s' '${text}' > ${file}` } }) },
    { agent: 'gemini', env: (url: string) => ({ ...geminiEnv(url), ORCHESTRATOR_GEMINI: GEMINI }), write: (file: string, text: string): ToolCall => ({ name: 'write_file', input: (c: Conversation) => ({ file_path: join(c.cwd!, file), content: text }) }) },
  ];
  for (const other of otherAgents) {
    test(`--agent ${other.agent}: a phase run by the real ${other.agent} CLI, reported through phase_done, checked the same way`, async () => {
      const { dir, noteText } = onePhaseProject();
      fake.model().setScenarios([{ name: `${other.agent} phase 1`, match: { prompt: phase(1) }, turns: [
        { tools: [other.write('hello.txt', 'hello\n')] },
        { tools: [other.write('notes/one.md', noteText)] },
        { tools: [phaseDone('1')] },
        { text: 'Phase 1 done.' },
      ] }]);
      const run = await cli(dir, ['run', 'docs/plan.md', '--cli', other.agent, '--json'], other.env(fake.model().url));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.json.end, 'completed');
      assert.equal(git(dir, 'show', `${run.json.run.branch}:hello.txt`), 'hello');
      assert.match(git(dir, 'show', `${run.json.run.branch}:docs/plan.md`), /\| 1 \| \[Hello\]\(p1\.md\) \| Completed \|/);
      assert.match(run.stderr, /\[phase 1\] \[mcp orchestrator\.phase_done\]/);
    });
  }

  test('--dry-run prints the DAG; a broken plan, a bad config and bad reports are refused with what to fix', async () => {
    const dir = planProject();
    const dry = await cli(dir, ['run', 'docs/master-plan.md', '-n'], fake.env());
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /docs\/master-plan\.md: "Greetings - Master Plan" — 3 phases, valid/);
    assert.match(dry.stdout, /order at concurrency 2:\n  1\. 1, 2\n  2\. 3/);
    assert.match((await cli(dir, ['run', 'docs/master-plan.md', '--dry-run', '--sequential'], fake.env())).stdout, /order at concurrency 1:\n  1\. 1\n  2\. 2\n  3\. 3/);
    assert.match((await cli(dir, ['run', 'docs/master-plan.md', '-n', '--phase', '2'], fake.env())).stdout, /^1\s+Pending \(skipped\)/m);
    assert.equal((await cli(dir, ['runs', '--json'], fake.env())).json.items.length, 0, 'a dry run starts nothing');

    cpSync(new URL('./fixtures/plans/broken/', import.meta.url).pathname, join(dir, 'broken'), { recursive: true });
    const broken = await cli(dir, ['run', 'broken/master-plan.md'], fake.env());
    assert.equal(broken.code, 2);
    assert.equal(broken.stdout.trim().split('\n').length, 13);
    assert.match(broken.stdout, /^broken\/master-plan\.md:17: dependency cycle: 1 → 3 → 1/m);
    assert.match(broken.stdout, /^broken\/phase3\.md:9: no gates/m);
    assert.match(broken.stdout, /^broken\/phase1\.md:1: warning: no "## Tasks" section/m);
    assert.match(broken.stdout.trimEnd(), /9 problems in the plan; fix them and run again$/);
    const codex = await cli(dir, ['run', 'docs/master-plan.md', '-n', '--agent', 'codex'], fake.env());
    assert.equal(codex.code, 2);
    assert.match(codex.stdout, /docs\/phase2-api\.md:1: phase 2 requires the agents doc-sync, which only Claude Code can invoke: run it with --cli claude/);
    assert.match(codex.stderr, /^note: --agent codex is read as --cli codex \(--agent names who you are; say --cli for the agent CLI\)$/m, 'the old spelling works, with a note');

    mkdirSync(join(dir, '.orchestrator'), { recursive: true });
    writeFileSync(join(dir, '.orchestrator', 'config.yaml'), 'timeout: 60\nmax_retires: 3\n');
    const config = await cli(dir, ['run', 'docs/master-plan.md', '-n'], fake.env());
    assert.equal(config.code, 2);
    assert.match(config.stderr, /config\.yaml:2: unknown setting 'max_retires'/);
    writeFileSync(join(dir, '.orchestrator', 'config.yaml'), 'timeout: 60\n');

    const noRun = await cli(dir, ['done', '--phase', '1', '--status', 'completed'], fake.env());
    assert.equal(noRun.code, 3);
    assert.match(noRun.stderr, /no master-plan run on this board/);
    const wrong = await cli(dir, ['done', '--phase', '1', '--status', 'finished'], fake.env());
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--status must be completed, blocked or failed, not 'finished'/);
    const report = await cli(dir, ['done', '--phase', '1', '--status', 'failed', '--report', '[1]'], fake.env());
    assert.equal(report.code, 2);
    assert.match(report.stderr, /--report must be a JSON object/);

    // A plan written the way design D's users write theirs: the dry run says what it will run.
    cpSync(new URL('./fixtures/plans/field/', import.meta.url).pathname, join(dir, 'field'), { recursive: true });
    cpSync(new URL('./fixtures/plans/field/.claude/agents/', import.meta.url).pathname, join(dir, '.claude', 'agents'), { recursive: true });
    const unmapped = await cli(dir, ['run', 'field/master-plan.md', '-n'], fake.env());
    assert.equal(unmapped.code, 2);
    assert.match(unmapped.stdout, /^field\/phase5-polish\.md:10: the gate 'i18n' names no command/m);
    writeFileSync(join(dir, '.orchestrator', 'config.yaml'), 'gates:\n  i18n: node scripts/i18n-check.js\n');
    const field = await cli(dir, ['run', 'field/master-plan.md', '-n'], fake.env());
    assert.equal(field.code, 0, field.stdout);
    assert.match(field.stdout, /"Issue Triage Tool - Master Plan" — 5 phases, valid \(1 warning\)/);
    assert.match(field.stdout, /^2\s+In Progress\s+Analyzer\s+1\s+2\s+python-expert\s+notes\/NOTES_phase_2\.md$/m);
    assert.match(field.stdout, /^4\s+Pending\s+Report Builder\s+1, 2, 3\s+2\s+Doc-Sync\s+notes\/NOTES_phase_4\.md$/m);
    for (const gate of ['1: uv run ruff check .  (ruff)', '2: cd frontend && pnpm exec tsc --noEmit  (tsc)', '3: uv run ruff check .', '4: npm run lint', '5: node scripts/i18n-check.js  (i18n)']) assert.ok(field.stdout.includes(`  ${gate}\n`), gate);
    assert.match(field.stdout, /order at concurrency 2:\n  1\. 2\n  2\. 3\n  3\. 4\n  4\. 5/, 'phase 1 is Done: skipped');
    assert.match(field.stdout, /field\/phase5-polish\.md:6: warning: phase 5 names no notes file/);
  });
});
