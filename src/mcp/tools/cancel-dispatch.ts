import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { defineTool } from '../tool.js';
import { rename } from '../aliases.js';

export default defineTool({
  name: 'cancel_dispatch',
  description: 'Stop a dispatch that is queued or running (its outcome becomes "killed"); one that has ended is returned as it is.',
  accept: (args) => rename(args, 'task_id', 'dispatch_id'),
  input: { dispatch_id: z.string().min(1) },
  async run(args, context) {
    return dispatchView(await context.board.processes.requestStop(args.dispatch_id));
  },
});
