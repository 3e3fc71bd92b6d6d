import { z } from 'zod';
import { defineTool, taskId } from '../tool.js';

export default defineTool({
  name: 'complete_task',
  description: 'Finish a task you hold, with its result (what was done: a summary, a commit, a PR).',
  alwaysLoad: true,
  input: { task_id: taskId, result: z.string().optional() },
  run: (args, context) => context.board.tasks.complete(args.task_id, context.maybeAgent(), args.result ?? null),
});
