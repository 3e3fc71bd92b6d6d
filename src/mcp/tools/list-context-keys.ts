import { z } from 'zod';
import { defineTool, page } from '../tool.js';

export default defineTool({
  name: 'list_context_keys',
  description: 'The shared keys with their versions, optionally those starting with prefix.',
  input: { prefix: z.string().optional(), ...page },
  run: (args, context) => context.board.context.listKeys(args),
});
