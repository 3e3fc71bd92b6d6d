import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { defineTool } from '../tool.js';
import { agentKind } from './dispatch.js';

export default defineTool({
  name: 'submit_task',
  description:
    'Put a task on the board for a role and start an agent process that works on it with that role\'s prompt. The outcome settles the task: ok completes it, a rate limit or a stop puts it back in the queue, anything else fails it. Returns the task and the process.',
  input: {
    prompt: z.string().min(1).max(200_000),
    title: z.string().min(1).max(500).optional(),
    role: z.string().optional().describe('architect, implementer, tester, reviewer, devops, documenter or generalist (default)'),
    agent: agentKind.optional().describe('default claude'),
    cwd: z.string().optional(),
    model: z.string().optional(),
    priority: z.number().int().min(0).max(3).optional(),
    timeout_s: z.number().int().min(1).max(86_400).optional(),
    argv: z.array(z.string()).optional(),
  },
  async run(args, context) {
    const { task, process } = await context.dispatcher().submitTask(args, context.maybeAgent());
    return { task_id: task.id, process_id: process.id, status: dispatchView(process).status };
  },
});
