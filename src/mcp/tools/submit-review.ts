import { z } from 'zod';
import { OrchestratorError } from '../../core/errors.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'submit_review',
  description:
    'Submit your review of a feature run (run_id): verdict "approve", or "changes" with findings — each a problem to fix, with a title, a description precise enough for another agent to fix it, and the files involved. subject is "code" (the run branch\'s diff, the default) or "plan".',
  alwaysLoad: true,
  input: {
    run_id: z.string().min(1),
    subject: z.enum(['plan', 'code']).optional(),
    verdict: z.enum(['approve', 'changes']),
    findings: z.array(z.strictObject({ title: z.string().min(1).max(200), description: z.string().min(1).max(20_000), files: z.array(z.string().min(1)).max(100).optional() })).max(50).optional(),
  },
  async run(args, context) {
    const run = await context.board.runs.get(args.run_id);
    if (run.status !== 'planning' && run.status !== 'reviewing') throw new OrchestratorError('conflict', `run ${args.run_id} is ${run.status}: it takes no review now`);
    if (args.verdict === 'changes' && !args.findings?.length) throw new OrchestratorError('invalid_input', 'verdict "changes" needs findings: say what to fix');
    await context.board.runs.addReview(args.run_id, { cycle: run.cycle, subject: args.subject ?? 'code', verdict: args.verdict, findings: args.findings ?? [] });
    return { run_id: args.run_id, cycle: run.cycle, verdict: args.verdict, accepted: true };
  },
});
