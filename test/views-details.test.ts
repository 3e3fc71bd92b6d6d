// The pages behind the views' rows, read from a real board after a real master-plan run (the
// tour's plan, command agents, real git worktrees, gates re-run by the engine, the merge queue):
// a task with both attempts, the gate that refused the first, its merge; the task graph and its
// critical path; the run's timeline; the merge queue; costs per CLI; an agent's messages. Then the
// actions the views offer that are new commands: `task priority`, `run --tui` and `leader` without
// a terminal, and `resume --detach` — a run
// escalated by an agent that never passes phase 2's gate, resumed in the background with
// guidance, finishes by itself.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BACKENDS, cleanupBackends, newBoardUrl, openBoard, tempDir } from './support/backends.js';
import { cleanEnv, cli, newProject } from './support/cli.js';
import { until, untilExited } from './support/until.js';
import { agentDetail, conversation, costs, criticalPath, mergeQueue, runTimeline, taskDetail, taskGraph } from '../src/views/details.js';
import { tourAgent, writeTourPlan } from '../scripts/tour-plan.mjs';

after(cleanupBackends);

function tourProject(): string {
  const dir = tempDir('orchestrator-views-');
  writeTourPlan(dir);
  return dir;
}

test('the critical path is the longest chain by time', () => {
  const nodes = [{ id: 'a', ms: 5 }, { id: 'b', ms: 1 }, { id: 'c', ms: 10 }, { id: 'd', ms: 2 }, { id: 'e', ms: 1 }];
  assert.deepEqual(criticalPath(nodes, [['a', 'b'], ['c', 'd'], ['b', 'd'], ['d', 'e']]), { path: ['c', 'd', 'e'], ms: 13 });
  assert.deepEqual(criticalPath(nodes.slice(0, 1), []), { path: ['a'], ms: 5 });
  assert.deepEqual(criticalPath([], []), { path: [], ms: 0 });
});

