import { z } from 'zod';
import { defineTool } from '../tool.js';
import { rename } from '../aliases.js';

export default defineTool({
  name: 'dissolve_team',
  description: 'End a team: its online members are unregistered and the tasks they held go back to the queue (nothing is lost); its workers stop.',
  accept: (args) => rename(args, 'team_id', 'team'),
  input: { team: z.string().min(1) },
  run: (args, context) => context.board.teams.dissolve(args.team, context.maybeAgent()),
});
