import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'set_reminder',
  description: 'Remember something for later sessions. trigger "keyword" brings it back when one of words is mentioned (hooks match each prompt), "event" at a Claude Code hook event (SessionStart, …), "always" at every match. once: dismissed after it fires; expires_in_s: gone after that long.',
  input: {
    text: z.string().min(1).max(5000),
    trigger: z.enum(['keyword', 'event', 'always']),
    words: z.array(z.string().min(1)).max(50).optional(),
    event: z.string().min(1).optional(),
    once: z.boolean().optional(),
    expires_in_s: z.number().positive().max(365 * 86_400).optional(),
  },
  run: (args, context) => context.board.reminders.set(args, context.maybeAgent()),
});
