import { z } from 'zod';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'push_task',
  description: 'Add a task to the queue. Priority 0 is the highest, 3 the lowest. depends_on lists task ids that must complete first.',
  input: {
    title: z.string().min(1).max(500),
    description: z.string().optional(),
    priority: z.number().int().min(0).max(3).optional().describe('0 (highest) to 3 (lowest), default 2'),
    role: z.string().optional().describe('only agents of this role (or generalists) may claim it'),
    assignee: z.string().optional().describe('only this agent (id or name) may claim it'),
    depends_on: z.array(z.string().min(1)).optional(),
    max_retries: z.number().int().min(0).max(100).optional(),
    labels: z.array(z.string().min(1)).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    run_id: z.string().optional(),
    link: z.string().max(2000).optional().describe('an issue, PR or document the task is about'),
    chain_id: z.string().max(200).optional().describe('the chain of tasks it belongs to'),
    id: z.string().optional().describe('choose the id (letters, digits, . _ -); generated when absent'),
  },
  run: (args, context) => context.board.tasks.push(args, context.maybeAgent()),
});
