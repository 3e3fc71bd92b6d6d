import { runCommand } from '../runner/exec.js';

/**
 * Gates are the plan's own check commands (`npm test`, `tsc --noEmit`): the orchestrator runs
 * them itself, in the task's worktree or on the run branch, and believes only their exit codes.
 */
export interface GateResult {
  command: string;
  passed: boolean;
  exit_code: number | null;
  timed_out: boolean;
  /** The end of what it printed (stdout and stderr), for evidence and remediation prompts. */
  output: string;
  seconds: number;
}

const SHOWN = 8 * 1024;

export async function runGates(cwd: string, gates: string[], env: Record<string, string | undefined>, timeoutMs = 600_000): Promise<GateResult[]> {
  const results: GateResult[] = [];
  for (const command of gates) {
    const run = await runCommand('sh', ['-c', command], { cwd, env, timeoutMs });
    const output = `${run.stdout}${run.stderr ? `\n${run.stderr}` : ''}`.trim();
    results.push({
      command,
      passed: run.code === 0 && !run.timedOut,
      exit_code: run.code,
      timed_out: run.timedOut,
      output: output.length > SHOWN ? `…${output.slice(-SHOWN)}` : output,
      seconds: Math.round(run.durationMs / 100) / 10,
    });
  }
  return results;
}
