// Property tests: the task state machine against a simple model. Random sequences of pushes,
// claims, moves and lease expiries run on a real board (a SQLite file) and on a model written
// here from the rules alone; after every step both must agree on every task.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { isOrchestratorError } from '../src/core/errors.js';
import type { Board } from '../src/board/board.js';
import { transition, TASK_STATUSES, TRANSITIONS, type TaskMove, type TaskStatus } from '../src/board/task-states.js';
import { cleanupBackends, manualClock, newBoardUrl, openBoard } from './support/backends.js';

after(cleanupBackends);

type Status = TaskStatus;
interface ModelTask { id: string; priority: number; deps: string[]; status: Status; retries: number; max: number; holder: string | null }
interface Model { tasks: ModelTask[]; agents: string[] }
interface Real { board: Board; ids: Map<string, string>; advance: (ms: number) => void }

// The rules, restated for the model: which states each move starts from.
const FROM: Record<string, Status[]> = {
  start: ['claimed'],
  complete: ['claimed', 'in_progress'],
  block: ['claimed', 'in_progress'],
  fail: ['claimed', 'in_progress'],
  unblock: ['blocked'],
  retry: ['failed', 'blocked'],
  cancel: ['pending', 'claimed', 'in_progress', 'blocked', 'failed'],
};
const TO: Record<string, Status> = { start: 'in_progress', complete: 'completed', block: 'blocked', fail: 'failed', unblock: 'pending', retry: 'pending', cancel: 'cancelled' };
const HOLDER_MOVES = new Set(['start', 'complete', 'block', 'fail']);

async function outcome(run: () => Promise<unknown>): Promise<'ok' | 'conflict'> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (isOrchestratorError(error, 'conflict')) return 'conflict';
    throw error;
  }
}

class Push implements fc.AsyncCommand<Model, Real> {
  constructor(readonly priority: number, readonly depPicks: number[], readonly max: number) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const id = `t${model.tasks.length}`;
    const deps = [...new Set(this.depPicks.filter((i) => i < model.tasks.length).map((i) => `t${i}`))];
    const task = await real.board.tasks.push({ title: id, priority: this.priority, depends_on: deps.map((d) => real.ids.get(d)!), max_retries: this.max });
    real.ids.set(id, task.id);
    model.tasks.push({ id, priority: this.priority, deps, status: 'pending', retries: 0, max: this.max, holder: null });
  }
  toString = () => `push(p${this.priority}, deps ${this.depPicks}, max ${this.max})`;
}

class Claim implements fc.AsyncCommand<Model, Real> {
  constructor(readonly agent: string) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const done = (id: string) => model.tasks.find((t) => t.id === id)!.status === 'completed';
    const expected = model.tasks
      .filter((t) => t.status === 'pending' && t.deps.every(done))
      .sort((a, b) => a.priority - b.priority || Number(a.id.slice(1)) - Number(b.id.slice(1)))[0];
    const got = await real.board.tasks.claim(this.agent);
    assert.equal(got?.title ?? null, expected?.id ?? null, 'claim picks the best claimable task');
    if (expected) Object.assign(expected, { status: 'claimed', holder: this.agent });
  }
  toString = () => `claim(${this.agent})`;
}

class Move implements fc.AsyncCommand<Model, Real> {
  constructor(readonly move: keyof typeof FROM, readonly pick: number, readonly agent: string | null) {}
  check = (model: Readonly<Model>) => model.tasks.length > 0;
  async run(model: Model, real: Real) {
    const task = model.tasks[this.pick % model.tasks.length]!;
    const id = real.ids.get(task.id)!;
    const tasks = real.board.tasks;
    const actor = this.agent;
    const act: Record<string, () => Promise<unknown>> = {
      start: () => tasks.start(id, actor), complete: () => tasks.complete(id, actor, 'r'), block: () => tasks.block(id, actor, 'why'),
      fail: () => tasks.fail(id, actor, 'why'), unblock: () => tasks.unblock(id, actor), retry: () => tasks.retry(id, actor), cancel: () => tasks.cancel(id, actor),
    };
    const wrongHolder = HOLDER_MOVES.has(this.move) && actor !== null && task.holder !== null && task.holder !== actor
      && (task.status === 'claimed' || task.status === 'in_progress');
    const retriesLeft = this.move !== 'retry' || task.retries < task.max;
    const allowed = FROM[this.move]!.includes(task.status) && !wrongHolder && retriesLeft;
    assert.equal(await outcome(act[this.move]!), allowed ? 'ok' : 'conflict', `${this.move} on a ${task.status} task`);
    if (!allowed) return;
    task.status = TO[this.move]!;
    if (this.move === 'retry') task.retries++;
  }
  toString = () => `${this.move}(#${this.pick}, ${this.agent ?? 'operator'})`;
}

