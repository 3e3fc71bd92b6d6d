import { z } from 'zod';
import { defineTool, page } from '../tool.js';

export default defineTool({
  name: 'list_approvals',
  description: 'Permission requests from workers: pending ones wait for an answer (answer_approval), the others show who answered and why.',
  input: { state: z.enum(['pending', 'allowed', 'denied']).optional(), ...page },
  run: (args, context) => context.board.approvals.list(args),
});
