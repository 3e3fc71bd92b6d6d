import { z } from 'zod';
import { teamRole } from '../../board/teams.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'create_team',
  description: 'Create a team: a name, its goal, and the roles it needs, each with a count and the agent CLI that fills it. Its work is the tasks labelled team:<name>; `orchestrate team up <name>` starts its workers.',
  input: { name: z.string().min(1), goal: z.string().min(1), roles: z.array(teamRole).min(1) },
  run: (args, context) => context.board.teams.create(args, context.maybeAgent()),
});
