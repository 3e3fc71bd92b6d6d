// Master plans as markdown: fixture plans (valid, and each kind of invalid) → what the reader
// finds, every problem with its file and line at once; statuses written back without touching
// anything else (a property over random sequences of writes); config.yaml problems with lines.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { readProjectConfig } from '../src/config/config-file.js';
import { claudeAgents, isProgram, PHASE_STATUSES, readMasterPlan, writePhaseStatus, type PhaseStatus } from '../src/flows/plan-files.js';
import { readMasterPlanInThread } from '../src/flows/plan-thread.js';
import { cleanupBackends, tempDir } from './support/backends.js';

after(cleanupBackends);

const FIXTURES = new URL('./fixtures/plans/', import.meta.url).pathname;
const fixture = (name: string) => {
  const dir = tempDir('orchestrator-plan-');
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
};
const lines = (found: { file: string; line: number; message: string }[]) => found.map((p) => `${p.file}:${p.line}: ${p.message}`);
const problems = (dir: string, file = 'master-plan.md') => lines(readMasterPlan(dir, file).problems);
const warnings = (dir: string, file = 'master-plan.md') => lines(readMasterPlan(dir, file).warnings);

describe('reading a master plan', () => {
  test('the valid fixture: phases, links, dependencies from both places, gates, required agents, notes', () => {
    const { plan, problems: found, warnings: soft } = readMasterPlan(FIXTURES, 'valid/master-plan.md', { agents: new Set(['doc-sync']) });
    assert.deepEqual([found, soft], [[], []]);
    assert.equal(plan.title, 'Greetings - Master Plan');
    assert.equal(plan.file, 'valid/master-plan.md');
    assert.deepEqual(plan.phases.map((p) => [p.id, p.title, p.file, p.focus, p.risk, p.status]), [
      ['1', 'Hello', 'valid/phase1-hello.md', 'Write hello.txt', 'Low', 'Pending'],
      ['2', 'API', 'valid/phase2-api.md', 'Write api.txt', 'Medium', 'Pending'],
      ['3', 'Combine', 'valid/phase3-combine.md', 'Both files', 'Low', 'Pending'],
    ]);
    const [one, two, three] = plan.phases;
    assert.deepEqual(one!.gates, [{ command: 'test -f hello.txt', description: 'hello.txt exists' }, { command: 'grep -q hello hello.txt', description: 'it says hello' }]);
    assert.deepEqual(two!.gates, [{ command: 'grep -q api: api.txt', description: 'the api file names the api' }], 'a command in backticks may hold ": "');
    assert.deepEqual([one!.required_agents, two!.required_agents], [[], ['doc-sync']]);
    assert.deepEqual(three!.depends_on, ['1', '2']);
    assert.deepEqual(three!.read_notes, ['notes/NOTES_phase_1.md', 'notes/NOTES_phase_2.md']);
    assert.deepEqual(plan.phases.map((p) => [p.write_notes, p.implementation]), [['notes/NOTES_phase_1.md', true], ['notes/NOTES_phase_2.md', true], ['notes/NOTES_phase_3.md', true]]);
  });

  test('every problem of a broken plan at once, each with its file and line', () => {
    assert.deepEqual(problems(fixture('broken')), [
      "master-plan.md:8: phase 2's file phase2-missing.md does not exist",
      "master-plan.md:9: phase 3's status 'Doing' is not one of Pending, In Progress, Completed, Blocked, Failed, Skipped (or Done, Complete, Running, In_Progress, Validating, Awaiting, Awaiting Human)",
      'master-plan.md:10: this row of the Phases table has 3 cells, the header has 5',
      'master-plan.md:11: phase 1 is listed twice',
      "master-plan.md:12: phase 5's title is not a link to its phase file: write [Five, no link](phase5.md)",
      "master-plan.md:16: '9' is not a phase of the Phases table (phases: 1, 2, 3, 5)",
      'master-plan.md:17: dependency cycle: 1 → 3 → 1; remove one of these dependencies',
      "phase3.md:4: '7' is not a phase of the Phases table (phases: 1, 2, 3, 5)",
      'phase3.md:9: no gates: the orchestrator verifies a phase by its gates; add lines like "- npm test: the tests pass"',
    ]);
    assert.deepEqual(warnings(fixture('broken')), [
      'phase1.md:1: no "## Tasks" section: list the work of the phase under "## Tasks"',
      'phase1.md:6: phase 1 names no notes file: add "- [ ] Write notes to: `notes/NOTES_phase_1.md`" to its Process Wrapper (the next phases read it)',
      'phase3.md:6: phase 3 names no notes file: add "- [ ] Write notes to: `notes/NOTES_phase_3.md`" to its Process Wrapper (the next phases read it)',
    ], 'what a run can do without is a warning');
  });

  test('a table without its delimiter row, a missing plan, a plan outside the project, missing sections', () => {
    assert.deepEqual(problems(fixture('no-table')), ['master-plan.md:5: the Phases table is malformed: a table needs a delimiter row (|---|---|) under its header row']);
    const dir = tempDir('orchestrator-plan-');
    assert.deepEqual(problems(dir, 'nope.md'), ['nope.md:1: the master plan file does not exist or cannot be read']);
    assert.deepEqual(problems(dir, '/etc/hostname'), [`/etc/hostname:1: the master plan must be inside the project (${dir})`]);
    writeFileSync(join(dir, 'plan.md'), '# P\n\n| Phase | Title |\n|---|---|\n| 1 | [A](a.md) |\n');
    writeFileSync(join(dir, 'a.md'), '# A\n\nno fields here\n');
    assert.deepEqual(problems(dir, 'plan.md'), [
      "plan.md:3: the Phases table has no Status column: add | Status | so the orchestrator can write each phase's status back",
      'a.md:1: no "## Gates" section: add one with lines like "- npm test: the tests pass"',
    ]);
    assert.deepEqual(warnings(dir, 'plan.md'), [
      'a.md:1: no **Status:** line: add "**Status:** Pending" under the title (the orchestrator writes the status there)',
      'a.md:1: no "## Process Wrapper (MANDATORY)" section: add the checklist with the [IMPLEMENTATION] marker and "Write notes to:"',
      'a.md:1: phase 1 names no notes file: add "- [ ] Write notes to: `notes/NOTES_phase_1.md`" to its Process Wrapper (the next phases read it)',
      'a.md:1: no "## Tasks" section: list the work of the phase under "## Tasks"',
    ]);
  });

  test('dependencies as mermaid chains and lists: A[Phase 1] --> B[Phase 2], 1, 2 --> 3', () => {
    const dir = tempDir('orchestrator-plan-');
    const phase = (n: number) => `# P${n}\n\n**Status:** Pending\n**Depends On:** N/A\n\n## Process Wrapper (MANDATORY)\n- [ ] **[IMPLEMENTATION]**\n\n## Gates\n- true: ok\n\n## Tasks\n- [ ] do\n`;
    for (const n of [1, 2, 3, 4]) writeFileSync(join(dir, `p${n}.md`), phase(n));
    writeFileSync(join(dir, 'plan.md'), [
      '# Chains', '', '## Phases', '', '| Phase | Title | Status |', '|---|---|---|',
      ...[1, 2, 3, 4].map((n) => `| Phase ${n} | [P${n}](p${n}.md) | Pending |`),
      '', '## Dependencies', '', '```mermaid', 'graph TD', '  A[Phase 1] --> B[Phase 2] --> D[Phase 4];', '```', '', '1, 2 --> 3 (needs both)', '',
    ].join('\n'));
    const { plan, problems: found } = readMasterPlan(dir, 'plan.md');
    assert.deepEqual(found, []);
    assert.deepEqual(plan.phases.map((p) => [p.id, p.depends_on]), [['1', []], ['2', ['1']], ['3', ['1', '2']], ['4', ['2']]]);
  });
});

