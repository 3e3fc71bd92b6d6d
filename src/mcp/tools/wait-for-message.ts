import { z } from 'zod';
import { defineTool, timeoutSeconds } from '../tool.js';

export default defineTool({
  name: 'wait_for_message',
  description: 'Wait until you have an unread message, then return your unread messages and mark them read. Returns an empty list when the time runs out (at most 300 s).',
  alwaysLoad: true,
  input: { timeout: timeoutSeconds, limit: z.number().int().min(1).max(1000).optional() },
  async run(args, context) {
    const messages = await context.board.messages.wait(
      context.agent(),
      { timeout_ms: Math.round((args.timeout ?? 30) * 1000), limit: args.limit },
      context.signal,
    );
    return { messages };
  },
});
