// The engine's own cost per task as plans grow (issue 19's first figure): a wide master plan of N
// independent phases run by the real engine, one at a time (--concurrency 1, so wall time minus
// agent time is exactly the orchestration's), with the tour's command agent (writes one file and
// its notes, reports done), real worktrees, one gate per phase, the merge queue. Beside it, the
// bare git commands the same work needs per task (worktree add, commit, merge, worktree remove)
// in a loop. Prints one JSON line: per N, ms per task of orchestration (all of it, and in the
// steady state between the first agent and the last) and of bare git.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tourAgent, writeWidePlan } from '../scripts/tour-plan.mjs';
import { allProcesses } from './processes.mjs';

const MAIN = new URL('../dist/cli/main.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'orchestrator-bench-engine-'));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORCHESTRATOR_')));
const SIZES = (process.argv[2] ?? '10,40,100').split(',').map(Number);

/** Orchestration ms per task: the run's wall time minus the time its agent processes ran, over N. */
async function engine(n) {
  const dir = join(root, `plan-${n}`);
  writeWidePlan(dir, n);
  const env = { ...baseEnv, ORCHESTRATOR_DB: join(root, `plan-${n}.db`) };
  const start = performance.now();
  const child = spawn(process.execPath, [MAIN, 'run', 'docs/master-plan.md', '--concurrency', '1', ...tourAgent], { env, cwd: dir, stdio: 'ignore' });
  // The orchestrator's resident memory, sampled through the run: its peak (VmHWM) and the first and last quarter's highs (flat or growing).
  const samples = [];
  const sampler = setInterval(() => {
    try {
      samples.push(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024);
    } catch {
      // it ended
    }
  }, 250);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  const wall = performance.now() - start;
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const rss = { peakMb: Math.max(...samples), firstQuarterMb: Math.max(...samples.slice(0, quarter)), lastQuarterMb: Math.max(...samples.slice(-quarter)) };
  if (code !== 0) throw new Error(`the ${n}-phase run exited ${code}`);
  const processes = allProcesses(env, dir);
  const agentMs = processes.reduce((sum, p) => sum + (Date.parse(p.ended_at) - Date.parse(p.started_at)), 0);
  // The steady state, without the run's own start and end (the process starting, the board, the
  // integration worktree; the cleanup): from the first agent's start to the last one's end, one
  // task's orchestration between each two agents.
  const first = Math.min(...processes.map((p) => Date.parse(p.started_at)));
  const last = Math.max(...processes.map((p) => Date.parse(p.ended_at)));
  const steadyPerTask = (last - first - agentMs) / (n - 1);
  return { wallPerTask: wall / n, agentPerTask: agentMs / n, overheadPerTask: (wall - agentMs) / n, steadyPerTask, runStartEndMs: wall - (last - first), attempts: processes.length, rss };
}

/** The bare git work of N tasks, in the same repository: a worktree on a new branch, the agent's two files committed there, merged into main, the worktree removed. */
function bareGit(n) {
  const dir = join(root, `git-${n}`);
  const git = (cwd, ...args) => execFileSync('git', ['-c', 'user.name=B', '-c', 'user.email=b@localhost', ...args], { cwd, stdio: 'ignore' });
  writeWidePlan(dir, n); // the same repository the engine starts from: the plan and its phase files
  const start = performance.now();
  for (let i = 1; i <= n; i++) {
    const tree = join(root, `git-${n}-t${i}`);
    git(dir, 'worktree', 'add', '-q', '-b', `t${i}`, tree, 'main');
    // What the agent writes in each phase: its part and its notes file.
    writeFileSync(join(tree, `phase-${i}.txt`), `part ${i}\n`);
    mkdirSync(join(tree, 'notes'), { recursive: true });
    writeFileSync(join(tree, 'notes', `NOTES_phase_${i}.md`), `## Summary\n\nPhase ${i}.\n\n## Key Decisions\n\nPhase ${i}.\n\n## Files Modified\n\nPhase ${i}.\n`);
    git(tree, 'add', '-A');
    git(tree, 'commit', '-q', '-m', `part ${i}`);
    git(dir, 'merge', '-q', '--no-ff', '-m', `Merge ${i}`, `t${i}`);
    git(dir, 'worktree', 'remove', '--force', tree);
    git(dir, 'branch', '-q', '-D', `t${i}`);
  }
  return (performance.now() - start) / n;
}

try {
  const rows = [];
  for (const n of SIZES) rows.push({ n, ...(await engine(n)), bareGitPerTask: bareGit(n) });
  process.stdout.write(JSON.stringify({ rows }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
