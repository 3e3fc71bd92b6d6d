import { z } from 'zod';
import { defineTool } from '../tool.js';
import { rename } from '../aliases.js';

export default defineTool({
  name: 'request_help',
  description: 'Ask every agent for help: content is the question, context what a helper needs to know.',
  accept: (args) => rename(args, 'question', 'content'),
  input: { content: z.string().min(1).describe('the question'), context: z.string().optional() },
  run: (args, context) => context.board.messages.requestHelp(context.maybeAgent(), args.content, args.context ?? null),
});
