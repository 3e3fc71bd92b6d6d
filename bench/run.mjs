// npm run bench: every figure beside its limit, measured side by side in one run on this machine.
//   claims/s on SQLite (1 and 4 processes) against a bare better-sqlite3 claim loop on the same file
//   claims/s on PostgreSQL (4 connections) against a bare FOR UPDATE SKIP LOCKED loop
//   `orchestrate task list --json` start-to-exit against `node -e 0`
//   cross-process wake-up latency (push in one process → wait returns in another), p50/p99
//   presence (bench/presence.mjs): lease renewals per minute of 50 connected MCP sessions
//   MCP list_tasks against ping over stdio
//   the scheduler (bench/scheduler.mjs): makespan of random DAGs against the lower bound
//   the runner (bench/runner.ts): dispatch → first byte against a bare spawn, a supervised Claude
//   Code run against the bare command line, the supervisor's RSS with 50 agents running
//   the web view (bench/web.ts): snapshot of 10 000 tasks, push → row on the stream, idle CPU and RSS
//   board size (bench/board-size.mjs): claim, task list, status, status --run, ps on 100k tasks and 1M events against 1k and 10k
//   the engine's own cost per task (bench/engine.mjs) as the plan grows, against the bare git commands
//   a whole feature run (bench/feature.ts): the tests' 3-task run, wall time minus the time agents ran
//   a simulated night (bench/night.mjs): routing across Claude and Codex by headroom against Claude alone
//   work orders (bench/remote.mjs): a phase through a worker against one run here; makespan on 1–3
//   workers against the ideal; queued → agent started
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/support/postgres-server.mjs';

const dist = (path) => new URL(`../dist/${path}`, import.meta.url).pathname;
const WORKER = new URL('./worker.mjs', import.meta.url).pathname;
const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'orchestrator-bench-'));
const rows = [];

function runWorker(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${args[0]} exited ${code}`))));
  });
}

/** Runs n workers at once; claims/s is all claims over the wall time from the first start to the last end. */
async function claimRate(kind, url, processes) {
  await runWorker([`${kind}-setup`, url, String(TASKS)]);
  const startAt = Date.now() + 300;
  const results = await Promise.all(Array.from({ length: processes }, (_, i) => runWorker([`${kind}-claim`, url, String(startAt), `w${i}`])));
  const claimed = results.reduce((sum, r) => sum + r.claimed, 0);
  if (claimed !== TASKS) throw new Error(`${kind}: ${claimed} claims for ${TASKS} tasks`);
  const start = Math.min(...results.map((r) => r.start));
  const end = Math.max(...results.map((r) => r.end));
  return claimed / ((end - start) / 1000);
}

function report(name, value, unit, limit) {
  rows.push({ name, value, unit, limit });
  console.log(`${name.padEnd(66)} ${value.padStart(20)} ${unit.padEnd(8)} ${limit}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Bare and board alternate for ROUNDS rounds on fresh boards; the median of each is reported. */
async function compareClaims(kind, newUrl, processes) {
  const bare = [];
  const board = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await claimRate(`${kind}-bare`, newUrl(`bare${round}`), processes));
    board.push(await claimRate(`${kind}-board`, newUrl(`board${round}`), processes));
  }
  const ratios = board.map((b, i) => b / bare[i]);
  return { bare: median(bare), board: median(board), ratio: median(ratios), spread: `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}` };
}

console.log(`claude-orchestrator bench — ${TASKS} tasks, median of ${ROUNDS} rounds, node ${process.version}, ${new Date().toISOString()}\n`);

// SQLite claims, 1 and 4 processes.
for (const processes of [1, 4]) {
  const c = await compareClaims('sqlite', (name) => join(dir, `${name}-${processes}.db`), processes);
  report(`SQLite claims/s, ${processes} process${processes > 1 ? 'es' : ''}: board ${c.board.toFixed(0)} vs bare ${c.bare.toFixed(0)}`, `${c.ratio.toFixed(2)}× (${c.spread})`, 'of bare', 'target ≥ 0.5×');
}

