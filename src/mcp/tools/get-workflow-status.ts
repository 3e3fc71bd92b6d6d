import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'get_workflow_status',
  description: 'A workflow with its current step, progress (done of total), and every step with its status, notes and outputs.',
  input: { workflow_id: z.string().min(1).optional().describe('default: your one active workflow') },
  run: async (args, context) => context.board.workflows.get(args.workflow_id ?? (await context.board.workflows.soleActive(context.maybeAgent()))),
});