describe('master plans as they are written in the field', () => {
  const PROGRAMS = new Set(['npm', 'uv', 'pytest']);
  const options = { gates: { i18n: 'node scripts/i18n-check.js' }, isProgram: (word: string) => PROGRAMS.has(word) };

  test('free-text dependencies, a Dependencies section, named gates, notes, agents and status words', () => {
    const dir = fixture('field');
    const { plan, problems: found, warnings: soft } = readMasterPlan(dir, 'master-plan.md', options);
    assert.deepEqual(found, []);
    assert.deepEqual(lines(soft), ['phase5-polish.md:6: phase 5 names no notes file: add "- [ ] Write notes to: `notes/NOTES_phase_5.md`" to its Process Wrapper (the next phases read it)']);
    assert.deepEqual(plan.phases.map((p) => [p.id, p.status, p.depends_on]), [
      ['1', 'Completed', []],
      ['2', 'In Progress', ['1']],
      ['3', 'Pending', ['2']],
      ['4', 'Pending', ['1', '2', '3']],
      ['5', 'Blocked', ['4']],
    ]);
    const [one, two, three, four, five] = plan.phases;
    assert.deepEqual(one!.gates, [
      { command: 'uv run ruff check .', description: '0 errors (command: uv run ruff check .)', name: 'ruff' },
      { command: 'uv run pytest -q tests/test_fetcher.py', description: 'uv run pytest -q tests/test_fetcher.py (all pass)', name: 'pytest' },
    ], 'a named gate runs the command in its inline code, never its name (even when the name is a program)');
    assert.deepEqual(two!.gates.map((g) => [g.name, g.command]), [['tsc', 'cd frontend && pnpm exec tsc --noEmit'], ['lint', 'uv run ruff check src/analyzer']]);
    assert.deepEqual(three!.gates.map((g) => [g.name, g.command]), [[undefined, 'uv run ruff check .']]);
    assert.deepEqual(four!.gates.map((g) => g.command), ['npm test', 'npm run lint'], 'the documented forms keep working');
    assert.deepEqual(five!.gates.map((g) => [g.name, g.command]), [['i18n', 'node scripts/i18n-check.js']], 'config.yaml gates: maps a name to its command');
    assert.deepEqual(plan.phases.map((p) => [p.read_notes, p.write_notes]), [
      [[], 'notes/NOTES_phase_1.md'],
      [['notes/NOTES_phase_1.md'], 'notes/NOTES_phase_2.md'],
      [['notes/NOTES_phase_2.md'], 'notes/NOTES_phase_3.md'],
      [['notes/NOTES_phase_2.md', 'notes/NOTES_phase_3.md'], 'notes/NOTES_phase_4.md'],
      [[], null],
    ]);
    assert.deepEqual(plan.phases.map((p) => p.required_agents), [['doc-sync'], ['python-expert'], [], ['Doc-Sync'], []], '"The agent: it scores" is prose; optional rows are not required');
  });

  test('a gate with no command, a required agent Claude Code does not have, a dependency that names nothing', () => {
    const dir = fixture('field');
    rmSync(join(dir, '.claude', 'agents', 'python.md'));
    writeFileSync(join(dir, 'phase3-estimator.md'), readFileSync(join(dir, 'phase3-estimator.md'), 'utf8').replace('**Depends On:** N/A (Independent - runs in parallel with Phase 1)', '**Depends On:** the scoring work'));
    assert.deepEqual(lines(readMasterPlan(dir, 'master-plan.md', { isProgram: options.isProgram }).problems), [
      'phase2-analyzer.md:19: the required agent python-expert is not one Claude Code has: define it in .claude/agents/python-expert.md (or ~/.claude/agents/), or require a built-in one (general-purpose, Explore, Plan)',
      "phase3-estimator.md:4: Depends On 'the scoring work' names no phase: write N/A, or the phases it needs (Phase 1, Phase 2)",
      "phase5-polish.md:10: the gate 'i18n' names no command, and i18n is not a program on the PATH: write its command in inline code (- i18n: `<command>`), or map it in .orchestrator/config.yaml (gates: { i18n: <command> })",
    ]);
  });

  test('read in a thread of its own (as orchestrate run does): the same plan, problems and warnings, with the PATH and home it was given', async () => {
    const dir = fixture('field');
    rmSync(join(dir, '.claude', 'agents', 'python.md'));
    const home = tempDir('orchestrator-plan-home-');
    mkdirSync(join(home, '.claude', 'agents'), { recursive: true });
    writeFileSync(join(home, '.claude', 'agents', 'python-expert.md'), '---\nname: python-expert\n---\n');
    const bin = tempDir('orchestrator-plan-bin-');
    writeFileSync(join(bin, 'uv'), '#!/bin/sh\n', { mode: 0o755 });
    const here = readMasterPlan(dir, 'master-plan.md', { gates: {}, isProgram: (word) => isProgram(word, bin), agents: claudeAgents(dir, home) });
    const apart = await readMasterPlanInThread({ root: dir, planFile: join(dir, 'master-plan.md'), gates: {}, path: bin, home });
    assert.deepEqual(apart, here);
    assert.deepEqual(lines(apart.problems), [
      "phase5-polish.md:10: the gate 'i18n' names no command, and i18n is not a program on the PATH: write its command in inline code (- i18n: `<command>`), or map it in .orchestrator/config.yaml (gates: { i18n: <command> })",
    ], 'the home\'s agents and the PATH\'s programs were the ones given');
    assert.equal(apart.plan.phases.length, 5);
  });

  test('Depends On as people write it', () => {
    const dir = tempDir('orchestrator-plan-');
    const cases: [string, string[]][] = [
      ['N/A (first phase)', []],
      ['N/A (Independent - runs in parallel with Phase 1)', []],
      ['None (can run independently)', []],
      ['No dependencies', []],
      ['-', []],
      ['Phase 1 (GitHub Fetcher) - needs IssueSet data structures', ['1']],
      ['Phase 1, 2, 3 (Fetcher, Analyzer, Builder) - everything before', ['1', '2', '3']],
      ['Phases 1 and 2', ['1', '2']],
      ['Phase 2 and Phase 3', ['2', '3']],
      ['[Phase 1: Context Estimation](stale-link.md)', ['1']],
      ['[Phase 2](p2.md), Phase 3 (for its data)', ['2', '3']],
      ['1, 3', ['1', '3']],
    ];
    const phase = (n: number, depends: string) => `# P${n}\n\n**Status:** Pending\n**Depends On:** ${depends}\n\n## Process Wrapper (MANDATORY)\n- [ ] Write notes to: \`n${n}.md\`\n\n## Gates\n- true: ok\n\n## Tasks\n- [ ] do\n`;
    for (const n of [1, 2, 3]) writeFileSync(join(dir, `p${n}.md`), phase(n, 'N/A'));
    writeFileSync(join(dir, 'plan.md'), ['# Words', '', '| Phase | Title | Status |', '|---|---|---|', ...[1, 2, 3, 4].map((n) => `| ${n} | [P${n}](p${n}.md) | Pending |`), ''].join('\n'));
    for (const [depends, expected] of cases) {
      writeFileSync(join(dir, 'p4.md'), phase(4, depends));
      const { plan, problems: found } = readMasterPlan(dir, 'plan.md');
      assert.deepEqual(found, [], depends);
      assert.deepEqual(plan.phases[3]!.depends_on, expected, depends);
    }
  });

  test('statuses are written back in the file\'s own words', () => {
    const dir = fixture('field');
    const write = (file: string, text: string) => writeFileSync(file, text);
    writePhaseStatus(dir, 'master-plan.md', { id: '3', file: 'phase3-estimator.md' }, 'In Progress', write);
    writePhaseStatus(dir, 'master-plan.md', { id: '2', file: 'phase2-analyzer.md' }, 'Completed', write);
    writePhaseStatus(dir, 'master-plan.md', { id: '4', file: 'phase4-builder.md' }, 'Failed', write);
    const plan = readFileSync(join(dir, 'master-plan.md'), 'utf8');
    assert.match(plan, /\| 2 \| \[Analyzer\]\(phase2-analyzer\.md\) \| Score every issue \| Medium \| ✅ Done \|/);
    assert.match(plan, /\| 3 \| .* \| In_Progress \|/);
    assert.match(plan, /\| 4 \| .* \| Failed \|/);
    assert.match(readFileSync(join(dir, 'phase2-analyzer.md'), 'utf8'), /\*\*Status:\*\* ✅ Done\n/);
    assert.match(readFileSync(join(dir, 'phase3-estimator.md'), 'utf8'), /\*\*Status:\*\* In_Progress\n/);
    assert.deepEqual(readMasterPlan(dir, 'master-plan.md', options).plan.phases.map((p) => p.status), ['Completed', 'Completed', 'In Progress', 'Failed', 'Blocked']);
  });
});

