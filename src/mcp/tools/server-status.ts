import { defineTool } from '../tool.js';

export default defineTool({
  name: 'server_status',
  description: 'Health of the board: store, schema version, agents, tasks by state, unread messages, leader; and who you are.',
  input: {},
  async run(_args, context) {
    return { ok: true, you: context.maybeAgent(), ...(await context.board.status()) };
  },
});
