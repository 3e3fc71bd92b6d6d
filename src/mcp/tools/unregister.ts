import { defineTool } from '../tool.js';

export default defineTool({
  name: 'unregister',
  description: 'Leave the board; the tasks you hold go back to the queue.',
  input: {},
  async run(_args, context) {
    const agent = await context.board.agents.unregister(context.agent());
    context.setAgent(null);
    return agent;
  },
});
