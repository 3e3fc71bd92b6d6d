import type { PhaseReport } from '../../board/runs.js';
import { OrchestratorError } from '../../core/errors.js';
import { PHASE_REPORTS, reportPhase } from '../../flows/phase-reports.js';
import { flag, required, type Handler } from '../call.js';

/** `orchestrate done --phase ID --status completed|blocked|failed [--reason "…"] [--report <json>]`: a worker reports its phase. */
export const done: Handler = async (call) => {
  const board = await call.board();
  const phase = required(flag(call, 'phase'), 'the phase', '--phase <id> (the prompt names it)');
  const status = required(flag(call, 'status'), 'the status', '--status completed, blocked or failed');
  if (!PHASE_REPORTS.includes(status as PhaseReport['status'])) throw new OrchestratorError('invalid_input', `--status must be completed, blocked or failed, not '${status}'`);
  const reason = flag(call, 'reason') ?? null;
  const report = reportJson(flag(call, 'report'));
  const run = await reportPhase(board, flag(call, 'run') ?? null, { phase, status: status as PhaseReport['status'], reason, report, by: call.maybeAgent() });
  return { data: { run_id: run.id, phase, status, reason, report }, text: `phase ${phase} of ${run.id} reported ${status}${reason ? `: ${reason}` : ''}; the orchestrator checks it when this session ends` };
};

/** `--report '{"steps_completed": […], "agents_invoked": […]}'`: the worker's own account, kept as a claim. */
function reportJson(text: string | undefined): Record<string, unknown> | null {
  if (text === undefined) return null;
  if (text.length > 64 * 1024) throw new OrchestratorError('invalid_input', '--report is larger than 64 KB; keep the report to what was done');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OrchestratorError('invalid_input', `--report must be a JSON object, e.g. '{"steps_completed": ["1.1"], "agents_invoked": ["doc-sync"]}'`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new OrchestratorError('invalid_input', '--report must be a JSON object (its keys are yours: steps completed, agents invoked, …)');
  return value as Record<string, unknown>;
}
