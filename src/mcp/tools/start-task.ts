import { defineTool, taskId } from '../tool.js';

export default defineTool({
  name: 'start_task',
  description: 'Start a task you claimed (claimed → in_progress).',
  alwaysLoad: true,
  input: { task_id: taskId },
  run: (args, context) => context.board.tasks.start(args.task_id, context.maybeAgent()),
});
