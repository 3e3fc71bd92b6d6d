import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'create_team',
  description: 'Create a team: a name, its goal, and the roles it needs, each with a count and the agent CLI that fills it. Its work is the tasks labelled team:<name>; `orchestrate team up <name>` starts its workers.',
  input: {
    name: z.string().min(1),
    goal: z.string().min(1),
    roles: z.array(z.strictObject({
      role: z.string().min(1).max(40),
      count: z.int().min(1).max(20).optional().describe('how many agents (default 1)'),
      agent: z.enum(['claude', 'codex', 'gemini', 'command']).optional().describe('the CLI its workers run (default claude)'),
    })).min(1),
  },
  run: (args, context) => context.board.teams.create(args, context.maybeAgent()),
});
