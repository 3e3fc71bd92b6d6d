import { z } from 'zod';
import { excerpt, OrchestratorError } from '../../core/errors.js';
import { defineTool, page, sessionScope } from '../tool.js';

export default defineTool({
  name: 'get_context',
  description: 'Read a value with its version; without key, every entry of the scope with its value, a page at a time. scope "team" (the default) is the shared context, "session" this project\'s memory for one session (default: your agent name).',
  input: {
    key: z.string().min(1).optional(),
    scope: z.enum(['team', 'session']).optional(),
    session: z.string().min(1).max(200).optional(),
    ...page,
  },
  async run(args, context) {
    if (args.scope === 'session') {
      const scope = await sessionScope(context, args.session);
      if (args.key === undefined) return context.board.sessionContext.list(scope, args);
      const entry = await context.board.sessionContext.get(scope, args.key);
      if (!entry) throw new OrchestratorError('not_found', `no session key '${excerpt(args.key)}' in session '${excerpt(scope.session)}'; get_context with scope "session" and no key lists them`);
      return entry;
    }
    if (args.key === undefined) {
      const keys = await context.board.context.listKeys(args);
      const items = await Promise.all(keys.items.map(async (item) => (await context.board.context.get(item.key)) ?? { ...item, value: null }));
      return { items, next_cursor: keys.next_cursor };
    }
    const entry = await context.board.context.get(args.key);
    if (!entry) throw new OrchestratorError('not_found', `no context key '${excerpt(args.key)}'; list_context_keys shows the keys`);
    return entry;
  },
});
