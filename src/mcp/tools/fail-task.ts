import { z } from 'zod';
import { defineTool, taskId } from '../tool.js';

export default defineTool({
  name: 'fail_task',
  description: 'Mark a task you hold as failed, with the reason.',
  alwaysLoad: true,
  input: { task_id: taskId, reason: z.string().min(1) },
  run: (args, context) => context.board.tasks.fail(args.task_id, context.maybeAgent(), args.reason),
});
