import { defineResource } from '../resource.js';

export default defineResource({
  uri: 'orchestrator://events',
  name: 'events',
  description: 'The 100 most recent events on the board, oldest first.',
  read: async (board) => ({ events: await board.events.recent(100) }),
});
