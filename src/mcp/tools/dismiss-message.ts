import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'dismiss_message',
  description: 'Remove a message from your inbox.',
  input: { message_id: z.string().min(1) },
  run: (args, context) => context.board.messages.dismiss(context.agent(), args.message_id),
});
