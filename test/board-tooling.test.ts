// The board parts of a session's tooling and of master-plan runs, on SQLite and on PostgreSQL:
// workflows, teams, reminders (with a manual clock for expiry), learnings, session context,
// the task label filter, phase reports, the newest runs.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { fillInputs, checkDefinition } from '../src/board/workflow-definition.js';
import { BACKENDS, cleanupBackends, manualClock, newBoardUrl, openBoard, rejectsWith } from './support/backends.js';

after(cleanupBackends);


for (const backend of BACKENDS) {
  describe(`session tooling on ${backend}`, () => {
    test('workflows: a definition checked and filled, templates upserted, manual advance guarded, automatic step states, pages', async () => {
      const board = await openBoard(newBoardUrl(backend));
      const definition = checkDefinition({ name: 'pair', description: 'two steps', inputs: [{ name: 'x', required: true }], steps: [{ title: 'A {{x}}', instructions: 'do {{x}}' }, { title: 'B', instructions: 'then', depends_on: ['s1'] }] });
      await board.workflows.defineTemplate(definition, null);
      await board.workflows.defineTemplate({ ...definition, description: 'two steps, again' }, null);
      assert.deepEqual((await board.workflows.templates()).map((t) => [t.definition.name, t.definition.description]), [['pair', 'two steps, again']]);
      await rejectsWith(board.workflows.defineTemplate({ name: 'Bad Name', description: 'd', steps: [] }, null), 'invalid_input', /name: use lower-case/);
      const filled = fillInputs(definition, { x: 'it' });
      const manual = await board.workflows.start({ name: 'pair', template: 'pair', steps: filled.steps, inputs: filled.inputs, mode: 'manual' }, null);
      assert.deepEqual(manual.steps.map((s) => [s.id, s.status, s.title]), [['s1', 'active', 'A it'], ['s2', 'pending', 'B']]);
      const next = await board.workflows.advance(manual.id, { notes: 'n1', outputs: { k: 1 } }, null);
      assert.equal(next.current_step!.id, 's2');
      const done = await board.workflows.advance(manual.id, {}, null);
      assert.deepEqual([done.status, done.progress, done.ended_at !== null], ['completed', { done: 2, total: 2 }, true]);
      await rejectsWith(board.workflows.advance(manual.id, {}, null), 'conflict', /is completed/);

      const auto = await board.workflows.start({ name: 'pair', template: null, steps: filled.steps, inputs: {}, mode: 'auto' }, null);
      assert.equal(auto.current_step, null, 'an automatic workflow waits for its run');
      await rejectsWith(board.workflows.advance(auto.id, {}, null), 'conflict', /runs by itself/);
      await board.workflows.setStep(auto.id, 's1', 'active');
      await board.workflows.setStep(auto.id, 's1', 'done', 'answer');
      await board.workflows.setStep(auto.id, 's2', 'failed', 'why');
      await board.workflows.finish(auto.id, 'failed', 'run-1');
      let state = await board.workflows.get(auto.id);
      assert.deepEqual([state.status, state.run_id, state.steps.map((s) => [s.status, s.notes])], ['failed', 'run-1', [['done', 'answer'], ['failed', 'why']]]);
      await board.workflows.setStep(auto.id, 's2', 'pending');
      await board.workflows.reopen(auto.id);
      state = await board.workflows.get(auto.id);
      assert.deepEqual([state.status, state.ended_at, state.steps[1]!.status], ['active', null, 'pending']);
      await rejectsWith(board.workflows.setStep(auto.id, 'nope', 'done'), 'not_found');
      const page = await board.workflows.list({ limit: 1 });
      assert.equal((await board.workflows.list({ limit: 1, cursor: page.next_cursor! })).items[0]!.id, auto.id);
      assert.deepEqual((await board.workflows.list({ status: 'completed' })).items.map((w) => w.id), [manual.id]);
    });

    test('teams: create, one active name, members with their tasks, progress by label, dissolve releases, workers up and down', async () => {
      const board = await openBoard(newBoardUrl(backend));
      const team = await board.teams.create({ name: 'lamp', goal: 'ship', roles: [{ role: 'developer', count: 2 }, { role: 'tester', agent: 'codex' }] }, null);
      assert.deepEqual(team.roles, [{ role: 'implementer', count: 2, agent: 'claude' }, { role: 'tester', count: 1, agent: 'codex' }]);
      await rejectsWith(board.teams.create({ name: 'lamp', goal: 'again', roles: [{ role: 'tester' }] }, null), 'conflict', /is active/);
      await rejectsWith(board.teams.create({ name: 'x', goal: 'g', roles: [{ role: 'tester', count: 0 }] }, null), 'invalid_input', /count must be/);
      const ann = await board.agents.register({ name: 'ann', role: 'implementer' });
      await board.teams.join('lamp', ann.id, 'implementer', null);
      const labelled = await board.tasks.push({ title: 'wire', role: 'implementer', labels: ['team:lamp'] }, null);
      await board.tasks.push({ title: 'other', labels: ['team:lampshade'] }, null);
      await board.tasks.push({ title: 'done one', labels: ['x', 'team:lamp'] }, null);
      assert.deepEqual((await board.tasks.list({ label: 'team:lamp' })).items.map((t) => t.title), ['wire', 'done one'], 'the label filter matches whole labels');
      await board.tasks.claim(ann.id, { task_id: labelled.id });
      await board.agents.heartbeat(ann.id, { current_task: labelled.id });
      let status = await board.teams.status('lamp');
      assert.deepEqual(status.members.map((m) => [m.name, m.status, m.current_task?.title]), [['ann', 'online', 'wire']]);
      assert.deepEqual(status.progress, { completed: 0, total: 2, by_status: { in_progress: 1, pending: 1 } });
      const up = await board.teams.setWorkers('lamp', '123:456');
      assert.equal(up.workers, '123:456');
      assert.ok((await board.teams.requestDown('lamp', null)).down_requested_at);
      assert.equal((await board.teams.setWorkers('lamp', null)).workers, null);
      const dissolved = await board.teams.dissolve('lamp', null);
      assert.deepEqual([dissolved.team.status, dissolved.unregistered], ['dissolved', [ann.id]]);
      assert.equal((await board.tasks.get(labelled.id)).status, 'pending', 'the task ann held is back in the queue');
      status = await board.teams.status(team.id);
      assert.equal(status.online, 0);
      const again = await board.teams.create({ name: 'lamp', goal: 'ship v2', roles: [{ role: 'tester' }] }, null);
      assert.equal((await board.teams.get('lamp')).id, again.id, 'a name finds the active team first');
      assert.deepEqual((await board.teams.list({ all: true })).items.map((t) => t.status), ['dissolved', 'active']);
      const role = await board.agents.setRole(ann.id, 'reviewer', null);
      assert.equal(role.role, 'reviewer');
    });

    test('reminders: triggers, whole words, once, expiry on the clock, dismiss', async () => {
      const clock = manualClock();
      const board = await openBoard(newBoardUrl(backend), { now: clock.now });
      await board.reminders.set({ text: 'migrations', trigger: 'keyword', words: ['migrate'] }, null);
      const soon = await board.reminders.set({ text: 'soon gone', trigger: 'always', expires_in_s: 60 }, null);
      await board.reminders.set({ text: 'start', trigger: 'event', event: 'SessionStart', once: true }, null);
      assert.deepEqual((await board.reminders.match({ context: 'Migrate!', event: 'sessionstart', always: false })).map((r) => r.text), ['migrations', 'start']);
      clock.advance(61_000);
      assert.deepEqual((await board.reminders.list()).items.map((r) => r.text), ['migrations', 'start']);
      assert.equal((await board.reminders.list({ all: true })).items.length, 3);
      const fired = await board.reminders.match({ context: 'no keyword here', event: 'SessionStart', fire: true });
      assert.deepEqual(fired.map((r) => [r.text, r.fired_count, r.dismissed_at !== null]), [['start', 1, true]]);
      assert.deepEqual((await board.reminders.match({ event: 'SessionStart' })).map((r) => r.text), []);
      await rejectsWith(board.reminders.dismiss(soon.id + 'x', null), 'not_found');
      await rejectsWith(board.reminders.set({ text: 'x', trigger: 'always', words: ['w'] }, null), 'invalid_input', /words belong to keyword reminders/);
    });

    test('learnings and session context', async () => {
      const board = await openBoard(newBoardUrl(backend));
      await board.learnings.note({ skill: 'deploy', kind: 'gotcha', text: ' VPN first ', source: 's1' }, 'ann');
      await board.learnings.note({ skill: 'other', kind: 'tip', text: 'x' }, null);
      assert.deepEqual((await board.learnings.all('deploy')).map((l) => [l.kind, l.text, l.source, l.created_by]), [['gotcha', 'VPN first', 's1', 'ann']]);
      assert.equal((await board.learnings.list()).items.length, 2);
      await rejectsWith(board.learnings.note({ skill: 'deploy', kind: 'rumour' as never, text: 'x' }, null), 'invalid_input', /kind must be one of pattern, gotcha, tip/);

      const scope = { project: '/p', session: 'ann' };
      await board.sessionContext.set(scope, 'k', 'v1');
      const second = await board.sessionContext.set(scope, 'k', 'v2', { expected_version: 1 });
      assert.equal(second.version, 2);
      await rejectsWith(board.sessionContext.set(scope, 'k', 'v3', { expected_version: 1 }), 'conflict', /at version 2/);
      await rejectsWith(board.sessionContext.set(scope, 'k', 'v3', { expected_version: 0 }), 'conflict');
      await board.sessionContext.set({ project: '/q', session: 'ann' }, 'k', 'elsewhere');
      assert.equal((await board.sessionContext.get(scope, 'k'))!.value, 'v2');
      assert.deepEqual((await board.sessionContext.list({ project: '/q', session: 'ann' })).items.map((e) => e.value), ['elsewhere']);
      assert.deepEqual(await board.sessionContext.clear(scope), { cleared: 1 });
      assert.equal(await board.sessionContext.get(scope, 'k'), null);
      await rejectsWith(board.sessionContext.clear(scope, 'k'), 'not_found');
    });

    test('runs: phase reports after a mark, the newest runs first', async () => {
      const board = await openBoard(newBoardUrl(backend));
      const run = await board.runs.create({ kind: 'plan', title: 'P', project: '/p', branch: 'b', base: 'c', options: {}, supervisor: 's' });
      await board.runs.reportPhase(run.id, { phase: '1', status: 'blocked', reason: 'no key', by: null });
      const mark = await board.events.latestId();
      await board.runs.reportPhase(run.id, { phase: '1', status: 'completed', reason: null, by: 'ann' });
      await board.runs.reportPhase(run.id, { phase: '2', status: 'completed', reason: null, by: null });
      assert.deepEqual((await board.runs.phaseReports(run.id, '1', 0)).map((r) => r.status), ['blocked', 'completed']);
      assert.deepEqual((await board.runs.phaseReports(run.id, '1', mark)).map((r) => [r.status, r.by]), [['completed', 'ann']]);
      const second = await board.runs.create({ kind: 'feature', title: 'F', project: '/p', branch: 'b2', base: 'c', options: {}, supervisor: 's' });
      assert.deepEqual((await board.runs.recent(5)).map((r) => r.id), [second.id, run.id]);
      await board.runs.update(run.id, { status: 'blocked' });
      assert.ok((await board.runs.get(run.id)).ended_at, 'blocked is an end');
    });
  });
}
