import { z } from 'zod';
import { TASK_STATUSES } from '../../board/task-states.js';
import { defineTool, page } from '../tool.js';

const status = z.enum(TASK_STATUSES);

export default defineTool({
  name: 'list_tasks',
  description: 'Tasks in the order they were pushed, filtered by status (one or several), role, assignee, holder, run or chain. Items are summaries (get_task has the rest; full: true lists everything).',
  input: {
    status: z.union([status, z.array(status)]).optional(),
    role: z.string().optional(),
    assignee: z.string().optional(),
    claimed_by: z.string().optional().describe('an agent id or name'),
    run_id: z.string().optional(),
    chain_id: z.string().optional().describe('only the tasks of this chain'),
    full: z.boolean().optional().describe('whole tasks instead of summaries'),
    ...page,
  },
  run: ({ full, ...filter }, context) => (full ? context.board.tasks.list(filter) : context.board.tasks.list({ ...filter, summary: true })),
});
