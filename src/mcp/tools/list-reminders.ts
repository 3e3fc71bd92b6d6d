import { z } from 'zod';
import { defineTool, page } from '../tool.js';

export default defineTool({
  name: 'list_reminders',
  description: 'The live reminders (all: dismissed and expired ones too). With context (and/or event): only those that fire for it, and they are marked fired (fire: false to look without firing).',
  input: {
    context: z.string().max(100_000).optional(),
    event: z.string().min(1).optional(),
    fire: z.boolean().optional(),
    all: z.boolean().optional(),
    ...page,
  },
  async run(args, context) {
    if (args.context === undefined && args.event === undefined) return context.board.reminders.list(args);
    return { items: await context.board.reminders.match({ context: args.context, event: args.event, fire: args.fire ?? true }), next_cursor: null };
  },
});
