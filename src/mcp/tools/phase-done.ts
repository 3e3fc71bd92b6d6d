import { z } from 'zod';
import { reportPhase } from '../../flows/phase-reports.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'phase_done',
  description:
    'Report your phase of a master-plan run: status "completed" when its tasks are done (the orchestrator then re-runs its gates and checks the Process Wrapper), or "blocked" with a reason when it cannot be done (a person is asked), or "failed" when this attempt did not work (it is tried again). The same as `orchestrate done`.',
  alwaysLoad: true,
  input: {
    run_id: z.string().min(1).optional().describe('the run (default: the newest master-plan run)'),
    phase: z.string().min(1).max(40),
    status: z.enum(['completed', 'blocked', 'failed']),
    reason: z.string().min(1).max(5000).optional().describe('why the phase is blocked or failed'),
    report: z.record(z.string().max(100), z.unknown()).optional().describe('your own account (steps completed, agents invoked): kept, but the orchestrator checks the evidence itself'),
  },
  async run(args, context) {
    const run = await reportPhase(context.board, args.run_id ?? null, { phase: args.phase, status: args.status, reason: args.reason ?? null, report: args.report ?? null, by: context.maybeAgent() });
    return { run_id: run.id, phase: args.phase, status: args.status, recorded: true };
  },
});
