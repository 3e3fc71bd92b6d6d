import { dashboard } from '../../runner/dashboard.js';
import { defineTool } from '../tool.js';

export default defineTool({
  name: 'status_dashboard',
  description: 'A text dashboard of the runner: processes running and queued, recent outcomes, the task queue, pending approvals and the settings.',
  input: {},
  async run(_args, context) {
    return { text: await dashboard(context.board) };
  },
});