for (const backend of BACKENDS) {
  describe(`the pages behind the rows on ${backend}`, () => {
    test('a master-plan run as the pages show it: attempts with their gates, merges, graph, timeline, queue, costs, messages', async () => {
      const dir = tourProject();
      const url = newBoardUrl(backend);
      const env = cleanEnv({ ORCHESTRATOR_DB: url });
      const run = await cli(dir, ['run', 'docs/master-plan.md', '--concurrency', '2', ...tourAgent], env);
      assert.equal(run.code, 0, run.stderr);
      await cli(dir, ['agent', 'register', '--name', 'Tom'], env);
      await cli(newProject(), ['msg', 'send', '--to-name', 'Tom', '--content', 'phase 2 is merged'], env); // from a person: no agent in that folder
      await cli(dir, ['ctx', 'set', 'api_version', 'v1'], env);
      const board = await openBoard(url);
      try {
        const runId = (await board.runs.latest())!.id;
        const id = (phase: number) => `${runId}.c1.${phase}`;

        const api = (await taskDetail(board.db, id(2)))!;
        assert.equal(api.task.title, 'API');
        assert.equal(api.task.status, 'completed');
        assert.deepEqual(api.dependents.map((t) => t.id), [id(3)]);
        assert.deepEqual(api.depends_on, []);
        assert.equal(api.attempts.length, 2, 'two agent processes worked on phase 2');
        assert.ok(api.attempts.every((a) => a.cli === 'command' && a.outcome === 'ok' && a.started_at !== null && a.ended_at !== null));
        assert.deepEqual(api.checks.map((c) => [c.data.attempt, (c.data.gates as { passed: boolean }[]).map((g) => g.passed)]), [[1, [false]], [2, [true]]]);
        assert.match(String(api.checks[0]!.data.problem), /gates failed/);
        assert.equal(api.checks[1]!.data.problem, null);
        assert.deepEqual(api.merges.map((m) => m.type), ['merge.queued', 'merge.done']);
        assert.match(String(api.merges[1]!.data.sha), /^[0-9a-f]{40}$/);
        assert.deepEqual((await taskDetail(board.db, id(3)))!.depends_on.map((t) => t.id), [id(1), id(2)]);
        assert.equal(await taskDetail(board.db, 'task-none'), null);

        const graph = await taskGraph(board.db, runId, board.db.now());
        assert.deepEqual(graph.nodes.map((n) => n.id).sort(), [id(1), id(2), id(3)]);
        assert.deepEqual(graph.edges.map((e) => e.join('>')).sort(), [`${id(1)}>${id(3)}`, `${id(2)}>${id(3)}`]);
        assert.equal(graph.critical_path.at(-1), id(3), 'the path ends at the phase that waits for both');
        assert.equal(graph.critical_path.length, 2);
        assert.ok(graph.nodes.filter((n) => n.critical).length === 2 && graph.critical_ms > 0);
        assert.deepEqual((await taskGraph(board.db, null, board.db.now())).run_id, runId, 'the newest run by default');

        const timeline = await runTimeline(board.db, runId);
        assert.equal(timeline.run!.status, 'completed');
        assert.deepEqual(timeline.lanes.map((l) => [l.id, l.processes.length]), [[id(1), 1], [id(2), 2], [id(3), 1]]);
        assert.equal(timeline.marks.filter((m) => m.type === 'task.attempt').length, 4);
        assert.equal(timeline.marks.filter((m) => m.type === 'merge.done').length, 3);

        const queue = await mergeQueue(board.db, runId);
        assert.deepEqual([queue.waiting.length, queue.done.map((m) => m.type)], [0, ['merge.done', 'merge.done', 'merge.done']]);

        await board.accounts.observe('codex', 'login:default', [{ name: 'primary', used: 0.5, resets_at: new Date(Date.now() + 3600_000).toISOString(), source: 'codex session file' }]);
        const spent = await costs(board.db);
        assert.deepEqual(spent.accounts.map((a) => [a.cli, a.state, a.fullest]), [['codex', 'ok', 0.5]], 'the accounts\' windows, for the costs view');
        assert.equal(spent.by_cli.command?.processes, 4);
        assert.equal(spent.points.length, 4);
        assert.deepEqual(spent.runs.map((r) => r.id), [runId]);

        const tom = (await board.agents.get('Tom')).id;
        const seen = (await agentDetail(board.db, tom))!;
        assert.deepEqual(seen.messages.map((m) => [m.from, m.to, m.content]), [[null, 'Tom', 'phase 2 is merged']]);
        const talk = await conversation(board.db);
        assert.deepEqual(talk.context.map((c) => c.key), ['api_version']);
        assert.match(talk.context[0]!.value, /v1/);
        assert.equal(talk.messages.length, 1);
      } finally {
        await board.close();
      }
    });

    test('the views\' new commands: task priority, and resume --detach finishes an escalated run in the background', async () => {
      const url = newBoardUrl(backend);
      const env = cleanEnv({ ORCHESTRATOR_DB: url });
      const project = newProject();
      const pushed = (await cli(project, ['task', 'push', 'write the docs', '--json'], env)).json as { id: string; priority: number };
      const moved = await cli(project, ['task', 'priority', pushed.id, '--priority', '0', '--json'], env);
      assert.equal(moved.code, 0, moved.stderr);
      assert.equal((moved.json as { priority: number }).priority, 0);
      const wrong = await cli(project, ['task', 'priority', pushed.id, '--priority', '9'], env);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /^error: priority must be/);

      const dir = tourProject();
      const noTerminal = await cli(dir, ['run', 'docs/master-plan.md', '--tui', ...tourAgent], env);
      assert.equal(noTerminal.code, 2);
      assert.match(noTerminal.stderr, /^error: --tui needs a terminal; --detach runs it in the background without one/);
      const lead = await cli(dir, ['leader', '--name', 'Lead', '--json'], env);
      assert.equal(lead.code, 0, lead.stderr);
      assert.deepEqual([(lead.json as { leader: { agent_name: string } }).leader.agent_name, (lead.json as { live_view: boolean }).live_view], ['Lead', false], 'without a terminal, leader takes the lead and returns');
      const stubborn = await cli(dir, ['run', 'docs/master-plan.md', '--concurrency', '2', ...tourAgent], { ...env, TOUR_STUBBORN: '1' });
      assert.equal(stubborn.code, 13, `phase 2 never passes its gate: the run needs a person\n${stubborn.stderr}`);
      const board = await openBoard(url);
      try {
        const runId = (await board.runs.latest())!.id;
        assert.ok(['escalated', 'blocked', 'failed'].includes((await board.runs.get(runId)).status));
        const events = await board.events.list({ subject: pushed.id });
        assert.deepEqual(events.items.filter((e) => e.type === 'task.reprioritized').map((e) => e.data), [{ from: 2, to: 0 }]);

        const resumed = await cli(project, ['resume', '--run', runId, '--detach', '--guidance', 'api.txt must say ready', '--json'], env);
        assert.equal(resumed.code, 0, resumed.stderr);
        const background = resumed.json as { run: { id: string; status: string }; pid: number };
        assert.equal(background.run.id, runId);
        assert.equal(background.run.status, 'running', 'it returned once the background process drove the run');
        const done = await until('the resumed run ends', async () => {
          const now = await board.runs.get(runId);
          return now.status === 'running' ? null : now;
        }, 120_000, 200);
        assert.equal(done.status, 'completed', done.phase);
        assert.equal(done.guidance, 'api.txt must say ready');
        await untilExited('the background resume', background.pid);
        const again = await cli(project, ['resume', '--run', runId, '--detach'], env);
        assert.notEqual(again.code, 0, 'a completed run is not resumed');
        assert.match(again.stderr, /^error: the run did not start/);
      } finally {
        await board.close();
      }
    });
  });
}
