import { z } from 'zod';
import { defineTool, taskId } from '../tool.js';

export default defineTool({
  name: 'block_task',
  description: 'Stop a task you hold until what it waits for arrives; say what in reason. unblock_task puts it back in the queue.',
  alwaysLoad: true,
  input: { task_id: taskId, reason: z.string().min(1) },
  run: (args, context) => context.board.tasks.block(args.task_id, context.maybeAgent(), args.reason),
});
