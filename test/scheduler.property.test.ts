// The scheduler on random DAGs, run in virtual time: dependencies respected, the concurrency
// never exceeded, tasks that expect to touch the same file never at once, every task run once,
// and a failure blocks exactly what depends on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Schedule, overlaps } from '../src/engine/scheduler.js';
import { lowerBound, simulate, type SimulatedTask } from '../src/engine/simulate.js';

const FILES = ['src/a.ts', 'src/b.ts', 'src', 'docs/readme.md', 'test/a.test.ts', 'package.json'];

/** A random DAG: each task may depend on earlier ones, so it has no cycle. */
const dag = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc.record({
        deps: fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : Math.min(i, 4) }),
        files: fc.uniqueArray(fc.constantFrom(...FILES), { maxLength: 2 }),
        duration: fc.integer({ min: 1, max: 50 }),
      }),
    ),
  ).map((specs): SimulatedTask[] => specs.map((spec, i) => ({ id: `t${i}`, depends_on: spec.deps.map((d) => `t${d}`), files: spec.files, duration: spec.duration }))),
);

test('random DAGs: dependencies first, at most `concurrency` at once, no overlapping files at once, each task once', () => {
  fc.assert(
    fc.property(dag, fc.integer({ min: 1, max: 6 }), (tasks, concurrency) => {
      const byId = new Map(tasks.map((task) => [task.id, task]));
      const ended = new Map<string, number>();
      const { spans, makespan } = simulate(tasks, concurrency, {
        check(id, now, running) {
          assert.ok(running.size < concurrency, 'a free slot');
          for (const dep of byId.get(id)!.depends_on) assert.ok((ended.get(dep) ?? Infinity) <= now, `${id} starts after ${dep} ends`);
          for (const other of running) {
            assert.ok(!byId.get(id)!.files.some((f) => byId.get(other)!.files.some((g) => overlaps(f, g))), `${id} and ${other} share a file`);
          }
          ended.set(id, now + byId.get(id)!.duration);
        },
      });
      assert.equal(spans.size, tasks.length, 'every task ran, once');
      assert.ok(makespan >= lowerBound(tasks, concurrency) - 1e-9);
    }),
    { numRuns: 300 },
  );
});

test('a failed task blocks exactly its dependants, transitively; the rest still run', () => {
  fc.assert(
    fc.property(dag, fc.integer({ min: 1, max: 4 }), fc.nat(), (tasks, concurrency, pick) => {
      const failing = tasks[pick % tasks.length]!.id;
      const { spans } = simulate(tasks, concurrency, { fails: new Set([failing]) });
      const downstream = new Set<string>();
      for (const task of tasks) if (task.depends_on.some((dep) => dep === failing || downstream.has(dep))) downstream.add(task.id);
      for (const task of tasks) assert.equal(spans.has(task.id), !downstream.has(task.id), `${task.id} ran: ${spans.has(task.id)}`);
    }),
    { numRuns: 200 },
  );
});

test('the critical path goes first; unknown and duplicate ids and cycles are refused with what is wrong', () => {
  const schedule = new Schedule(
    [
      { id: 'short', depends_on: [], files: [] },
      { id: 'long1', depends_on: [], files: [] },
      { id: 'long2', depends_on: ['long1'], files: [] },
      { id: 'long3', depends_on: ['long2'], files: [] },
    ],
    1,
  );
  assert.deepEqual(schedule.next({ done: new Set(), running: new Set(), failed: new Set() }), ['long1']);
  assert.throws(() => new Schedule([{ id: 'a', depends_on: ['ghost'], files: [] }], 2), /'a' depends on 'ghost', which is not in the plan/);
  assert.throws(() => new Schedule([{ id: 'a', depends_on: [], files: [] }, { id: 'a', depends_on: [], files: [] }], 2), /'a' appears twice/);
  assert.throws(
    () => new Schedule([{ id: 'a', depends_on: ['c'], files: [] }, { id: 'b', depends_on: ['a'], files: [] }, { id: 'c', depends_on: ['b'], files: [] }], 2),
    /cycle: a → c → b → a/,
  );
  assert.equal(overlaps('src', 'src/a.ts'), true);
  assert.equal(overlaps('./src/a.ts', 'src/a.ts'), true);
  assert.equal(overlaps('src/a.ts', 'src/ab.ts'), false);
});
