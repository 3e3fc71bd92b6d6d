import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'set_context',
  description: 'Write a shared value. With expected_version, only if the key is at that version (0: only if absent); a mismatch is a conflict carrying the current version.',
  input: { key: z.string().min(1), value: z.string(), expected_version: z.number().int().min(0).optional() },
  run: (args, context) => context.board.context.set(args.key, args.value, { expected_version: args.expected_version, actor: context.maybeAgent() }),
});
