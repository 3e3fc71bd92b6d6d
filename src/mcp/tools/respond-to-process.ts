import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'respond_to_process',
  description: 'Send a follow-up prompt to a long-lived Claude Code session (dispatched with interactive: true). It is delivered when the session has answered the previous prompt; prompts queue up, one at a time.',
  input: { process_id: z.string().min(1), text: z.string().min(1).max(200_000) },
  run: (args, context) => context.board.processes.addInput(args.process_id, args.text),
});
