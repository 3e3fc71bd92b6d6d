import { z } from 'zod';
import { defineTool, page } from '../tool.js';

export default defineTool({
  name: 'list_workflows',
  description: 'Workflows, oldest first, each with its status, current step and progress; status narrows them.',
  input: { status: z.enum(['active', 'completed', 'failed', 'cancelled']).optional(), ...page },
  run: (args, context) => context.board.workflows.list(args),
});
