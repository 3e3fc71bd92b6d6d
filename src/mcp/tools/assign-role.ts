import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'assign_role',
  description: 'Give an agent (yourself by default) a role — the tasks it claims from then on are that role\'s — and, with team, make it a member of that team.',
  input: { role: z.string().min(1), agent: z.string().min(1).optional().describe('an agent id or name (default: you)'), team: z.string().min(1).optional() },
  async run(args, context) {
    const agent = await context.board.agents.setRole(args.agent ?? context.agent(), args.role, context.maybeAgent());
    if (args.team) await context.board.teams.join(args.team, agent.id, agent.role, context.maybeAgent());
    return { agent, team: args.team ?? null };
  },
});
