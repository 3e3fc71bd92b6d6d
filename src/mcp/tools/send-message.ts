import { z } from 'zod';
import { OrchestratorError } from '../../core/errors.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'send_message',
  description: 'Send a message to one agent (to: id, or to_name: name) or to every agent (broadcast: true). It waits in their inbox while they are offline.',
  alwaysLoad: true,
  input: {
    to: z.string().optional().describe('the recipient agent id (a name works too)'),
    to_name: z.string().optional().describe('the recipient agent name'),
    content: z.string().min(1),
    broadcast: z.boolean().optional(),
  },
  async run(args, context) {
    if (args.broadcast) return context.board.messages.broadcast(context.maybeAgent(), args.content);
    const to = args.to ?? args.to_name;
    if (!to) throw new OrchestratorError('invalid_input', 'the recipient is missing: pass to (an agent id), to_name, or broadcast: true');
    return context.board.messages.send(context.maybeAgent(), to, args.content);
  },
});
