import { z } from 'zod';
import { dispatchView } from '../../runner/process-view.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'stop_process',
  description: 'Stop an agent process, whichever orchestrator process supervises it: stdin closed, then SIGTERM, then SIGKILL to its process group. Its task, if any, goes back to the queue.',
  input: { process_id: z.string().min(1) },
  async run(args, context) {
    return dispatchView(await context.board.processes.requestStop(args.process_id));
  },
});
