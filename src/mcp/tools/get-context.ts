import { z } from 'zod';
import { OrchestratorError } from '../../core/errors.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'get_context',
  description: 'Read a shared value with its version.',
  input: { key: z.string().min(1) },
  async run(args, context) {
    const entry = await context.board.context.get(args.key);
    if (!entry) throw new OrchestratorError('not_found', `no context key '${args.key}'; list_context_keys shows the keys`);
    return entry;
  },
});
