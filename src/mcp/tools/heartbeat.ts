import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'heartbeat',
  description: 'Renew your lease (call at least every 30 s while working); with current_task, say what you work on — a task you claimed moves to in_progress.',
  alwaysLoad: true,
  input: { current_task: z.string().optional().describe('the task you work on') },
  run: (args, context) => context.board.agents.heartbeat(context.agent(), { current_task: args.current_task ?? null }),
});
