// The scheduler on random DAGs (50–500 tasks, durations drawn uniformly from 1–100), run in
// virtual time by a simulated agent that takes exactly its duration (src/engine/simulate.ts):
// makespan against the lower bound max(critical path, total work / concurrency), beside the same
// DAGs in cycle-synchronous waves and strictly one after another. Prints one JSON line.
import { lowerBound, simulate, simulateWaves } from '../dist/engine/simulate.js';

let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

/** Each task depends on up to 3 of the 30 tasks before it: wide, with chains. */
function randomDag(n) {
  return Array.from({ length: n }, (_, i) => {
    const deps = new Set();
    const count = i === 0 ? 0 : Math.floor(random() * 4);
    for (let k = 0; k < count; k++) deps.add(`t${Math.max(0, i - 1 - Math.floor(random() * Math.min(i, 30)))}`);
    return { id: `t${i}`, depends_on: [...deps], files: [], duration: 1 + Math.floor(random() * 100) };
  });
}

const concurrency = Number(process.argv[2] ?? 4);
const rows = { known: [], unit: [], waves: [], serial: [] };
for (const n of [50, 100, 200, 500]) {
  for (let k = 0; k < 5; k++) {
    const tasks = randomDag(n);
    const bound = lowerBound(tasks, concurrency);
    rows.known.push(simulate(tasks.map((t) => ({ ...t, estimate: t.duration })), concurrency).makespan / bound);
    rows.unit.push(simulate(tasks, concurrency).makespan / bound);
    rows.waves.push(simulateWaves(tasks, concurrency) / bound);
    rows.serial.push(tasks.reduce((sum, t) => sum + t.duration, 0) / bound);
  }
}
const summary = Object.fromEntries(Object.entries(rows).map(([name, xs]) => [name, { mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs) }]));
process.stdout.write(JSON.stringify({ concurrency, dags: rows.known.length, ...summary }));