describe('writing statuses back', () => {
  test('only the Status cell and the **Status:** line change', () => {
    const dir = fixture('valid');
    const planBefore = readFileSync(join(dir, 'master-plan.md'), 'utf8');
    const phaseBefore = readFileSync(join(dir, 'phase2-api.md'), 'utf8');
    const missed = writePhaseStatus(dir, 'master-plan.md', { id: '2', file: 'phase2-api.md' }, 'In Progress', writeFileSync);
    assert.deepEqual(missed, []);
    assert.equal(readFileSync(join(dir, 'master-plan.md'), 'utf8'), planBefore.replace('| Medium | Pending |', '| Medium | In Progress |'));
    assert.equal(readFileSync(join(dir, 'phase2-api.md'), 'utf8'), phaseBefore.replace('**Status:** Pending', '**Status:** In Progress'));
    assert.deepEqual(readMasterPlan(dir, 'master-plan.md').plan.phases.map((p) => p.status), ['Pending', 'In Progress', 'Pending']);
    assert.deepEqual(writePhaseStatus(dir, 'master-plan.md', { id: '9', file: 'gone.md' }, 'Completed', writeFileSync), ['master-plan.md: no Status cell for phase 9', 'gone.md: no **Status:** line']);
    // Someone edits the plan between two writes (lines above the table, rows swapped): the next write still finds its row.
    const edited = readFileSync(join(dir, 'master-plan.md'), 'utf8').split('\n');
    const rows = edited.flatMap((line, i) => (/^\| [12] \|/.test(line) ? [i] : []));
    [edited[rows[0]!], edited[rows[1]!]] = [edited[rows[1]!]!, edited[rows[0]!]!];
    writeFileSync(join(dir, 'master-plan.md'), ['A line added on top.', '', ...edited].join('\n'));
    assert.deepEqual(writePhaseStatus(dir, 'master-plan.md', { id: '1', file: 'phase1-hello.md' }, 'Completed', writeFileSync), []);
    assert.deepEqual(readMasterPlan(dir, 'master-plan.md').plan.phases.map((p) => [p.id, p.status]), [['2', 'In Progress'], ['1', 'Completed'], ['3', 'Pending']]);
  });

  test('property: any sequence of writes reads back as the last status of each phase, and writing the first statuses back restores the files byte for byte', () => {
    const dir = fixture('valid');
    // A second copy with a column padded for alignment, which must keep its width.
    const aligned = join(dir, 'aligned');
    mkdirSync(aligned);
    cpSync(join(FIXTURES, 'valid'), aligned, { recursive: true });
    const planFile = join(aligned, 'master-plan.md');
    writeFileSync(planFile, readFileSync(planFile, 'utf8').replace(/\| (Pending|Status) \|/g, (_, word: string) => `| ${word.padEnd(12)} |`).replace('|--------|', '|--------------|'));
    for (const root of [dir, aligned]) {
      const files = ['master-plan.md', 'phase1-hello.md', 'phase2-api.md', 'phase3-combine.md'];
      const original = files.map((file) => readFileSync(join(root, file), 'utf8'));
      const phases = readMasterPlan(root, 'master-plan.md').plan.phases;
      fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(...PHASE_STATUSES)), { maxLength: 12 }), (writes) => {
        const last: PhaseStatus[] = ['Pending', 'Pending', 'Pending'];
        for (const [i, status] of writes) {
          assert.deepEqual(writePhaseStatus(root, 'master-plan.md', phases[i]!, status, writeFileSync), []);
          last[i] = status;
        }
        const read = readMasterPlan(root, 'master-plan.md');
        assert.deepEqual(read.problems, []);
        assert.deepEqual(read.plan.phases.map((p) => p.status), last);
        if (root === aligned) {
          const widths = readFileSync(planFile, 'utf8').split('\n').filter((line) => line.startsWith('| ')).map((line) => line.split('|').at(-2)!.length);
          assert.deepEqual(widths, [14, 14, 14, 14], 'the padded Status column keeps its width');
        }
        for (const phase of phases) writePhaseStatus(root, 'master-plan.md', phase, 'Pending', writeFileSync);
        assert.deepEqual(files.map((file) => readFileSync(join(root, file), 'utf8')), original);
      }), { numRuns: 40 });
    }
  });
});

