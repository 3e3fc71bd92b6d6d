// Board size (issue 19): the same operations on a small board and on a large one, side by side —
// a claim, `orchestrate task list --json`, `orchestrate status`, `orchestrate status --run <id>` and
// `orchestrate ps --json`. The large board has 100 000 tasks, 1 000 000 events, 100 000 processes and
// 1 000 runs, as a board looks after months of nights; the small one a hundredth of that. Both are
// filled with one INSERT … SELECT per table (the board's own schema and migrations), then 200
// pending tasks wait for the claims. Prints one JSON line: per size, the median ms of each operation.
// Usage: node bench/board-size.mjs <sqlite folder | postgres:// URL> [scale=1]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;
const { openDb } = await import(dist('store/open.js'));
const { Board } = await import(dist('board/board.js'));

const target = process.argv[2] || mkdtempSync(join(tmpdir(), 'orchestrator-bench-size-'));
const scale = Number(process.argv[3] ?? 1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORCHESTRATOR_')));

function location(name) {
  if (!target.startsWith('postgres')) return join(target, `${name}.db`);
  const url = new URL(target);
  url.searchParams.set('schema', `size_${name}_${Date.now()}`);
  return url.toString();
}

/** A series of n rows (i = 1..n) to select from, in the board's dialect. */
const series = (dialect, n) => (dialect === 'sqlite' ? `(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n}) SELECT i FROM s)` : `(SELECT generate_series(1, ${n}) AS i)`);

async function fill(db, { tasks, events, processes, runs }) {
  const now = Date.now();
  const d = db.dialect;
  const text = (expr) => expr;
  await db.exec(`INSERT INTO runs (id, kind, title, status, phase, cycle, project, branch, base, options, plan_version, supervisor, cost_usd, created_at, updated_at, ended_at)
    SELECT ${text("'run-' || i")}, 'feature', ${text("'run ' || i")}, 'completed', 'done', 1, '/p', ${text("'orchestrate/r' || i")}, 'abc', '{}', 1, NULL, 0.5, ${now} - i * 1000, ${now} - i * 1000, ${now} - i * 1000 FROM ${series(d, runs)} s`);
  await db.exec(`INSERT INTO tasks (id, title, description, status, priority, depends_on, run_id, labels, metadata, max_retries, created_at, updated_at, finished_at, result)
    SELECT ${text("'t-' || i")}, ${text("'task ' || i")}, 'done long ago', 'completed', 5, '[]', ${text(`'run-' || (i % ${runs} + 1)`)}, '[]', '{}', 2, ${now} - i, ${now} - i, ${now} - i, 'ok' FROM ${series(d, tasks)} s`);
  await db.exec(`INSERT INTO processes (id, kind, argv, cwd, state, priority, task_id, attempt, host, supervisor, outcome, log_path, queued_at, started_at, ended_at)
    SELECT ${text("'p-' || i")}, 'claude', '["claude","-p"]', '/p', 'exited', 5, ${text("'t-' || i")}, 1, 'old-host', '1:1', 'ok', '/p/log', ${now} - i * 10, ${now} - i * 10, ${now} - i * 10 + 5 FROM ${series(d, processes)} s`);
  await db.exec(`INSERT INTO events (at, type, subject, actor, data)
    SELECT ${now} - i, CASE i % 4 WHEN 0 THEN 'task.claimed' WHEN 1 THEN 'task.completed' WHEN 2 THEN 'task.attempt' ELSE 'merge.done' END, ${text(`'t-' || (i % ${tasks} + 1)`)}, 'engine', '{}' FROM ${series(d, events)} s`);
  await db.refreshStatistics(['runs', 'tasks', 'processes', 'events']);
  // As a board that has lived: PostgreSQL's autovacuum has been through the bulk load, and its
  // checkpoint has written it out (neither is running during the measurement).
  if (d === 'postgres') {
    for (const table of ['runs', 'tasks', 'processes', 'events']) await db.exec(`VACUUM ANALYZE ${table}`);
    await db.exec('CHECKPOINT').catch(() => undefined); // a superuser's right only
  }
}

function cli(args, env) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`orchestrate ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

async function measure(name, size) {
  const where = location(name);
  const db = await openDb(where);
  const board = new Board(db);
  await fill(db, size);
  // The run a person looks at: 100 of its tasks, some done, a few pending (the claims take others).
  const run = await board.runs.create({ kind: 'feature', title: 'tonight', project: '/p', branch: 'orchestrate/tonight', base: 'abc', options: {}, supervisor: '1:1' });
  await board.tasks.pushMany(Array.from({ length: 100 }, (_, i) => ({ id: `${run.id}.t${i}`, title: `part ${i}`, run_id: run.id, assignee: 'nobody' })), null);
  await board.tasks.pushMany(Array.from({ length: 200 }, (_, i) => ({ id: `open-${i}`, title: `open ${i}` })), null);
  const agent = await board.agents.register({ name: 'bench', lease_ttl_ms: 600_000 });
  const claims = [];
  for (let i = 0; i < 100; i++) {
    const start = performance.now();
    if (!(await board.tasks.claim(agent.id))) throw new Error('nothing to claim');
    claims.push(performance.now() - start);
  }
  await db.close();
  const env = { ...baseEnv, ORCHESTRATOR_DB: where };
  const ops = { 'task list --json': ['task', 'list', '--json'], status: ['status'], 'status --run': ['status', '--run', run.id], 'ps --json': ['ps', '--json'] };
  const times = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  await cli(['status'], env); // warms the file cache
  for (let round = 0; round < 7; round++) for (const [k, args] of Object.entries(ops)) times[k].push(await cli(args, env));
  return { ...size, claimMs: median(claims), ...Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)])) };
}

try {
  const small = await measure('small', { tasks: 1000 * scale, events: 10_000 * scale, processes: 1000 * scale, runs: 10 * scale });
  const large = await measure('large', { tasks: 100_000 * scale, events: 1_000_000 * scale, processes: 100_000 * scale, runs: 1000 * scale });
  process.stdout.write(JSON.stringify({ small, large }));
} finally {
  if (!process.argv[2]) rmSync(target, { recursive: true, force: true });
}
