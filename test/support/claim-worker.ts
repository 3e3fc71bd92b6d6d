// A worker process for the concurrency tests: registers as an agent, claims tasks until none is
// left (or holds a few and waits to be killed), and reports the ids it claimed.
//   claim-worker.ts <db-url> <name> drain        → claims until null, prints ids one a line
//   claim-worker.ts <db-url> <name> hold <n> <ttl-ms> → claims n tasks, prints "ready", waits forever
//   claim-worker.ts <db-url> <name> push               → pushes batches of 50 chained tasks until killed
import { Board } from '../../src/board/board.js';
import { openDb } from '../../src/store/open.js';

const [url, name, mode, count, ttl] = process.argv.slice(2);
const board = new Board(await openDb(url!, { busyTimeoutMs: 60_000 }));
await board.agents.register({ name: name!, lease_ttl_ms: mode === 'hold' ? Number(ttl) : 600_000 });

if (mode === 'drain') {
  const ids: string[] = [];
  for (;;) {
    const task = await board.tasks.claim(name!);
    if (!task) break;
    ids.push(task.id);
  }
  await board.close();
  // A large report through a pipe: let stdout drain before the process ends.
  await new Promise<void>((resolve) => process.stdout.write(`${ids.join('\n')}\n`, () => resolve()));
} else if (mode === 'push') {
  for (let batch = 0; ; batch++) {
    await board.tasks.pushMany(Array.from({ length: 50 }, (_, i) => ({
      id: `b${batch}-t${i}`,
      title: `batch ${batch} task ${i}`,
      depends_on: i === 0 ? [] : [`b${batch}-t${i - 1}`],
    })));
    await board.context.set('batches', String(batch + 1));
    if (batch === 2) process.stdout.write('ready\n');
  }
} else {
  for (let i = 0; i < Number(count); i++) await board.tasks.claim(name!);
  process.stdout.write('ready\n');
  setInterval(() => undefined, 1 << 30);
}
