import { z } from 'zod';
import { defineTool, page } from '../tool.js';

export default defineTool({
  name: 'get_learnings',
  description: 'The learnings noted for a skill (every skill\'s without one), oldest first, a page at a time.',
  input: { skill: z.string().min(1).optional(), ...page },
  run: (args, context) => context.board.learnings.list(args),
});
