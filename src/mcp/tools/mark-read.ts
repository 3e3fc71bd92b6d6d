import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'mark_read',
  description: 'Mark a message in your inbox as read.',
  input: { message_id: z.string().min(1) },
  run: (args, context) => context.board.messages.markRead(context.agent(), args.message_id),
});
