import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'dissolve_team',
  description: 'End a team: its online members are unregistered and the tasks they held go back to the queue (nothing is lost); its workers stop.',
  input: { team: z.string().min(1) },
  run: (args, context) => context.board.teams.dissolve(args.team, context.maybeAgent()),
});
