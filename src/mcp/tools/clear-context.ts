import { z } from 'zod';
import { OrchestratorError } from '../../core/errors.js';
import { defineTool, sessionScope } from '../tool.js';

export default defineTool({
  name: 'clear_context',
  description: 'Remove context: in scope "session" one key, or (without key) the whole session\'s memory; in scope "team" (the default) one key, as delete_context does.',
  input: { key: z.string().min(1).optional(), scope: z.enum(['team', 'session']).optional(), session: z.string().min(1).max(200).optional() },
  async run(args, context) {
    if ((args.scope ?? 'team') === 'session') return context.board.sessionContext.clear(await sessionScope(context, args.session), args.key);
    if (args.key === undefined) throw new OrchestratorError('invalid_input', 'clearing the team context needs a key (the team context is shared; nothing clears all of it at once)');
    await context.board.context.delete(args.key, { actor: context.maybeAgent() });
    return { cleared: 1 };
  },
});
