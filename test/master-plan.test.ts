// Master-plan runs end to end with the real Claude Code CLI and the fake model server, in a temp
// git repository holding design D's plan files: phases 1 and 2 in parallel, 3 after both; the
// orchestrator re-runs the gates, checks the notes and the required agent, sends remediation
// prompts that name what failed, writes statuses back; a phase that reports itself blocked stops
// what depends on it and `resume` finishes; sequential mode in the working tree; notifications
// to a local HTTP receiver; dry runs and the problems of a bad plan or config.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupBackends } from './support/backends.js';
import { cli, cliInBackground } from './support/cli.js';
import { CODEX, codexEnv } from './support/codex.js';
import { GEMINI, geminiEnv } from './support/gemini.js';
import type { Conversation, Scenario, ToolCall } from './support/fake-model/server.js';
import { featureModel, git, project, write } from './support/feature.js';
import { until } from './support/until.js';

after(cleanupBackends);

const fake = featureModel();
const FIXTURE = new URL('./fixtures/plans/valid/', import.meta.url).pathname;
const SECTIONS = ['Summary', 'Key Decisions', 'Files Modified'];

/** A project whose docs/ hold the valid fixture plan and whose .claude/agents/ has the doc-sync subagent, all committed. */
function planProject(config?: string): string {
  const dir = project();
  cpSync(FIXTURE, join(dir, 'docs'), { recursive: true });
  mkdirSync(join(dir, '.claude', 'agents'), { recursive: true });
  writeFileSync(join(dir, '.claude', 'agents', 'doc-sync.md'), '---\nname: doc-sync\ndescription: Keeps the docs in sync with the code\n---\nYou keep the docs in sync.\n');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=Me', '-c', 'user.email=me@x.test', 'commit', '-q', '-m', 'the plan');
  if (config) {
    mkdirSync(join(dir, '.orchestrator'), { recursive: true });
    writeFileSync(join(dir, '.orchestrator', 'config.yaml'), config);
  }
  return dir;
}

