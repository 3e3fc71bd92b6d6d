import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'claim_task',
  description: 'Take the next task you may do: the highest priority, then oldest, pending task whose dependencies are completed and whose role and assignee fit you. Atomic: no two agents get the same task. Returns {task: null} when there is none.',
  alwaysLoad: true,
  input: { task_id: z.string().optional().describe('claim this task only') },
  async run(args, context) {
    const task = await context.board.tasks.claim(context.agent(), { task_id: args.task_id });
    return task ?? { task: null };
  },
});
