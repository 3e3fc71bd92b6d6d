import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { defineTool, page } from '../tool.js';

export default defineTool({
  name: 'list_dispatches',
  description: 'Dispatches in the order they were made, with status and outcome (not their output: get_dispatch_result has it).',
  input: { state: z.enum(['queued', 'running', 'exited']).optional(), ...page },
  async run(args, context) {
    const found = await context.board.processes.list({ ...args, dispatches: true });
    return { items: found.items.map((record) => ({ ...dispatchView(record), output: undefined })), next_cursor: found.next_cursor };
  },
});
