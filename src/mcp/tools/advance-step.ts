import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'advance_step',
  description: 'Complete the current step of a workflow with notes (what was done, what was found) and outputs (named values later steps use), and move to the next step. The last step completes the workflow.',
  input: {
    workflow_id: z.string().min(1).optional().describe('default: your one active workflow'),
    notes: z.string().max(100_000).optional(),
    outputs: z.record(z.string(), z.unknown()).optional(),
  },
  run: async (args, context) => context.board.workflows.advance(args.workflow_id ?? (await context.board.workflows.soleActive(context.maybeAgent())), { notes: args.notes ?? null, outputs: args.outputs }, context.maybeAgent()),
});
