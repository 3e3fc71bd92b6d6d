import { z } from 'zod';
import { defineTool, taskId } from '../tool.js';

export default defineTool({
  name: 'cancel_task',
  description: 'Cancel a task for good (any state but completed and cancelled).',
  input: { task_id: taskId, reason: z.string().optional() },
  run: (args, context) => context.board.tasks.cancel(args.task_id, context.maybeAgent(), args.reason ?? null),
});
