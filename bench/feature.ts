// A whole feature run's orchestration overhead (issue 19): the 3-task feature run of the tests
// (test/feature.test.ts: planner, plan review, three workers at concurrency 2, gates, merges, code
// review) with the real Claude Code against the scripted model, run ROUNDS times. Overhead is the
// run's wall time minus the time at least one agent process ran (their intervals merged, so two
// workers at once count once). Prints one JSON line: medians of wall, agents and overhead, per task.
import { spawn } from 'node:child_process';
import { allProcesses } from './processes.mjs';
import { CLAUDE, claudeEnv, claudeHome } from '../test/support/claude.js';
import { project, scenarios } from '../test/support/feature.js';
import { startFakeModel } from '../test/support/fake-model/server.js';

const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;
const ROUNDS = Number(process.argv[2] ?? 3);
const TASKS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The time covered by at least one of the intervals. */
function covered(intervals: [number, number][]): number {
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

const model = await startFakeModel();
try {
  const rows: { wall: number; agents: number; processes: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dir = project();
    model.setScenarios(scenarios());
    const env = claudeEnv(claudeHome(), model.url, { ORCHESTRATOR_CLAUDE: CLAUDE });
    const start = performance.now();
    const code = await new Promise((resolve) => spawn(process.execPath, [MAIN, 'start', 'Add greetings', '--concurrency', '2'], { cwd: dir, env, stdio: 'ignore' }).on('exit', resolve));
    const wall = performance.now() - start;
    if (code !== 0) throw new Error(`the feature run exited ${code}`);
    const processes = allProcesses(env, dir) as { started_at: string; ended_at: string }[];
    rows.push({ wall, agents: covered(processes.map((p) => [Date.parse(p.started_at), Date.parse(p.ended_at)])), processes: processes.length });
  }
  const wall = median(rows.map((r) => r.wall));
  const agents = median(rows.map((r) => r.agents));
  const overhead = median(rows.map((r) => r.wall - r.agents));
  process.stdout.write(JSON.stringify({ rounds: ROUNDS, tasks: TASKS, processes: rows[0]!.processes, wallMs: wall, agentsMs: agents, overheadMs: overhead, overheadPerTaskMs: overhead / TASKS }));
} finally {
  await model.close();
}
