import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'assign_role',
  description: 'Give an agent (yourself by default) a role — the tasks it claims from then on are that role\'s — and, with team, make it a member of that team.',
  input: { role: z.string().min(1), agent: z.string().min(1).optional().describe('an agent id or name (default: you)'), team: z.string().min(1).optional() },
  run: (args, context) => context.board.teams.assignRole(args.agent ?? context.agent(), args.role, args.team ?? null, context.maybeAgent()),
});
