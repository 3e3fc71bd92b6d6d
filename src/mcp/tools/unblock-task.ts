import { defineTool, taskId } from '../tool.js';

export default defineTool({
  name: 'unblock_task',
  description: 'Put a blocked task back in the queue.',
  input: { task_id: taskId },
  run: (args, context) => context.board.tasks.unblock(args.task_id, context.maybeAgent()),
});
