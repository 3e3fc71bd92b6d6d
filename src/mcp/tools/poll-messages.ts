import { z } from 'zod';
import { defineTool, page } from '../tool.js';

export default defineTool({
  name: 'poll_messages',
  description: 'Your unread messages, oldest first, without waiting (include_read adds read ones). Mark them with mark_read.',
  alwaysLoad: true,
  input: { include_read: z.boolean().optional(), ...page },
  run: (args, context) => context.board.messages.poll(context.agent(), args),
});
