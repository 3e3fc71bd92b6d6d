import { z } from 'zod';
import { defineTool } from '../tool.js';
import { rename } from '../aliases.js';

export default defineTool({
  name: 'get_team_status',
  description: 'A team (by name or id) with its members (online or not, each with the task it works on) and its progress: its labelled tasks by status. Without team: the active teams.',
  accept: (args) => rename(args, 'team_id', 'team'),
  input: { team: z.string().min(1).optional() },
  run: async (args, context) => (args.team ? context.board.teams.status(args.team) : { teams: await Promise.all((await context.board.teams.list({ limit: 100 })).items.map((team) => context.board.teams.status(team.id))) }),
});
