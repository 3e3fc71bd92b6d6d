import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { defineTool } from '../tool.js';
import { rename } from '../aliases.js';

export default defineTool({
  name: 'retry_dispatch',
  description: 'Run a dispatch again with its full original prompt and options, as a new dispatch; returns the new dispatch_id.',
  accept: (args) => rename(args, 'task_id', 'dispatch_id'),
  input: { dispatch_id: z.string().min(1) },
  async run(args, context) {
    const view = dispatchView(await context.dispatcher().retry(args.dispatch_id, context.maybeAgent()));
    return { dispatch_id: view.dispatch_id, status: view.status, retry_of: args.dispatch_id };
  },
});
