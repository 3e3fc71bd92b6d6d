import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'heartbeat',
  description: 'Say what you work on (current_task: a task you claimed moves to in_progress). Not needed to stay online: this session keeps you alive while it is connected; agents outside any session renew their lease with it.',
  alwaysLoad: true,
  input: { current_task: z.string().optional().describe('the task you work on') },
  run: (args, context) => context.board.agents.heartbeat(context.agent(), { current_task: args.current_task ?? null }),
});