const runOf = (c: Conversation) => /of run (run-[\w-]+)/.exec(c.prompt)![1]!;
/** The `orchestrate done … --status completed` command the prompt gives, run through Claude Code's Bash tool. */
const reportDone: ToolCall = { name: 'Bash', input: (c) => ({ command: /run `([^`]*--status completed)`/.exec(c.prompt)![1]!, description: 'Report the phase done' }) };
const phaseDone = (phase: string, status = 'completed', reason?: string): ToolCall => ({ name: 'mcp__orchestrator__phase_done', input: (c) => ({ run_id: runOf(c), phase, status, ...(reason ? { reason } : {}) }) });
const notes = (n: number, sections = SECTIONS) => write(`notes/NOTES_phase_${n}.md`, `# Phase ${n} notes\n\n${sections.map((s) => `## ${s}\n\nphase ${n}: ${s.toLowerCase()}\n`).join('\n')}`);
const invokeDocSync: ToolCall = { name: 'Agent', input: { subagent_type: 'doc-sync', description: 'Sync the docs', prompt: 'SUBAGENT: sync the docs of phase 2' } };
const phase = (n: number) => new RegExp(`^You are running phase ${n} \\(`);
const retryOf = (n: number) => new RegExp(`^You are running phase ${n} \\([\\s\\S]*Your previous attempt was not accepted`);

/** Phases that get everything right the first time. */
function goodPhases(): Scenario[] {
  return [
    { name: 'doc-sync subagent', match: { prompt: 'SUBAGENT:' }, turns: [{ text: 'The docs are in sync.' }] },
    { name: 'phase 1', match: { prompt: phase(1) }, turns: [{ tools: [write('hello.txt', 'hello\n'), notes(1)] }, { tools: [reportDone] }, { text: 'Phase 1 is done.' }] },
    { name: 'phase 2', match: { prompt: phase(2) }, turns: [{ tools: [write('api.txt', 'api: v1\n'), notes(2), invokeDocSync] }, { tools: [phaseDone('2')] }, { text: 'Phase 2 is done.' }] },
    { name: 'phase 3', match: { prompt: phase(3) }, turns: [{ tools: [write('both.txt', 'hello\napi: v1\n'), notes(3)] }, { tools: [reportDone] }, { text: 'Phase 3 is done.' }] },
  ];
}

/** A local receiver for ntfy and webhook notifications. */
function receiver() {
  const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.end('ok');
    });
  });
  before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { received, url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const notified = receiver();

/** A port on 127.0.0.1 nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

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
      three!,
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
    assert.ok(requests.some((r) => r.scenario === 'doc-sync subagent'), 'the doc-sync subagent ran');
    // 1 and 2 overlapped; 3 started after both, with their notes in its prompt.
    const processes = (await cli(dir, ['ps', '--json'], fake.env())).json.items as { task_id: string; started_at: string; ended_at: string }[];
    const span = (phase: string) => processes.filter((p) => p.task_id === `${id}.c1.${phase}`).map((p) => [Date.parse(p.started_at), Date.parse(p.ended_at)] as const);
    assert.deepEqual([span('1').length, span('2').length, span('3').length], [2, 2, 1]);
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
    assert.match(status.stdout, /^3\s+completed\s+1\s+Combine/m);
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

    const resumed = await cli(dir, ['resume', '--guidance', 'the word is hello', '--json'], fake.env());
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json.end, 'completed');
    assert.equal(git(dir, 'show', `${branch}:both.txt`), 'hello\napi: v1');
    assert.equal(requests().filter((r) => r.scenario === 'phase 2' && r.conversation?.turn === 0).length, 1, 'the completed phase ran once');
    assert.match(git(dir, 'show', `${branch}:docs/master-plan.md`), /Low \| Completed \|\n.*Medium \| Completed \|\n.*Low \| Completed \|/);
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
      const dir = project();
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'docs', 'plan.md'), '# Other plan\n\n## Phases\n\n| Phase | Title | Status |\n|---|---|---|\n| 1 | [Hello](p1.md) | Pending |\n');
      writeFileSync(join(dir, 'docs', 'p1.md'), '# Phase 1\n\n**Status:** Pending\n**Depends On:** N/A\n\n## Process Wrapper (MANDATORY)\n- [ ] **[IMPLEMENTATION]**\n- [ ] Write notes to: `notes/one.md`\n\n## Gates\n- grep -q hello hello.txt: it says hello\n\n## Tasks\n- [ ] write hello.txt\n');
      git(dir, 'add', '-A');
      git(dir, '-c', 'user.name=Me', '-c', 'user.email=me@x.test', 'commit', '-q', '-m', 'plan');
      const noteText = SECTIONS.map((section) => `## ${section}\n\ndone\n`).join('');
      fake.model().setScenarios([{ name: `${other.agent} phase 1`, match: { prompt: phase(1) }, turns: [
        { tools: [other.write('hello.txt', 'hello\n')] },
        { tools: [other.write('notes/one.md', noteText)] },
        { tools: [phaseDone('1')] },
        { text: 'Phase 1 done.' },
      ] }]);
      const run = await cli(dir, ['run', 'docs/plan.md', '--agent', other.agent, '--json'], other.env(fake.model().url));
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
    assert.equal(broken.stdout.trim().split('\n').length, 11);
    assert.match(broken.stdout, /^broken\/master-plan\.md:17: dependency cycle: 1 → 3 → 1/m);
    assert.match(broken.stdout, /^broken\/phase3\.md:9: no gates/m);
    assert.match(broken.stdout.trimEnd(), /10 problems in the plan; fix them and run again$/);
    const codex = await cli(dir, ['run', 'docs/master-plan.md', '-n', '--agent', 'codex'], fake.env());
    assert.equal(codex.code, 2);
    assert.match(codex.stdout, /docs\/phase2-api\.md:1: phase 2 requires the agents doc-sync, which only Claude Code can invoke/);

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
    assert.match(wrong.stderr, /--status must be completed or blocked, not 'finished'/);
  });
});
