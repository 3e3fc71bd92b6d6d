import { defineTool, taskId } from '../tool.js';

export default defineTool({
  name: 'get_task',
  description: 'One task, with its dependencies and the ones it still waits on.',
  alwaysLoad: true,
  input: { task_id: taskId },
  run: (args, context) => context.board.tasks.get(args.task_id),
});