describe('.orchestrator/config.yaml', () => {
  test('the settings a master plan reads, and every unknown key or wrong type with its line', async () => {
    const dir = tempDir('orchestrator-config-');
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'timeout: 900\nmax_retries: 1\nmodel: haiku\nstrict_compliance: false\nnotifications:\n  enabled: true\n  provider: ntfy\n  topic: builds\n  url: http://127.0.0.1:9\n');
    assert.deepEqual(await readProjectConfig(file), { timeout: 900, max_retries: 1, model: 'haiku', strict_compliance: false, notifications: { enabled: true, provider: 'ntfy', topic: 'builds', url: 'http://127.0.0.1:9' } });
    writeFileSync(file, '# settings\ntimeout: soon\nmax_retry: 2\nstrict_compliance: yes please\nnotifications:\n  provider: pager\n  colour: red\n');
    await assert.rejects(readProjectConfig(file), (error: Error) => {
      assert.equal(error.message, [
        `${file}:2: timeout: Invalid input: expected number, received string`,
        `${file}:3: unknown setting 'max_retry' (known: db, lease_ttl, max_retries, timeout, model, strict_compliance, notes_sections, notifications, gates, roles, budgets)`,
        `${file}:4: strict_compliance: Invalid input: expected boolean, received string`,
        `${file}:6: notifications.provider: Invalid option: expected one of "desktop"|"ntfy"|"webhook"|"none"`,
        `${file}:7: unknown setting 'notifications.colour' (known: enabled, provider, topic, url)`,
        `fix them in ${file} (or remove the file to use the defaults)`,
      ].join('\n'));
      return true;
    });
    writeFileSync(file, 'timeout: [1,\n');
    await assert.rejects(readProjectConfig(file), (error: Error) => error.message.startsWith(`${file}:2: not valid YAML: `));
  });
});
