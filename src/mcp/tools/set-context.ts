import { z } from 'zod';
import { defineTool, sessionScope } from '../tool.js';

export default defineTool({
  name: 'set_context',
  description: 'Write a value. scope "team" (the default) is the board\'s shared context every agent reads; scope "session" is this project\'s memory for one session (named by session, default your agent name), kept across restarts. With expected_version, only if the key is at that version (0: only if absent); a mismatch is a conflict carrying the current version.',
  // Design A set any JSON value: kept as its JSON text.
  accept: (args) => (args.value === undefined || typeof args.value === 'string' ? args : { ...args, value: JSON.stringify(args.value) }),
  input: {
    key: z.string().min(1),
    value: z.string(),
    expected_version: z.number().int().min(0).optional(),
    scope: z.enum(['team', 'session']).optional(),
    session: z.string().min(1).max(200).optional().describe('scope "session": whose memory (default: your agent name)'),
  },
  async run(args, context) {
    if (args.scope === 'session') return context.board.sessionContext.set(await sessionScope(context, args.session), args.key, args.value, { expected_version: args.expected_version });
    return context.board.context.set(args.key, args.value, { expected_version: args.expected_version, actor: context.maybeAgent() });
  },
});
