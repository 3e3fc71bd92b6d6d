import type { Board } from '../board/board.js';
import type { PhaseReport, Run } from '../board/runs.js';
import { OrchestratorError } from '../core/errors.js';
import type { MasterPlan } from './plan-files.js';

/**
 * A worker's report on its phase (`orchestrate done`, the MCP tool phase_done), in a module of its
 * own: an agent calls it once per phase, and it loads only the board, not the run's whole flow.
 */

export const PHASE_REPORTS: PhaseReport['status'][] = ['completed', 'blocked', 'failed'];

/** A worker's report on its phase (`orchestrate done`, MCP phase_done), checked against the run's plan. */
export async function reportPhase(board: Board, runId: string | null, report: Pick<PhaseReport, 'phase' | 'status' | 'reason' | 'report' | 'by'>): Promise<Run> {
  const run = runId ? await board.runs.get(runId) : await board.runs.latest('plan');
  if (!run || run.kind !== 'plan') throw new OrchestratorError('not_found', runId ? `run ${runId} is not a master-plan run` : "no master-plan run on this board; pass --run <id> (the prompt names it)");
  const plan = (await board.runs.plan(run.id))?.plan as MasterPlan | undefined;
  const ids = plan?.phases.map((phase) => phase.id) ?? [];
  if (!ids.includes(report.phase)) throw new OrchestratorError('invalid_input', `phase '${report.phase}' is not a phase of run ${run.id} (phases: ${ids.join(', ')})`);
  if (report.status === 'blocked' && !report.reason?.trim()) throw new OrchestratorError('invalid_input', 'say why the phase is blocked: --reason "…" (reason)');
  await board.runs.reportPhase(run.id, report);
  return run;
}

