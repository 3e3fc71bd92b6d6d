import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { defineTool } from '../tool.js';
import { rename } from '../aliases.js';

export default defineTool({
  name: 'get_dispatch_result',
  description: 'The status of a dispatch and, once it ended, its outcome, output, usage, cost, session id and log path. wait_s waits up to that many seconds (at most 300) for it to end.',
  accept: (args) => rename(args, 'task_id', 'dispatch_id'),
  input: {
    dispatch_id: z.string().min(1),
    wait_s: z.number().min(0).max(300).optional(),
  },
  async run(args, context) {
    return dispatchView(await context.board.processes.waitUntilExited(args.dispatch_id, Math.round((args.wait_s ?? 0) * 1000), context.signal));
  },
});
