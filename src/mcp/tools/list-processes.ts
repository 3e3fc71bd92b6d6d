import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { defineTool, page } from '../tool.js';

export default defineTool({
  name: 'list_processes',
  description: 'The agent processes the runner started (dispatches, submitted tasks, engine work), oldest first, with status, pid, task and cost.',
  input: { state: z.enum(['queued', 'running', 'exited']).optional(), ...page },
  async run(args, context) {
    const found = await context.board.processes.list(args);
    return {
      items: found.items.map((record) => ({ id: record.id, kind: record.kind, status: dispatchView(record).status, pid: record.pid, task_id: record.task_id, attempt: record.attempt, cost_usd: record.cost_usd, started_at: record.started_at, ended_at: record.ended_at })),
      next_cursor: found.next_cursor,
    };
  },
});
