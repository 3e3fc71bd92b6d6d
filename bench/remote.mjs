// The remote path's figures, on this machine (the workers are processes here, not hosts: the
// network is the loopback): a wide master plan of independent phases by command agents, run by
// the engine itself and through work orders taken by `orchestrate worker` processes, with a local
// bare repository as the remote. Prints one JSON line:
//   overhead: per-phase wall time with an instant agent: run here directly, through work orders
//             taken by 2 local slots of the run itself, and through 2 workers
//   makespan: phases of a fixed length on 1, 2 and 3 workers against the ideal (work / workers)
//   latency: work order queued → its agent started, p50/p99 over every order
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tourAgent, writeWidePlan } from '../scripts/tour-plan.mjs';

const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'orchestrator-bench-remote-'));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORCHESTRATOR_')));

function cli(args, env, cwd) {
  return JSON.parse(execFileSync(process.execPath, [MAIN, ...args, '--json'], { env, cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
}

/**
 * One run of a wide plan of `phases`, each agent taking `agentMs`: locally (workers 0), on `workers`
 * worker processes, or (`slots`) through work orders taken by the run's own local slots.
 */
async function run(name, phases, agentMs, workers, slots = 0) {
  const dir = join(root, name);
  writeWidePlan(dir, phases);
  const remote = join(root, `${name}.git`);
  execFileSync('git', ['init', '-q', '--bare', remote]);
  const env = { ...baseEnv, ORCHESTRATOR_DB: join(root, `${name}.db`), TOUR_SLOW_S: String(agentMs / 1000) };
  const started = [];
  for (let i = 0; i < workers; i++) {
    const child = spawn(process.execPath, [MAIN, 'worker', '--name', `w${i}`, '--agents', 'command', '--max', '1', '--work-dir', join(root, `${name}-w${i}`)], { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    started.push(child);
    await new Promise((resolve) => child.stderr.on('data', (d) => /takes work orders/.test(String(d)) && resolve()));
  }
  const args = ['run', 'docs/master-plan.md', '--concurrency', String(Math.max(workers + slots, 2)), ...tourAgent, ...(workers > 0 || slots > 0 ? ['--local-workers', String(slots), '--remote', remote] : [])];
  const start = performance.now();
  const code = await new Promise((resolve) => spawn(process.execPath, [MAIN, ...args], { env, cwd: dir, stdio: 'ignore' }).on('exit', resolve));
  const ms = performance.now() - start;
  if (code !== 0) throw new Error(`${name}: the run exited ${code}`);
  let latencies = [];
  if (workers > 0) {
    const { orders } = cli(['worker', 'list'], env, dir);
    const started_ = new Map(cli(['ps', '--limit', '1000'], env, dir).items.map((p) => [p.id, Date.parse(p.started_at)]));
    latencies = orders.filter((o) => o.result?.process_id && started_.has(o.result.process_id)).map((o) => started_.get(o.result.process_id) - o.created_at);
  }
  for (const child of started) child.kill('SIGINT');
  await Promise.all(started.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)))));
  return { ms, latencies };
}

try {
  const PHASES = 12;
  const local = await run('local', PHASES, 0, 0);
  const remote = await run('remote', PHASES, 0, 2);
  const slots = await run('slots', PHASES, 0, 0, 2);
  const AGENT_MS = 1000;
  const WIDE = 18;
  const makespan = [];
  const latencies = [...remote.latencies];
  for (const workers of [1, 2, 3]) {
    const r = await run(`hosts${workers}`, WIDE, AGENT_MS, workers);
    makespan.push({ workers, ms: r.ms, ideal: (WIDE * AGENT_MS) / workers });
    latencies.push(...r.latencies);
  }
  latencies.sort((a, b) => a - b);
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(JSON.stringify({ phases: PHASES, localPerPhaseMs: local.ms / PHASES, remotePerPhaseMs: remote.ms / PHASES, localSlotsPerPhaseMs: slots.ms / PHASES, wide: WIDE, agentMs: AGENT_MS, makespan, latencyP50: pick(0.5), latencyP99: pick(0.99), orders: latencies.length }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
