import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'delete_context',
  description: 'Remove a shared value (with expected_version: only if it is at that version).',
  input: { key: z.string().min(1), expected_version: z.number().int().min(1).optional() },
  run: (args, context) => context.board.context.delete(args.key, { expected_version: args.expected_version, actor: context.maybeAgent() }),
});
