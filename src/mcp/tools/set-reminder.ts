import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'set_reminder',
  description: 'Remember something for later sessions. trigger "keyword" brings it back when one of words is mentioned (hooks match each prompt; as whole words, or anywhere with match "substring"), "event" at a Claude Code hook event (SessionStart, …), "always" at every match. once: dismissed after it fires; expires_in_s: gone after that long.',
  // Design A: { message, trigger: { type, value }, context }.
  accept(args) {
    const { message, context, trigger, ...rest } = args;
    let out: Record<string, unknown> = { ...rest, trigger };
    if (typeof message === 'string' && out.text === undefined) out.text = typeof context === 'string' && context.trim() ? `${message}\n\n${context}` : message;
    else if (context !== undefined) out.context = context;
    if (trigger !== null && typeof trigger === 'object' && !Array.isArray(trigger)) {
      const { type, value } = trigger as { type?: unknown; value?: unknown };
      out = { ...out, trigger: type };
      if (type === 'keyword' && out.words === undefined) out.words = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',').map((word) => word.trim()).filter(Boolean) : value;
      if (type === 'event' && out.event === undefined) out.event = value;
    }
    return out;
  },
  input: {
    text: z.string().min(1).max(5000),
    trigger: z.enum(['keyword', 'event', 'always']),
    words: z.array(z.string().min(1)).max(50).optional(),
    match: z.enum(['word', 'substring']).optional().describe('how a keyword is found (default word: "test" does not fire on "latest")'),
    event: z.string().min(1).optional(),
    once: z.boolean().optional(),
    expires_in_s: z.number().positive().max(365 * 86_400).optional(),
  },
  run: (args, context) => context.board.reminders.set(args, context.maybeAgent()),
});
