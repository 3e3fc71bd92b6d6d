// Master-plan runs end to end with the real Claude Code CLI and the fake model server, in a temp
// git repository holding design D's plan files: phases 1 and 2 in parallel, 3 after both; the
// orchestrator re-runs the gates, checks the notes and the required agent, sends remediation
// prompts that name what failed, writes statuses back; a phase that reports itself blocked stops
// what depends on it and `resume` finishes; sequential mode in the working tree; notifications
// to a local HTTP receiver. (Crash recovery, other agents, dry runs: master-plan-recovery.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli } from './support/cli.js';
import { featureModel, git, write } from './support/feature.js';
import { closedPort, FIXTURE, goodPhases, invokeDocSync, notes, phase, phaseDone, planProject, receiver, reportDone, retryOf } from './support/master-plan.js';

after(cleanupBackends);

const fake = featureModel();
const notified = receiver();

describe('master-plan runs with the real Claude Code', () => {
  test('phases 1 and 2 in parallel, 3 after both; gates re-run, notes and the required agent checked with remediation; statuses written back on the run branch', async () => {
    // Notifications go to a port nothing listens on: the run completes anyway and says so.
    const port = await closedPort();
    const dir = planProject(`notifications:\n  provider: webhook\n  url: http://127.0.0.1:${port}/hook\n`);
    const [, one, two, three] = goodPhases();
    fake.model().setScenarios([
      goodPhases()[0]!,
      { name: 'phase 1 again', match: { prompt: retryOf(1) }, turns: [{ tools: [notes(1)] }, { tools: [reportDone] }, { text: 'Notes complete.' }] },
      { ...one!, turns: [{ tools: [write('hello.txt', 'hello\n'), notes(1, ['Summary', 'Key Decisions'])] }, { tools: [reportDone] }, { text: 'Phase 1 is done.' }] },
      { name: 'phase 2 again', match: { prompt: retryOf(2) }, turns: [{ tools: [invokeDocSync] }, { tools: [phaseDone('2')] }, { text: 'doc-sync ran.' }] },
      { ...two!, turns: [{ tools: [write('api.txt', 'api: v1\n'), notes(2)] }, { tools: [phaseDone('2')] }, { text: 'Phase 2 is done.' }] },
      // The worker's own word that its attempt did not work: another attempt, told why.
      { ...three!, name: 'phase 3 again', match: { prompt: retryOf(3) } },
      { ...three!, turns: [{ tools: [write('both.txt', 'hello\napi: v1\n'), notes(3)] }, { tools: [phaseDone('3', 'failed', 'the combined file is not sorted')] }, { text: 'Failed.' }] },
    ]);
    const planBefore = readFileSync(join(dir, 'docs', 'master-plan.md'), 'utf8');
    const run = await cli(dir, ['run', 'docs/master-plan.md', '--json'], fake.env());
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json.end, 'completed');
    const { id, branch } = run.json.run;
    assert.equal(branch, 'orchestrate/greetings-master-plan');
    assert.equal(git(dir, 'show', `${branch}:both.txt`), 'hello\napi: v1');

    // Statuses on the run branch: the three Status cells and Status lines, nothing else.
    const expected = planBefore.replace(/(\| (?:Low|Medium) \| )Pending \|/g, '$1Completed |');
    assert.equal(git(dir, 'show', `${branch}:docs/master-plan.md`), expected.trimEnd());
    for (const file of ['phase1-hello.md', 'phase2-api.md', 'phase3-combine.md']) {
      assert.equal(git(dir, 'show', `${branch}:docs/${file}`), readFileSync(join(FIXTURE, file), 'utf8').replace('**Status:** Pending', '**Status:** Completed').trimEnd());
    }
    // The user's checkout is untouched.
    assert.equal(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.equal(git(dir, 'status', '--porcelain'), '');
    assert.equal(readFileSync(join(dir, 'docs', 'master-plan.md'), 'utf8'), planBefore);

    // Remediation prompts named exactly what failed; the subagent really ran.
    const requests = fake.model().requests;
    const firstOf = (name: string) => requests.find((r) => r.scenario === name && r.conversation?.turn === 0)!;
    assert.match(firstOf('phase 1 again').conversation!.prompt, /- the notes file notes\/NOTES_phase_1\.md has no "## Files Modified" section/);
    assert.doesNotMatch(firstOf('phase 1 again').conversation!.prompt, /gates failed/);
    assert.match(firstOf('phase 2 again').conversation!.prompt, /- the required agent doc-sync was not invoked: use the Agent tool with subagent_type "doc-sync"/);
    assert.match(firstOf('phase 3 again').conversation!.prompt, /- the phase reported itself failed: the combined file is not sorted/);
    assert.match(firstOf('phase 3 again').conversation!.prompt, /tells you to report with another tool \(`debussy done …`[^\n]*is the only report the orchestrator reads/);
    assert.ok(requests.some((r) => r.scenario === 'doc-sync subagent'), 'the doc-sync subagent ran');
    // 1 and 2 overlapped; 3 started after both, with their notes in its prompt.
    const processes = (await cli(dir, ['ps', '--json'], fake.env())).json.items as { task_id: string; started_at: string; ended_at: string }[];
    const span = (phase: string) => processes.filter((p) => p.task_id === `${id}.c1.${phase}`).map((p) => [Date.parse(p.started_at), Date.parse(p.ended_at)] as const);
    assert.deepEqual([span('1').length, span('2').length, span('3').length], [2, 2, 2]);
    assert.ok(span('1')[0]![0] < span('2')[0]![1] && span('2')[0]![0] < span('1')[0]![1], 'the first sessions of phases 1 and 2 ran at the same time');
    assert.ok(span('3')[0]![0] >= Math.max(span('1')[1]![1], span('2')[1]![1]), 'phase 3 started after 1 and 2 ended');
    const third = firstOf('phase 3').conversation!.prompt;
    assert.match(third, /--- notes\/NOTES_phase_1\.md ---\n# Phase 1 notes[\s\S]*phase 1: files modified/);
    assert.match(third, /--- notes\/NOTES_phase_2\.md ---/);

    // The gates were run by the orchestrator, for every attempt.
    const evidence = (n: number) => JSON.parse(readFileSync(join(dir, '.orchestrator', 'runs', id, 'evidence', `c1-${n}.json`), 'utf8'));
    assert.deepEqual(evidence(1).attempts.map((a: any) => a.gates.map((g: any) => [g.command, g.passed])), [[['test -f hello.txt', true], ['grep -q hello hello.txt', true]], [['test -f hello.txt', true], ['grep -q hello hello.txt', true]]]);
    assert.deepEqual(evidence(2).attempts.map((a: any) => a.gates.map((g: any) => g.command)), [['grep -q api: api.txt'], ['grep -q api: api.txt']]);

    // Live readable output prefixed by phase; the failed notification logged, not fatal.
    assert.match(run.stderr, /\[phase 1\] \[Write: [^\]]*hello\.txt\]/);
    assert.match(run.stderr, /\[phase 2\] \[Agent: Sync the docs\]/);
    assert.match(run.stderr, /\[phase 1\] attempt 1 not accepted: - the notes file/);
    assert.match(run.stderr, new RegExp(`notification not sent: cannot reach http://127\\.0\\.0\\.1:${port}/hook: ECONNREFUSED`));

    const status = await cli(dir, ['status', '--run', id], fake.env());
    assert.match(status.stdout, new RegExp(`${id}\\s+completed`));
    assert.match(status.stdout, /^1\s+completed\s+2\s+Hello/m);
    assert.match(status.stdout, /^2\s+completed\s+2\s+API/m);
    assert.match(status.stdout, /^3\s+completed\s+2\s+Combine/m);
    assert.match((await cli(dir, ['history'], fake.env())).stdout, new RegExp(`${id}\\s+plan\\s+completed`));
  });

  test('a phase that reports blocked: what depends on it never starts, the run is blocked with the reason; resume with guidance finishes', async () => {
    const dir = planProject(`notifications:\n  provider: webhook\n  url: ${notified.url()}/hook\n`);
    const reason = 'hello.txt needs the greeting word from the product owner';
    fake.model().setScenarios([
      { name: 'phase 1 with guidance', match: { prompt: /^You are running phase 1 \([\s\S]*Guidance from the person running this: the word is hello/ }, turns: [{ tools: [write('hello.txt', 'hello\n'), notes(1)] }, { tools: [reportDone] }, { text: 'Done with the word.' }] },
      { name: 'phase 1 blocked', match: { prompt: phase(1) }, turns: [{ tools: [phaseDone('1', 'blocked', reason)] }, { text: 'Blocked.' }] },
      ...goodPhases().filter((s) => s.name !== 'phase 1'),
    ]);
    const run = await cli(dir, ['run', 'docs/master-plan.md', '--json'], fake.env());
    assert.equal(run.code, 13, run.stderr);
    assert.equal(run.json.end, 'blocked');
    const { id, branch } = run.json.run;
    assert.equal(run.json.run.status, 'blocked');
    assert.equal(run.json.run.phase, `phase 1 blocked: ${reason}`);
    const requests = () => fake.model().requests.filter((r) => r.conversation?.prompt.includes(id));
    assert.equal(requests().filter((r) => r.scenario === 'phase 1 blocked' && r.conversation?.turn === 0).length, 1, 'a blocked phase is not retried');
    assert.ok(!requests().some((r) => r.scenario === 'phase 3'), 'phase 3 never started');
    assert.equal(git(dir, 'show', `${branch}:api.txt`), 'api: v1', 'the independent phase 2 finished');
    assert.match(git(dir, 'show', `${branch}:docs/master-plan.md`), /\| 1 \| \[Hello\]\(phase1-hello\.md\) \| Write hello\.txt \| Low \| Blocked \|\n\| 2 .* \| Completed \|\n\| 3 .* \| Pending \|/);
    assert.match(git(dir, 'show', `${branch}:docs/phase1-hello.md`), /\*\*Status:\*\* Blocked/);
    const escalation = JSON.parse(readFileSync(join(dir, '.orchestrator', 'runs', id, 'escalation.json'), 'utf8'));
    assert.equal(escalation.reason, `phase 1 blocked: ${reason}`);
    assert.match(escalation.details, /not started \(they depend on the above\): 3/);
    assert.match((await cli(dir, ['status', '--run', id], fake.env())).stdout, /blocked[\s\S]*^1\s+failed\s+1\s+Hello\s+the phase reported itself blocked/m);

    const hooks = () => notified.received.filter((r) => r.path === '/hook').map((r) => JSON.parse(r.body)).filter((n) => n.run_id === id);
    assert.deepEqual(hooks().map((n) => [n.event, n.phase]), [['blocked', '1'], ['escalated', null]]);
    assert.equal(hooks()[0].message, reason);
    assert.match(hooks()[1].message, /phase 1 blocked/);

    // Statuses wait to be committed together, so a crash can keep one from the run branch: phase 2's
    // is taken back here, and the resume writes it again from the board (phase 2 does not run again).
    const tree = join(dir, '.orchestrator', 'worktrees', `${id}-run`);
    const untell = (file: string, from: RegExp, to: string) => writeFileSync(join(tree, 'docs', file), readFileSync(join(tree, 'docs', file), 'utf8').replace(from, to));
    untell('master-plan.md', /Medium \| Completed \|/, 'Medium | Pending |');
    untell('phase2-api.md', /\*\*Status:\*\* Completed/, '**Status:** Pending');
    git(tree, '-c', 'user.name=Test', '-c', 'user.email=test@localhost', 'commit', '-qam', 'phase 2 Pending, as a crash would have left it');
    assert.match(git(dir, 'show', `${branch}:docs/master-plan.md`), /Medium \| Pending \|/);
    const resumed = await cli(dir, ['resume', '--guidance', 'the word is hello', '--json'], fake.env());
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json.end, 'completed');
    assert.equal(git(dir, 'show', `${branch}:both.txt`), 'hello\napi: v1');
    assert.equal(requests().filter((r) => r.scenario === 'phase 2' && r.conversation?.turn === 0).length, 1, 'the completed phase ran once');
    assert.match(git(dir, 'show', `${branch}:docs/master-plan.md`), /Low \| Completed \|\n.*Medium \| Completed \|\n.*Low \| Completed \|/);
    assert.match(git(dir, 'show', `${branch}:docs/phase2-api.md`), /\*\*Status:\*\* Completed/);
    assert.equal(hooks().at(-1).event, 'completed');
  });

  test('--sequential runs one phase at a time in the working tree itself, statuses written there; ntfy is told', async () => {
    const dir = planProject(`notifications:\n  provider: ntfy\n  topic: builds\n  url: ${notified.url()}\n`);
    writeFileSync(join(dir, 'scratch.txt'), 'a dirty checkout is fine in sequential mode\n');
    fake.model().setScenarios(goodPhases());
    const run = await cli(dir, ['run', 'docs/master-plan.md', '--sequential', '--model', 'haiku', '--json'], fake.env());
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json.run.branch, 'main');
    assert.equal(readFileSync(join(dir, 'both.txt'), 'utf8'), 'hello\napi: v1\n');
    assert.ok(existsSync(join(dir, 'notes', 'NOTES_phase_3.md')));
    assert.match(readFileSync(join(dir, 'docs', 'master-plan.md'), 'utf8'), /Low \| Completed \|\n.*Medium \| Completed \|\n.*Low \| Completed \|/);
    assert.match(readFileSync(join(dir, 'docs', 'phase2-api.md'), 'utf8'), /\*\*Status:\*\* Completed/);
    assert.equal(git(dir, 'rev-list', '--count', 'HEAD'), '2', 'no commits made by the orchestrator in sequential mode');
    const order = fake.model().requests.filter((r) => r.conversation?.prompt.includes(run.json.run.id) && /^phase \d$/.test(r.scenario ?? '')).map((r) => r.scenario);
    assert.deepEqual([...new Set(order)], ['phase 1', 'phase 2', 'phase 3']);
    assert.equal(order.lastIndexOf('phase 1') < order.indexOf('phase 2') && order.lastIndexOf('phase 2') < order.indexOf('phase 3'), true, 'one phase at a time');
    assert.ok(fake.model().requests.filter((r) => r.conversation?.prompt.includes(run.json.run.id)).every((r) => r.body?.model === undefined || /haiku/.test(r.body.model)), '--model reached the agent');
    const ntfy = notified.received.find((r) => r.path === '/builds' && r.headers.title === 'Plan completed: Greetings - Master Plan')!;
    assert.ok(ntfy, 'ntfy got the completion');
    assert.equal(ntfy.headers.tags, 'white_check_mark');
    assert.match(ntfy.body, /all 3 phases completed and verified; the work is in the working tree/);
  });
});