// PostgreSQL claims, 4 connections.
let server;
let pgUrl = process.env.PG_URL;
if (!pgUrl) {
  server = await startPostgres();
  pgUrl = server.url;
}
const schemaUrl = (name) => {
  const url = new URL(pgUrl);
  url.searchParams.set('schema', `${name}_${Date.now()}`);
  return url.toString();
};
try {
  const c = await compareClaims('pg', (name) => schemaUrl(`bench_${name}`), 4);
  report(`PostgreSQL claims/s, 4 connections: board ${c.board.toFixed(0)} vs bare ${c.bare.toFixed(0)}`, `${c.ratio.toFixed(2)}× (${c.spread})`, 'of bare', 'target ≥ 0.7×');

  // CLI start-to-exit.
  const project = mkdtempSync(join(dir, 'project-'));
  const cliArgs = [dist('cli/main.js'), 'task', 'list', '--json', '--project', project];
  await runTimed(cliArgs, 3); // creates the board, warms the file cache
  const node = [];
  const cli = [];
  for (let i = 0; i < 20; i++) {
    node.push(await runTimed(['-e', '0'], 1));
    cli.push(await runTimed(cliArgs, 1));
  }
  report(`orchestrate task list --json: ${median(cli).toFixed(1)} ms vs node -e 0: ${median(node).toFixed(1)} ms`, `${(median(cli) / median(node)).toFixed(2)}×`, 'of node', 'target ≤ 2.5×');

  // Wake-up latency across processes.
  for (const [name, url, limit] of [['SQLite', join(dir, 'wake.db'), 'target p99 ≤ 50 ms'], ['PostgreSQL', schemaUrl('bench_wake'), 'target p99 ≤ 10 ms']]) {
    const latencies = await runWorker(['wake-measure', url, '200']);
    latencies.sort((a, b) => a - b);
    const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    report(`${name} wake-up, push committed → msg wait returns elsewhere`, `p50 ${p(0.5).toFixed(1)} p99 ${p(0.99).toFixed(1)}`, 'ms', limit);
  }
  // Presence: the lease renewals of 50 connected stdio sessions.
  const presence = await runScript([new URL('./presence.mjs', import.meta.url).pathname]);
  report(`presence: ${presence.sessions} stdio sessions, ${presence.online} agents online, lease ${presence.ttlS} s: rows written/min`, `${presence.perMinute.toFixed(0)}`, 'rows/min', `target ≤ ${presence.limitPerMinute} (1 per agent per TTL/3)`);

  // MCP tool-call round trip over stdio from a persistent SDK client.
  const p = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  for (const tasks of [20, 3]) {
    const mcp = await runWorker(['mcp-roundtrip', join(dir, `mcp-project-${tasks}`), '2000', String(tasks)]);
    report(`MCP stdio, list_tasks of ${tasks}: p50 ${p(mcp.list, 0.5).toFixed(2)} p99 ${p(mcp.list, 0.99).toFixed(2)} ms vs ping p50 ${p(mcp.ping, 0.5).toFixed(2)} ms`,
      `${(p(mcp.list, 0.5) / p(mcp.ping, 0.5)).toFixed(2)}×`, 'of ping', 'target p50 ≤ 2×');
    if (tasks === 20) report(`  one connected MCP session (its stdio server) after ${mcp.list.length * 2 + 200} calls: RSS`, mcp.rssMb.toFixed(0), 'MB', '');
  }

  // The scheduler, in virtual time.
  for (const concurrency of [4, 8]) {
    const s = await runScript([new URL('./scheduler.mjs', import.meta.url).pathname, String(concurrency)]);
    const f = (x) => `${x.mean.toFixed(3)}× (max ${x.max.toFixed(3)})`;
    report(`scheduler, ${s.dags} random DAGs of 50–500 tasks, concurrency ${concurrency}, estimates known`, f(s.known), 'of bound', 'target ≤ 1.05×');
    report(`  same, every estimate 1 (durations unknown to the scheduler)`, f(s.unit), 'of bound', '');
    report(`  same DAGs in cycle-synchronous waves · strictly one after another`, `${s.waves.mean.toFixed(2)}× · ${s.serial.mean.toFixed(2)}×`, 'of bound', '');
  }

  // The runner.
  const spawnRun = await runRunner(['spawn', '40']);
  report(`dispatch → first byte, /bin/echo: p50 ${median(spawnRun.supervised).toFixed(2)} ms vs bare spawn ${median(spawnRun.bare).toFixed(2)} ms`, `${(median(spawnRun.supervised) / median(spawnRun.bare)).toFixed(2)}×`, 'of bare', 'target ≤ 1.5×');
  const claudeRun = await runRunner(['claude', '7']);
  report(`supervised claude -p (2 turns, fake model): ${median(claudeRun.supervised).toFixed(0)} ms vs bare ${median(claudeRun.bare).toFixed(0)} ms`, `${(median(claudeRun.supervised) / median(claudeRun.bare)).toFixed(2)}×`, 'of bare', 'target ≤ 1.10×');
  for (const [name, url, limit] of [['SQLite', join(dir, 'web.db'), 'target p99 ≤ 100 ms'], ...(server ? [['PostgreSQL', schemaUrl('bench_web'), '']] : [])]) {
    const w = await runScript(['--import', 'tsx', new URL('./web.ts', import.meta.url).pathname, url, '10000']);
    report(`web view on ${name}, ${w.tasks} tasks: snapshot ${w.snapshotMs.toFixed(0)} ms, ${w.snapshotKb.toFixed(0)} KB; push → row on the stream`, `p50 ${w.p50.toFixed(1)} p99 ${w.p99.toFixed(1)}`, 'ms', limit);
    report(`  its server idle with a stream open: CPU · RSS`, `${w.idleCpuMsPerS.toFixed(2)} ms/s · ${w.rssMb.toFixed(0)} MB`, '', 'target CPU ≈ 0');
  }
  const rss = await runRunner(['rss']);
  report(`supervisor RSS with ${rss.concurrent} command agents running at once`, rss.peakMb.toFixed(0), 'MB', 'target ≤ 150 MB');

  // Board size (bench/board-size.mjs): the same reads on a board 100 times larger.
  for (const [name, where] of [['SQLite', ''], ['PostgreSQL', pgUrl]]) {
    const b = await runScript([new URL('./board-size.mjs', import.meta.url).pathname, where]);
    const ops = ['claimMs', 'task list --json', 'status', 'status --run', 'ps --json'];
    const worst = Math.max(...ops.map((op) => b.large[op] / b.small[op]));
    report(`board size on ${name}: ${b.large.tasks / 1000}k tasks, ${b.large.events / 1e6}M events vs ${b.small.tasks / 1000}k, ${b.small.events / 1000}k (claim · task list · status · status --run · ps, ms)`, `${worst.toFixed(2)}× worst`, 'of small', 'target ≤ 1.5×');
    report(`  large: ${ops.map((op) => b.large[op].toFixed(op === 'claimMs' ? 2 : 0)).join(' · ')}; small: ${ops.map((op) => b.small[op].toFixed(op === 'claimMs' ? 2 : 0)).join(' · ')}`, '', '', '');
  }

  // The engine's own cost per task (bench/engine.mjs): a wide master plan one phase at a time, wall minus agent time.
  const e = await runScript([new URL('./engine.mjs', import.meta.url).pathname, '10,100,500']);
  for (const row of e.rows) {
    report(`engine's own time per task, ${row.n}-phase plan, steady state (worktree, gate, merge, board): ${row.steadyPerTask.toFixed(0)} ms vs bare git ${row.bareGitPerTask.toFixed(0)} ms`, (row.steadyPerTask / row.bareGitPerTask).toFixed(2), '× of git', 'target ≤ 1.5×');
    report(`  with the run's own start and end (${row.runStartEndMs.toFixed(0)} ms) spread over its tasks: ${row.overheadPerTask.toFixed(0)} ms`, (row.overheadPerTask / row.bareGitPerTask).toFixed(2), '× of git', '');
  }
  const [small, large] = [e.rows[0], e.rows.at(-1)];
  const beyond = (row) => (row.steadyPerTask - row.bareGitPerTask).toFixed(0);
  report(`  its growth from ${small.n} to ${large.n} phases (bare git's own: ${(large.bareGitPerTask / small.bareGitPerTask).toFixed(2)}×; beyond git ${beyond(small)} → ${beyond(large)} ms)`, (large.steadyPerTask / small.steadyPerTask).toFixed(2), '×', 'target ≤ 1.3× (at 500)');
  report(`  the orchestrator's RSS through the ${large.n}-phase run: first quarter ${large.rss.firstQuarterMb.toFixed(0)} MB, last quarter ${large.rss.lastQuarterMb.toFixed(0)} MB, peak`, large.rss.peakMb.toFixed(0), 'MB', 'target flat, ≤ 200 MB');

  // A whole feature run (bench/feature.ts): the tests' 3-task run with the real Claude Code and the scripted model.
  const f = await runScript(['--import', 'tsx', new URL('./feature.ts', import.meta.url).pathname, '3']);
  report(`feature run, ${f.tasks} tasks (${f.processes} agent runs), real Claude Code + scripted model: wall ${(f.wallMs / 1000).toFixed(1)} s, agents ${(f.agentsMs / 1000).toFixed(1)} s; orchestration per task`, f.overheadPerTaskMs.toFixed(0), 'ms', '');

  // A simulated night (bench/night.mjs): the routing's own decisions in virtual time.
  const n = await runScript([new URL('./night.mjs', import.meta.url).pathname]);
  report(`simulated night, ${n.tasks} tasks of 10–30 min, ${n.concurrency} at once, 5-hour windows: done in 10 h, routed Claude+Codex ${n.routed.doneIn10h} vs Claude only ${n.claudeOnly.doneIn10h}`, (n.routed.doneIn10h / n.claudeOnly.doneIn10h).toFixed(2), '×', '');
  report(`  makespan of all ${n.tasks}: routed ${n.routed.makespanH.toFixed(1)} h vs Claude only ${n.claudeOnly.makespanH.toFixed(1)} h; idle waiting for a reset ${n.routed.idleWaitingH.toFixed(1)} h vs ${n.claudeOnly.idleWaitingH.toFixed(1)} h`, (n.claudeOnly.makespanH / n.routed.makespanH).toFixed(2), '× faster', '');

  // Work orders (bench/remote.mjs): workers are processes on this machine, the remote a local bare repository.
  const r = await runScript([new URL('./remote.mjs', import.meta.url).pathname]);
  report(`master plan, ${r.phases} phases, instant agent: per phase here ${r.localPerPhaseMs.toFixed(0)} ms vs through work orders (2 workers) ${r.remotePerPhaseMs.toFixed(0)} ms`, `+${(r.remotePerPhaseMs - r.localPerPhaseMs).toFixed(0)}`, 'ms/phase', '');
  report(`  the same through work orders taken by the run's own 2 local slots: ${r.localSlotsPerPhaseMs.toFixed(0)} ms per phase`, `+${(r.localSlotsPerPhaseMs - r.localPerPhaseMs).toFixed(0)}`, 'ms/phase', '');
  for (const m of r.makespan) report(`  ${r.wide} phases of ${r.agentMs / 1000} s on ${m.workers} worker${m.workers > 1 ? 's' : ''}: makespan ${(m.ms / 1000).toFixed(1)} s vs ideal ${(m.ideal / 1000).toFixed(1)} s`, `${(m.ms / m.ideal).toFixed(2)}×`, 'of ideal', '');
  report(`  work order queued → its agent started (${r.orders} orders)`, `p50 ${r.latencyP50} p99 ${r.latencyP99}`, 'ms', '');
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** A bench script in its own process; it prints one JSON line. */
function runScript(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

function runRunner(args) {
  return runScript(['--import', 'tsx', new URL('./runner.ts', import.meta.url).pathname, ...args]);
}

function runTimed(args, times) {
  return new Promise((resolve, reject) => {
    let left = times;
    let total = 0;
    const once = () => {
      const start = performance.now();
      const child = spawn(process.execPath, args, { stdio: 'ignore' });
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}`));
        total += performance.now() - start;
        if (--left === 0) resolve(total / times);
        else once();
      });
    };
    once();
  });
}
