import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'dismiss_reminder',
  description: 'Remove a reminder for good.',
  input: { id: z.string().min(1) },
  run: (args, context) => context.board.reminders.dismiss(args.id, context.maybeAgent()),
});
