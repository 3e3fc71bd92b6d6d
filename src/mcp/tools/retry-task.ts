import { defineTool, taskId } from '../tool.js';

export default defineTool({
  name: 'retry_task',
  description: 'Put a failed or blocked task back in the queue (counts a retry; refused when none are left).',
  input: { task_id: taskId },
  run: (args, context) => context.board.tasks.retry(args.task_id, context.maybeAgent()),
});