class Expire implements fc.AsyncCommand<Model, Real> {
  constructor(readonly agent: string) {}
  check = () => true;
  async run(model: Model, real: Real) {
    // Two steps of 600 ms with the others' heartbeats between: only this agent's lease (1 s) ends.
    const keep = model.agents.filter((a) => a !== this.agent);
    for (let step = 0; step < 2; step++) {
      for (const other of keep) await real.board.agents.heartbeat(other);
      real.advance(600);
    }
    for (const other of keep) await real.board.agents.heartbeat(other);
    await real.board.sweep(true);
    await real.board.agents.register({ name: this.agent, lease_ttl_ms: 1000 });
    for (const task of model.tasks) {
      if (task.holder === this.agent && (task.status === 'claimed' || task.status === 'in_progress')) {
        task.retries++;
        task.status = task.retries > task.max ? 'failed' : 'pending';
      }
    }
  }
  toString = () => `expire(${this.agent})`;
}

async function compare(model: Model, real: Real): Promise<void> {
  const page = await real.board.tasks.list({ limit: 1000 });
  const byTitle = new Map(page.items.map((t) => [t.title, t]));
  for (const task of model.tasks) {
    const actual = byTitle.get(task.id)!;
    assert.equal(actual.status, task.status, `status of ${task.id}`);
    assert.equal(actual.retry_count, task.retries, `retries of ${task.id}`);
  }
}

test('the task state machine on a real board agrees with a simple model', async () => {
  const agents = ['A', 'B'];
  const moves = Object.keys(FROM) as (keyof typeof FROM)[];
  const commands = fc.commands([
    fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(fc.nat(12), { maxLength: 2 }), fc.integer({ min: 0, max: 2 })).map(([p, d, m]) => new Push(p, d, m)),
    fc.constantFrom(...agents).map((a) => new Claim(a)),
    fc.tuple(fc.constantFrom(...moves), fc.nat(20), fc.constantFrom<string | null>('A', 'B', null)).map(([m, i, a]) => new Move(m, i, a)),
    fc.constantFrom(...agents).map((a) => new Expire(a)),
  ], { maxCommands: 40 });
  await fc.assert(
    fc.asyncProperty(commands, async (cmds) => {
      const clock = manualClock();
      const board = await openBoard(newBoardUrl('sqlite'), { now: clock.now, leaseTtlMs: 1000 });
      try {
        for (const agent of agents) await board.agents.register({ name: agent });
        const real: Real = { board, ids: new Map(), advance: clock.advance };
        const model: Model = { tasks: [], agents };
        for (const command of cmds) {
          if (!command.check(model)) continue;
          await command.run(model, real);
          await compare(model, real);
        }
      } finally {
        await board.close();
      }
    }),
    { numRuns: 60 },
  );
});

test('transition() allows exactly the moves in the table, from every state', () => {
  const moves = Object.keys(TRANSITIONS) as TaskMove[];
  fc.assert(
    fc.property(fc.constantFrom(...TASK_STATUSES), fc.constantFrom(...moves), fc.nat(5), fc.nat(5), (status, move, retries, max) => {
      const allowed = TRANSITIONS[move].from.includes(status) && !(move === 'retry' && retries >= max);
      let result;
      try {
        result = transition({ status, retry_count: retries, max_retries: max }, move);
      } catch (error) {
        assert.ok(isOrchestratorError(error, 'conflict'));
        assert.equal(allowed, false, `${move} from ${status} was refused`);
        return;
      }
      assert.equal(allowed, true, `${move} from ${status} was allowed`);
      if (move === 'release') {
        assert.equal(result.retry_count, retries + 1);
        assert.equal(result.status, retries + 1 > max ? 'failed' : 'pending');
      } else {
        assert.equal(result.status, TRANSITIONS[move].to);
        assert.equal(result.retry_count, move === 'retry' ? retries + 1 : retries);
      }
    }),
  );
});
