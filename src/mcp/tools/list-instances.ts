import { z } from 'zod';
import { defineTool, page } from '../tool.js';

export default defineTool({
  name: 'list_instances',
  description: 'The agents on the board: online ones, or all with all=true.',
  input: { all: z.boolean().optional().describe('include offline agents'), role: z.string().optional(), ...page },
  run: (args, context) => context.board.agents.list(args),
});
